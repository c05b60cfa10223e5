// The serving lock on a PostgreSQL database (server/store/serving_lock.*):
// one holder; a second refused, told who holds it; a holder whose
// connection broke is told, and the lock goes free.
#include "store/serving_lock.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "mayday/base/clock.h"
#include "store/pg_connection.h"
#include "test_postgres.h"

namespace mayday::testing {
namespace {

using server::ServingLock;
using server::store_internal::PgConnection;
using server::store_internal::PgRows;

TEST_CASE("One maydayd holds a PostgreSQL database; a broken lock is told and goes free") {
  const std::string uri = NewTestDatabase();

  base::ManualClock clock;
  const absl::Time start = clock.Now();
  absl::Notification lost;
  absl::Status why;
  auto first = ServingLock::Take(
      uri,
      [&](const absl::Status& status) {
        why = status;
        lost.Notify();
      },
      &clock);
  INFO(first.status().ToString());
  REQUIRE(first.ok());

  auto second = ServingLock::Take(uri);
  CHECK(second.status().code() == absl::StatusCode::kAlreadyExists);
  CHECK(absl::StrContains(second.status().message(),
                          absl::StrCat("another maydayd (pid ", getpid(), " on ")));
  CHECK(absl::StrContains(second.status().message(), "serves the PostgreSQL database"));

  // Checked every second, while the connection lives.
  REQUIRE(clock.AwaitWaiter(start + absl::Seconds(1)));
  clock.Advance(absl::Seconds(1));
  REQUIRE(clock.AwaitWaiter(start + absl::Seconds(2)));
  CHECK_FALSE(lost.HasBeenNotified());

  // The holder's session ended from outside, as a restart of PostgreSQL or
  // a cut network ends it.
  auto admin = PgConnection::Connect(uri, absl::Seconds(5));
  REQUIRE(admin.ok());
  absl::StatusOr<PgRows> ended = (*admin)->Exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE application_name LIKE 'maydayd pid %' AND datname = current_database()");
  REQUIRE(ended.ok());
  REQUIRE(ended->size() == 1);
  clock.Advance(absl::Seconds(1));
  REQUIRE(lost.WaitForNotificationWithTimeout(absl::Seconds(10)));
  CHECK(why.code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(why.message(), "another maydayd may serve it now"));

  // PostgreSQL released it with the session.
  auto third = ServingLock::Take(uri);
  INFO(third.status().ToString());
  CHECK(third.ok());
}

}  // namespace
}  // namespace mayday::testing
