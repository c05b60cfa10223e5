// What a member was told is stored stays stored: retries open one case, and
// a restarted server has every acknowledged case and answers retries with it.
#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "crew.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

TEST_CASE("Pressing the button ten times opens one case") {
  TestServer server;
  const std::string token = server.Token("member", "alice");
  auto alerts = server.Alerts();
  std::set<std::string> names;
  for (int press = 0; press < 10; ++press) {
    mayday::v1::Case reply;
    REQUIRE(alerts->RaiseAlert(Call(token).get(), Alert("same-press"), &reply).ok());
    names.insert(reply.name());
  }
  CHECK(names.size() == 1);
  mayday::v1::ListCasesRequest list;
  mayday::v1::ListCasesResponse listed;
  REQUIRE(alerts->ListCases(Call(token).get(), list, &listed).ok());
  CHECK(listed.cases_size() == 1);
}

TEST_CASE("A restarted server keeps cases, timelines and idempotency") {
  TestServer server;
  const std::string token = server.Token("member", "alice");
  mayday::v1::Case road, medical;
  REQUIRE(server.Alerts()->RaiseAlert(Call(token).get(), Alert("road-1"), &road).ok());
  REQUIRE(
      server.Alerts()
          ->RaiseAlert(Call(token).get(), Alert("med-1", mayday::v1::CASE_KIND_MEDICAL), &medical)
          .ok());
  server.Restart();

  auto alerts = server.Alerts();
  mayday::v1::GetCaseRequest get;
  get.set_name(road.name());
  mayday::v1::Case found;
  REQUIRE(alerts->GetCase(Call(token).get(), get, &found).ok());
  CHECK(found.kind() == mayday::v1::CASE_KIND_ROAD);
  CHECK(found.note() == road.note());

  mayday::v1::Case retried;
  REQUIRE(alerts->RaiseAlert(Call(token).get(), Alert("road-1"), &retried).ok());
  CHECK(retried.name() == road.name());
  mayday::v1::ListCasesRequest list;
  mayday::v1::ListCasesResponse listed;
  REQUIRE(alerts->ListCases(Call(token).get(), list, &listed).ok());
  CHECK(listed.cases_size() == 2);

  // Restored cases are dispatched: a crew coming on duty gets the medical
  // one first.
  Crew medic(server, "medic");
  medic.Subscribe();
  REQUIRE(medic.GoOnDuty(mayday::v1::CAPABILITY_PARAMEDIC, 52.36, 4.90).ok());
  auto offer = medic.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == medical.name());
}

TEST_CASE("After a restart a case is not offered again to a crew that declined it") {
  TestServer server;
  const std::string token = server.Token("member", "alice");
  mayday::v1::Case opened;
  {
    Crew declined(server, "declined");
    REQUIRE(declined.GoOnDuty(mayday::v1::CAPABILITY_TOW, 52.368, 4.904).ok());
    declined.Subscribe();
    REQUIRE(server.Alerts()->RaiseAlert(Call(token).get(), Alert("p1"), &opened).ok());
    REQUIRE(declined.NextOffer().has_value());
    REQUIRE(declined.Decline(opened.name()).ok());
  }
  server.Restart();

  Crew again(server, "declined");
  again.Subscribe();
  REQUIRE(again.GoOnDuty(mayday::v1::CAPABILITY_TOW, 52.368, 4.904).ok());
  CHECK_FALSE(again.NextOffer(absl::Milliseconds(1500)).has_value());
  Crew fresh(server, "fresh");
  fresh.Subscribe();
  REQUIRE(fresh.GoOnDuty(mayday::v1::CAPABILITY_TOW, 52.37, 4.91).ok());
  auto offer = fresh.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == opened.name());
}

TEST_CASE("Timelines are numbered 1..n without gaps across many writers") {
  TestServer server;
  const std::string token = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "agent");
  auto alerts = server.Alerts();
  mayday::v1::Case opened;
  REQUIRE(alerts->RaiseAlert(Call(token).get(), Alert("p1"), &opened).ok());
  std::vector<std::thread> movers;
  for (int t = 0; t < 4; ++t) {
    movers.emplace_back([&] {
      auto stub = server.Alerts();
      for (int i = 0; i < 10; ++i) {
        mayday::v1::UpdateCaseLocationRequest move;
        move.set_name(opened.name());
        *move.mutable_location() = Alert("x").location();
        mayday::v1::Case reply;
        stub->UpdateCaseLocation(Call(token).get(), move, &reply);
      }
    });
  }
  for (auto& t : movers) t.join();
  mayday::v1::ListCaseEventsRequest list;
  list.set_parent(opened.name());
  list.set_page_size(7);
  std::vector<int64_t> sequences;
  do {
    mayday::v1::ListCaseEventsResponse page;
    REQUIRE(server.Operators()->ListCaseEvents(Call(agent).get(), list, &page).ok());
    for (const auto& e : page.events()) sequences.push_back(e.sequence());
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  REQUIRE(sequences.size() >= 41);  // raised + escalated + 40 moves
  for (size_t i = 0; i < sequences.size(); ++i) CHECK(sequences[i] == static_cast<int64_t>(i + 1));
}

}  // namespace
}  // namespace mayday::testing
