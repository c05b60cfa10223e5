// Time as the dispatch engine sees it. The engine never reads the system clock
// itself: the server injects SystemClock(), tests and simulations a
// ManualClock they advance by hand, so that every scenario replays exactly.
#ifndef MAYDAY_DISPATCH_CLOCK_H_
#define MAYDAY_DISPATCH_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace mayday::dispatch {

// A source of the current time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // The current time.
  virtual absl::Time Now() const = 0;
};

// The process-wide real-time clock. Never null; lives for the whole process.
const Clock* SystemClock();

// A clock that only moves when told to. Thread-safe.
class ManualClock : public Clock {
 public:
  explicit ManualClock(absl::Time start = absl::UnixEpoch() + absl::Hours(24 * 365 * 50))
      : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  // Moves the clock forward by `d` (d >= 0).
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  // Sets the clock to `t`.
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::dispatch

#endif  // MAYDAY_DISPATCH_CLOCK_H_
