// maydayd's /metrics (metrics/metrics.h), read over HTTP as Prometheus
// reads it, from a real server driven over gRPC: each figure is the count
// of what the test did, and no label carries a case, member or crew.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "crew.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// GET /metrics from 127.0.0.1:`port`: the body, or "" (and a failed check)
// if the answer is not a 200.
std::string Scrape(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval timeout{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string answer;
  char buffer[16384];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) answer.append(buffer, n);
  ::close(fd);
  const size_t body = answer.find("\r\n\r\n");
  REQUIRE(body != std::string::npos);
  CHECK_THAT(answer.substr(0, answer.find("\r\n")), Catch::Contains(" 200 "));
  return answer.substr(body + 4);
}

// Samples of a page: "name{a=\"x\",b=\"y\"}" (labels as the page orders
// them, by name) -> value.
std::map<std::string, double> Samples(const std::string& page) {
  std::map<std::string, double> samples;
  std::istringstream lines(page);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    double value = 0;
    if (space == std::string::npos || !absl::SimpleAtod(line.substr(space + 1), &value)) continue;
    samples[line.substr(0, space)] = value;
  }
  return samples;
}

TEST_CASE("Metrics: /metrics counts alerts, cases, offers and commits, with bounded labels") {
  TestServer server([](server::ServerOptions& options) { options.metrics_listen = "127.0.0.1:0"; });
  const int port = server.server().metrics_port();
  REQUIRE(port > 0);
  Crew crew(server, "tow-metrics");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.3680, 4.9040).ok());
  crew.Subscribe();
  const std::string alice = server.Token("member", "alice-metrics");
  const std::string bob = server.Token("member", "bob-metrics");

  // A road alert, offered to the crew, who accepts it.
  v1::Case road;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("road-1"), &road).ok());
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  REQUIRE(crew.Accept(offer->case_()).ok());
  // The same press again: answered with the same case, no second case.
  v1::Case again;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("road-1"), &again).ok());
  // A medical alert nobody can take: escalated for want of a responder.
  v1::Case medical;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(bob).get(), Alert("medical-1", v1::CASE_KIND_MEDICAL), &medical)
              .ok());
  // A bad one: refused, nothing stored.
  v1::RaiseAlertRequest bad = Alert("road-bad");
  bad.mutable_location()->set_latitude(123);
  v1::Case refused;
  CHECK(server.Alerts()->RaiseAlert(Call(bob).get(), bad, &refused).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  server.server().SettleDispatch();
  REQUIRE(WatchTimeline(server, bob, medical.name(), 2).size() == 2);  // escalated

  const std::string page = Scrape(port);
  const std::map<std::string, double> samples = Samples(page);
  INFO(page);
  const std::map<std::string, double> expected = {
      {R"(mayday_alerts_received_total{kind="road"})", 3},
      {R"(mayday_alerts_received_total{kind="medical"})", 1},
      {R"(mayday_alerts_acknowledged_total{kind="road"})", 2},
      {R"(mayday_alerts_acknowledged_total{kind="medical"})", 1},
      {R"(mayday_alerts_failed_total{code="INVALID_ARGUMENT",kind="road"})", 1},
      {R"(mayday_cases_opened_total{kind="road"})", 1},
      {R"(mayday_cases_opened_total{kind="medical"})", 1},
      {R"(mayday_offers_total{outcome="made"})", 1},
      {R"(mayday_offers_total{outcome="accepted"})", 1},
      {R"(mayday_offers_total{outcome="declined"})", 0},
      {R"(mayday_escalations_total{cause="no_responder"})", 1},
      {R"(mayday_escalations_total{cause="dispatch_stalled"})", 0},
      {R"(mayday_case_events_total{type="raised"})", 2},
      {R"(mayday_case_events_total{type="assigned"})", 1},
      {R"(mayday_alert_to_first_offer_seconds_count{kind="road"})", 1},
      {R"(mayday_alert_to_assignment_seconds_count{kind="road"})", 1},
      {R"(mayday_alert_to_first_offer_seconds_count{kind="medical"})", 0},
      {R"(mayday_cases_open{kind="road",state="assigned"})", 1},
      {R"(mayday_cases_open{kind="medical",state="escalated"})", 1},
      {R"(mayday_cases_open{kind="road",state="dispatching"})", 0},
      // (The WatchCase stream WatchTimeline opened may not have closed on
      // the server yet: not counted here.)
      {R"(mayday_open_streams{call="Subscribe"})", 1},
      {R"(mayday_dispatch_holder)", 1},
      {R"(mayday_serving)", 1},
      {R"(mayday_store_writable)", 1},
      {R"(mayday_dispatch_stalled)", 0},
      {R"(mayday_position_reports_total{route="refused"})", 0},
  };
  for (const auto& [sample, value] : expected) {
    INFO(sample);
    auto it = samples.find(sample);
    REQUIRE(it != samples.end());
    CHECK(it->second == value);
  }
  for (const char* positive :
       {R"(mayday_store_commits_total{outcome="ok"})", "mayday_store_commit_seconds_count",
        "mayday_store_commit_batch_writes_count", "mayday_dispatch_round_seconds_count",
        "mayday_store_size_bytes", "mayday_store_disk_free_bytes", "mayday_store_disk_size_bytes",
        "mayday_escalation_untaken_oldest_seconds"}) {
    INFO(positive);
    auto it = samples.find(positive);
    REQUIRE(it != samples.end());
    CHECK(it->second > 0);
  }
  // Bounded labels: no case, member or crew is named.
  CHECK(page.find("cases/") == std::string::npos);
  CHECK(page.find("alice") == std::string::npos);
  CHECK(page.find("tow-metrics") == std::string::npos);
}

