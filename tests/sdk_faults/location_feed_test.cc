// Client::FeedLocation against a real maydayd: positions reach the case, and
// while the network is stalled newer positions replace unsent ones, so the
// server sees a few updates ending with the newest, not the whole backlog.
#include <catch2/catch.hpp>
#include <string>

#include "absl/time/clock.h"
#include "mayday/sdk/client.h"
#include "tcp_proxy.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

mayday::v1::Location At(double latitude) {
  mayday::v1::Location location;
  location.set_latitude(latitude);
  location.set_longitude(4.9041);
  location.set_horizontal_accuracy_meters(5);
  return location;
}

// The stored LocationUpdated events of the case.
std::vector<double> LatitudesUpdated(TestServer& server, const std::string& token,
                                     const std::string& case_name) {
  mayday::v1::WatchCaseRequest request;
  request.set_name(case_name);
  auto context = Call(token, absl::Seconds(1));
  auto reader = server.Alerts()->WatchCase(context.get(), request);
  std::vector<double> latitudes;
  mayday::v1::CaseEvent event;
  while (reader->Read(&event)) {
    if (event.has_location_updated()) {
      latitudes.push_back(event.location_updated().location().latitude());
    }
  }
  reader->Finish();
  return latitudes;
}

TEST_CASE("FeedLocation sends the newest position and coalesces when slow", "[sdk][location]") {
  TestServer server;
  TcpProxy proxy(server.server().port());
  const std::string token = server.Token("member", "m-moving");
  sdk::ClientOptions options;
  options.server = proxy.address();
  options.token = token;
  options.call_timeout = absl::Seconds(2);
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(500);
  auto client = sdk::Client::Create(options);
  REQUIRE(client.ok());
  sdk::Alert alert;
  alert.kind = mayday::v1::CASE_KIND_MEDICAL;
  alert.latitude = 52.3600;
  alert.longitude = 4.9041;
  auto opened = (*client)->RaiseAlert(alert);
  REQUIRE(opened.ok());
  const std::string case_name = opened->name();

  CHECK((*client)->FeedLocation("", At(52.0)).code() == absl::StatusCode::kInvalidArgument);

  REQUIRE((*client)->FeedLocation(case_name, At(52.3601)).ok());
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (LatitudesUpdated(server, token, case_name).empty() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  REQUIRE(LatitudesUpdated(server, token, case_name).size() == 1);

  // A slow network: 20 fixes while nothing gets through.
  proxy.SetMode(TcpProxy::Mode::kStall);
  for (int i = 1; i <= 20; ++i) {
    REQUIRE((*client)->FeedLocation(case_name, At(52.3601 + i * 0.0001)).ok());
    absl::SleepFor(absl::Milliseconds(50));
  }
  absl::SleepFor(absl::Seconds(1));
  proxy.SetMode(TcpProxy::Mode::kPass);

  const double newest = 52.3601 + 20 * 0.0001;
  deadline = absl::Now() + absl::Seconds(20);
  std::vector<double> updated;
  while (absl::Now() < deadline) {
    updated = LatitudesUpdated(server, token, case_name);
    if (!updated.empty() && updated.back() == Approx(newest)) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  REQUIRE(!updated.empty());
  CHECK(updated.back() == Approx(newest));
  // The first fix, at most a couple sent into the stall, and the newest.
  CHECK(updated.size() <= 5);
  mayday::v1::GetCaseRequest get;
  get.set_name(case_name);
  mayday::v1::Case now;
  REQUIRE(server.Alerts()->GetCase(Call(token).get(), get, &now).ok());
  CHECK(now.location().latitude() == Approx(newest));
}

}  // namespace
}  // namespace mayday::testing
