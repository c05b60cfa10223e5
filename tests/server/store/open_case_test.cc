// WriteTxn::OpenCase, what a member's alert does: a member has at most one
// open case of each kind. Pressing again while it is open joins it, and
// every press's request_id keeps returning the case it got, even after that
// case closed and another one opened.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using ::mayday::v1::Case;
using ::mayday::v1::CaseKind;
using testing::CheckIntegrity;
using testing::NewCase;
using testing::NextStep;
using testing::QueryInt;
using testing::RaisedEvent;

constexpr CaseKind kRoad = mayday::v1::CASE_KIND_ROAD;
constexpr CaseKind kMedical = mayday::v1::CASE_KIND_MEDICAL;

absl::StatusOr<CreatedCase> Open(Store& store, const Case& snapshot) {
  absl::StatusOr<CreatedCase> out = absl::UnknownError("not run");
  absl::Notification done;
  absl::Status committed;
  store.Submit(
      [&](WriteTxn& txn) {
        out = txn.OpenCase(snapshot, RaisedEvent(snapshot));
        return out.status();
      },
      [&](absl::Status status) {
        committed = status;
        done.Notify();
      });
  done.WaitForNotification();
  if (!committed.ok()) return committed;
  return out;
}

// Moves the stored case `id` to `state` (RESOLVED or CANCELLED closes it).
void MoveTo(Store& store, const std::string& id, mayday::v1::CaseState state) {
  absl::StatusOr<Case> current = store.GetCase(id);
  REQUIRE(current.ok());
  auto [next, event] = NextStep(*current, state);
  REQUIRE(store.AppendEvent(next, event).ok());
}

TEST_CASE("A member's alerts: one open case per kind, each press's retries answered alike",
          "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();

  // Each row is a press (a new case id, as the server makes one per call)
  // and what it must get: the case it opens, joins or retries.
  struct Press {
    const char* what;
    std::string new_id;
    std::string member;
    std::string request_id;
    CaseKind kind;
    std::string gets;  // the case id answered
    bool created;
    bool joined;
    // Done to the store after this press.
    std::string then_close;
  };
  const std::vector<Press> presses = {
      {"the first press opens a case", "c1", "members/m1", "p1", kRoad, "c1", true, false, ""},
      {"pressing again joins it", "c2", "members/m1", "p2", kRoad, "c1", false, true, ""},
      {"and again", "c3", "members/m1", "p3", kRoad, "c1", false, true, ""},
      {"a retry of the opening press", "c4", "members/m1", "p1", kRoad, "c1", false, false, ""},
      {"a retry of a joining press", "c5", "members/m1", "p2", kRoad, "c1", false, false, ""},
      {"another kind opens its own case", "c6", "members/m1", "p4", kMedical, "c6", true, false,
       ""},
      {"another member opens their own", "c7", "members/m2", "p2", kRoad, "c7", true, false, "c1"},
      {"once the case closed, a press opens a new one", "c8", "members/m1", "p5", kRoad, "c8", true,
       false, ""},
      {"a retry of a press that joined the closed case gets it", "c9", "members/m1", "p3", kRoad,
       "c1", false, false, ""},
      {"a retry of the press that opened the closed case gets it", "c10", "members/m1", "p1", kRoad,
       "c1", false, false, ""},
      {"a retry that names another kind still gets its case", "c11", "members/m1", "p2", kMedical,
       "c1", false, false, ""},
      {"a press without a request_id joins too", "c12", "members/m1", "", kRoad, "c8", false, true,
       ""},
  };
  for (const Press& press : presses) {
    INFO(press.what);
    const Case alert = NewCase(press.new_id, press.member, press.request_id, press.kind);
    absl::StatusOr<CreatedCase> got = Open(*store, alert);
    REQUIRE(got.ok());
    CHECK(got->snapshot.name() == "cases/" + press.gets);
    CHECK(got->created == press.created);
    CHECK(got->joined == press.joined);
    if (!press.then_close.empty()) {
      MoveTo(*store, press.then_close, mayday::v1::CASE_STATE_RESOLVED);
    }
  }
  // Four cases (c1, c6, c7, c8), each with only its own events: joining
  // writes no event; two presses joined with a request_id to remember.
  CHECK(at.QueryInt("SELECT count(*) FROM cases") == 4);
  CHECK(at.QueryInt("SELECT count(*) FROM case_events") == 5);  // c1 resolved
  CHECK(at.QueryInt("SELECT count(*) FROM case_presses") == 2);
  CHECK(at.CheckIntegrity() == "ok");
}

TEST_CASE("A press joins the member's oldest open case of the kind", "[store]") {
  EACH_STORE_ENGINE(engine);
  // Files written before one open case per kind was the rule may hold
  // several; a press joins the oldest, which has waited longest.
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  for (const auto& [id, time] : {std::pair{"newer", 2'000}, std::pair{"older", 1'000}}) {
    Case old = NewCase(id, "members/m1", id, kRoad, int64_t{1'700'000'000'000'000} + time);
    REQUIRE(store->CreateCase(old, RaisedEvent(old)).ok());  // CreateCase never joins
  }
  absl::StatusOr<CreatedCase> got = Open(*store, NewCase("c3", "members/m1", "again", kRoad));
  REQUIRE(got.ok());
  CHECK(got->joined);
  CHECK(got->snapshot.name() == "cases/older");

  SECTION("a cancelled case is closed too") {
    MoveTo(*store, "older", mayday::v1::CASE_STATE_CANCELLED);
    MoveTo(*store, "newer", mayday::v1::CASE_STATE_CANCELLED);
    got = Open(*store, NewCase("c4", "members/m1", "after", kRoad));
    REQUIRE(got.ok());
    CHECK(got->created);
  }
  SECTION("an escalated or assigned case is still open") {
    MoveTo(*store, "older", mayday::v1::CASE_STATE_ESCALATED);
    MoveTo(*store, "newer", mayday::v1::CASE_STATE_ASSIGNED);
    got = Open(*store, NewCase("c4", "members/m1", "after", kRoad));
    REQUIRE(got.ok());
    CHECK(got->joined);
    CHECK(got->snapshot.name() == "cases/older");
  }
}

TEST_CASE("A case remembers its first presses, not a loop's", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  REQUIRE(Open(*store, NewCase("c0", "members/m1", "first", kRoad)).ok());
  for (int i = 0; i < kMaxRememberedPresses + 20; ++i) {
    absl::StatusOr<CreatedCase> got = Open(
        *store, NewCase("x" + std::to_string(i), "members/m1", "p" + std::to_string(i), kRoad));
    REQUIRE(got.ok());
    CHECK(got->joined);  // every press answered with the case
  }
  CHECK(at.QueryInt("SELECT count(*) FROM case_presses") == kMaxRememberedPresses);
  CHECK(at.QueryInt("SELECT count(*) FROM cases") == 1);
  // Once it closed: a remembered press's retry gets it, a press past the
  // limit is a new alert.
  MoveTo(*store, "c0", mayday::v1::CASE_STATE_RESOLVED);
  absl::StatusOr<CreatedCase> got = Open(*store, NewCase("y1", "members/m1", "p0", kRoad));
  REQUIRE(got.ok());
  CHECK(got->snapshot.name() == "cases/c0");
  got = Open(*store,
             NewCase("y2", "members/m1", "p" + std::to_string(kMaxRememberedPresses + 5), kRoad));
  REQUIRE(got.ok());
  CHECK(got->created);
}

}  // namespace
}  // namespace mayday::server
