// Safety timers fire here. A thread raises the alert of every running timer
// whose deadline passed, from the timer's last location with its note, in
// one transaction with the timer becoming FIRED: so each timer raises its
// alert exactly once, whichever replica gets there first, whatever crashed
// before. The timers are read from the store (the soonest first) at every
// deadline, when poked, and at least every `poll` (a timer started on
// another replica), so that a server that was down at a deadline fires it
// as soon as it is back.
#ifndef MAYDAY_SERVER_CASES_TIMER_KEEPER_H_
#define MAYDAY_SERVER_CASES_TIMER_KEEPER_H_

#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cases/case_log.h"
#include "mayday/base/clock.h"
#include "mayday/v1/resources.pb.h"
#include "store/store.h"

namespace mayday::server {

// Why a timer fires.
enum class FireCause {
  kDeadline,   // its deadline passed without the member ending it
  kWrongPins,  // too many wrong PINs were given to end it
  kDuress,     // the member ended it with the duress PIN
};

// The request_id of the case a timer raises: "safety timer {id}" (with
// spaces, which no app's request_id has, so that no press can be taken
// for it).
std::string TimerRequestId(const std::string& timer_id);

// Thread-safe.
class TimerKeeper {
 public:
  // Nothing is owned; all must outlive the keeper. `changes` hears of the
  // cases the timers open (dispatch).
  TimerKeeper(Store* store, CaseLog* log, CaseObserver* changes, const base::Clock* clock,
              absl::Duration poll = absl::Seconds(1));
  ~TimerKeeper();  // Stop()

  // Starts the thread ("mayday-timers"). Call once.
  void Start();
  // Stops it and waits for it. Idempotent.
  void Stop();
  // A timer was started or moved here: look again now.
  void Poke();

  // Raises timer `timer_id`'s alert now, if it still runs (for kDeadline:
  // if its deadline passed), in one transaction with the timer becoming
  // FIRED, with `shown` (if set) as what its member reads of it. Blocks
  // until committed; returns the timer as stored. FAILED_PRECONDITION if it
  // no longer runs (another replica fired it, the member ended it) or its
  // deadline moved; UNAVAILABLE if storage failed (nothing changed).
  absl::StatusOr<mayday::v1::SafetyTimer> Fire(
      const std::string& timer_id, FireCause cause,
      std::optional<mayday::v1::SafetyTimer> shown = std::nullopt);

 private:
  void Loop();
  // Fires the running timers that are due; returns when to look next.
  absl::Time FireDue();
  bool Woken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return poked_ || stopping_; }

  Store* const store_;
  CaseLog* const log_;
  CaseObserver* const changes_;
  const base::Clock* const clock_;
  const absl::Duration poll_;
  absl::Mutex mu_;
  bool poked_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_CASES_TIMER_KEEPER_H_