TEST_CASE("Metrics: each help asked for under duress counts, by how") {
  TestServer server([](server::ServerOptions& o) { o.metrics_listen = "127.0.0.1:0"; });
  const std::string alice = server.Token("member", "alice");
  v1::SetCancelPinsRequest pins;
  pins.set_cancel_pin("2468");
  pins.set_duress_pin("1357");
  v1::CancelPinSettings set;
  REQUIRE(server.Alerts()->SetCancelPins(Call(alice).get(), pins, &set).ok());
  // A case cancelled with the duress PIN.
  v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("duress-1"), &opened).ok());
  v1::CancelCaseRequest cancel;
  cancel.set_name(opened.name());
  cancel.set_pin("1357");
  v1::Case cancelled;
  REQUIRE(server.Alerts()->CancelCase(Call(alice).get(), cancel, &cancelled).ok());
  // A safety timer ended with it: raised at once, hidden from the member.
  v1::StartSafetyTimerRequest start;
  start.set_request_id("walk-1");
  start.set_kind(v1::CASE_KIND_MEDICAL);
  *start.mutable_location() = Alert("x").location();
  start.mutable_deadline()->set_seconds(absl::ToUnixSeconds(absl::Now()) + 3600);
  v1::SafetyTimer timer;
  REQUIRE(server.Alerts()->StartSafetyTimer(Call(alice).get(), start, &timer).ok());
  v1::EndSafetyTimerRequest end;
  end.set_name(timer.name());
  end.set_pin("1357");
  REQUIRE(server.Alerts()->EndSafetyTimer(Call(alice).get(), end, &timer).ok());
  // And an honest cancel, which must not count.
  v1::Case road;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(alice).get(), Alert("honest-1", v1::CASE_KIND_MEDICAL), &road)
              .ok());
  cancel.set_name(road.name());
  cancel.set_pin("2468");
  REQUIRE(server.Alerts()->CancelCase(Call(alice).get(), cancel, &cancelled).ok());

  const std::map<std::string, double> samples = Samples(Scrape(server.server().metrics_port()));
  CHECK(samples.at(R"(mayday_duress_total{via="cancel"})") == 1);
  CHECK(samples.at(R"(mayday_duress_total{via="safety_timer"})") == 1);
}

TEST_CASE("Metrics: off unless asked for, and a bad address is refused before starting") {
  TestServer plain;
  CHECK(plain.server().metrics_port() == 0);

  TempDir dir;
  server::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.db_path = (dir.path() / "mayday.db").string();
  options.metrics_listen = "9433";  // no host
  auto started = server::Server::Start(options);
  REQUIRE_FALSE(started.ok());
  CHECK(started.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(started.status().message()), Catch::Contains("expected HOST:PORT"));
  CHECK_FALSE(std::filesystem::exists(options.db_path));  // checked before the store opens
}

}  // namespace
}  // namespace mayday::testing
