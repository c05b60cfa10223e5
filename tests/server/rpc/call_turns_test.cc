// CallTurns: a principal's calls one at a time (or n), in the order they
// came, never refused, and other principals never held up by them.
#include "rpc/call_turns.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "mayday/base/clock.h"

namespace mayday::server {
namespace {

TEST_CASE("A principal's calls take turns in order, others start at once") {
  base::ManualClock clock;
  CallTurns turns(1, absl::ZeroDuration(), &clock);
  std::vector<std::string> started;  // only touched on this thread here
  turns.Begin("members/a", [&] { started.push_back("a1"); });
  turns.Begin("members/a", [&] { started.push_back("a2"); });
  turns.Begin("members/a", [&] { started.push_back("a3"); });
  turns.Begin("members/b", [&] { started.push_back("b1"); });
  // a1 runs, a2 and a3 wait for it; b is not held up by a.
  CHECK(started == std::vector<std::string>{"a1", "b1"});
  CHECK(turns.Waiting("members/a") == 2);
  CHECK(turns.Waiting("members/b") == 0);
  turns.Done("members/a");  // a1 ends: a2's turn, on this thread
  CHECK(started == std::vector<std::string>{"a1", "b1", "a2"});
  turns.Done("members/b");
  turns.Done("members/a");
  CHECK(started == std::vector<std::string>{"a1", "b1", "a2", "a3"});
  turns.Done("members/a");
  CHECK(turns.Waiting("members/a") == 0);
  turns.Done("members/a");  // one Done too many: ignored
}

TEST_CASE("Spaced turns start later by themselves, none is dropped") {
  base::ManualClock clock;
  CallTurns turns(1, absl::Milliseconds(20), &clock);
  absl::Mutex mu;
  std::vector<int> started;
  constexpr int kCalls = 10;
  for (int i = 0; i < kCalls; ++i) {
    turns.Begin("members/a", [&, i] {
      {
        absl::MutexLock lock(&mu);
        started.push_back(i);
      }
      turns.Done("members/a");  // a quick call: ends as it starts
    });
  }
  // Whether exactly `n` have started, once at least `n` have (bounded wait).
  const auto started_count = [&](size_t n) {
    absl::MutexLock lock(&mu);
    const auto enough = [&] { return started.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10)) && started.size() == n;
  };
  // The first started at once; each of the rest waits for the spacing, then
  // the turns thread starts it: one more for each 20 ms of the clock, none
  // before.
  REQUIRE(started_count(1));
  for (size_t n = 2; n <= kCalls; ++n) {
    REQUIRE(clock.AwaitWaiters(1));
    clock.Advance(absl::Milliseconds(19));
    REQUIRE(clock.AwaitWaiters(1));
    {
      absl::MutexLock lock(&mu);
      CHECK(started.size() == n - 1);
    }
    clock.Advance(absl::Milliseconds(1));
    REQUIRE(started_count(n));
  }
  absl::MutexLock lock(&mu);
  for (int i = 0; i < kCalls; ++i) CHECK(started[i] == i);
}

TEST_CASE("Calls still waiting when the turns end are started, not lost") {
  absl::Mutex mu;
  int started = 0;
  {
    base::ManualClock clock;
    CallTurns turns(1, absl::Hours(1), &clock);
    for (int i = 0; i < 5; ++i) {
      turns.Begin("members/a", [&] {
        absl::MutexLock lock(&mu);
        ++started;
      });
    }
    absl::MutexLock lock(&mu);
    CHECK(started == 1);
  }
  absl::MutexLock lock(&mu);
  CHECK(started == 5);
}

TEST_CASE("Principals are forgotten once their calls are over") {
  base::ManualClock clock;
  CallTurns turns(2, absl::ZeroDuration(), &clock);
  for (int i = 0; i < 100; ++i) {
    const std::string who = "members/m" + std::to_string(i);
    turns.Begin(who, [] {});
    turns.Done(who);
  }
  // Remembered until the next sweep, a second on.
  CHECK(turns.Principals() == 100);
  REQUIRE(clock.AwaitWaiters(1));
  clock.Advance(absl::Seconds(1));
  REQUIRE(clock.AwaitWaiters(1));  // the turns thread swept and sleeps again
  CHECK(turns.Principals() == 0);
}

}  // namespace
}  // namespace mayday::server
