// The clock: real and manual time, and waits that end on a condition or on the
// clock reaching their deadline (never on real time passing, for a
// ManualClock).
#include "mayday/base/clock.h"

#include <catch2/catch.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace mayday::base {
namespace {

// A thread waiting on `clock` until `deadline` or until `Poke()`; remembers
// how the wait ended.
class Sleeper {
 public:
  Sleeper(const Clock& clock, absl::Time deadline)
      : thread_([this, &clock, deadline] {
          absl::MutexLock lock(&mu_);
          woken_by_condition_ = clock.AwaitWithDeadline(&mu_, absl::Condition(&poked_), deadline);
          done_ = true;
        }) {}
  ~Sleeper() {
    Poke();
    thread_.join();
  }
  void Poke() {
    absl::MutexLock lock(&mu_);
    poked_ = true;
  }
  // Waits (real time, bounded) for the thread's wait to end.
  bool Done(absl::Duration within = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&done_), within);
  }
  bool StillWaiting() {
    absl::MutexLock lock(&mu_);
    return !done_;
  }
  bool WokenByCondition() {
    absl::MutexLock lock(&mu_);
    return woken_by_condition_;
  }

 private:
  absl::Mutex mu_;
  bool poked_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  bool woken_by_condition_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

TEST_CASE("Clocks tell the time", "[base][clock]") {
  const Clock* system = SystemClock();
  REQUIRE(system != nullptr);
  CHECK(system == SystemClock());
  CHECK(system->Now() > absl::FromUnixSeconds(1'600'000'000));

  ManualClock manual(absl::FromUnixSeconds(1'000));
  CHECK(manual.Now() == absl::FromUnixSeconds(1'000));
  manual.Advance(absl::Seconds(5));
  CHECK(manual.Now() == absl::FromUnixSeconds(1'005));
  manual.Advance(-absl::Seconds(5));  // ignored
  CHECK(manual.Now() == absl::FromUnixSeconds(1'005));
  manual.Set(absl::FromUnixSeconds(7));
  CHECK(manual.Now() == absl::FromUnixSeconds(7));
}

TEST_CASE("ManualClock may be advanced while another thread reads it", "[base][clock]") {
  ManualClock clock(absl::FromUnixSeconds(0));
  std::thread advancer([&clock] {
    for (int i = 0; i < 1'000; ++i) clock.Advance(absl::Milliseconds(1));
  });
  absl::Time last = clock.Now();
  bool monotonic = true;
  for (int i = 0; i < 1'000; ++i) {
    const absl::Time now = clock.Now();
    monotonic = monotonic && now >= last;
    last = now;
  }
  advancer.join();
  CHECK(monotonic);
  CHECK(clock.Now() == absl::FromUnixSeconds(1));
}

TEST_CASE("A wait on a ManualClock ends when the clock reaches its deadline", "[base][clock]") {
  struct Row {
    const char* what;
    absl::Duration first;   // moved first: the wait must go on
    absl::Duration second;  // then: the wait must end
  };
  const std::vector<Row> rows = {
      {"one step to the deadline", absl::ZeroDuration(), absl::Seconds(30)},
      {"past the deadline", absl::Seconds(29), absl::Seconds(2)},
      {"a nanosecond short, then the nanosecond", absl::Seconds(30) - absl::Nanoseconds(1),
       absl::Nanoseconds(1)},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    ManualClock clock(absl::FromUnixSeconds(100));
    Sleeper sleeper(clock, absl::FromUnixSeconds(130));
    REQUIRE(clock.AwaitWaiters(1));
    CHECK(clock.NextDeadline() == absl::FromUnixSeconds(130));
    clock.Advance(row.first);
    // Advance returns after waking what was due: a wait not due stays.
    CHECK(sleeper.StillWaiting());
    clock.Advance(row.second);
    REQUIRE(sleeper.Done());
    CHECK_FALSE(sleeper.WokenByCondition());
    CHECK(clock.Waiters() == 0);
    CHECK(clock.NextDeadline() == absl::InfiniteFuture());
  }
}

TEST_CASE("A wait on a ManualClock ends when its condition holds, the clock standing still",
          "[base][clock]") {
  ManualClock clock;
  Sleeper sleeper(clock, clock.Now() + absl::Hours(1));
  REQUIRE(clock.AwaitWaiters(1));
  sleeper.Poke();
  REQUIRE(sleeper.Done());
  CHECK(sleeper.WokenByCondition());
  CHECK(clock.Waiters() == 0);
}

TEST_CASE("A wait whose condition already holds, or whose deadline passed, returns at once",
          "[base][clock]") {
  ManualClock clock(absl::FromUnixSeconds(50));
  absl::Mutex mu;
  bool yes = true, no = false;
  absl::MutexLock lock(&mu);
  CHECK(clock.AwaitWithDeadline(&mu, absl::Condition(&yes), absl::FromUnixSeconds(10)));
  CHECK_FALSE(clock.AwaitWithDeadline(&mu, absl::Condition(&no), absl::FromUnixSeconds(50)));
  CHECK_FALSE(clock.AwaitWithTimeout(&mu, absl::Condition(&no), absl::ZeroDuration()));
  CHECK(clock.Waiters() == 0);
}

TEST_CASE("Moving a ManualClock wakes only the waits it made due", "[base][clock]") {
  ManualClock clock(absl::FromUnixSeconds(0));
  std::vector<std::unique_ptr<Sleeper>> sleepers;
  for (int s = 1; s <= 4; ++s) {
    sleepers.push_back(std::make_unique<Sleeper>(clock, absl::FromUnixSeconds(s * 10)));
  }
  REQUIRE(clock.AwaitWaiters(4));
  clock.Advance(absl::Seconds(25));
  REQUIRE(sleepers[0]->Done());
  REQUIRE(sleepers[1]->Done());
  CHECK(sleepers[2]->StillWaiting());
  CHECK(sleepers[3]->StillWaiting());
  // Backwards wakes nobody; forwards again wakes the rest.
  clock.Set(absl::FromUnixSeconds(5));
  CHECK(sleepers[2]->StillWaiting());
  clock.Set(absl::FromUnixSeconds(40));
  REQUIRE(sleepers[2]->Done());
  REQUIRE(sleepers[3]->Done());
  for (auto& s : sleepers) CHECK_FALSE(s->WokenByCondition());
}

TEST_CASE("A test can wait until a thread sleeps until a given time", "[base][clock]") {
  ManualClock clock(absl::FromUnixSeconds(0));
  Sleeper early(clock, absl::FromUnixSeconds(5));
  Sleeper late(clock, absl::FromUnixSeconds(9));
  CHECK(clock.AwaitWaiter(absl::FromUnixSeconds(9)));
  CHECK(clock.AwaitWaiter(absl::FromUnixSeconds(5)));
  CHECK_FALSE(clock.AwaitWaiter(absl::FromUnixSeconds(7), absl::Milliseconds(10)));
}

TEST_CASE("The system clock's wait ends on its condition or after its timeout", "[base][clock]") {
  const Clock& clock = *SystemClock();
  absl::Mutex mu;
  bool no = false;
  absl::MutexLock lock(&mu);
  const absl::Time start = absl::Now();
  CHECK_FALSE(clock.AwaitWithTimeout(&mu, absl::Condition(&no), absl::Milliseconds(20)));
  CHECK(absl::Now() - start >= absl::Milliseconds(20));
  Sleeper sleeper(clock, clock.Now() + absl::Hours(1));
  sleeper.Poke();
  REQUIRE(sleeper.Done());
  CHECK(sleeper.WokenByCondition());
}

}  // namespace
}  // namespace mayday::base
