// Time as Mayday's code sees it. Nothing in dispatch/ or server/ reads the
// system clock or waits on real time directly: it asks a Clock, injected at
// construction. maydayd injects SystemClock(); tests and simulations inject a
// ManualClock and move it by hand, so that an offer's timeout, a watchdog's
// patience or a rate limit's refill happens when the test says so, not after
// a sleep.
//
// A clock also waits: AwaitWithDeadline is absl::Mutex::AwaitWithDeadline
// with the deadline on this clock. On a ManualClock, a wait ends when its
// condition holds or when Advance()/Set() reaches its deadline, and never
// because real time passed.
#ifndef MAYDAY_BASE_CLOCK_H_
#define MAYDAY_BASE_CLOCK_H_

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mayday::base {

// A source of the current time that can also wait. Implementations are
// thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;

  // The current time.
  virtual absl::Time Now() const = 0;

  // With `mu` held by the caller: releases it until `condition` holds or
  // Now() reaches `deadline`, and returns with `mu` held again. Returns
  // whether `condition` holds on return. `condition` is evaluated with `mu`
  // held, as absl::Mutex::Await does; time enters a wait only through its
  // deadline (a condition that reads the clock is not re-evaluated when a
  // ManualClock moves). Any thread.
  virtual bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& condition,
                                 absl::Time deadline) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;

  // AwaitWithDeadline(mu, condition, Now() + timeout).
  bool AwaitWithTimeout(absl::Mutex* mu, const absl::Condition& condition,
                        absl::Duration timeout) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return AwaitWithDeadline(mu, condition, Now() + timeout);
  }
};

// The process-wide real-time clock (absl::Now, absl::Mutex's own timed
// waits). Never null; lives for the whole process.
const Clock* SystemClock();

// A clock that only moves when told to. Thread-safe. Its waits end when their
// condition holds or when Advance()/Set() reaches their deadline.
class ManualClock final : public Clock {
 public:
  // Starts at `start` (by default a fixed time late in 2019, so that
  // simulated scenarios replay exactly).
  explicit ManualClock(absl::Time start = absl::UnixEpoch() + absl::Hours(24 * 365 * 50));
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  absl::Time Now() const override;
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& condition,
                         absl::Time deadline) const override ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // Moves the clock forward by `d` (a negative `d` is ignored) and wakes the
  // waits whose deadline it reached. Returns once each of them was woken
  // (not once their threads ran). Must not be called with the mutex of a
  // wait on this clock held.
  void Advance(absl::Duration d);
  // Sets the clock to `t` (also backwards: a wrong wall clock) and wakes the
  // waits whose deadline it reached, as Advance.
  void Set(absl::Time t);

  // How many waits are in progress, and the earliest of their deadlines
  // (InfiniteFuture if none).
  int Waiters() const;
  absl::Time NextDeadline() const;
  // Blocks (in real time, up to `timeout`) until at least `count` waits are
  // in progress whose deadline is still ahead: for tests that must know a
  // thread went (back) to sleep before they move time or look at what it
  // did, e.g. "the turns thread woke at its deadline, did its work and
  // waits for the next one". Returns false on timeout.
  bool AwaitWaiters(int count, absl::Duration timeout = absl::Seconds(10)) const;
  // Blocks (in real time, up to `timeout`) until a wait with exactly this
  // deadline is in progress: for tests that know when one thread will next
  // wake ("the watchdog looked at time T and sleeps until T + its tick").
  // Returns false on timeout.
  bool AwaitWaiter(absl::Time deadline, absl::Duration timeout = absl::Seconds(10)) const;

 private:
  struct Waiter {
    absl::Mutex* mu;
    absl::Time deadline;
  };
  void WakeDue();

  // Lock order: a waiter's own mutex is never held while taking waiters_mu_
  // (AwaitWithDeadline releases it first), so WakeDue may take the waiters'
  // mutexes while holding waiters_mu_; and a waiter cannot leave (and its
  // mutex cannot be destroyed) while WakeDue holds waiters_mu_.
  mutable absl::Mutex waiters_mu_;
  mutable std::vector<const Waiter*> waiters_ ABSL_GUARDED_BY(waiters_mu_);
  // A leaf: read by the wait conditions with their own mutex held.
  mutable absl::Mutex now_mu_;
  absl::Time now_ ABSL_GUARDED_BY(now_mu_);
};

}  // namespace mayday::base

#endif  // MAYDAY_BASE_CLOCK_H_
