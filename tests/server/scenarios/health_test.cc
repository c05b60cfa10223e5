// grpc.health.v1 tells the truth per service (server.cc ApplyHealthLocked):
// it answers for the whole server ("") and each service by name, and says
// NOT_SERVING for what cannot work now. The store's causes (I/O error, disk
// full) are in storage_faults_test.cc; here the names and a stalled
// dispatch, on a ManualClock so that the watchdog acts when told.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "crew.h"
#include "dispatch_faults.h"
#include "dispatcher/dispatch_watchdog.h"
#include "generic_calls.h"
#include "mayday/base/clock.h"
#include "mayday/sdk/client.h"
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

}  // namespace
}  // namespace mayday::testing
