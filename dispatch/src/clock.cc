// SystemClock(): the real-time clock the server injects into the engine.
#include "mayday/dispatch/clock.h"

#include "absl/time/clock.h"

namespace mayday::dispatch {
namespace {

class RealTimeClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

const Clock* SystemClock() {
  // Never destroyed, so it stays valid during static destruction too.
  static const Clock* const clock = new RealTimeClock();
  return clock;
}

}  // namespace mayday::dispatch
