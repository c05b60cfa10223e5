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
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "store/pg_connection.h"
#include "test_postgres.h"

namespace mayday::testing {
namespace {

using server::store_internal::PgConnection;
using server::store_internal::PgRows;

std::string NewDatabase() {
  absl::StatusOr<TestPostgres*> cluster = TestPostgres::Shared();
  INFO(cluster.status().ToString());
  REQUIRE(cluster.ok());
  absl::StatusOr<std::string> uri = (*cluster)->NewDatabase();
  REQUIRE(uri.ok());
  return *uri;
}

std::string MemberToken(const std::string& uri, const std::string& subject) {
  const Output made = Run({MAYDAYD_BINARY, "token", "create", "--store", uri, "--role", "member",
                           "--subject", subject});
  INFO(made.text());
  REQUIRE(made.exit_code == 0);
  REQUIRE_FALSE(made.lines.empty());
  return made.lines.back();
}

grpc::Status Raise(const std::string& address, const std::string& token,
                   const std::string& request_id, mayday::v1::Case* out) {
  auto stub = mayday::v1::AlertService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  mayday::v1::RaiseAlertRequest request;
  request.set_request_id(request_id);
  request.set_kind(mayday::v1::CASE_KIND_ROAD);
  request.mutable_location()->set_latitude(52.52);
  request.mutable_location()->set_longitude(13.405);
  return stub->RaiseAlert(&context, request, out);
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
  const std::string uri = NewDatabase();
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

    auto stub = mayday::v1::AlertService::NewStub(
        grpc::CreateChannel(restarted.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    mayday::v1::ListCasesRequest list;
    mayday::v1::ListCasesResponse listed;
    REQUIRE(stub->ListCases(&context, list, &listed).ok());
    REQUIRE(listed.cases_size() == 1);
    CHECK(listed.cases(0).name() == acknowledged.name());
  }
}

TEST_CASE("A second maydayd on a served PostgreSQL database exits 2 naming the first") {
  const std::string uri = NewDatabase();
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
