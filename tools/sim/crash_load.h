// `mayday-sim crash-load`: the client side of the crash test
// (tools/crash/crash_test.sh). Threads raise alerts with fresh random
// request_ids, each RETRYING with the same request_id until the server
// acknowledges it, as the SDK does while maydayd is down (UNAVAILABLE,
// DEADLINE_EXCEEDED); then cancel the case (retried the same way) so that
// open cases do not pile up and restarts stay quick. Every acknowledgement is
// written at once to the acknowledgement file, one line per alert:
//
//   REQUEST_ID CASE_NAME MEMBER_NAME TOKEN_INDEX ACK_UNIX_MS
//
// which `mayday-sim crash-verify` (crash_verify.h) checks against the server
// at the end. The client is not killed, only the server, so a flushed line is
// durable enough. Some alerts are raised a second time right after their
// acknowledgement (perhaps across a restart): the same case must come back.
#ifndef MAYDAY_TOOLS_SIM_CRASH_LOAD_H_
#define MAYDAY_TOOLS_SIM_CRASH_LOAD_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mayday::tools {

struct CrashLoadOptions {
  // "127.0.0.1:PORT"; plaintext. The server may be down at any moment.
  std::string address;
  // Member tokens; client thread i uses tokens i, i + clients, ...
  std::vector<std::string> tokens;
  // Where acknowledgements are appended (created or truncated).
  std::string acked_path;
  // Client threads, each with one call in flight.
  int clients = 16;
  // Deadline of each attempt.
  absl::Duration call_timeout = absl::Seconds(2);
  // After a stop is asked for, how long calls in flight may keep retrying
  // until acknowledged; past it the run fails.
  absl::Duration drain_timeout = absl::Seconds(60);
  // One alert in `reraise_every` is raised again after its acknowledgement.
  int reraise_every = 8;
  uint64_t seed = 1;

  // The chaos test's load (tools/chaos.sh) sets these.
  // Alerts a second over all clients; 0: as fast as they go.
  double per_second = 0;
  // Leave each case open for the crews, instead of cancelling it.
  bool keep_open = false;
  // Raise near this point (within about 2 km) instead of all over the
  // Netherlands, so that crews around it are offered them.
  std::optional<std::pair<double, double>> near;
  // Raise through the SDK (mayday::sdk::Client::RaiseAlert, which retries
  // with the same request_id with backoff and jitter until its deadline,
  // as a phone does) instead of this client's own quick retries.
  bool through_sdk = false;
  // With watch_every > 0: one acknowledged alert in watch_every is
  // followed by its member's SDK WatchCase on a replica of watch_servers
  // (taking turns), until the load ends; every event delivered is written
  // to watch_log as "CASE SEQUENCE STATE" (crash_verify.h checks them).
  int watch_every = 0;
  std::vector<std::string> watch_servers;
  std::string watch_log;
};

struct CrashLoadResult {
  int64_t acknowledged = 0;  // alerts acknowledged (lines written)
  int64_t attempts = 0;      // RaiseAlert calls, retries included
  int64_t retried = 0;       // alerts that needed more than one attempt
  // Retried alerts whose case was committed before an attempt failed: the
  // server was killed between the commit and the answer, and a retry after
  // the restart returned the stored case.
  int64_t found_by_retry = 0;
  int64_t gave_up = 0;    // alerts the SDK gave up on at its deadline (never acknowledged)
  int64_t watched = 0;    // acknowledged alerts followed by a watcher
  int64_t reraised = 0;   // acknowledged alerts raised again
  int64_t cancelled = 0;  // cases cancelled after acknowledgement
  // Failures of the promises, seen by the client itself: a re-raise that
  // returned another case, a call refused with a non-retryable code.
  int64_t reraise_mismatches = 0;
  int64_t refused = 0;
  std::string first_refusal;
  bool drain_timed_out = false;
  // Failed attempts by status code ("UNAVAILABLE": 812, ...).
  std::map<std::string, int64_t> errors;
  double seconds = 0;
};

// Runs until `*stop` becomes true, then lets every alert in flight finish
// (retrying until acknowledged, within drain_timeout). INVALID_ARGUMENT for
// bad options, NOT_FOUND / PERMISSION_DENIED if the acknowledgement file
// cannot be written; otherwise the counts.
absl::StatusOr<CrashLoadResult> RunCrashLoad(const CrashLoadOptions& options,
                                             const std::atomic<bool>* stop);

// One JSON object with the result's fields.
std::string CrashLoadResultJson(const CrashLoadResult& result);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_SIM_CRASH_LOAD_H_
