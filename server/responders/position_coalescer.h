// PositionCoalescer: decides which of a crew's position reports dispatch
// needs soon and which can wait, so that a fleet reporting many times a
// second costs a map update per report instead of the engine's lock and a
// dispatch round each (which starved alerts of CPU: docs/RELIABILITY.md §7).
// No report is applied on the thread that read it: gRPC's threads also
// take the alerts, and the engine's lock is held across dispatch's commits.
//
// Every report is kept as the responder's held report (the newest fix
// wins). It is urgent (kUrgent) when it is the responder's first since it
// came on duty, or when it lies at least `urgent_move_meters` from the last
// position dispatch was given: a jump that can change who is nearest or in
// range. The dispatcher applies every held report together, in one round,
// before any other dispatch round, at once when one is urgent (NextDue is
// then its arrival) and otherwise at the latest `interval` after the oldest
// arrived, so that no decision is taken on a position older than one held.
// Dispatch ranks by positions up to two minutes old; a second's delay
// changes nothing a crew could notice, and the latest position is never
// lost.
//
// Also remembers, per responder, the case it was on when dispatch last
// told (SetCase), so a report can go to the track without asking the
// engine, and which responders dispatch knows (Registered), so that a
// report of an unknown one is refused without it.
#ifndef MAYDAY_SERVER_RESPONDERS_POSITION_COALESCER_H_
#define MAYDAY_SERVER_RESPONDERS_POSITION_COALESCER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::server {

struct CoalescingOptions {
  // The longest a report is held before dispatch gets it.
  absl::Duration interval = absl::Seconds(1);
  // A report this far (meters) from the last one applied goes at once. A
  // vehicle covers 40 m a second at 140 km/h: only a jump (a first good fix
  // after a tunnel, a crew driven elsewhere) is this far within a second.
  double urgent_move_meters = 500;
  // Off (0 interval): every report is urgent.
  bool enabled() const { return interval > absl::ZeroDuration(); }
};

// A held report, for the dispatcher to apply.
struct HeldPosition {
  std::string responder_id;
  mayday::v1::Location location;  // as reported
  absl::Time fix_time;            // the report's fix time, or its arrival
};

// Thread-safe; its lock is a leaf (taken under the dispatcher's, never the
// other way round).
class PositionCoalescer {
 public:
  explicit PositionCoalescer(CoalescingOptions options = {}) : options_(options) {}

  enum class Route {
    kUnregistered,  // dispatch does not know the responder: refuse the report
    kUrgent,        // held, and due now: wake the dispatch thread
    kHeld,          // held (or older than the newest fix: dropped)
  };
  struct Verdict {
    Route route;
    // The case the responder was on when dispatch last said (SetCase);
    // "" if none or kUnregistered.
    std::string on_case;
    // The report took the place of one held already, or was older than
    // the fix dispatch has: dispatch never sees one of the two.
    bool merged = false;
  };

  // A report of `responder_id` that arrived at `now`; `fix_time` is its own
  // fix time (or `now` if it has none).
  Verdict Offer(const std::string& responder_id, const mayday::v1::Location& location,
                absl::Time fix_time, absl::Time now);
  // Dispatch was given this position of the responder (a held one) and the
  // responder is on `on_case` ("" if none). A held report with an older fix
  // is dropped.
  void Applied(const std::string& responder_id, const mayday::v1::Location& location,
               absl::Time fix_time, const std::string& on_case);
  // Every held report, newest per responder; none are held afterwards.
  std::vector<HeldPosition> TakeHeld();
  // When the held reports must be applied: the arrival of the first urgent
  // one, or the oldest one's arrival + interval; nullopt if none is held.
  std::optional<absl::Time> NextDue() const;
  // The responder's assignment changed: held reports now go to `on_case`'s
  // track ("" if none).
  void SetCase(const std::string& responder_id, const std::string& on_case);
  // Dispatch knows the responder (it called SetDuty, or holds a case the
  // server took back at start), and its duty may have changed: its next
  // report is urgent. (Its entry stays: one per responder registered, as
  // the engine keeps one per responder registered since start.)
  void Registered(const std::string& responder_id);

  size_t HeldCount() const;

 private:
  struct Crew {
    bool registered = false;             // dispatch knows it
    bool applied = false;                // dispatch has a position of this crew
    double latitude = 0, longitude = 0;  // the last applied position
    absl::Time applied_fix;
    std::string on_case;
    std::optional<HeldPosition> held;
  };

  const CoalescingOptions options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Crew> crews_ ABSL_GUARDED_BY(mu_);
  size_t held_count_ ABSL_GUARDED_BY(mu_) = 0;
  // The responders that got a held report since the last TakeHeld (some may
  // have had it dropped since), so that taking them costs what is held, not
  // the whole fleet.
  std::vector<std::string> held_ids_ ABSL_GUARDED_BY(mu_);
  // Lower bound of every held report's arrival; exact when the held set was
  // empty before the first of them (recomputed by TakeHeld).
  std::optional<absl::Time> oldest_held_ ABSL_GUARDED_BY(mu_);
  // The arrival of the first urgent report held since the last TakeHeld.
  std::optional<absl::Time> urgent_since_ ABSL_GUARDED_BY(mu_);

  // Keeps the report as the crew's held one if its fix is the newest.
  // True if the crew had one held already (one of the two is dropped).
  bool HoldLocked(Crew& crew, const std::string& responder_id, const mayday::v1::Location& location,
                  absl::Time fix_time, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
};

// Great-circle distance in meters on a sphere of the Earth's mean radius:
// good to 0.5%, enough for a threshold (dispatch's ranking uses WGS84).
double ApproximateMeters(double lat1, double lon1, double lat2, double lon2);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RESPONDERS_POSITION_COALESCER_H_
