// Per-principal rate limits on the chatty calls (reads, location updates,
// messages, notes, ratings, duty changes): a token bucket per principal and
// call class, so that one runaway device or script cannot take the CPU and
// the store's writer from everyone else.
//
// What is never limited, whatever the rate: RaiseAlert, CancelCase, a crew's
// AcceptOffer, DeclineOffer and UpdateProgress, and a care agent acting on a
// case (assign, take, release, escalate, resolve, cancel). An emergency, and
// the work of answering one, is never turned away; those calls are not
// charged to any bucket (they are simply never passed to RateLimiter).
//
// The defaults are far above what an honest client does (docs/RELIABILITY.md
// §7 says why each is what it is); tests configure small ones.
#ifndef MAYDAY_SERVER_RPC_RATE_LIMITS_H_
#define MAYDAY_SERVER_RPC_RATE_LIMITS_H_

#include <cstddef>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mayday/base/clock.h"

namespace mayday::server {

class Metrics;

// Which budget a call is charged to. Each principal has one bucket per class.
enum class CallClass {
  kMemberReads,       // AlertService GetCase, ListCases
  kMemberUpdates,     // AlertService UpdateCaseLocation, PostMessage, RateCase
  kResponderUpdates,  // ResponderService SetDuty, PostMessage
  kStaffReads,        // every OperatorService read (cases, events, notes, track,
                      // responders, tokens, the audit trail)
  kStaffUpdates,      // OperatorService PostMessage, CreateCaseNote
};
inline constexpr int kCallClassCount = 5;

// A token bucket's shape: `per_second` calls on average, up to `burst` at
// once after a quiet spell. per_second > 0 and burst >= 1, or `unlimited`.
struct RateLimit {
  double per_second = 1;
  double burst = 1;
  bool unlimited = false;
};

struct RateLimitOptions {
  RateLimit member_reads{.per_second = 20, .burst = 200};
  RateLimit member_updates{.per_second = 10, .burst = 100};
  RateLimit responder_updates{.per_second = 10, .burst = 100};
  RateLimit staff_reads{.per_second = 1000, .burst = 50'000};
  RateLimit staff_updates{.per_second = 100, .burst = 1000};
  // The most buckets kept. A bucket that has refilled is forgotten (a new
  // one would be the same); if that is not enough, every bucket is
  // forgotten and everyone starts with a full burst again: the limiter fails
  // open rather than grow without bound or refuse because of its own memory.
  size_t max_buckets = 100'000;

  const RateLimit& For(CallClass c) const;
  // INVALID_ARGUMENT naming the bad limit.
  absl::Status Validate() const;
};

// Thread-safe.
class RateLimiter {
 public:
  // `clock` and `metrics` are not owned and must outlive the limiter.
  // `options` must be valid (RateLimitOptions::Validate). `metrics`, if
  // set, counts the calls refused.
  RateLimiter(RateLimitOptions options, const base::Clock* clock, Metrics* metrics = nullptr)
      : options_(std::move(options)), clock_(clock), metrics_(metrics) {}

  // Charges one call of `rpc` (its name, for the message) by `principal`
  // ("members/alice") to its `calls` bucket. OK if within the limit;
  // otherwise RESOURCE_EXHAUSTED saying how many calls are allowed and when
  // to retry, and nothing is charged.
  absl::Status Admit(absl::string_view principal, CallClass calls, absl::string_view rpc);

  // Buckets held now (for tests of the memory bound).
  size_t BucketCount() const;

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time updated;
  };
  using Key = std::pair<std::string, int>;

  // Forgets full buckets, or all of them when too few are full.
  void MakeRoomLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RateLimitOptions options_;
  const base::Clock* const clock_;
  Metrics* const metrics_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RPC_RATE_LIMITS_H_
