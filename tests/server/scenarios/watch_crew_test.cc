// WatchCrew through the public API of a real maydayd on a manual clock: a
// crew drives to a member, stops, then arrives; the member's stream must
// carry a position every 100 m the crew moves and at least every 10 s,
// exactly as the rule says (the test keeps the rule's own account and
// compares message for message), and nothing once the crew is ON_SCENE.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "crew.h"
#include "mayday/base/clock.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "responders/crew_watch.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// Reads a WatchCrew stream in the background (the member's, AlertService,
// or with `desk` the care desk's, OperatorService), noting the server
// clock's time at each message.
class CrewReader {
 public:
  CrewReader(TestServer& server, const std::string& token, const std::string& case_name,
             const base::Clock& clock, bool desk = false)
      : clock_(clock), context_(Call(token, absl::Seconds(120))) {
    v1::WatchCrewRequest request;
    request.set_name(case_name);
    if (desk) {
      desk_stub_ = server.Operators();
      reader_ = desk_stub_->WatchCrew(context_.get(), request);
    } else {
      stub_ = server.Alerts();
      reader_ = stub_->WatchCrew(context_.get(), request);
    }
    thread_ = std::thread([this] {
      v1::CrewPosition position;
      while (reader_->Read(&position)) {
        absl::MutexLock lock(&mu_);
        got_.push_back({position, clock_.Now()});
      }
      const grpc::Status end = reader_->Finish();
      absl::MutexLock lock(&mu_);
      end_ = end;
      ended_ = true;
    });
  }
  ~CrewReader() {
    context_->TryCancel();
    thread_.join();
  }

  struct Got {
    v1::CrewPosition position;
    absl::Time at;
  };
  // Waits (real time, bounded) until there are `count` messages.
  bool WaitFor(size_t count, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return got_.size() >= count || ended_; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
    return got_.size() >= count;
  }
  // Waits until the stream ended; its status.
  std::optional<grpc::Status> WaitEnd(absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&ended_), timeout);
    if (!ended_) return std::nullopt;
    return end_;
  }
  std::vector<Got> got() {
    absl::MutexLock lock(&mu_);
    return got_;
  }

 private:
  const base::Clock& clock_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<v1::AlertService::Stub> stub_;
  std::unique_ptr<v1::OperatorService::Stub> desk_stub_;
  std::unique_ptr<grpc::ClientReader<v1::CrewPosition>> reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<Got> got_ ABSL_GUARDED_BY(mu_);
  grpc::Status end_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
};

v1::Location At(double latitude, double longitude) {
  v1::Location location;
  location.set_latitude(latitude);
  location.set_longitude(longitude);
  return location;
}

