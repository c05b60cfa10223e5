// maydayd serving from PostgreSQL (--store postgresql://...), as an operator
// runs it, on a throw-away cluster: a case acknowledged just before SIGKILL
// is there after the restart and its retry returns it; tokens are made with
// `token create --store`; and while one maydayd serves the database a
// second exits 2 naming it, also after the first was killed and restarted.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "daemon.h"
#include "member_calls.h"
#include "store/pg_connection.h"
#include "test_postgres.h"

namespace mayday::testing {
namespace {

using server::store_internal::PgConnection;
using server::store_internal::PgRows;

std::string MemberToken(const std::string& uri, const std::string& subject) {
  const Output made = Run({MAYDAYD_BINARY, "token", "create", "--store", uri, "--role", "member",
                           "--subject", subject});
  INFO(made.text());
  REQUIRE(made.exit_code == 0);
  REQUIRE_FALSE(made.lines.empty());
  return made.lines.back();
}

// Waits (up to 10 s) until PostgreSQL has ended a killed maydayd's
// sessions, which releases its lock.
void AwaitNoLockHeld(const std::string& uri) {
  auto db = PgConnection::Connect(uri, absl::Seconds(5));
  REQUIRE(db.ok());
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (true) {
    absl::StatusOr<PgRows> held = (*db)->Exec(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
        "database = (SELECT oid FROM pg_database WHERE datname = current_database())");
    REQUIRE(held.ok());
    if (*held->Int64(0, 0) == 0) return;
    REQUIRE(absl::Now() < deadline);
    absl::SleepFor(absl::Milliseconds(20));
  }
}

TEST_CASE("maydayd on PostgreSQL keeps a case acknowledged just before SIGKILL") {
  const std::string uri = NewTestDatabase();
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    const std::string token = MemberToken(uri, "member-" + std::to_string(round));
    const std::string request_id = "press-" + std::to_string(round);
    mayday::v1::Case acknowledged;
    {
      Daemon daemon(MAYDAYD_BINARY, uri, {});
      REQUIRE(Raise(daemon.address(), token, request_id, &acknowledged).ok());
      REQUIRE(WIFSIGNALED(daemon.Stop(SIGKILL)));
    }
    AwaitNoLockHeld(uri);
    Daemon restarted(MAYDAYD_BINARY, uri);
    mayday::v1::Case retried;
    REQUIRE(Raise(restarted.address(), token, request_id, &retried).ok());
    CHECK(retried.name() == acknowledged.name());
    std::vector<std::string> listed;
    REQUIRE(ListOwnCases(restarted.address(), token, &listed).ok());
    CHECK(listed == std::vector<std::string>{acknowledged.name()});
  }
}

TEST_CASE("A second maydayd on a served PostgreSQL database exits 2 naming the first") {
  const std::string uri = NewTestDatabase();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const auto second_refused = [&](const Daemon& first) {
    const Output second = Run({MAYDAYD_BINARY, "--listen", "127.0.0.1:0", "--store", uri});
    INFO(second.text());
    CHECK(second.exit_code == 2);
    REQUIRE_FALSE(second.lines.empty());
    CHECK_THAT(second.lines.back(),
               Catch::StartsWith("maydayd: another maydayd (pid " + std::to_string(first.pid()) +
                                 " on " + host + ") serves the PostgreSQL database ") &&
                   Catch::EndsWith("; one maydayd per database until dispatch can hand over "
                                   "between replicas"));
  };
  {
    Daemon first(MAYDAYD_BINARY, uri);
    second_refused(first);
    // Writing a token beside the server is still allowed.
    MemberToken(uri, "alice");
    REQUIRE(WIFSIGNALED(first.Stop(SIGKILL)));
  }
  // PostgreSQL ends the killed one's session, and its lock with it.
  AwaitNoLockHeld(uri);
  Daemon restarted(MAYDAYD_BINARY, uri);
  second_refused(restarted);
}

}  // namespace
}  // namespace mayday::testing
