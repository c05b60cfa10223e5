// Dispatch through the real server: nearest first, decline and timeout move
// on, nobody left escalates, and operators see it live.
#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "crew.h"
#include "mayday/base/clock.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

TEST_CASE("Decline and timeout pass the case on, nobody left escalates") {
  // Offers lapse when the test moves the clock, not when a busy machine is
  // slow to answer (with a real 800 ms timeout the first offer could lapse
  // before the crew's decline arrived).
  base::ManualClock clock(absl::FromUnixSeconds(1'800'000'000));
  TestServer server([&](server::ServerOptions& options) {
    options.clock = &clock;
    options.dispatch.offer_timeout = absl::Seconds(30);
  });
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "agent");
  Crew nearest(server, "nearest");
  Crew second(server, "second");
  Crew medic(server, "medic");  // can't serve a road case
  REQUIRE(nearest.GoOnDuty(mayday::v1::CAPABILITY_TOW, 52.3680, 4.9040).ok());
  REQUIRE(second.GoOnDuty(mayday::v1::CAPABILITY_PATROL, 52.3800, 4.9200).ok());
  REQUIRE(medic.GoOnDuty(mayday::v1::CAPABILITY_AMBULANCE, 52.3677, 4.9041).ok());
  nearest.Subscribe();
  second.Subscribe();
  medic.Subscribe();

  // An operator watches the whole feed.
  auto feed_context = Call(agent, absl::Seconds(30));
  auto feed = server.Operators()->WatchCases(feed_context.get(), mayday::v1::WatchCasesRequest());
  // Its headers come once it is subscribed: the alert below is then on it
  // (without this wait the feed could start after the case was raised).
  feed->WaitForInitialMetadata();

  mayday::v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("p1"), &opened).ok());
  auto first_offer = nearest.NextOffer();
  REQUIRE(first_offer.has_value());
  CHECK(first_offer->case_() == opened.name());
  REQUIRE(nearest.Decline(opened.name()).ok());
  // Declining twice is an error: the offer is gone.
  CHECK(nearest.Decline(opened.name()).error_code() == grpc::FAILED_PRECONDITION);

  auto second_offer = second.NextOffer();
  REQUIRE(second_offer.has_value());
  CHECK(second_offer->distance_meters() > first_offer->distance_meters());
  // The second crew never answers: the offer lapses and is withdrawn.
  CHECK_FALSE(second.Next(absl::Milliseconds(200)).has_value());  // not before its time
  clock.Advance(absl::Seconds(31));
  auto withdrawn = second.Next(absl::Seconds(5));
  REQUIRE(withdrawn.has_value());
  CHECK(withdrawn->offer_withdrawn() == opened.name());
  CHECK(second.Accept(opened.name()).error_code() == grpc::FAILED_PRECONDITION);

  // The medic was never offered a road case.
  CHECK_FALSE(medic.Next(absl::Milliseconds(200)).has_value());

  // The operator's feed shows raised, offered, declined, offered, expired,
  // escalated, in order.
  std::vector<mayday::v1::CaseEvent> events;
  mayday::v1::CaseEvent event;
  while (feed->Read(&event)) {
    events.push_back(event);
    if (event.state() == mayday::v1::CASE_STATE_ESCALATED) break;
  }
  std::string timeline;
  for (const auto& e : events) absl::StrAppend(&timeline, e.ShortDebugString(), "\n");
  INFO(timeline);
  REQUIRE(events.size() == 6);
  for (size_t i = 0; i < events.size(); ++i) {
    INFO(events[i].ShortDebugString());
    CHECK(events[i].sequence() == static_cast<int64_t>(i + 1));
  }
  CHECK(events[0].has_raised());
  CHECK(events[1].offered().responder() == nearest.name());
  CHECK(events[2].offer_ended().reason() == mayday::v1::CaseEvent::OfferEnded::REASON_DECLINED);
  CHECK(events[3].offered().responder() == second.name());
  CHECK(events[4].offer_ended().reason() == mayday::v1::CaseEvent::OfferEnded::REASON_EXPIRED);
  CHECK(events[5].has_escalated());
  CHECK_FALSE(events[5].escalated().reason().empty());
  feed_context->TryCancel();

  // A new capable crew coming on duty takes the escalated case back to
  // matching.
  Crew fresh(server, "fresh");
  fresh.Subscribe();
  REQUIRE(fresh.GoOnDuty(mayday::v1::CAPABILITY_MECHANIC, 52.37, 4.91).ok());
  auto rescue = fresh.NextOffer();
  REQUIRE(rescue.has_value());
  CHECK(rescue->case_() == opened.name());
  REQUIRE(fresh.Accept(opened.name()).ok());

  mayday::v1::GetCaseRequest get;
  get.set_name(opened.name());
  mayday::v1::Case now;
  REQUIRE(server.Operators()->GetCase(Call(agent).get(), get, &now).ok());
  CHECK(now.state() == mayday::v1::CASE_STATE_ASSIGNED);
  CHECK(now.responder() == fresh.name());

  mayday::v1::ListRespondersRequest list;
  mayday::v1::ListRespondersResponse listed;
  REQUIRE(server.Operators()->ListResponders(Call(agent).get(), list, &listed).ok());
  CHECK(listed.responders_size() == 4);
}

TEST_CASE("A crew that reconnects gets its assignment again") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  Crew crew(server, "tow");
  REQUIRE(crew.GoOnDuty(mayday::v1::CAPABILITY_TOW, 52.3680, 4.9040).ok());
  crew.Subscribe();
  mayday::v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("p1"), &opened).ok());
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  REQUIRE(crew.Accept(opened.name()).ok());
  crew.Unsubscribe();
  crew.Subscribe();
  std::optional<mayday::v1::ResponderUpdate> update;
  do {
    update = crew.Next(absl::Seconds(5));
  } while (update.has_value() && !update->has_assignment());
  REQUIRE(update.has_value());
  CHECK(update->assignment().name() == opened.name());
  CHECK(update->assignment().state() == mayday::v1::CASE_STATE_ASSIGNED);
}

}  // namespace
}  // namespace mayday::testing
