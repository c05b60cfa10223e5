// The crash test's two `mayday-sim` subcommands, `crash-load` (crash_load.h)
// and `crash-verify` (crash_verify.h): their flags and how they run, kept
// here so that main.cc only registers them.
#ifndef MAYDAY_TOOLS_SIM_CRASH_COMMANDS_H_
#define MAYDAY_TOOLS_SIM_CRASH_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace mayday::tools {

// Adds `crash-load` and `crash-verify` to `app`. When app.parse() parses one
// of them it runs it and stores its exit code in `*exit_code`: 0 when all
// went well, 1 when a promise was broken or the run failed, 2 for bad usage.
// `*exit_code` is left alone otherwise; it must outlive app.parse(). Call
// from the main thread before any other thread starts (crash-load blocks
// SIGINT and SIGTERM to wait for them).
void AddCrashCommands(CLI::App& app, int* exit_code);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_SIM_CRASH_COMMANDS_H_
