// Which waiting case is matched first: medical before road, then the oldest
// (raised_time), then the smaller case id.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "dispatch_test_util.h"

namespace mayday::dispatch {
namespace {

using testing::Away;
using testing::Harness;
using testing::kMunich;

TEST_CASE("Medical before road, then oldest first", "[dispatch][priority]") {
  Harness h;
  // One responder that serves both kinds takes the cases one at a time.
  h.OnDuty("r-1", {Capability::kTow, Capability::kParamedic}, Away(kMunich, 1'000));
  const absl::Time now = h.clock.Now();
  struct Opened {
    const char* id;
    CaseKind kind;
    absl::Duration age;
  };
  // Listed in no particular order; the expected service order is below.
  const std::vector<Opened> opened = {
      {"road-oldest", CaseKind::kRoad, absl::Minutes(10)},
      {"medical-newest", CaseKind::kMedical, absl::Minutes(1)},
      {"road-newest", CaseKind::kRoad, absl::Minutes(1)},
      {"medical-b-same-age", CaseKind::kMedical, absl::Minutes(5)},
      {"medical-a-same-age", CaseKind::kMedical, absl::Minutes(5)},
  };
  for (const Opened& o : opened) {
    // Cases are placed so that distance never decides between them.
    REQUIRE(h.engine->AddCase(o.id, o.kind, kMunich, now - o.age).ok());
  }
  const std::vector<std::string> expected_order = {"medical-a-same-age", "medical-b-same-age",
                                                   "medical-newest", "road-oldest", "road-newest"};

  std::vector<std::string> served;
  for (size_t round = 0; round < expected_order.size(); ++round) {
    INFO("round " << round);
    for (const Decision& d : h.engine->Step()) {
      if (d.type != Decision::Type::kOffer) continue;
      CHECK(d.responder_id == "r-1");
      served.push_back(d.case_id);
      REQUIRE(h.engine->Accept("r-1", d.case_id).ok());
      REQUIRE(h.engine->CloseCase(d.case_id) == std::nullopt);
    }
    h.clock.Advance(absl::Seconds(1));
  }
  CHECK(served == expected_order);
}

TEST_CASE("Several responders: the most urgent case gets the nearest", "[dispatch][priority]") {
  Harness h;
  // Both cases are at the same spot; r-near is nearer than r-far to both.
  h.OnDuty("r-near", {Capability::kPatrol, Capability::kAmbulance}, Away(kMunich, 1'000));
  h.OnDuty("r-far", {Capability::kPatrol, Capability::kAmbulance}, Away(kMunich, 9'000));
  REQUIRE(
      h.engine->AddCase("c-road", CaseKind::kRoad, kMunich, h.clock.Now() - absl::Hours(1)).ok());
  REQUIRE(h.engine->AddCase("c-medical", CaseKind::kMedical, kMunich, h.clock.Now()).ok());
  CHECK(h.Step() == std::vector<std::string>{"offer c-medical -> r-near", "offer c-road -> r-far"});
}

}  // namespace
}  // namespace mayday::dispatch
