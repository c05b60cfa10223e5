// Safety timers in the store, on both engines: stored and replaced by name,
// found by their start's request_id and as a member's running timer,
// listed running first (soonest deadline) then the rest (latest change),
// and a second timer with a member's request_id refused.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "api/proto_time.h"
#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using mayday::v1::SafetyTimer;
using testing::Write;

SafetyTimer Timer(const std::string& id, const std::string& member, const std::string& request_id,
                  SafetyTimer::State state, int64_t deadline, int64_t changed) {
  SafetyTimer timer;
  timer.set_name("timers/" + id);
  timer.set_member(member);
  timer.set_request_id(request_id);
  timer.set_state(state);
  *timer.mutable_deadline() = ToProtoTime(absl::FromUnixSeconds(deadline));
  *timer.mutable_update_time() = ToProtoTime(absl::FromUnixSeconds(changed));
  return timer;
}

absl::Status Put(Store& store, const SafetyTimer& timer) {
  return Write(store, [timer](WriteTxn& txn) { return txn.PutTimer(timer); });
}

std::vector<std::string> Names(const std::vector<SafetyTimer>& timers) {
  std::vector<std::string> names;
  for (const SafetyTimer& t : timers) names.push_back(t.name());
  return names;
}

TEST_CASE("Safety timers are stored, found, listed and kept over a reopen", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  constexpr auto kRunning = SafetyTimer::STATE_RUNNING;
  {
    auto store = at.Open();
    REQUIRE(Put(*store, Timer("t1", "members/ann", "r1", kRunning, 3000, 100)).ok());
    REQUIRE(Put(*store, Timer("t2", "members/ben", "r1", kRunning, 2000, 100)).ok());
    REQUIRE(
        Put(*store, Timer("t3", "members/cid", "r1", SafetyTimer::STATE_ENDED, 1000, 300)).ok());
    REQUIRE(
        Put(*store, Timer("t4", "members/dee", "r1", SafetyTimer::STATE_FIRED, 1500, 200)).ok());
    // Replaced by name: t1 moved sooner.
    REQUIRE(Put(*store, Timer("t1", "members/ann", "r1", kRunning, 1800, 400)).ok());
    // Another timer with a member's request_id: refused, nothing stored.
    const absl::Status twice = Put(*store, Timer("t5", "members/ann", "r1", kRunning, 5000, 500));
    CHECK(absl::IsAlreadyExists(twice));
    CHECK(absl::IsInvalidArgument(Put(*store, Timer("", "members/ann", "r9", kRunning, 1, 1))));
  }
  auto store = at.Open();
  auto all = store->ListTimers(false, 10);
  REQUIRE(all.ok());
  CHECK(Names(*all) ==
        std::vector<std::string>{"timers/t1", "timers/t2", "timers/t3", "timers/t4"});
  auto running = store->ListTimers(true, 10);
  REQUIRE(running.ok());
  CHECK(Names(*running) == std::vector<std::string>{"timers/t1", "timers/t2"});
  auto first = store->ListTimers(false, 1);
  REQUIRE(first.ok());
  CHECK(Names(*first) == std::vector<std::string>{"timers/t1"});
  CHECK(absl::IsInvalidArgument(store->ListTimers(false, 0).status()));

  auto t1 = store->GetTimer("t1");
  REQUIRE(t1.ok());
  CHECK(t1->deadline().seconds() == 1800);
  CHECK(absl::IsNotFound(store->GetTimer("t9").status()));

  // Read inside a write job (the writer's view), checked here.
  absl::StatusOr<std::optional<SafetyTimer>> by_request = absl::UnknownError("not run");
  absl::StatusOr<std::optional<SafetyTimer>> none = absl::UnknownError("not run");
  absl::StatusOr<std::optional<SafetyTimer>> ann = absl::UnknownError("not run");
  absl::StatusOr<std::optional<SafetyTimer>> cid = absl::UnknownError("not run");
  absl::Status missing;
  REQUIRE(Write(*store, [&](WriteTxn& txn) {
            by_request = txn.FindTimer("members/ben", "r1");
            none = txn.FindTimer("members/ben", "r2");
            ann = txn.RunningTimerOf("members/ann");
            cid = txn.RunningTimerOf("members/cid");
            missing = txn.GetTimer("t9").status();
            return absl::OkStatus();
          }).ok());
  REQUIRE(by_request.ok());
  REQUIRE(by_request->has_value());
  CHECK((*by_request)->name() == "timers/t2");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  REQUIRE(ann.ok());
  REQUIRE(ann->has_value());
  CHECK((*ann)->name() == "timers/t1");
  REQUIRE(cid.ok());
  CHECK_FALSE(cid->has_value());
  CHECK(absl::IsNotFound(missing));
}

}  // namespace
}  // namespace mayday::server
