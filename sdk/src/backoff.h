// Exponential backoff with jitter, shared by RaiseAlert's retries and
// WatchCase's reconnects. Randomised so that many phones cut off at the same
// moment do not all come back at the same moment; seeded by the caller so
// tests are reproducible.
#ifndef MAYDAY_SDK_SRC_BACKOFF_H_
#define MAYDAY_SDK_SRC_BACKOFF_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace mayday::sdk::internal {

// Not thread-safe: each retry loop owns its own Backoff.
class Backoff {
 public:
  // Jitter spreads each delay uniformly over [base * (1 - kJitter),
  // base * (1 + kJitter)].
  static constexpr double kJitter = 0.2;

  // `initial` > 0 and `max` >= `initial` (max is raised to initial if not).
  Backoff(absl::Duration initial, absl::Duration max, uint64_t seed);

  // Returns the delay to wait before the next attempt: the current base with
  // jitter applied. Then doubles the base, up to `max`.
  absl::Duration Next();

  // Starts over from `initial`, e.g. after an attempt made progress.
  void Reset();

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  absl::Duration base_;
  std::mt19937_64 rng_;
};

// A seed from the platform's entropy source, for production Backoffs.
uint64_t RandomSeed();

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_BACKOFF_H_
