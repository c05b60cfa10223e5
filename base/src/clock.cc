// SystemClock() and ManualClock; see clock.h.
#include "mayday/base/clock.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace mayday::base {
namespace {

class RealTimeClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& condition,
                         absl::Time deadline) const override ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return mu->AwaitWithDeadline(condition, deadline);
  }
};

}  // namespace

const Clock* SystemClock() {
  // Never destroyed, so it stays valid during static destruction too.
  static const Clock* const clock = new RealTimeClock();
  return clock;
}

ManualClock::ManualClock(absl::Time start) : now_(start) {}

absl::Time ManualClock::Now() const {
  absl::MutexLock lock(&now_mu_);
  return now_;
}

bool ManualClock::AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& condition,
                                    absl::Time deadline) const {
  if (condition.Eval()) return true;
  if (Now() >= deadline) return false;
  // Registered and unregistered without `mu` held (see waiters_mu_): to the
  // caller this is part of the wait, which releases `mu` anyway.
  const Waiter waiter{mu, deadline};
  mu->Unlock();
  {
    absl::MutexLock lock(&waiters_mu_);
    waiters_.push_back(&waiter);
  }
  mu->Lock();
  struct Wait {
    const absl::Condition* condition;
    const ManualClock* clock;
    absl::Time deadline;
  } wait{&condition, this, deadline};
  // Re-evaluated whenever `mu` is released, which WakeDue does once the
  // deadline is reached.
  mu->Await(absl::Condition(
      +[](Wait* w) { return w->condition->Eval() || w->clock->Now() >= w->deadline; }, &wait));
  mu->Unlock();
  {
    absl::MutexLock lock(&waiters_mu_);
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &waiter));
  }
  mu->Lock();
  return condition.Eval();
}

void ManualClock::Advance(absl::Duration d) {
  if (d <= absl::ZeroDuration()) return;
  {
    absl::MutexLock lock(&now_mu_);
    now_ += d;
  }
  WakeDue();
}

void ManualClock::Set(absl::Time t) {
  {
    absl::MutexLock lock(&now_mu_);
    now_ = t;
  }
  WakeDue();
}

void ManualClock::WakeDue() {
  const absl::Time now = Now();
  absl::MutexLock lock(&waiters_mu_);
  for (const Waiter* waiter : waiters_) {
    if (waiter->deadline > now) continue;
    // Releasing a mutex re-evaluates the conditions of those waiting on it.
    waiter->mu->Lock();
    waiter->mu->Unlock();
  }
}

int ManualClock::Waiters() const {
  absl::MutexLock lock(&waiters_mu_);
  return static_cast<int>(waiters_.size());
}

absl::Time ManualClock::NextDeadline() const {
  absl::MutexLock lock(&waiters_mu_);
  absl::Time next = absl::InfiniteFuture();
  for (const Waiter* waiter : waiters_) next = std::min(next, waiter->deadline);
  return next;
}

bool ManualClock::AwaitWaiters(int count, absl::Duration timeout) const {
  absl::MutexLock lock(&waiters_mu_);
  // Re-evaluated whenever waiters_mu_ is released: when a wait begins or
  // ends, and when WakeDue runs after the clock moved.
  struct Sleeping {
    const ManualClock* clock;
    int count;
  } sleeping{this, count};
  return waiters_mu_.AwaitWithTimeout(absl::Condition(
                                          +[](Sleeping* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
                                            const absl::Time now = s->clock->Now();
                                            int ahead = 0;
                                            for (const Waiter* w : s->clock->waiters_)
                                              ahead += w->deadline > now ? 1 : 0;
                                            return ahead >= s->count;
                                          },
                                          &sleeping),
                                      timeout);
}

bool ManualClock::AwaitWaiter(absl::Time deadline, absl::Duration timeout) const {
  absl::MutexLock lock(&waiters_mu_);
  struct Sought {
    const ManualClock* clock;
    absl::Time deadline;
  } sought{this, deadline};
  return waiters_mu_.AwaitWithTimeout(
      absl::Condition(
          +[](Sought* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return std::any_of(s->clock->waiters_.begin(), s->clock->waiters_.end(),
                               [&](const Waiter* w) { return w->deadline == s->deadline; });
          },
          &sought),
      timeout);
}

}  // namespace mayday::base
