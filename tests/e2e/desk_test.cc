// The care desk on the real binaries: maydayd and mayday-sim as processes,
// maydayctl run as a care agent would run it, members over gRPC. A scripted
// day of five cases: two served by the simulated crews and rated, one
// escalated that the agent takes, messages and assigns by hand, one the
// agent resolves, one a false alarm. Then `maydayctl stats --output json`
// must give the figures this test works out on its own from the stored
// timelines.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "../sdk_faults/child_process.h"
#include "daemon.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

struct Output {
  int exit_code = -1;
  std::string text;  // stdout
};

// Runs a binary to the end (at most 30 s) and collects its stdout.
Output Run(const std::vector<std::string>& argv) {
  ChildProcess child(argv);
  Output out;
  while (auto line = child.ReadLine(absl::Seconds(30))) out.text += *line + "\n";
  auto status = child.Wait(absl::Seconds(30));
  REQUIRE(status.has_value());
  out.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  return out;
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

// Seconds between two timestamps.
double Seconds(const google::protobuf::Timestamp& from, const google::protobuf::Timestamp& to) {
  return (to.seconds() - from.seconds()) + (to.nanos() - from.nanos()) / 1e9;
}

// The p-th percentile by linear interpolation between closest ranks.
double Percentile(std::vector<double> values, double p) {
  std::sort(values.begin(), values.end());
  const double position = p * (values.size() - 1);
  const size_t lower = static_cast<size_t>(position);
  const size_t upper = std::min(lower + 1, values.size() - 1);
  return values[lower] + (position - lower) * (values[upper] - values[lower]);
}

class Desk {
 public:
  Desk()
      : db_((scratch_.dir / "mayday.db").string()),
        daemon_(MAYDAYD_BINARY, db_),
        channel_(grpc::CreateChannel(daemon_.address(), grpc::InsecureChannelCredentials())),
        alerts_(v1::AlertService::NewStub(channel_)),
        operators_(v1::OperatorService::NewStub(channel_)),
        agent_(CreateToken(MAYDAYD_BINARY, db_, "operator", "desk-1")) {}

  const std::string& agent() const { return agent_; }
  v1::AlertService::Stub& alerts() { return *alerts_; }
  v1::OperatorService::Stub& operators() { return *operators_; }

  std::string Member(const std::string& id) {
    return CreateToken(MAYDAYD_BINARY, db_, "member", id);
  }

  // Starts mayday-sim with one tow truck and one ambulance near Amsterdam.
  void StartCrews() {
    const std::string tokens = (scratch_.dir / "crews.tokens").string();
    std::ofstream(tokens) << CreateToken(MAYDAYD_BINARY, db_, "responder", "unit-1") << "\n"
                          << CreateToken(MAYDAYD_BINARY, db_, "responder", "unit-2") << "\n";
    sim_.emplace(std::vector<std::string>{
        MAYDAY_SIM_BINARY, "responders", "--server", daemon_.address(), "--token-file", tokens,
        "--center", "52.3676,4.9041", "--fleet", "tow:1,ambulance:1", "--accept-delay-ms", "200",
        "--drive-seconds", "1", "--on-scene-seconds", "1"});
    // Both crews on duty with a position.
    REQUIRE(WaitFor([&] {
      v1::ListRespondersResponse list;
      if (!operators_->ListResponders(Context(agent_).get(), {}, &list).ok()) return false;
      return list.responders_size() == 2 &&
             std::all_of(list.responders().begin(), list.responders().end(), [](const auto& r) {
               return r.status() == v1::Responder::STATUS_AVAILABLE && r.has_location();
             });
    }));
  }

  // maydayctl as desk-1.
  Output Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {MAYDAYCTL_BINARY, "--server", daemon_.address(), "--token", agent_});
    return Run(args);
  }

  v1::Case Raise(const std::string& token, const std::string& request_id, v1::CaseKind kind,
                 double latitude, double longitude) {
    v1::RaiseAlertRequest request;
    request.set_request_id(request_id);
    request.set_kind(kind);
    request.mutable_location()->set_latitude(latitude);
    request.mutable_location()->set_longitude(longitude);
    v1::Case opened;
    REQUIRE(alerts_->RaiseAlert(Context(token).get(), request, &opened).ok());
    return opened;
  }

  v1::Case Get(const std::string& name) {
    v1::GetCaseRequest get;
    get.set_name(name);
    v1::Case c;
    REQUIRE(operators_->GetCase(Context(agent_).get(), get, &c).ok());
    return c;
  }

  // Waits (at most 30 s) until the case is in `state`.
  void WaitForState(const std::string& name, v1::CaseState state) {
    const bool reached = WaitFor([&] { return Get(name).state() == state; });
    INFO("waiting for " << name << " to be " << v1::CaseState_Name(state) << "; it is "
                        << v1::CaseState_Name(Get(name).state()));
    REQUIRE(reached);
  }

  std::vector<v1::CaseEvent> Events(const std::string& name) {
    v1::ListCaseEventsRequest list;
    list.set_parent(name);
    list.set_page_size(1000);
    v1::ListCaseEventsResponse response;
    REQUIRE(operators_->ListCaseEvents(Context(agent_).get(), list, &response).ok());
    return {response.events().begin(), response.events().end()};
  }

 private:
  template <typename Predicate>
  static bool WaitFor(Predicate done) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      if (done()) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

  Scratch scratch_{"mayday-desk"};
  std::string db_;
  Daemon daemon_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::AlertService::Stub> alerts_;
  std::unique_ptr<v1::OperatorService::Stub> operators_;
  std::string agent_;
  std::optional<ChildProcess> sim_;
};

