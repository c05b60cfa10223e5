// A second crew through a real maydayd: the crew coming to a medical case
// stops, dispatch records the stall and offers the case to a second crew
// (the --stall-second-crew policy, medical by default), both crews hold the
// case until a care agent keeps one, and the one sent away is told and free
// again. A road case gets none by default; with `always` the search ends
// once the first crew is on scene; a restart keeps the second crew.
#include <catch2/catch.hpp>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "crew.h"
#include "mayday/base/clock.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

constexpr absl::Duration kSilent = absl::Seconds(90);

// Metres north of the tests' alert point as a latitude.
double North(double meters, v1::CaseKind kind) {
  return Alert("x", kind).location().latitude() + meters / 111'200.0;
}

v1::Case DeskCase(TestServer& server, const std::string& case_name) {
  v1::GetCaseRequest get;
  get.set_name(case_name);
  v1::Case c;
  REQUIRE(
      server.Operators()->GetCase(Call(server.Token("operator", "desk-1")).get(), get, &c).ok());
  return c;
}

grpc::Status Keep(TestServer& server, const std::string& case_name, const std::string& crew,
                  v1::Case* out) {
  v1::KeepCrewRequest keep;
  keep.set_name(case_name);
  keep.set_responder(crew);
  return server.Operators()->KeepCrew(Call(server.Token("operator", "desk-1")).get(), keep, out);
}

// The next update on `crew`'s stream that is a case event, skipping others.
std::optional<v1::CaseEvent> NextCaseEvent(Crew& crew) {
  for (int i = 0; i < 20; ++i) {
    std::optional<v1::ResponderUpdate> update = crew.Next();
    if (!update.has_value()) return std::nullopt;
    if (update->has_case_event()) return update->case_event();
  }
  return std::nullopt;
}

// A maydayd on a manual clock that calls a crew silent for kSilent stalled,
// seeking second crews by `policy`.
struct StallServer {
  explicit StallServer(server::SecondCrewPolicy policy = server::SecondCrewPolicy::kMedical)
      : server([this, policy](server::ServerOptions& options) {
          options.clock = &clock;
          options.stalls.silent_after = kSilent;
          options.second_crew = policy;
        }) {}
  base::ManualClock clock{absl::FromUnixSeconds(1'800'000'000)};
  TestServer server;
};

// A case raised by `member`, offered to and accepted by `first`.
v1::Case AcceptedCase(TestServer& server, Crew& first, v1::CaseKind kind,
                      const std::string& member) {
  v1::Case opened;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(server.Token("member", member)).get(), Alert(member, kind), &opened)
              .ok());
  const std::optional<v1::Offer> offer = first.NextOffer();
  REQUIRE(offer.has_value());
  CHECK_FALSE(offer->second_crew());
  REQUIRE(first.Accept(opened.name()).ok());
  return opened;
}

// The same, then `first` stays silent for kSilent.
v1::Case StalledCase(TestServer& server, base::ManualClock& clock, Crew& first, v1::CaseKind kind,
                     const std::string& member) {
  const v1::Case opened = AcceptedCase(server, first, kind, member);
  clock.Advance(kSilent);
  return opened;
}

