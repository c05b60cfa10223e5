// `mayday-sim fanout`: the fan-out benchmark. Raises one alert per member,
// then opens many WatchCase streams on those cases (as the members' phones,
// several each) and operator WatchCases streams, all in one process through
// gRPC's callback API; measures the server's memory and threads with the
// streams open and idle (from /proc of the server's pid), then has an
// operator post messages at a steady rate and times each event's arrival on
// every stream that should carry it, from the event's own event_time (set
// by the server just before the commit).
#ifndef MAYDAY_TOOLS_SIM_FANOUT_H_
#define MAYDAY_TOOLS_SIM_FANOUT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "maydayctl/rpc.h"

namespace mayday::tools {

struct FanoutOptions {
  ServerOptions server;
  // One case per member token.
  std::vector<std::string> member_tokens;
  std::string operator_token;
  // WatchCase streams per case, and operator WatchCases streams.
  int watchers_per_case = 100;
  int operator_watchers = 100;
  // Connections the streams are spread over.
  int connections = 32;
  // Messages posted, and how many per second.
  int events = 500;
  double events_per_second = 50;
  // The server's process id, to read its memory and threads; 0: not read.
  int server_pid = 0;
};

struct FanoutResult {
  int64_t streams = 0;    // WatchCase + WatchCases streams open
  int64_t expected = 0;   // deliveries the posted events should make
  int64_t delivered = 0;  // deliveries that arrived
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  // Server resident memory and threads before the streams opened and with
  // them open and idle (0 when server_pid is 0).
  int64_t rss_before_kib = 0, rss_idle_kib = 0;
  int threads_before = 0, threads_idle = 0;
};

// Runs the benchmark. INVALID_ARGUMENT for bad options; UNAVAILABLE (with
// the first error) if alerts, streams or messages fail.
absl::StatusOr<FanoutResult> RunFanout(const FanoutOptions& options);

// One JSON object of the result, with "label" and the per-stream memory.
std::string FanoutResultJson(const std::string& label, const FanoutOptions& options,
                             const FanoutResult& result);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_SIM_FANOUT_H_