// The number at `key` of a parsed JSON object.
double Number(const google::protobuf::Struct& object, const std::string& key) {
  INFO("key " << key);
  REQUIRE(object.fields().contains(key));
  return object.fields().at(key).number_value();
}

TEST_CASE("A day at the care desk, and the stats it adds up to") {
  Desk desk;
  desk.StartCrews();
  const std::string alice = desk.Member("alice"), bob = desk.Member("bob"),
                    carol = desk.Member("carol"), dave = desk.Member("dave"),
                    erin = desk.Member("erin");

  // A and B: the crews take them to the end; the members rate them.
  const v1::Case a = desk.Raise(alice, "a", v1::CASE_KIND_ROAD, 52.37, 4.89);
  desk.WaitForState(a.name(), v1::CASE_STATE_RESOLVED);
  const v1::Case b = desk.Raise(bob, "b", v1::CASE_KIND_MEDICAL, 52.36, 4.88);
  desk.WaitForState(b.name(), v1::CASE_STATE_RESOLVED);
  for (const auto& [token, name, stars] :
       {std::tuple{alice, a.name(), 5}, std::tuple{bob, b.name(), 3}}) {
    v1::RateCaseRequest rate;
    rate.set_name(name);
    rate.set_stars(stars);
    v1::Case rated;
    REQUIRE(desk.alerts().RateCase(Context(token).get(), rate, &rated).ok());
  }

  // C, far from every crew, escalates; the agent takes it, tells the member,
  // and sends the tow truck by hand, which takes it to the end.
  const v1::Case c = desk.Raise(carol, "c", v1::CASE_KIND_ROAD, 48.8566, 2.3522);
  desk.WaitForState(c.name(), v1::CASE_STATE_ESCALATED);
  Output taken = desk.Ctl({"cases", "take", c.name()});
  REQUIRE(taken.exit_code == 0);
  CHECK(taken.text.find("operators/desk-1") != std::string::npos);
  REQUIRE(desk.Ctl({"cases", "message", c.name(), "A", "tow", "truck", "is", "coming"}).exit_code ==
          0);
  Output assigned = desk.Ctl({"cases", "assign", c.name(), "unit-1"});
  REQUIRE(assigned.exit_code == 0);
  CHECK(assigned.text.find("ASSIGNED") != std::string::npos);
  desk.WaitForState(c.name(), v1::CASE_STATE_RESOLVED);

  // D: escalated, taken and resolved by the agent (help came another way).
  // (Madrid: the tow truck is in Paris now.)
  const v1::Case d = desk.Raise(dave, "d", v1::CASE_KIND_ROAD, 40.4168, -3.7038);
  desk.WaitForState(d.name(), v1::CASE_STATE_ESCALATED);
  REQUIRE(desk.Ctl({"cases", "take", d.name()}).exit_code == 0);
  REQUIRE(desk.Ctl({"cases", "resolve", d.name()}).exit_code == 0);

  // E: a pocket press, cancelled as a false alarm.
  const v1::Case e = desk.Raise(erin, "e", v1::CASE_KIND_ROAD, 41.9028, 12.4964);
  desk.WaitForState(e.name(), v1::CASE_STATE_ESCALATED);
  REQUIRE(desk.Ctl({"cases", "cancel", e.name(), "--reason", "pocket press", "--false-alarm"})
              .exit_code == 0);

  // Bad commands change nothing and say why.
  Output again = desk.Ctl({"cases", "assign", c.name(), "unit-2"});
  CHECK(again.exit_code == 1);
  CHECK(desk.Ctl({"cases", "take"}).exit_code == 2);

  // The agent's views.
  Output member = desk.Ctl({"--output", "json", "members", "show", "alice"});
  REQUIRE(member.exit_code == 0);
  CHECK(member.text.find("\"ratings\":[{\"case\":\"" + a.name() + "\",\"rating\":{\"stars\":5") !=
        std::string::npos);
  Output crew = desk.Ctl({"responders", "show", "unit-1"});
  REQUIRE(crew.exit_code == 0);
  CHECK(crew.text.find(a.name()) != std::string::npos);
  CHECK(crew.text.find(c.name()) != std::string::npos);
  // The case handed on as a CAP 1.2 alert (docs/integrations.md).
  Output cap = desk.Ctl({"cases", "export", "--sender", "care.example.org", c.name()});
  REQUIRE(cap.exit_code == 0);
  CHECK(cap.text.find("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">") !=
        std::string::npos);
  CHECK(cap.text.find("<incidents>" + c.name() + "</incidents>") != std::string::npos);
  CHECK(cap.text.find("<urgency>Past</urgency>") != std::string::npos);  // resolved
  CHECK(desk.Ctl({"cases", "export", "--sender", "care desk", c.name()}).exit_code != 0);
  Output eido =
      desk.Ctl({"cases", "export", "--format", "eido", "--sender", "care.example.org", c.name()});
  REQUIRE(eido.exit_code == 0);
  CHECK(eido.text.find("\"incidentTypeCommonRegistryText\": \"VEHASST\"") != std::string::npos);
  CHECK(eido.text.find("\"emergencyResourceTypeCommonRegistryText\": \"TowTruck\"") !=
        std::string::npos);
  Output shown = desk.Ctl({"cases", "show", c.name()});
  REQUIRE(shown.exit_code == 0);
  CHECK(shown.text.find("taken by operators/desk-1") != std::string::npos);
  CHECK(shown.text.find("message from operators/desk-1: \"A tow truck is coming\"") !=
        std::string::npos);

  // The figures, worked out here from the stored timelines.
  std::vector<double> to_offer, to_assignment, to_on_scene;
  int escalations = 0;
  for (const v1::Case& opened : {a, b, c, d, e}) {
    const v1::Case now = desk.Get(opened.name());
    std::optional<double> offered, assigned_after, on_scene;
    for (const v1::CaseEvent& event : desk.Events(opened.name())) {
      const double after = Seconds(now.create_time(), event.event_time());
      if (event.has_offered() && !offered) offered = after;
      if (event.has_assigned() && !assigned_after) assigned_after = after;
      if (event.state() == v1::CASE_STATE_ON_SCENE && !on_scene) on_scene = after;
      if (event.has_escalated()) ++escalations;
    }
    if (offered) to_offer.push_back(*offered);
    if (assigned_after) to_assignment.push_back(*assigned_after);
    if (on_scene) to_on_scene.push_back(*on_scene);
  }
  REQUIRE(to_offer.size() == 2);       // A and B
  REQUIRE(to_assignment.size() == 3);  // A, B and C (by hand)
  REQUIRE(to_on_scene.size() == 3);
  CHECK(escalations == 3);  // C, D, E, once each: no free crew ever came in range

  Output stats = desk.Ctl({"--output", "json", "stats", "--since", "1h"});
  REQUIRE(stats.exit_code == 0);
  google::protobuf::Struct json;
  INFO("stats: " << stats.text);
  REQUIRE(google::protobuf::util::JsonStringToMessage(stats.text, &json).ok());
  CHECK(Number(json, "cases") == 5);
  const auto& by_kind = json.fields().at("alerts_by_kind").struct_value();
  CHECK(Number(by_kind, "road") == 4);
  CHECK(Number(by_kind, "medical") == 1);
  CHECK(Number(json, "assigned") == 3);
  CHECK(Number(json, "response_rate") == Approx(0.6));
  CHECK(Number(json, "escalations") == 3);
  CHECK(Number(json, "escalated_cases") == 3);
  CHECK(Number(json, "cancellations") == 1);
  CHECK(Number(json, "false_alarms") == 1);
  CHECK(Number(json, "ratings") == 2);
  CHECK(Number(json, "average_rating") == Approx(4.0));
  for (const auto& [key, values] : {std::pair{"time_to_first_offer_seconds", to_offer},
                                    std::pair{"time_to_assignment_seconds", to_assignment},
                                    std::pair{"time_to_on_scene_seconds", to_on_scene}}) {
    INFO(key);
    const auto& summary = json.fields().at(key).struct_value();
    CHECK(Number(summary, "count") == values.size());
    CHECK(Number(summary, "median") == Approx(Percentile(values, 0.5)).margin(0.001));
    CHECK(Number(summary, "p90") == Approx(Percentile(values, 0.9)).margin(0.001));
  }
}

}  // namespace
}  // namespace mayday::testing
