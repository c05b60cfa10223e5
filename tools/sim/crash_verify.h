// `mayday-sim crash-verify`: the final read of the crash test. Against the
// acknowledgement file written by `mayday-sim crash-load` (crash_load.h) it
// checks, through the operator API of a running maydayd, that every
// acknowledged alert exists exactly once (the case it was answered with,
// with its request_id and member; no request_id with two cases; no stored
// case nobody was told of), that a retry with the same request_id returns
// the same case, and that every case's events are numbered 1..n without gaps
// (n = the case's last_sequence); and, on the database file of a stopped
// server, that `PRAGMA integrity_check` says ok.
#ifndef MAYDAY_TOOLS_SIM_CRASH_VERIFY_H_
#define MAYDAY_TOOLS_SIM_CRASH_VERIFY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace mayday::tools {

struct CrashVerifyOptions {
  // The acknowledgement file (lines "REQUEST_ID CASE MEMBER TOKEN_INDEX").
  std::string acked_path;
  // A running server, "HOST:PORT", plaintext; empty: no API checks.
  std::string address;
  std::string operator_token;
  // The member tokens crash-load used, in the same order.
  std::vector<std::string> member_tokens;
  // A database file no server has open; empty: no integrity check.
  std::string db_path;
  // Calls in flight while reading events and retrying alerts.
  int threads = 8;
};

struct CrashVerifyResult {
  int64_t acknowledged = 0;           // lines in the acknowledgement file
  int64_t cases = 0;                  // cases the server lists
  int64_t events = 0;                 // events read, over all cases
  int64_t lost = 0;                   // acknowledged, but no such case stored
  int64_t duplicated = 0;             // request_ids with more than one case
  int64_t mismatched = 0;             // the stored case has another request_id or member
  int64_t unacknowledged = 0;         // stored cases no acknowledgement names
  int64_t retry_mismatches = 0;       // a retry returned another case (or failed)
  int64_t event_gaps = 0;             // cases whose events are not 1..last_sequence
  std::string integrity;              // "ok", SQLite's report, or "" when not checked
  std::vector<std::string> problems;  // the first few, in words

  // True when every check that ran passed.
  bool ok() const;
};

// Runs the checks the options ask for. INVALID_ARGUMENT / NOT_FOUND if the
// acknowledgement file is missing or malformed; UNAVAILABLE if the server
// cannot be read. Broken promises are counted in the result, not errors.
absl::StatusOr<CrashVerifyResult> VerifyCrash(const CrashVerifyOptions& options);

// One JSON object with the result's counts and the first problems.
std::string CrashVerifyResultJson(const CrashVerifyResult& result);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_SIM_CRASH_VERIFY_H_