TEST_CASE("WatchCrew: a position every 100 m and every 10 s, none after ON_SCENE") {
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  TestServer server([&](server::ServerOptions& options) { options.clock = &clock; });
  const std::string alice = server.Token("member", "alice");
  const v1::Location member = Alert("x", v1::CASE_KIND_MEDICAL).location();
  // 3 km north of the member.
  double latitude = member.latitude() + 3000 / 111'200.0;
  const double longitude = member.longitude();
  Crew crew(server, "amb-1");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_AMBULANCE, latitude, longitude).ok());
  crew.Subscribe();
  v1::Case opened;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(alice).get(), Alert("watch-1", v1::CASE_KIND_MEDICAL), &opened)
              .ok());
  const std::optional<v1::Offer> offer = crew.NextOffer();
  REQUIRE(offer.has_value());

  // Watching while the case is only offered: nothing yet.
  CrewReader reader(server, alice, opened.name(), clock);
  CHECK_FALSE(reader.WaitFor(1, absl::Milliseconds(300)));
  v1::Case assigned;
  REQUIRE(crew.Accept(opened.name(), &assigned).ok());
  REQUIRE(assigned.eta_seconds() > 0);

  // The assignment sends the crew's position at once.
  REQUIRE(reader.WaitFor(1));
  size_t expected = 1;
  v1::Location last_sent = reader.got()[0].position.location();
  absl::Time last_time = clock.Now();
  {
    const v1::CrewPosition first = reader.got()[0].position;
    CHECK(first.case_() == opened.name());
    CHECK(first.state() == v1::CASE_STATE_ASSIGNED);
    CHECK(std::abs(first.location().latitude() - latitude) < 1e-9);
    CHECK(first.distance_meters() == Approx(3000).margin(30));
    CHECK(first.eta_seconds() == Approx(assigned.eta_seconds()).margin(2));
  }
  REQUIRE(crew.Progress(opened.name(), v1::CASE_STATE_EN_ROUTE).ok());

  // Each step: the crew reports, then a second passes. The rule's own
  // account says when a position is due; each due one must arrive, and at
  // the end exactly the due ones did.
  auto check_due = [&](const v1::Location& now_at) {
    const bool moved = server::DistanceMeters(last_sent, now_at) >= 100;
    const bool quiet = clock.Now() - last_time >= absl::Seconds(10);
    if (!moved && !quiet) return;
    ++expected;
    INFO("message " << expected << " at +" << absl::ToInt64Seconds(clock.Now() - last_time)
                    << " s, " << server::DistanceMeters(last_sent, now_at) << " m");
    REQUIRE(reader.WaitFor(expected));
    const CrewReader::Got got = reader.got()[expected - 1];
    CHECK(got.at == clock.Now());
    CHECK(server::DistanceMeters(got.position.location(), now_at) < 1e-6);
    CHECK(got.position.state() == v1::CASE_STATE_EN_ROUTE);
    last_sent = now_at;
    last_time = clock.Now();
  };
  auto step = [&](double meters_south) {
    latitude -= meters_south / 111'200.0;
    const v1::Location now_at = At(latitude, longitude);
    REQUIRE(crew.Report({{latitude, longitude}}).ok());
    check_due(now_at);
    clock.Advance(absl::Seconds(1));
    check_due(now_at);
  };
  // Driving at 30 m/s for 40 s, then stuck for 35 s, then crawling.
  for (int i = 0; i < 40; ++i) step(30);
  const size_t driving = expected;
  for (int i = 0; i < 35; ++i) step(0);
  const size_t stuck = expected - driving;
  for (int i = 0; i < 30; ++i) step(3);
  CHECK(driving == 1 + 40 * 30 / 120);  // at the assignment, then every 4th step of 30 m
  CHECK(stuck == 3);                    // every 10 s, standing still
  // Exactly the due ones, and no two more than 10 s apart.
  const std::vector<CrewReader::Got> got = reader.got();
  CHECK(got.size() == expected);
  for (size_t i = 1; i < got.size(); ++i) {
    CHECK(got[i].at - got[i - 1].at <= absl::Seconds(10));
  }
  // The ETA follows the distance left, at the assignment's speed.
  const v1::CrewPosition& last = got.back().position;
  CHECK(last.distance_meters() ==
        Approx(server::DistanceMeters(last.location(), member)).margin(0.01));
  CHECK(last.eta_seconds() < got.front().position.eta_seconds());

  // A second phone (or the same one reconnecting) gets a position at once.
  {
    CrewReader again(server, alice, opened.name(), clock);
    REQUIRE(again.WaitFor(1));
    CHECK(server::DistanceMeters(again.got()[0].position.location(), At(latitude, longitude)) <
          100);
  }

  // On scene: the stream ends, and nothing more comes.
  REQUIRE(crew.Progress(opened.name(), v1::CASE_STATE_ON_SCENE).ok());
  const std::optional<grpc::Status> end = reader.WaitEnd();
  REQUIRE(end.has_value());
  CHECK(end->ok());
  const size_t at_scene = reader.got().size();
  for (int i = 0; i < 15; ++i) {
    REQUIRE(crew.Report({{latitude - 0.01, longitude}}).ok());
    clock.Advance(absl::Seconds(1));
  }
  CHECK(reader.got().size() == at_scene);
  CrewReader late(server, alice, opened.name(), clock);
  const std::optional<grpc::Status> late_end = late.WaitEnd();
  REQUIRE(late_end.has_value());
  CHECK(late_end->ok());
  CHECK(late.got().empty());
}

