// The token buckets (server/rpc/rate_limits.*) and the stream caps
// (server/rpc/stream_caps.*) on their own, under an injected clock.
#include "rpc/rate_limits.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "mayday/base/clock.h"
#include "rpc/stream_caps.h"

namespace mayday::testing {
namespace {

using server::CallClass;
using server::RateLimiter;
using server::RateLimitOptions;

RateLimitOptions Small() {
  RateLimitOptions options;
  options.member_reads = {.per_second = 2, .burst = 5};
  options.member_updates = {.per_second = 1, .burst = 1};
  return options;
}

// How many calls in a row are admitted right now.
int AdmittedInARow(RateLimiter& limiter, const std::string& who, CallClass calls, int tries) {
  int admitted = 0;
  for (int i = 0; i < tries; ++i) {
    if (!limiter.Admit(who, calls, "GetCase").ok()) break;
    ++admitted;
  }
  return admitted;
}

TEST_CASE("A bucket allows its burst at once, then refills at its rate") {
  base::ManualClock clock;
  RateLimiter limiter(Small(), &clock);
  CHECK(AdmittedInARow(limiter, "members/alice", CallClass::kMemberReads, 100) == 5);

  absl::Status refused = limiter.Admit("members/alice", CallClass::kMemberReads, "GetCase");
  CHECK(refused.code() == absl::StatusCode::kResourceExhausted);
  INFO(refused.message());
  CHECK(refused.message() ==
        "too many GetCase calls from members/alice: its reads are limited to 2 per second "
        "(bursts of 5); retry in 500 ms");

  // Half a second at 2/s is one call; the next is 500 ms away again.
  clock.Advance(absl::Milliseconds(500));
  CHECK(AdmittedInARow(limiter, "members/alice", CallClass::kMemberReads, 100) == 1);
  clock.Advance(absl::Milliseconds(250));
  refused = limiter.Admit("members/alice", CallClass::kMemberReads, "GetCase");
  CHECK(refused.message().find("retry in 250 ms") != std::string::npos);

  // A long quiet spell refills to the burst, no further.
  clock.Advance(absl::Hours(1));
  CHECK(AdmittedInARow(limiter, "members/alice", CallClass::kMemberReads, 100) == 5);
}

TEST_CASE("Buckets are per principal and per call class") {
  base::ManualClock clock;
  RateLimiter limiter(Small(), &clock);
  CHECK(AdmittedInARow(limiter, "members/alice", CallClass::kMemberReads, 100) == 5);
  // Alice's updates, and Bob's reads, are untouched.
  CHECK(AdmittedInARow(limiter, "members/alice", CallClass::kMemberUpdates, 100) == 1);
  CHECK(AdmittedInARow(limiter, "members/bob", CallClass::kMemberReads, 100) == 5);
  // The defaults for staff are unaffected by the small member limits.
  CHECK(AdmittedInARow(limiter, "operators/desk", CallClass::kStaffReads, 1000) == 1000);
}

TEST_CASE("An unlimited class is never refused and keeps no bucket") {
  base::ManualClock clock;
  RateLimitOptions options = Small();
  options.member_reads.unlimited = true;
  RateLimiter limiter(options, &clock);
  CHECK(AdmittedInARow(limiter, "members/alice", CallClass::kMemberReads, 10'000) == 10'000);
  CHECK(limiter.BucketCount() == 0);
}

TEST_CASE("The buckets' memory is bounded: refilled ones go first, then all, failing open") {
  base::ManualClock clock;
  RateLimitOptions options = Small();
  options.max_buckets = 100;
  RateLimiter limiter(options, &clock);
  for (int i = 0; i < 100; ++i) {
    REQUIRE(
        limiter.Admit("members/m" + std::to_string(i), CallClass::kMemberReads, "GetCase").ok());
  }
  CHECK(limiter.BucketCount() == 100);
  // The first 100 members have refilled (0.5 s at 2/s is one call): a new
  // member makes room by forgetting them, not by refusing anyone.
  clock.Advance(absl::Seconds(1));
  REQUIRE(limiter.Admit("members/new", CallClass::kMemberReads, "GetCase").ok());
  CHECK(limiter.BucketCount() == 1);

  // 100 busy members (none refilled): the next one starts everyone over.
  for (int i = 0; i < 99; ++i) {
    REQUIRE(
        limiter.Admit("members/busy" + std::to_string(i), CallClass::kMemberReads, "GetCase").ok());
  }
  REQUIRE(limiter.BucketCount() == 100);
  REQUIRE(limiter.Admit("members/one-more", CallClass::kMemberReads, "GetCase").ok());
  CHECK(limiter.BucketCount() == 1);
  // Never more than max_buckets, whatever comes.
  for (int i = 0; i < 10'000; ++i) {
    (void)limiter.Admit("members/flood" + std::to_string(i), CallClass::kMemberReads, "GetCase");
    REQUIRE(limiter.BucketCount() <= 100);
  }
}

TEST_CASE("Rate limit options are checked") {
  struct Row {
    const char* what;
    server::RateLimit limit;
    bool ok;
  };
  const Row rows[] = {
      {"default", {}, true},
      {"zero rate", {.per_second = 0, .burst = 1}, false},
      {"negative rate", {.per_second = -1, .burst = 1}, false},
      {"burst below one", {.per_second = 1, .burst = 0.5}, false},
      {"unlimited ignores the numbers", {.per_second = 0, .burst = 0, .unlimited = true}, true},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    RateLimitOptions options;
    options.staff_updates = row.limit;
    const absl::Status s = options.Validate();
    CHECK(s.ok() == row.ok);
    if (!s.ok()) CHECK(s.message().find("staff_updates") != std::string::npos);
  }
}

class FakeStream : public server::CappedStream {
 public:
  void Evict(absl::Status status) override { evicted.push_back(std::move(status)); }
  std::vector<absl::Status> evicted;
};

TEST_CASE("A stream beyond the cap ends its principal's oldest, never the newest") {
  server::StreamCaps caps;
  FakeStream a, b, c, other;
  caps.Open("WatchCase members/alice", 2, &a, "WatchCase", "members/alice");
  caps.Open("WatchCase members/alice", 2, &b, "WatchCase", "members/alice");
  caps.Open("WatchCase members/bob", 2, &other, "WatchCase", "members/bob");
  CHECK(a.evicted.empty());
  caps.Open("WatchCase members/alice", 2, &c, "WatchCase", "members/alice");
  REQUIRE(a.evicted.size() == 1);
  CHECK(a.evicted[0].code() == absl::StatusCode::kResourceExhausted);
  CHECK(a.evicted[0].message().find(
            "replaced by a newer WatchCase stream of members/alice: at most 2") !=
        std::string::npos);
  CHECK(b.evicted.empty());
  CHECK(c.evicted.empty());
  CHECK(other.evicted.empty());
  CHECK(caps.OpenCount("WatchCase members/alice") == 2);

  // The evicted stream closes later (its OnDone): nothing more happens to
  // it, and closing frees its place.
  caps.Close("WatchCase members/alice", &a);
  caps.Close("WatchCase members/alice", &b);
  FakeStream d;
  caps.Open("WatchCase members/alice", 2, &d, "WatchCase", "members/alice");
  CHECK(c.evicted.empty());
  CHECK(a.evicted.size() == 1);
  caps.Close("WatchCase members/alice", &c);
  caps.Close("WatchCase members/alice", &d);
  CHECK(caps.OpenCount("WatchCase members/alice") == 0);
}

TEST_CASE("Cap 0 means no cap") {
  server::StreamCaps caps;
  std::vector<FakeStream> streams(50);
  for (auto& s : streams) caps.Open("x", 0, &s, "WatchCases", "operators/desk");
  for (auto& s : streams) CHECK(s.evicted.empty());
  CHECK(caps.OpenCount("x") == 50);
}

}  // namespace
}  // namespace mayday::testing
