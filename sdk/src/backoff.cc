// Exponential backoff with jitter; see backoff.h.
#include "backoff.h"

#include <algorithm>

namespace mayday::sdk::internal {

Backoff::Backoff(absl::Duration initial, absl::Duration max, uint64_t seed)
    : initial_(initial), max_(std::max(initial, max)), base_(initial), rng_(seed) {}

absl::Duration Backoff::Next() {
  std::uniform_real_distribution<double> spread(1.0 - kJitter, 1.0 + kJitter);
  const absl::Duration delay = base_ * spread(rng_);
  base_ = std::min(base_ * 2, max_);
  return delay;
}

void Backoff::Reset() { base_ = initial_; }

uint64_t RandomSeed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

}  // namespace mayday::sdk::internal
