// Dispatch beyond matching, through a real maydayd: a case raised with an
// 800 m fix is offered by the rule (the crew nearest the fix), the member's
// phone is asked for a fresher fix and the SDK answers by itself, and the
// offer moves to the crew clearly nearer the new fix; a crew that stops
// after accepting is shown stalled on the desk when the configured time is
// up, and a crew driving in is never.
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "crew.h"
#include "mayday/base/clock.h"
#include "mayday/sdk/client.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "sdk_alert.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// Metres north of the tests' alert point as a latitude.
double North(double meters) { return SdkAlert(v1::CASE_KIND_ROAD).latitude + meters / 111'200.0; }

const v1::CaseEvent* Find(const std::vector<v1::CaseEvent>& events,
                          v1::CaseEvent::ChangeCase change, int nth = 1) {
  for (const v1::CaseEvent& e : events) {
    if (e.change_case() == change && --nth == 0) return &e;
  }
  return nullptr;
}

TEST_CASE("An 800 m fix: offered by the rule, asked again, answered by the SDK, re-offered") {
  TestServer server;
  const double lon = SdkAlert(v1::CASE_KIND_ROAD).longitude;
  // tow-near is 700 m from the reported fix; tow-far 6 km north of it,
  // where the member turns out to be.
  Crew near(server, "tow-near");
  Crew far(server, "tow-far");
  REQUIRE(near.GoOnDuty(v1::CAPABILITY_TOW, North(-700), lon).ok());
  REQUIRE(far.GoOnDuty(v1::CAPABILITY_TOW, North(6'000), lon).ok());
  near.Subscribe();
  far.Subscribe();

  // The phone's newest fix, which the SDK sends when asked: 200 m from
  // tow-far, 12 m certain.
  absl::Mutex mu;
  int asked = 0;
  sdk::ClientOptions options;
  options.server = server.address();
  options.token = server.Token("member", "alice");
  options.current_location = [&]() -> std::optional<v1::Location> {
    absl::MutexLock lock(&mu);
    ++asked;
    v1::Location fix;
    fix.set_latitude(North(5'800));
    fix.set_longitude(lon);
    fix.set_horizontal_accuracy_meters(12);
    return fix;
  };
  auto client = sdk::Client::Create(options);
  REQUIRE(client.ok());

  sdk::Alert alert = SdkAlert(v1::CASE_KIND_ROAD, "indoors, poor signal");
  alert.horizontal_accuracy_meters = 800;
  const auto opened = (*client)->RaiseAlert(alert);
  REQUIRE(opened.ok());
  // The app watches its case, as the demo does; the request is answered
  // before the app hears of it.
  std::vector<v1::CaseEvent> seen;
  auto watch = (*client)->WatchCase(
      opened->name(), 0,
      [&](const v1::CaseEvent& e) {
        absl::MutexLock lock(&mu);
        seen.push_back(e);
      },
      [](const absl::Status&) {});
  REQUIRE(watch.ok());

  // The rule: the crew nearest the fix's centre (docs/dispatch.md).
  const std::optional<v1::Offer> first = near.NextOffer();
  REQUIRE(first.has_value());
  CHECK(first->case_() == opened->name());
  // Then (after the move, which the crew holding the offer hears of) the
  // offer is withdrawn from it and made to tow-far.
  std::optional<v1::ResponderUpdate> update = near.Next();
  REQUIRE(update.has_value());
  CHECK(update->case_event().has_location_updated());
  update = near.Next();
  REQUIRE(update.has_value());
  CHECK(update->offer_withdrawn() == opened->name());
  const std::optional<v1::Offer> second = far.NextOffer();
  REQUIRE(second.has_value());
  CHECK(second->case_() == opened->name());
  CHECK(second->distance_meters() == Approx(200).margin(5));

  // The timeline: raised, the request (with the rule's words), the first
  // offer, the fresh fix, the first offer ended because the member moved,
  // the second offer.
  const std::vector<v1::CaseEvent> events = DeskTimeline(server, opened->name(), 6);
  REQUIRE(events.size() == 6);
  const v1::CaseEvent* request = Find(events, v1::CaseEvent::kFixRequested);
  REQUIRE(request != nullptr);
  CHECK(request->actor() == "dispatch");
  CHECK(request->fix_requested().reason() == v1::FixRequest::REASON_INACCURATE);
  CHECK(request->fix_requested().words() == "the fix is 800 m uncertain (more than 500 m)");
  CHECK(request->fix_requested().count() == 1);
  const v1::CaseEvent* moved = Find(events, v1::CaseEvent::kLocationUpdated);
  REQUIRE(moved != nullptr);
  CHECK(moved->actor() == "members/alice");
  CHECK(moved->sequence() > request->sequence());
  CHECK(moved->location_updated().location().horizontal_accuracy_meters() == 12);
  const v1::CaseEvent* ended = Find(events, v1::CaseEvent::kOfferEnded);
  REQUIRE(ended != nullptr);
  CHECK(ended->offer_ended().responder() == "responders/tow-near");
  CHECK(ended->offer_ended().reason() == v1::CaseEvent::OfferEnded::REASON_MEMBER_MOVED);
  CHECK(ended->sequence() > moved->sequence());
  CHECK(events.back().offered().responder() == "responders/tow-far");
  {
    absl::MutexLock lock(&mu);
    CHECK(asked == 1);
  }

  // The desk: the request was answered; the fresh fix is not asked again.
  v1::GetCaseRequest get;
  get.set_name(opened->name());
  v1::Case desk_view;
  REQUIRE(server.Operators()
              ->GetCase(Call(server.Token("operator", "desk-1")).get(), get, &desk_view)
              .ok());
  CHECK(desk_view.fix_request().count() == 1);
  CHECK_FALSE(desk_view.fix_request().pending());
  CHECK(desk_view.last_sequence() == 6);
}

TEST_CASE("A fix asked again and never bettered is asked 3 times at most, a minute apart") {
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  TestServer server([&](server::ServerOptions& options) { options.clock = &clock; });
  const std::string alice = server.Token("member", "alice");
  v1::RaiseAlertRequest raise = Alert("poor-fix");
  raise.mutable_location()->set_horizontal_accuracy_meters(900);
  v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), raise, &opened).ok());
  // Asked, and escalated: nobody is on duty.
  REQUIRE(Find(DeskTimeline(server, opened.name(), 3), v1::CaseEvent::kFixRequested) != nullptr);
  // The phone answers at once with the same poor fix, five times, 40 s
  // apart: asked again at 80 s and 160 s (a minute since the last), then
  // never more.
  for (int answer = 1; answer <= 5; ++answer) {
    clock.Advance(absl::Seconds(40));
    v1::UpdateCaseLocationRequest update;
    update.set_name(opened.name());
    *update.mutable_location() = raise.location();
    v1::Case updated;
    REQUIRE(server.Alerts()->UpdateCaseLocation(Call(alice).get(), update, &updated).ok());
  }
  // 1 raised, 1 escalation (nobody is on duty), 5 moves and 3 requests,
  // each stamped with when dispatch asked (before the move's call returned).
  const std::vector<v1::CaseEvent> events = DeskTimeline(server, opened.name(), 10);
  REQUIRE(events.size() == 10);
  std::vector<int64_t> requests;
  for (const v1::CaseEvent& e : events) {
    if (e.has_fix_requested())
      requests.push_back(e.fix_requested().time().seconds() - 1'800'000'000);
  }
  CHECK(requests == std::vector<int64_t>{0, 80, 160});
}

TEST_CASE("A crew that stops after accepting is shown stalled on the desk in time") {
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  TestServer server([&](server::ServerOptions& options) {
    options.clock = &clock;
    options.stalls.silent_after = absl::Seconds(90);
  });
  const double lon = SdkAlert(v1::CASE_KIND_ROAD).longitude;
  Crew stops(server, "tow-stops");
  REQUIRE(stops.GoOnDuty(v1::CAPABILITY_TOW, North(3'000), lon).ok());
  stops.Subscribe();
  v1::Case opened;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(server.Token("member", "alice")).get(), Alert("stop-1"), &opened)
              .ok());
  REQUIRE(stops.NextOffer().has_value());
  REQUIRE(stops.Accept(opened.name()).ok());
  const absl::Time accepted = clock.Now();

  // A second crew, on another case, drives in at 10 m/s, reporting every
  // 5 s: never stalled.
  Crew drives(server, "tow-drives");
  double drives_at = -8'000;
  REQUIRE(drives.GoOnDuty(v1::CAPABILITY_TOW, North(drives_at), lon).ok());
  drives.Subscribe();
  v1::Case other;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(server.Token("member", "bob")).get(), Alert("drive-1"), &other)
              .ok());
  REQUIRE(drives.NextOffer().has_value());
  REQUIRE(drives.Accept(other.name()).ok());

  // 89 s of silence from tow-stops: nothing. At 90 s: stalled.
  for (int second = 5; second <= 85; second += 5) {
    clock.Advance(absl::Seconds(5));
    drives_at += 50;
    REQUIRE(drives.Report({{North(drives_at), lon}}).ok());
  }
  clock.Advance(absl::Seconds(4));  // 89 s
  clock.Advance(absl::Seconds(1));  // 90 s
  const std::vector<v1::CaseEvent> events = DeskTimeline(server, opened.name(), 4);
  REQUIRE(events.size() == 4);  // raised, offered, assigned, stalled
  const v1::CaseEvent& stalled = events.back();
  REQUIRE(stalled.has_stalled());
  CHECK(stalled.actor() == "dispatch");
  CHECK(stalled.state() == v1::CASE_STATE_ASSIGNED);
  CHECK(stalled.stalled().responder() == "responders/tow-stops");
  CHECK(stalled.stalled().reason() == v1::CrewStall::REASON_SILENT);
  CHECK(stalled.stalled().words() == "no position from tow-stops for 1 min 30 s (3.0 km to go)");
  // Noticed at the first check at or after 90 s of silence, not before.
  CHECK(absl::FromUnixSeconds(stalled.event_time().seconds()) == accepted + absl::Seconds(90));

  // The desk's views mark it; the crew stays assigned.
  const std::string desk = server.Token("operator", "desk-1");
  v1::ListAllCasesRequest list;
  v1::ListCasesResponse listed;
  REQUIRE(server.Operators()->ListCases(Call(desk).get(), list, &listed).ok());
  int marked = 0;
  for (const v1::Case& c : listed.cases()) {
    if (c.has_stall()) {
      ++marked;
      CHECK(c.name() == opened.name());
      CHECK(c.responder() == "responders/tow-stops");
      CHECK(c.stall().reason() == v1::CrewStall::REASON_SILENT);
    }
  }
  CHECK(marked == 1);

  // The crew drives on for 5 more minutes: still no stall for it.
  for (int i = 0; i < 60; ++i) {
    clock.Advance(absl::Seconds(5));
    drives_at += 50;
    REQUIRE(drives.Report({{North(drives_at), lon}}).ok());
  }
  const std::vector<v1::CaseEvent> driving = DeskTimeline(server, other.name(), 3);
  REQUIRE(driving.size() == 3);
  v1::GetCaseRequest get;
  get.set_name(other.name());
  v1::Case other_now;
  REQUIRE(server.Operators()->GetCase(Call(desk).get(), get, &other_now).ok());
  CHECK_FALSE(other_now.has_stall());
  CHECK(other_now.last_sequence() == 3);

  // On scene: the mark goes.
  REQUIRE(stops.Progress(opened.name(), v1::CASE_STATE_ON_SCENE).ok());
  get.set_name(opened.name());
  v1::Case there;
  REQUIRE(server.Operators()->GetCase(Call(desk).get(), get, &there).ok());
  CHECK_FALSE(there.has_stall());
}

}  // namespace
}  // namespace mayday::testing
