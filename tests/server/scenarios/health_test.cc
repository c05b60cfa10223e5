// grpc.health.v1 tells the truth per service (server.cc ApplyHealthLocked):
// it answers for the whole server ("") and each service by name, and says
// NOT_SERVING for what cannot work now. The store's causes (I/O error, disk
// full) are in storage_faults_test.cc; here the names, a stalled dispatch
// (on a ManualClock, so that the watchdog acts when told) and a PostgreSQL
// database lost and back.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "crew.h"
#include "dispatch_faults.h"
#include "dispatcher/dispatch_watchdog.h"
#include "generic_calls.h"
#include "mayday/base/clock.h"
#include "mayday/sdk/client.h"
#include "store/pg_connection.h"
#include "test_postgres.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

constexpr int kNotFound = -static_cast<int>(grpc::StatusCode::NOT_FOUND);

TEST_CASE("Health answers for the server and for each of its services by name") {
  TestServer server;
  struct Row {
    const char* service;
    int status;
  };
  const Row row = GENERATE(
      Row{"", HealthWatch::kServing}, Row{"mayday.v1.AlertService", HealthWatch::kServing},
      Row{"mayday.v1.ResponderService", HealthWatch::kServing},
      Row{"mayday.v1.OperatorService", HealthWatch::kServing},
      Row{"mayday.dispatch", HealthWatch::kServing}, Row{"mayday.v1.NoSuchService", kNotFound});
  INFO("service \"" << row.service << "\"");
  CHECK(HealthCheck(server, row.service) == row.status);
}

// Past the watchdog's patience with a case undecided, dispatch is stalled:
// the server as a whole, the crews' service and dispatch say NOT_SERVING,
// while the alerts and the care desk, which handle the escalated cases
// then, still serve. When dispatch decides again, everything serves.
TEST_CASE("Health: a stalled dispatch is NOT_SERVING for the crews, not for alerts or the desk") {
  base::ManualClock clock(absl::Now());
  DispatchFaults faults;
  TestServer server([&](server::ServerOptions& options) {
    options.clock = &clock;
    faults.Install(options);
  });
  const std::string member = server.Token("member", "stall-member");
  HealthWatch whole(server);
  HealthWatch crews(server, "mayday.v1.ResponderService");
  CHECK(whole.Next() == HealthWatch::kServing);
  CHECK(crews.Next() == HealthWatch::kServing);

  faults.engine->Stall();
  v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(member).get(), Alert("stalled"), &opened).ok());
  REQUIRE(faults.engine->AwaitStalled());
  clock.Advance(server::WatchdogOptions{}.patience + absl::Milliseconds(1));
  REQUIRE(WatchTimeline(server, member, opened.name(), 2).size() == 2);  // escalated
  CHECK(whole.Next() == HealthWatch::kNotServing);
  CHECK(crews.Next() == HealthWatch::kNotServing);
  CHECK(HealthCheck(server, "mayday.dispatch") == HealthWatch::kNotServing);
  CHECK(HealthCheck(server, "mayday.v1.AlertService") == HealthWatch::kServing);
  CHECK(HealthCheck(server, "mayday.v1.OperatorService") == HealthWatch::kServing);
  // Alerts are still stored meanwhile, through the SDK too: it checks the
  // health of the AlertService, which still serves, not the whole server's.
  const std::string other = server.Token("member", "stall-other");
  v1::Case second;
  CHECK(server.Alerts()->RaiseAlert(Call(other).get(), Alert("during"), &second).ok());
  sdk::ClientOptions options;
  options.server = server.address();
  options.token = server.Token("member", "stall-sdk");
  options.call_timeout = absl::Seconds(5);
  auto client = sdk::Client::Create(options);
  REQUIRE(client.ok());
  sdk::Alert alert;
  alert.kind = v1::CASE_KIND_ROAD;
  alert.latitude = 52.37;
  alert.longitude = 4.90;
  absl::StatusOr<v1::Case> raised = (*client)->RaiseAlert(alert);
  INFO(raised.status().ToString());
  CHECK(raised.ok());

  faults.engine->Resume();
  CHECK(whole.Next() == HealthWatch::kServing);
  CHECK(crews.Next() == HealthWatch::kServing);
  CHECK(HealthCheck(server, "mayday.dispatch") == HealthWatch::kServing);
}

// On PostgreSQL the database can be lost while the process runs (the
// server down, a network split, connections refused): the store takes no
// writes, so the server and its AlertService say NOT_SERVING, and once the
// database takes connections again the store's write probe finds it and
// they serve again, with nothing restarted. The outage here is shorter
// than the dispatch lease, which a longer one would end (maydayd then
// leaves, exit 3, for its supervisor to start it again).
TEST_CASE("Health: a lost PostgreSQL database is NOT_SERVING for alerts, SERVING once back") {
  using server::store_internal::PgConnection;
  using server::store_internal::PgParams;
  const std::string uri = NewTestDatabase();
  auto admin = PgConnection::Connect(NewTestDatabase(), absl::Seconds(5));
  REQUIRE(admin.ok());
  std::string name;
  {
    auto db = PgConnection::Connect(uri, absl::Seconds(5));
    REQUIRE(db.ok());
    auto rows = (*db)->Query("SELECT current_database()");
    REQUIRE(rows.ok());
    name = std::string(*rows->Text(0, 0));
  }
  TestServer server([&](server::ServerOptions& options) {
    options.db_path = uri;
    options.lease.ttl = absl::Seconds(60);
    options.lease.renew_every = absl::Seconds(1);
  });
  const std::string member = server.Token("member", "pg-lost");
  // The whole server's status changes last (server.cc): once it has, the
  // AlertService's has too.
  HealthWatch whole(server);
  CHECK(whole.Next() == HealthWatch::kServing);

  // Lost: no new connection to it is allowed, and the open ones are ended.
  REQUIRE(
      (*admin)->Query(absl::StrCat("ALTER DATABASE \"", name, "\" ALLOW_CONNECTIONS false")).ok());
  REQUIRE((*admin)
              ->Query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                      PgParams().Text(name))
              .ok());
  {
    v1::Case lost;
    const grpc::Status refused =
        server.Alerts()->RaiseAlert(Call(member).get(), Alert("while-lost"), &lost);
    INFO(refused.error_message());
    CHECK(refused.error_code() == grpc::StatusCode::UNAVAILABLE);
  }
  CHECK(whole.Next() == HealthWatch::kNotServing);
  CHECK(HealthCheck(server, "mayday.v1.AlertService") == HealthWatch::kNotServing);

  // Back: the write probe finds it, and alerts are stored again.
  REQUIRE(
      (*admin)->Query(absl::StrCat("ALTER DATABASE \"", name, "\" ALLOW_CONNECTIONS true")).ok());
  CHECK(whole.Next() == HealthWatch::kServing);
  CHECK(HealthCheck(server, "mayday.v1.AlertService") == HealthWatch::kServing);
  v1::Case stored;
  const grpc::Status back =
      server.Alerts()->RaiseAlert(Call(member).get(), Alert("once-back"), &stored);
  INFO(back.error_message());
  CHECK(back.ok());
}

}  // namespace
}  // namespace mayday::testing
