// Token buckets per principal and call class; see rate_limits.h.
#include "rpc/rate_limits.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "metrics/metrics.h"

namespace mayday::server {
namespace {

// What a class's calls are called in messages.
absl::string_view Noun(CallClass c) {
  switch (c) {
    case CallClass::kMemberReads:
    case CallClass::kStaffReads:
      return "reads";
    case CallClass::kMemberUpdates:
    case CallClass::kResponderUpdates:
    case CallClass::kStaffUpdates:
      return "updates";
  }
  return "calls";
}

absl::Status ValidateLimit(absl::string_view name, const RateLimit& limit) {
  if (limit.unlimited) return absl::OkStatus();
  if (!(limit.per_second > 0) || !std::isfinite(limit.per_second)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rate limit ", name, ": per_second must be > 0; got ", limit.per_second));
  }
  if (!(limit.burst >= 1) || !std::isfinite(limit.burst)) {
    return absl::InvalidArgumentError(
        absl::StrCat("rate limit ", name, ": burst must be >= 1; got ", limit.burst));
  }
  return absl::OkStatus();
}

}  // namespace

const RateLimit& RateLimitOptions::For(CallClass c) const {
  switch (c) {
    case CallClass::kMemberReads:
      return member_reads;
    case CallClass::kMemberUpdates:
      return member_updates;
    case CallClass::kResponderUpdates:
      return responder_updates;
    case CallClass::kStaffReads:
      return staff_reads;
    case CallClass::kStaffUpdates:
      return staff_updates;
  }
  return member_reads;  // not reached: every class is listed
}

absl::Status RateLimitOptions::Validate() const {
  if (auto s = ValidateLimit("member_reads", member_reads); !s.ok()) return s;
  if (auto s = ValidateLimit("member_updates", member_updates); !s.ok()) return s;
  if (auto s = ValidateLimit("responder_updates", responder_updates); !s.ok()) return s;
  if (auto s = ValidateLimit("staff_reads", staff_reads); !s.ok()) return s;
  if (auto s = ValidateLimit("staff_updates", staff_updates); !s.ok()) return s;
  if (max_buckets < 1) return absl::InvalidArgumentError("rate limits: max_buckets must be >= 1");
  return absl::OkStatus();
}

absl::Status RateLimiter::Admit(absl::string_view principal, CallClass calls,
                                absl::string_view rpc) {
  const RateLimit& limit = options_.For(calls);
  if (limit.unlimited) return absl::OkStatus();
  const absl::Time now = clock_->Now();
  absl::MutexLock lock(&mu_);
  Key key(std::string(principal), static_cast<int>(calls));
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= options_.max_buckets) MakeRoomLocked(now);
    it = buckets_.emplace(std::move(key), Bucket{limit.burst, now}).first;
  }
  Bucket& bucket = it->second;
  // Refill for the time since the last call (never backwards: a clock set
  // back refills nothing).
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - bucket.updated));
  bucket.tokens = std::min(limit.burst, bucket.tokens + elapsed * limit.per_second);
  bucket.updated = std::max(bucket.updated, now);
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return absl::OkStatus();
  }
  const double wait_ms = std::ceil((1 - bucket.tokens) / limit.per_second * 1000);
  if (metrics_ != nullptr) metrics_->RateLimited(calls);
  return absl::ResourceExhaustedError(absl::StrFormat(
      "too many %s calls from %s: its %s are limited to %g per second (bursts of %g); "
      "retry in %.0f ms",
      rpc, principal, Noun(calls), limit.per_second, limit.burst, std::max(1.0, wait_ms)));
}

void RateLimiter::MakeRoomLocked(absl::Time now) {
  // A bucket that has refilled to its burst behaves as a new one would.
  absl::erase_if(buckets_, [&](const auto& entry) {
    const RateLimit& limit = options_.For(static_cast<CallClass>(entry.first.second));
    const double elapsed = absl::ToDoubleSeconds(now - entry.second.updated);
    return entry.second.tokens + elapsed * limit.per_second >= limit.burst;
  });
  // Too many busy principals to keep them all: start over (fail open). Also
  // keeps the sweeps' cost amortised: the next one is max_buckets/2 inserts
  // away at least.
  if (buckets_.size() > options_.max_buckets / 2) buckets_.clear();
}

size_t RateLimiter::BucketCount() const {
  absl::MutexLock lock(&mu_);
  return buckets_.size();
}

}  // namespace mayday::server
