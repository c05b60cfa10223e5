// A member who moves while the case's offer is unanswered: the offer moves
// to a crew clearly nearer the new place (reoffer_min_gain_meters), and only
// then; the first crew never said no, so it may be offered the case again.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "dispatch_test_util.h"

namespace mayday::dispatch {
namespace {

using testing::Away;
using testing::Harness;
using testing::kMunich;
using Lines = std::vector<std::string>;

TEST_CASE("A member who moves is re-offered only to a crew clearly nearer", "[dispatch][offer]") {
  struct Row {
    const char* name;
    double move_east_meters;  // where the member goes (east of Munich)
    absl::Duration after;     // how long after the offer
    Lines expected;           // Step() after the move
  };
  // r-1 1 km west of the first fix, r-2 6 km east: c-1 goes to r-1. The
  // gain is how much nearer r-2 is than r-1 after the move (the default
  // needs 2 km).
  const std::vector<Row> rows = {
      {"no move (the same place again)", 0, absl::Seconds(5), {}},
      {"r-2 nearer by 1.8 km: not enough", 3'400, absl::Seconds(5), {}},
      {"r-2 nearer by 2.2 km",
       3'600,
       absl::Seconds(5),
       {"ended c-1 r-1 member moved", "offer c-1 -> r-2"}},
      {"r-2 nearer by 7 km",
       6'000,
       absl::Seconds(5),
       {"ended c-1 r-1 member moved", "offer c-1 -> r-2"}},
      {"the offer lapsed before the move",
       6'000,
       absl::Seconds(30),
       {"ended c-1 r-1 expired", "offer c-1 -> r-2"}},
  };
  for (const Row& row : rows) {
    INFO("row: " << row.name);
    Harness h;
    h.OnDuty("r-1", {Capability::kTow}, Away(kMunich, 1'000, 270));
    h.OnDuty("r-2", {Capability::kTow}, Away(kMunich, 6'000, 90));
    h.Open("c-1", CaseKind::kRoad);
    REQUIRE(h.Step() == Lines{"offer c-1 -> r-1"});
    h.clock.Advance(row.after);
    REQUIRE(h.engine->MoveCase("c-1", Away(kMunich, row.move_east_meters, 90)).ok());
    CHECK(h.Step() == row.expected);
  }
}

TEST_CASE("A crew the member moved away from may be offered the case again", "[dispatch][offer]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kTow}, Away(kMunich, 1'000, 270));
  h.OnDuty("r-2", {Capability::kTow}, Away(kMunich, 6'000, 90));
  h.Open("c-1", CaseKind::kRoad);
  REQUIRE(h.Step() == Lines{"offer c-1 -> r-1"});
  REQUIRE(h.engine->MoveCase("c-1", Away(kMunich, 6'000, 90)).ok());
  // Before Step(): r-1 is free at once, and holds nothing.
  CHECK(h.engine->GetResponder("r-1")->status == ResponderView::Status::kAvailable);
  REQUIRE(h.Step() == Lines{"ended c-1 r-1 member moved", "offer c-1 -> r-2"});
  // r-2 declines; the member is back where they were: r-1 is asked again.
  REQUIRE(h.engine->Decline("r-2", "c-1").ok());
  REQUIRE(h.engine->MoveCase("c-1", kMunich).ok());
  CHECK(h.Step() == Lines{"ended c-1 r-2 declined", "offer c-1 -> r-1"});
}

TEST_CASE("A re-offer needs a crew that is eligible", "[dispatch][offer]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kTow}, Away(kMunich, 1'000, 270));
  // Nearer the new place, but unable (medical only) or busy.
  h.OnDuty("a-1", {Capability::kAmbulance}, Away(kMunich, 6'000, 90));
  h.Open("c-1", CaseKind::kRoad);
  REQUIRE(h.Step() == Lines{"offer c-1 -> r-1"});
  REQUIRE(h.engine->MoveCase("c-1", Away(kMunich, 6'000, 90)).ok());
  CHECK(h.Step().empty());
  CHECK(h.engine->GetResponder("r-1")->current_case == "c-1");
}

TEST_CASE("reoffer_min_gain_meters must be positive", "[dispatch][offer]") {
  base::ManualClock clock;
  EngineOptions options;
  options.reoffer_min_gain_meters = 0;
  const auto created = Engine::Create(options, &clock);
  REQUIRE_FALSE(created.ok());
  CHECK_THAT(std::string(created.status().message()), Catch::Contains("reoffer_min_gain_meters"));
}

}  // namespace
}  // namespace mayday::dispatch