TEST_CASE("A stalled medical crew gets a second crew and the desk keeps one") {
  StallServer scene;
  base::ManualClock& clock = scene.clock;
  TestServer& server = scene.server;
  const double lon = Alert("x", v1::CASE_KIND_MEDICAL).location().longitude();
  Crew stops(server, "amb-stops");
  REQUIRE(stops.GoOnDuty(v1::CAPABILITY_AMBULANCE, North(3'000, v1::CASE_KIND_MEDICAL), lon).ok());
  stops.Subscribe();
  Crew second(server, "amb-second");
  const v1::Case opened = AcceptedCase(server, stops, v1::CASE_KIND_MEDICAL, "alice");
  // amb-second comes on duty after the case was assigned, 5 km south, and
  // is offered nothing until the first crew stalls.
  clock.Advance(absl::Seconds(30));
  REQUIRE(
      second.GoOnDuty(v1::CAPABILITY_AMBULANCE, North(-5'000, v1::CASE_KIND_MEDICAL), lon).ok());
  second.Subscribe();
  CHECK_FALSE(second.NextOffer(absl::Milliseconds(300)).has_value());
  clock.Advance(kSilent - absl::Seconds(30));

  // Stalled, then offered to a second crew: the case stays ASSIGNED to
  // amb-stops.
  const std::vector<v1::CaseEvent> events = DeskTimeline(server, opened.name(), 5);
  REQUIRE(events.size() == 5);  // raised, offered, assigned, stalled, offered
  REQUIRE(events[3].has_stalled());
  CHECK(events[3].stalled().second_crew_sought());
  REQUIRE(events[4].has_offered());
  CHECK(events[4].offered().responder() == "responders/amb-second");
  CHECK(events[4].offered().second_crew());
  CHECK(events[4].state() == v1::CASE_STATE_ASSIGNED);
  const std::optional<v1::Offer> offer = second.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == opened.name());
  CHECK(offer->second_crew());
  CHECK(offer->distance_meters() == Approx(5'000).margin(50));

  // The member's phone follows the case's crew, and goes on following it
  // once a second crew accepts.
  auto member_context = Call(server.Token("member", "alice"), absl::Seconds(30));
  v1::WatchCrewRequest watch;
  watch.set_name(opened.name());
  auto alerts = server.Alerts();
  auto crew_stream = alerts->WatchCrew(member_context.get(), watch);
  v1::CrewPosition position;
  REQUIRE(crew_stream->Read(&position));
  CHECK(position.distance_meters() == Approx(3'000).margin(50));

  v1::Case accepted;
  REQUIRE(second.Accept(opened.name(), &accepted).ok());
  REQUIRE(stops.Report({{North(2'500, v1::CASE_KIND_MEDICAL), lon}}).ok());
  REQUIRE(crew_stream->Read(&position));
  CHECK(position.distance_meters() == Approx(2'500).margin(50));
  CHECK(accepted.responder() == "responders/amb-stops");
  CHECK(accepted.second_responder() == "responders/amb-second");
  CHECK(accepted.state() == v1::CASE_STATE_ASSIGNED);
  CHECK(accepted.stall().second_crew_sought());
  v1::Case shown = DeskCase(server, opened.name());
  CHECK(shown.second_responder() == "responders/amb-second");
  CHECK(shown.second_eta_seconds() > 0);
  // The first crew hears that a second one comes.
  std::optional<v1::CaseEvent> heard = NextCaseEvent(stops);
  REQUIRE(heard.has_value());
  REQUIRE(heard->has_assigned());
  CHECK(heard->assigned().second_crew());
  CHECK(heard->assigned().responder() == "responders/amb-second");

  // The second crew may write but not move the case along.
  v1::PostMessageRequest message;
  message.set_case_(opened.name());
  message.set_text("second ambulance, 4 min out");
  v1::CaseEvent posted;
  grpc::ClientContext post_context;
  post_context.AddMetadata("authorization", "Bearer " + second.token());
  CHECK(second.stub().PostMessage(&post_context, message, &posted).ok());
  heard = NextCaseEvent(stops);  // both crews read the case's messages
  REQUIRE(heard.has_value());
  CHECK(heard->message_posted().text() == "second ambulance, 4 min out");
  const grpc::Status early = second.Progress(opened.name(), v1::CASE_STATE_ON_SCENE);
  CHECK(early.error_code() == grpc::FAILED_PRECONDITION);
  CHECK(early.error_message().find("second crew") != std::string::npos);
  // Neither crew may leave while it holds the case.
  v1::SetDutyRequest off;
  off.set_on_duty(false);
  v1::Responder duty;
  grpc::ClientContext off_context;
  off_context.AddMetadata("authorization", "Bearer " + second.token());
  CHECK(second.stub().SetDuty(&off_context, off, &duty).error_code() == grpc::FAILED_PRECONDITION);

  // The desk: a crew not on the case is refused and nothing changes.
  v1::Case kept;
  CHECK(Keep(server, opened.name(), "responders/nobody", &kept).error_code() ==
        grpc::FAILED_PRECONDITION);
  CHECK(DeskCase(server, opened.name()).second_responder() == "responders/amb-second");
  // The desk keeps the second crew: it becomes the case's crew, the stall
  // mark (of the first) goes, and the first is told and free again.
  REQUIRE(Keep(server, opened.name(), "responders/amb-second", &kept).ok());
  CHECK(kept.responder() == "responders/amb-second");
  CHECK(kept.second_responder().empty());
  CHECK_FALSE(kept.has_stall());
  CHECK(kept.state() == v1::CASE_STATE_ASSIGNED);
  std::optional<v1::CaseEvent> released;
  for (int i = 0; i < 5 && !(released.has_value() && released->has_crew_kept()); ++i) {
    released = NextCaseEvent(stops);
  }
  REQUIRE(released.has_value());
  REQUIRE(released->has_crew_kept());
  CHECK(released->crew_kept().released() == "responders/amb-stops");
  CHECK(released->crew_kept().responder() == "responders/amb-second");
  CHECK(released->crew_kept().operator_() == "operators/desk-1");
  v1::GetResponderRequest get;
  get.set_name("responders/amb-stops");
  v1::Responder first_now;
  REQUIRE(server.Operators()
              ->GetResponder(Call(server.Token("operator", "desk-1")).get(), get, &first_now)
              .ok());
  CHECK(first_now.status() == v1::Responder::STATUS_AVAILABLE);
  // The member's phone now follows the crew kept.
  REQUIRE(second.Report({{North(-4'000, v1::CASE_KIND_MEDICAL), lon}}).ok());
  bool following = false;
  for (int i = 0; i < 5 && !following && crew_stream->Read(&position); ++i) {
    following = std::abs(position.distance_meters() - 4'000) < 50;
  }
  CHECK(following);
  member_context->TryCancel();
  while (crew_stream->Read(&position)) {
  }
  (void)crew_stream->Finish();
  // The crew kept moves the case along now; keeping again has nothing to choose.
  CHECK(second.Progress(opened.name(), v1::CASE_STATE_ON_SCENE).ok());
  CHECK(Keep(server, opened.name(), "responders/amb-second", &kept).error_code() ==
        grpc::FAILED_PRECONDITION);
  // The first crew no longer holds the case.
  CHECK(stops.Progress(opened.name(), v1::CASE_STATE_ON_SCENE).error_code() == grpc::NOT_FOUND);
}

TEST_CASE("A road case's stall gets no second crew by default") {
  StallServer scene;
  base::ManualClock& clock = scene.clock;
  TestServer& server = scene.server;
  const double lon = Alert("x").location().longitude();
  Crew stops(server, "tow-stops");
  Crew idle(server, "tow-idle");
  REQUIRE(stops.GoOnDuty(v1::CAPABILITY_TOW, North(3'000, v1::CASE_KIND_ROAD), lon).ok());
  REQUIRE(idle.GoOnDuty(v1::CAPABILITY_TOW, North(9'000, v1::CASE_KIND_ROAD), lon).ok());
  stops.Subscribe();
  idle.Subscribe();
  const v1::Case c = StalledCase(server, clock, stops, v1::CASE_KIND_ROAD, "bob");
  const std::vector<v1::CaseEvent> events = DeskTimeline(server, c.name(), 4);
  REQUIRE(events.size() == 4);
  REQUIRE(events[3].has_stalled());
  CHECK_FALSE(events[3].stalled().second_crew_sought());
  CHECK_FALSE(idle.NextOffer(absl::Milliseconds(500)).has_value());
  v1::Case kept;
  CHECK(Keep(server, c.name(), "responders/tow-stops", &kept).error_code() ==
        grpc::FAILED_PRECONDITION);
}

TEST_CASE("With `always`, a road case's search ends when its crew gets there") {
  StallServer scene(server::SecondCrewPolicy::kAlways);
  base::ManualClock& clock = scene.clock;
  TestServer& server = scene.server;
  const double lon = Alert("x").location().longitude();
  Crew stops(server, "tow-stops");
  Crew idle(server, "tow-idle");
  REQUIRE(stops.GoOnDuty(v1::CAPABILITY_TOW, North(3'000, v1::CASE_KIND_ROAD), lon).ok());
  REQUIRE(idle.GoOnDuty(v1::CAPABILITY_TOW, North(9'000, v1::CASE_KIND_ROAD), lon).ok());
  stops.Subscribe();
  idle.Subscribe();
  const v1::Case c = StalledCase(server, clock, stops, v1::CASE_KIND_ROAD, "carol");
  const std::optional<v1::Offer> offer = idle.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->second_crew());
  // Before tow-idle answers, tow-stops gets there: the offer is withdrawn.
  REQUIRE(stops.Progress(c.name(), v1::CASE_STATE_ON_SCENE).ok());
  bool withdrawn = false;
  for (int i = 0; i < 5 && !withdrawn; ++i) {
    std::optional<v1::ResponderUpdate> update = idle.Next();
    REQUIRE(update.has_value());
    withdrawn = update->offer_withdrawn() == c.name();
  }
  CHECK(withdrawn);
  const std::vector<v1::CaseEvent> events = DeskTimeline(server, c.name(), 7);
  REQUIRE(events.size() == 7);  // ... stalled, offered, progressed, offer ended
  REQUIRE(events[6].has_offer_ended());
  CHECK(events[6].offer_ended().second_crew());
  CHECK(events[6].offer_ended().reason() == v1::CaseEvent::OfferEnded::REASON_WITHDRAWN);
  CHECK(idle.Accept(c.name()).error_code() == grpc::FAILED_PRECONDITION);
  const v1::Case there = DeskCase(server, c.name());
  CHECK(there.responder() == "responders/tow-stops");
  CHECK(there.second_responder().empty());
  CHECK_FALSE(there.has_stall());
}

TEST_CASE("A restarted server keeps a case's second crew, and an agent can end the search") {
  StallServer scene;
  base::ManualClock& clock = scene.clock;
  TestServer& server = scene.server;
  const double lon = Alert("x", v1::CASE_KIND_MEDICAL).location().longitude();
  Crew stops(server, "amb-stops");
  Crew second(server, "amb-second");
  REQUIRE(stops.GoOnDuty(v1::CAPABILITY_AMBULANCE, North(3'000, v1::CASE_KIND_MEDICAL), lon).ok());
  stops.Subscribe();
  const v1::Case c = StalledCase(server, clock, stops, v1::CASE_KIND_MEDICAL, "dan");
  // Nobody free: the search waits (no escalation: the case has its crew).
  const std::vector<v1::CaseEvent> stalled = DeskTimeline(server, c.name(), 4);
  REQUIRE(stalled.size() == 4);
  CHECK(stalled[3].stalled().second_crew_sought());
  CHECK(DeskCase(server, c.name()).state() == v1::CASE_STATE_ASSIGNED);

  // A crew turns up and accepts; the server restarts; both crews still hold
  // the case, and the desk keeps the first.
  REQUIRE(
      second.GoOnDuty(v1::CAPABILITY_AMBULANCE, North(-2'000, v1::CASE_KIND_MEDICAL), lon).ok());
  second.Subscribe();
  REQUIRE(second.NextOffer().has_value());
  REQUIRE(second.Accept(c.name()).ok());
  stops.Unsubscribe();
  second.Unsubscribe();
  server.Restart();
  CHECK(DeskCase(server, c.name()).second_responder() == "responders/amb-second");
  v1::Case kept;
  REQUIRE(Keep(server, c.name(), "responders/amb-stops", &kept).ok());
  CHECK(kept.responder() == "responders/amb-stops");
  CHECK(kept.second_responder().empty());
  CHECK(kept.has_stall());  // the first crew's, still true
  CHECK_FALSE(kept.stall().second_crew_sought());
  // The second crew is free: once its app is back (duty and a position, as
  // after any restart), a new medical case near it is offered to it.
  // (The restarted server listens on a new port: the crew's app connects
  // again.)
  Crew back(server, "amb-second");
  REQUIRE(back.GoOnDuty(v1::CAPABILITY_AMBULANCE, North(-2'000, v1::CASE_KIND_MEDICAL), lon).ok());
  back.Subscribe();
  v1::Case other;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(server.Token("member", "erin")).get(),
                           Alert("erin", v1::CASE_KIND_MEDICAL), &other)
              .ok());
  const std::optional<v1::Offer> next = back.NextOffer();
  REQUIRE(next.has_value());
  CHECK(next->case_() == other.name());
  CHECK_FALSE(next->second_crew());
}

}  // namespace
}  // namespace mayday::testing
