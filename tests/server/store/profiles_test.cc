// Members' medical profiles in the store (GetProfile, the writer's
// PutProfile and DeleteProfile, ListProfilesNotSealedWith), on both
// engines. The store keeps sealed bytes as given: it never sees a profile
// in clear.
#include <catch2/catch.hpp>
#include <string>

#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

absl::Status Put(Store& store, const StoredProfile& profile) {
  return testing::Write(store, [profile](WriteTxn& txn) { return txn.PutProfile(profile); });
}

absl::StatusOr<bool> Delete(Store& store, const std::string& member) {
  bool deleted = false;
  absl::Status status = testing::Write(store, [&deleted, member](WriteTxn& txn) -> absl::Status {
    absl::StatusOr<bool> gone = txn.DeleteProfile(member);
    if (!gone.ok()) return gone.status();
    deleted = *gone;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return deleted;
}

StoredProfile Profile(const std::string& member, const std::string& key, std::string sealed,
                      int64_t seconds) {
  return StoredProfile{member, key, std::move(sealed), absl::FromUnixSeconds(seconds)};
}

TEST_CASE("Medical profiles are stored sealed, replaced, deleted, and listed by key", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  // Sealed bytes are binary: NULs and high bytes must come back as given.
  const std::string binary("\x01\x00\xff\x80sealed", 10);
  {
    auto store = at.Open();
    auto none = store->GetProfile("members/ann");
    REQUIRE(none.ok());
    CHECK_FALSE(none->has_value());
    REQUIRE(Put(*store, Profile("members/ann", "k1", binary, 100)).ok());
    REQUIRE(Put(*store, Profile("members/ben", "k1", "ben-1", 100)).ok());
    REQUIRE(Put(*store, Profile("members/cid", "k2", "cid-1", 100)).ok());
    REQUIRE(Put(*store, Profile("members/ben", "k2", "ben-2", 200)).ok());
    // Refused, nothing stored.
    CHECK(absl::IsInvalidArgument(Put(*store, Profile("", "k1", "x", 300))));
    CHECK(absl::IsInvalidArgument(Put(*store, Profile("members/dan", "", "x", 300))));
    CHECK(absl::IsInvalidArgument(Put(*store, Profile("members/dan", "k1", "", 300))));
    auto cid = Delete(*store, "members/cid");
    REQUIRE(cid.ok());
    CHECK(*cid);
    auto again = Delete(*store, "members/cid");
    REQUIRE(again.ok());
    CHECK_FALSE(*again);
  }
  auto store = at.Open();
  auto ann = store->GetProfile("members/ann");
  REQUIRE(ann.ok());
  REQUIRE(ann->has_value());
  CHECK((*ann)->sealed == binary);
  CHECK((*ann)->key_id == "k1");
  CHECK((*ann)->update_time == absl::FromUnixSeconds(100));
  auto ben = store->GetProfile("members/ben");
  REQUIRE(ben.ok());
  REQUIRE(ben->has_value());
  CHECK((*ben)->sealed == "ben-2");
  CHECK((*ben)->key_id == "k2");
  for (const char* gone : {"members/cid", "members/dan"}) {
    auto row = store->GetProfile(gone);
    REQUIRE(row.ok());
    CHECK_FALSE(row->has_value());
  }
  // What a rotation to k2 re-seals: ann only.
  auto stale = store->ListProfilesNotSealedWith("k2", 10);
  REQUIRE(stale.ok());
  REQUIRE(stale->size() == 1);
  CHECK((*stale)[0].member == "members/ann");
  auto all = store->ListProfilesNotSealedWith("k3", 1);
  REQUIRE(all.ok());
  CHECK(all->size() == 1);  // the limit holds
  CHECK(absl::IsInvalidArgument(store->ListProfilesNotSealedWith("k3", 0).status()));
}

}  // namespace
}  // namespace mayday::server
