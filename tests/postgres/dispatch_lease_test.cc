// The dispatch lease (server/store/dispatch_lease.*) and its fence
// (WriteTxn::CheckDispatchLease) on a real PostgreSQL: one holder at a time,
// a standby takes over when the holder stops or its lease runs out, a
// take-over waits for a write in flight, and a write under a replaced epoch
// is refused.
#include "store/dispatch_lease.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "store/pg_connection.h"
#include "store/pg_database.h"
#include "store/store.h"
#include "test_postgres.h"

namespace mayday::testing {
namespace {

using server::DispatchLease;
using server::DispatchLeaseOptions;
using server::Store;
using server::WriteTxn;
using server::store_internal::kWriteLockKey;
using server::store_internal::PgConnection;

// Short, so that the test is quick; the real default is 2 s / 250 ms.
DispatchLeaseOptions Quick() {
  return DispatchLeaseOptions{
      .region = "default", .ttl = absl::Milliseconds(800), .renew_every = absl::Milliseconds(100)};
}

// Polls `lease` (real time) until it holds, up to `timeout`.
bool AwaitHeld(const DispatchLease& lease, absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    if (lease.epoch().has_value()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return lease.epoch().has_value();
}

// A write job that only checks the fence, as every dispatch write begins.
absl::Status Fence(Store& store, const DispatchLease& lease, int64_t epoch) {
  absl::Notification done;
  absl::Status outcome;
  store.Submit(
      [&](WriteTxn& txn) { return txn.CheckDispatchLease(lease.region(), lease.holder(), epoch); },
      [&](absl::Status status) {
        outcome = status;
        done.Notify();
      });
  done.WaitForNotification();
  return outcome;
}

TEST_CASE("One replica holds dispatch, a standby takes over and the old epoch is refused") {
  const std::string uri = NewTestDatabase();
  auto store = Store::Open(uri);
  REQUIRE(store.ok());

  absl::Notification first_acquired, first_lost;
  absl::Status why;
  auto first = DispatchLease::Start(uri, "replica a", Quick(),
                                    {.on_acquired = [&](int64_t) { first_acquired.Notify(); },
                                     .on_lost =
                                         [&](const absl::Status& status) {
                                           why = status;
                                           first_lost.Notify();
                                         }});
  REQUIRE(first.ok());
  REQUIRE(first_acquired.WaitForNotificationWithTimeout(absl::Seconds(10)));
  REQUIRE((*first)->epoch() == std::optional<int64_t>(1));
  CHECK(absl::StartsWith((*first)->holder(), "replica a #"));
  CHECK(Fence(**store, **first, 1).ok());

  auto second = DispatchLease::Start(uri, "replica b", Quick(), {});
  REQUIRE(second.ok());
  // Renewed in time: the standby never gets it, however long it tries.
  absl::SleepFor(Quick().ttl * 2);
  CHECK_FALSE((*second)->epoch().has_value());
  CHECK((*first)->epoch() == std::optional<int64_t>(1));

  SECTION("a clean stop hands over at the standby's next try") {
    const absl::Time stopped = absl::Now();
    first->reset();
    REQUIRE(AwaitHeld(**second, absl::Seconds(10)));
    CHECK(absl::Now() - stopped < Quick().ttl);  // without waiting for it to run out
    CHECK((*second)->epoch() == std::optional<int64_t>(2));
  }

  SECTION("a holder whose lease ran out is taken over, told, and its writes refused") {
    // As if it had stalled past its lease (SIGSTOP) and a replica since
    // gone had taken it: the row is another's and ran out. (A holder that
    // is really stopped is the end-to-end tests' part.)
    auto admin = PgConnection::Connect(uri, absl::Seconds(5));
    REQUIRE(admin.ok());
    REQUIRE((*admin)
                ->Exec("UPDATE dispatch_leases SET holder = 'a replica since gone', "
                       "epoch = epoch + 1, expire_time_us = 0")
                .ok());
    REQUIRE(AwaitHeld(**second, absl::Seconds(10)));
    CHECK((*second)->epoch() == std::optional<int64_t>(3));
    REQUIRE(first_lost.WaitForNotificationWithTimeout(absl::Seconds(10)));
    CHECK(why.code() == absl::StatusCode::kAborted);
    CHECK(absl::StrContains(why.message(), "another replica took over dispatch"));
    CHECK_FALSE((*first)->epoch().has_value());

    // A decision written under the old epoch, as the woken holder would:
    // refused, naming who dispatches now.
    absl::Status stale = Fence(**store, **first, 1);
    CHECK(stale.code() == absl::StatusCode::kAborted);
    CHECK(absl::StrContains(stale.message(), "was taken over"));
    CHECK(absl::StrContains(stale.message(), (*second)->holder()));
    CHECK(Fence(**store, **second, 3).ok());
  }
}

TEST_CASE("A take-over waits for a write in flight under the old epoch") {
  const std::string uri = NewTestDatabase();
  auto store = Store::Open(uri);
  REQUIRE(store.ok());
  auto first = DispatchLease::Start(uri, "replica a", Quick(), {});
  REQUIRE(first.ok());
  REQUIRE(AwaitHeld(**first, absl::Seconds(10)));

  // A writer's transaction holds the store's write lock, as a batch that
  // passed its fence check does until it commits.
  auto writer = PgConnection::Connect(uri, absl::Seconds(5));
  REQUIRE(writer.ok());
  REQUIRE((*writer)
              ->Exec(absl::StrCat("BEGIN; SELECT pg_advisory_xact_lock(", kWriteLockKey, ")"))
              .ok());
  first->reset();  // its lease ends; a standby may take it, after the write

  auto second = DispatchLease::Start(uri, "replica b", Quick(), {});
  REQUIRE(second.ok());
  absl::SleepFor(absl::Milliseconds(500));
  CHECK_FALSE((*second)->epoch().has_value());
  REQUIRE((*writer)->Exec("COMMIT").ok());
  REQUIRE(AwaitHeld(**second, absl::Seconds(10)));
  CHECK((*second)->epoch() == std::optional<int64_t>(2));
}

TEST_CASE("A dispatch lease refuses options that could not hold it") {
  const std::string uri = NewTestDatabase();
  auto bad = DispatchLease::Start(
      uri, "replica a",
      {.region = "default", .ttl = absl::Milliseconds(100), .renew_every = absl::Seconds(1)}, {});
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  auto unnamed = DispatchLease::Start(uri, "replica a", {.region = ""}, {});
  CHECK(unnamed.status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mayday::testing
