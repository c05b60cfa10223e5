// The benchmarks' `mayday-sim` subcommands, each printing one JSON line:
//   offers     a crowd of crews (crowd.h) reporting every 5 s while alerts
//              arrive at a steady rate: time from RaiseAlert sent to the offer
//              on the chosen crew's stream
//   positions  a crowd of crews reporting positions at a high rate: reports
//              per second the server absorbs
//   fleet-feed a tracking feed reporting many crews' positions in batches
//              (fleet_feed.h): positions per second the server absorbs
//   fanout     many WatchCase and WatchCases streams (fanout.h): event
//              delivery times and server memory per stream
// Their flags and how they run are kept here so that main.cc only registers
// them.
#ifndef MAYDAY_TOOLS_SIM_BENCH_COMMANDS_H_
#define MAYDAY_TOOLS_SIM_BENCH_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace mayday::tools {

// Adds `offers`, `positions`, `fleet-feed` and `fanout` to `app`. When app.parse() parses
// one of them it runs it and stores its exit code in `*exit_code` (0: ran,
// 1: the run failed, 2: bad usage); `*exit_code` is left alone otherwise and
// must outlive app.parse().
void AddBenchCommands(CLI::App& app, int* exit_code);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_SIM_BENCH_COMMANDS_H_