TEST_CASE("WatchCrew shows a member only its own case's crew") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string bob = server.Token("member", "bob");
  Crew crew(server, "amb-1");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_AMBULANCE, 52.38, 4.90).ok());
  crew.Subscribe();
  v1::Case opened;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(alice).get(), Alert("own-1", v1::CASE_KIND_MEDICAL), &opened)
              .ok());
  REQUIRE(crew.NextOffer().has_value());
  REQUIRE(crew.Accept(opened.name()).ok());
  const base::Clock& clock = server.server().clock();
  struct Row {
    const char* who;
    std::string token;
    std::string name;
    grpc::StatusCode code;
  };
  const std::vector<Row> rows = {
      {"another member", bob, opened.name(), grpc::NOT_FOUND},
      {"a case that does not exist", alice, "cases/" + std::string(46, 'a'), grpc::NOT_FOUND},
      {"a malformed name", alice, "case/1", grpc::INVALID_ARGUMENT},
      {"the crew itself", crew.token(), opened.name(), grpc::PERMISSION_DENIED},
      {"an operator", server.Token("operator", "olga"), opened.name(), grpc::PERMISSION_DENIED},
      {"no token", "", opened.name(), grpc::UNAUTHENTICATED},
  };
  for (const Row& row : rows) {
    INFO(row.who);
    CrewReader reader(server, row.token, row.name, clock);
    const std::optional<grpc::Status> end = reader.WaitEnd();
    REQUIRE(end.has_value());
    CHECK(end->error_code() == row.code);
    CHECK(reader.got().empty());
  }
  CrewReader own(server, alice, opened.name(), clock);
  CHECK(own.WaitFor(1));
}

TEST_CASE("The desk follows the crew coming to any case, its ETA from its position") {
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  TestServer server([&](server::ServerOptions& options) { options.clock = &clock; });
  const std::string alice = server.Token("member", "alice");
  const std::string desk = server.Token("operator", "desk-1");
  const v1::Location member = Alert("x", v1::CASE_KIND_MEDICAL).location();
  double latitude = member.latitude() + 4000 / 111'200.0;  // 4 km north
  const double longitude = member.longitude();
  Crew crew(server, "amb-1");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_AMBULANCE, latitude, longitude).ok());
  crew.Subscribe();
  v1::Case opened;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(alice).get(), Alert("desk-1", v1::CASE_KIND_MEDICAL), &opened)
              .ok());
  REQUIRE(crew.NextOffer().has_value());
  v1::Case assigned;
  REQUIRE(crew.Accept(opened.name(), &assigned).ok());

  // The desk's stream and the member's, side by side: the same positions.
  CrewReader at_desk(server, desk, opened.name(), clock, /*desk=*/true);
  CrewReader on_phone(server, alice, opened.name(), clock);
  REQUIRE(at_desk.WaitFor(1));
  REQUIRE(on_phone.WaitFor(1));
  const v1::CrewPosition first = at_desk.got()[0].position;
  CHECK(first.distance_meters() == Approx(4000).margin(40));
  CHECK(first.eta_seconds() == Approx(assigned.eta_seconds()).margin(2));
  // 2 km nearer: the ETA recomputed from the new position, half as long.
  latitude -= 2000 / 111'200.0;
  REQUIRE(crew.Report({{latitude, longitude}}).ok());
  clock.Advance(absl::Seconds(1));
  REQUIRE(at_desk.WaitFor(2));
  REQUIRE(on_phone.WaitFor(2));
  const v1::CrewPosition nearer = at_desk.got()[1].position;
  CHECK(nearer.distance_meters() == Approx(2000).margin(20));
  CHECK(nearer.eta_seconds() == Approx(first.eta_seconds() / 2.0).margin(2));
  CHECK(nearer.distance_meters() == on_phone.got()[1].position.distance_meters());
  CHECK(nearer.eta_seconds() == on_phone.got()[1].position.eta_seconds());
  // On scene: both end.
  REQUIRE(crew.Progress(opened.name(), v1::CASE_STATE_ON_SCENE).ok());
  const std::optional<grpc::Status> end = at_desk.WaitEnd();
  REQUIRE(end.has_value());
  CHECK(end->ok());

  // Who may: staff, for any case; nobody else.
  struct Row {
    const char* who;
    std::string token;
    std::string name;
    grpc::StatusCode code;
  };
  const std::vector<Row> rows = {
      {"a case that does not exist", desk, "cases/" + std::string(46, 'a'), grpc::NOT_FOUND},
      {"a malformed name", desk, "case/1", grpc::INVALID_ARGUMENT},
      {"the member", alice, opened.name(), grpc::PERMISSION_DENIED},
      {"the crew", crew.token(), opened.name(), grpc::PERMISSION_DENIED},
      {"no token", "", opened.name(), grpc::UNAUTHENTICATED},
  };
  for (const Row& row : rows) {
    INFO(row.who);
    CrewReader reader(server, row.token, row.name, clock, /*desk=*/true);
    const std::optional<grpc::Status> refused = reader.WaitEnd();
    REQUIRE(refused.has_value());
    CHECK(refused->error_code() == row.code);
    CHECK(reader.got().empty());
  }
}

}  // namespace
}  // namespace mayday::testing
