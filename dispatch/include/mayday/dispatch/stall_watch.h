// Stalled crews: from an assigned crew's position reports, notices when it
// is not getting closer to the member, so that a care agent hears of it
// (and, by policy, a second crew is offered the case) while there is still
// time. Pure: no clock of its own (times are passed in), no I/O; the caller
// serializes calls. docs/dispatch.md gives the defaults and their reasons.
//
// Three rules, each reported once per assignment:
//   kSilent     no position from the crew for `silent_after`;
//   kNotCloser  from its last report at or before `progress_window` ago to
//               its latest, it closed in on the member slower than
//               `min_closing_mps` on average (a crew closing at walking pace
//               or better never trips it), unless it is within
//               `arrived_meters` (there, only the ETA counts);
//   kLate       the time since assignment passed its ETA by `eta_overrun`
//               (a fraction) and by `min_overrun` at least.
#ifndef MAYDAY_DISPATCH_STALL_WATCH_H_
#define MAYDAY_DISPATCH_STALL_WATCH_H_

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "mayday/dispatch/engine.h"

namespace mayday::dispatch {

struct StallOptions {
  absl::Duration silent_after = absl::Minutes(2);
  absl::Duration progress_window = absl::Minutes(3);
  double min_closing_mps = 1.4;
  double arrived_meters = 200;
  double eta_overrun = 0.5;
  absl::Duration min_overrun = absl::Minutes(3);

  // INVALID_ARGUMENT naming the option if one is not positive (or
  // eta_overrun negative).
  absl::Status Validate() const;
};

enum class StallReason { kSilent, kNotCloser, kLate };

// "silent", "not_closer", "late".
const char* StallReasonName(StallReason reason);

struct Stall {
  CaseId case_id;
  ResponderId responder_id;
  StallReason reason;
  // For a care agent: "no position from r-2 for 2 min 10 s (3.4 km to go)".
  std::string words;
};

class StallWatch {
 public:
  explicit StallWatch(StallOptions options = {}) : options_(options) {}

  // `crew` now comes to case `case_id` at `to`, from `from` if its position
  // is known, with `eta` (zero or infinite: none) given at `now`. Replaces
  // what was watched of the case.
  void Assigned(const CaseId& case_id, const ResponderId& crew, GeoPoint to,
                std::optional<GeoPoint> from, absl::Duration eta, absl::Time now) {
    Assigned(case_id, crew, to, from, eta, now, now);
  }
  // The same for an assignment made at `assigned_at` and watched from `now`
  // on (dispatch restarted, or another replica took it over): the ETA counts
  // from `assigned_at`, silence and progress from `now`.
  void Assigned(const CaseId& case_id, const ResponderId& crew, GeoPoint to,
                std::optional<GeoPoint> from, absl::Duration eta, absl::Time assigned_at,
                absl::Time now);
  // The member reported a new location: the distance counts to it from now
  // (its progress window starts again: the old distances meant another
  // place).
  void MemberMoved(const CaseId& case_id, GeoPoint to, absl::Time now);
  // A position of `crew`, taken at `time` (ignored unless it is watched,
  // and if older than its last one).
  void Position(const ResponderId& crew, GeoPoint at, absl::Time time);
  // The case no longer waits for its crew: on scene, closed, or taken off
  // it. Nothing more is reported of it.
  void Ended(const CaseId& case_id);

  // The stalls noticed at `now` that were not reported before, by case.
  std::vector<Stall> Check(absl::Time now);

  size_t watched() const { return cases_.size(); }

 private:
  struct Watched {
    ResponderId crew;
    GeoPoint to;
    absl::Duration eta;
    absl::Time assigned_at;
    absl::Time window_start;  // progress is judged from here on
    absl::Time last_report;   // the crew's last position, or the assignment
    double last_meters = -1;  // distance then; -1: unknown
    // (time, metres to go), oldest first, one at or before now - window kept.
    std::deque<std::pair<absl::Time, double>> samples;
    bool reported[3] = {false, false, false};
  };

  const StallOptions options_;
  absl::flat_hash_map<CaseId, Watched> cases_;
  absl::flat_hash_map<ResponderId, CaseId> case_of_;
};

}  // namespace mayday::dispatch

#endif  // MAYDAY_DISPATCH_STALL_WATCH_H_
