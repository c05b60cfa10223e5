// `mayday-sim crash-verify`: the final read of the crash test. Against the
// acknowledgement file written by `mayday-sim crash-load` (crash_load.h) it
// checks, through the operator API of a running maydayd, that every
// acknowledged alert exists exactly once (the case it was answered with,
// with its request_id and member; no request_id with two cases; no stored
// case nobody was told of), that a retry with the same request_id returns
// the same case, and that every case's events are numbered 1..n without gaps
// (n = the case's last_sequence); and, on the database file of a stopped
// server, that `PRAGMA integrity_check` says ok. For the chaos test, also
// dispatch's promises, the watchers' deliveries and how soon service came
// back after each fault (CrashVerifyOptions).
#ifndef MAYDAY_TOOLS_SIM_CRASH_VERIFY_H_
#define MAYDAY_TOOLS_SIM_CRASH_VERIFY_H_

#include <cstdint>
#include <map>
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

  // The chaos test's checks (tools/chaos.sh).
  // Non-empty: only cases of members whose names start with it count as
  // stored but unacknowledged (the cluster's own first alert does not).
  std::string members_prefix;
  // From the events: no case offered to a crew while another crew still
  // held its offer, and no crew holding two cases at once (from its
  // assignment to the case's end).
  bool dispatch_checks = false;
  // crash-load's watch log: every watched case's events were delivered in
  // order, each once, from 1, each as stored.
  std::string watch_log;
  // Faults injected, one per line, "UNIX_MS KIND": counted by kind, and
  // the time from each to the next acknowledgement and the next offer.
  std::string faults_path;
};

struct CrashVerifyResult {
  int64_t acknowledged = 0;        // lines in the acknowledgement file
  int64_t cases = 0;               // cases the server lists
  int64_t events = 0;              // events read, over all cases
  int64_t lost = 0;                // acknowledged, but no such case stored
  int64_t duplicated = 0;          // request_ids with more than one case
  int64_t mismatched = 0;          // the stored case has another request_id or member
  int64_t unacknowledged = 0;      // stored cases no acknowledgement names
  int64_t retry_mismatches = 0;    // a retry returned another case (or failed)
  int64_t event_gaps = 0;          // cases whose events are not 1..last_sequence
  int64_t double_offers = 0;       // offers made while another crew held one
  int64_t double_assignments = 0;  // a crew assigned a case while it held another
  int64_t watched_cases = 0;       // cases in the watch log
  int64_t watch_errors = 0;        // watched events out of order, repeated or not as stored
  // Faults by kind, and from each fault to the next acknowledged alert and
  // to the next offer, milliseconds: p50, p99, max (-1: none came).
  std::map<std::string, int64_t> faults;
  // The same per kind: the longest from a fault of that kind to the next
  // acknowledgement, and to the next offer (-1: none came).
  std::map<std::string, double> to_ack_max_ms_by_kind, to_offer_max_ms_by_kind;
  double to_ack_p50_ms = 0, to_ack_p99_ms = 0, to_ack_max_ms = 0;
  double to_offer_p50_ms = 0, to_offer_p99_ms = 0, to_offer_max_ms = 0;
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
