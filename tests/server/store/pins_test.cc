// Members' cancel PINs in the store (GetPins, WriteTxn::PutPins), on both
// engines; and OpenCase, which a case cancelled under duress does not take
// a new press into.
#include <catch2/catch.hpp>
#include <string>

#include "absl/synchronization/notification.h"
#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using testing::NewCase;
using testing::RaisedEvent;

absl::Status Put(Store& store, const MemberPins& pins) {
  return testing::Write(store, [pins](WriteTxn& txn) { return txn.PutPins(pins); });
}

MemberPins Pins(const std::string& member, const std::string& cancel, const std::string& duress,
                int64_t seconds) {
  return MemberPins{member, cancel, duress, absl::FromUnixSeconds(seconds)};
}

TEST_CASE("PINs are stored per member, replaced, cleared, and kept over a reopen", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  {
    auto store = at.Open();
    auto none = store->GetPins("members/ann");
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());
    REQUIRE(Put(*store, Pins("members/ann", "scrypt$a", "scrypt$b", 100)).ok());
    REQUIRE(Put(*store, Pins("members/ben", "scrypt$c", "", 100)).ok());
    REQUIRE(Put(*store, Pins("members/ann", "scrypt$d", "", 200)).ok());
    // Refused, nothing stored: a duress PIN alone, no member.
    CHECK(absl::IsInvalidArgument(Put(*store, Pins("members/ben", "", "scrypt$e", 300))));
    CHECK(absl::IsInvalidArgument(Put(*store, Pins("", "scrypt$f", "", 300))));
    REQUIRE(Put(*store, Pins("members/cid", "scrypt$g", "", 100)).ok());
    REQUIRE(Put(*store, Pins("members/cid", "", "", 400)).ok());
  }
  auto store = at.Open();
  auto ann = store->GetPins("members/ann");
  REQUIRE(ann.ok());
  REQUIRE(ann->has_value());
  CHECK((*ann)->cancel_hash == "scrypt$d");
  CHECK((*ann)->duress_hash.empty());
  CHECK((*ann)->update_time == absl::FromUnixSeconds(200));
  auto ben = store->GetPins("members/ben");
  REQUIRE(ben.ok());
  REQUIRE(ben->has_value());
  CHECK((*ben)->cancel_hash == "scrypt$c");
  CHECK((*ben)->update_time == absl::FromUnixSeconds(100));
  auto cid = store->GetPins("members/cid");
  REQUIRE(cid.ok());
  REQUIRE(cid->has_value());
  CHECK((*cid)->cancel_hash.empty());
  CHECK((*cid)->update_time == absl::FromUnixSeconds(400));
}

TEST_CASE("A new press does not join a case the member cancelled under duress", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  auto store = at.Open();
  mayday::v1::Case first = NewCase("aaaa", "members/ann", "press-1");
  REQUIRE(store->CreateCase(first, RaisedEvent(first)).ok());
  // The duress cancel: the case stays DISPATCHING, with the member's view.
  mayday::v1::Case next = first;
  next.set_last_sequence(2);
  next.mutable_duress()->mutable_member_view()->set_state(mayday::v1::CASE_STATE_CANCELLED);
  mayday::v1::CaseEvent event;
  event.set_case_(first.name());
  event.set_sequence(2);
  event.set_state(next.state());
  event.mutable_duress_cancelled()->set_reason("fine");
  REQUIRE(store->AppendEvent(next, event).ok());

  auto open = [&](const mayday::v1::Case& snapshot) {
    absl::StatusOr<CreatedCase> out = absl::UnknownError("not run");
    absl::Notification done;
    store->Submit(
        [&](WriteTxn& txn) {
          out = txn.OpenCase(snapshot, RaisedEvent(snapshot));
          return out.status();
        },
        [&](absl::Status) { done.Notify(); });
    done.WaitForNotification();
    return out;
  };
  auto second = open(NewCase("bbbb", "members/ann", "press-2"));
  REQUIRE(second.ok());
  CHECK(second->created);
  CHECK(second->snapshot.name() == "cases/bbbb");
  // A third press joins the new case, as a press does.
  auto third = open(NewCase("cccc", "members/ann", "press-3"));
  REQUIRE(third.ok());
  CHECK(third->joined);
  CHECK(third->snapshot.name() == "cases/bbbb");
}

}  // namespace
}  // namespace mayday::server
