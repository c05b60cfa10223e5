// CallTurns: a principal's calls one at a time (or n), in the order they
// came, never refused, and other principals never held up by them.
#include "rpc/call_turns.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

namespace mayday::server {
namespace {

TEST_CASE("A principal's calls take turns in order; others start at once") {
  CallTurns turns(1, absl::ZeroDuration());
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
  CallTurns turns(1, absl::Milliseconds(20));
  absl::Mutex mu;
  std::vector<int> started;
  absl::Notification all;
  constexpr int kCalls = 10;
  for (int i = 0; i < kCalls; ++i) {
    turns.Begin("members/a", [&, i] {
      {
        absl::MutexLock lock(&mu);
        started.push_back(i);
        if (started.size() == kCalls) all.Notify();
      }
      turns.Done("members/a");  // a quick call: ends as it starts
    });
  }
  // The first started at once; the rest wait for the spacing, then the
  // turns thread starts them.
  REQUIRE(all.WaitForNotificationWithTimeout(absl::Seconds(30)));
  absl::MutexLock lock(&mu);
  for (int i = 0; i < kCalls; ++i) CHECK(started[i] == i);
}

TEST_CASE("Calls still waiting when the turns end are started, not lost") {
  absl::Mutex mu;
  int started = 0;
  {
    CallTurns turns(1, absl::Hours(1));
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
  CallTurns turns(2, absl::ZeroDuration());
  for (int i = 0; i < 100; ++i) {
    const std::string who = "members/m" + std::to_string(i);
    turns.Begin(who, [] {});
    turns.Done(who);
  }
  // Swept within about a second; a bounded wait, no timing asserted.
  for (int i = 0; i < 300 && turns.Principals() > 0; ++i) absl::SleepFor(absl::Milliseconds(10));
  CHECK(turns.Principals() == 0);
}

}  // namespace
}  // namespace mayday::server
