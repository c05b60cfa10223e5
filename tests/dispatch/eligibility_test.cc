// Who may be offered a case. Each row makes a responder that is nearer than
// an eligible one ineligible in exactly one way, and checks that the case
// goes to the eligible one; the control row shows the nearer one wins
// otherwise.
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "dispatch_test_util.h"

namespace mayday::dispatch {
namespace {

using testing::Away;
using testing::Harness;
using testing::kMunich;

struct EligibilityRow {
  std::string name;
  // Sets up responder "r-near" (1 km from the case); "r-far" (5 km, eligible)
  // already exists. The case "c-1" (medical, at kMunich) is open, not stepped.
  std::function<void(Harness&)> setup;
  std::string expected_responder;
};

TEST_CASE("An ineligible responder is skipped for the eligible one", "[dispatch][eligibility]") {
  const GeoPoint near = Away(kMunich, 1'000);
  const std::vector<EligibilityRow> rows = {
      {"control: the nearer responder is eligible",
       [&](Harness& h) { h.OnDuty("r-near", {Capability::kAmbulance}, near); }, "r-near"},
      {"off duty",
       [&](Harness& h) {
         h.OnDuty("r-near", {Capability::kAmbulance}, near);
         REQUIRE(h.engine->SetDuty("r-near", false, {}).ok());
       },
       "r-far"},
      {"holding an offer",
       [&](Harness& h) {
         // r-near is alone when c-0 is matched, so it takes c-0's offer.
         REQUIRE(h.engine->SetDuty("r-far", false, {}).ok());
         h.OnDuty("r-near", {Capability::kAmbulance}, near);
         REQUIRE(h.engine->CloseCase("c-1") == std::nullopt);
         h.Open("c-0", CaseKind::kMedical, Away(kMunich, 2'000, 180));
         REQUIRE(h.Step() == std::vector<std::string>{"offer c-0 -> r-near"});
         h.OnDuty("r-far", {Capability::kAmbulance}, Away(kMunich, 5'000));
         h.Open("c-1", CaseKind::kMedical);
       },
       "r-far"},
      {"busy with a case",
       [&](Harness& h) {
         h.OnDuty("r-near", {Capability::kAmbulance}, near);
         REQUIRE(
             h.engine->AddAssignedCase("c-0", CaseKind::kMedical, kMunich, h.clock.Now(), "r-near")
                 .ok());
       },
       "r-far"},
      {"wrong capability",
       [&](Harness& h) {
         h.OnDuty("r-near", {Capability::kTow, Capability::kPatrol, Capability::kMechanic}, near);
       },
       "r-far"},
      {"stale position",
       [&](Harness& h) {
         h.OnDuty("r-near", {Capability::kAmbulance}, near);
         h.clock.Advance(h.options.max_position_age + absl::Seconds(1));
         REQUIRE(h.engine->UpdatePosition("r-far", Away(kMunich, 5'000), h.clock.Now()).ok());
       },
       "r-far"},
      {"position exactly max_position_age old is still fresh",
       [&](Harness& h) {
         h.OnDuty("r-near", {Capability::kAmbulance}, near);
         h.clock.Advance(h.options.max_position_age);
         REQUIRE(h.engine->UpdatePosition("r-far", Away(kMunich, 5'000), h.clock.Now()).ok());
       },
       "r-near"},
      {"no position",
       [&](Harness& h) {
         REQUIRE(h.engine->SetDuty("r-near", true, {Capability::kAmbulance}).ok());
       },
       "r-far"},
      {"disconnected",
       [&](Harness& h) {
         h.OnDuty("r-near", {Capability::kAmbulance}, near);
         h.engine->ResponderDisconnected("r-near");
       },
       "r-far"},
      {"one just beyond max radius, the eligible one just inside",
       [&](Harness& h) {
         h.OnDuty("r-near", {Capability::kAmbulance},
                  Away(kMunich, h.options.max_radius_meters + 0.01, 0));
         REQUIRE(h.engine
                     ->UpdatePosition("r-far",
                                      Away(kMunich, h.options.max_radius_meters - 0.01, 180),
                                      h.clock.Now())
                     .ok());
       },
       "r-far"},
      {"already offered this case",
       [&](Harness& h) {
         h.OnDuty("r-near", {Capability::kAmbulance}, near);
         REQUIRE(h.engine->SetDuty("r-far", false, {}).ok());
         REQUIRE(h.Step() == std::vector<std::string>{"offer c-1 -> r-near"});
         REQUIRE(h.engine->Decline("r-near", "c-1").ok());
         REQUIRE(h.Step() == std::vector<std::string>{"ended c-1 r-near declined", "escalate c-1"});
         h.OnDuty("r-far", {Capability::kAmbulance}, Away(kMunich, 5'000));
         // r-near is free and nearest again, but was already offered c-1.
       },
       "r-far"},
  };
  for (const EligibilityRow& row : rows) {
    INFO("row: " << row.name);
    Harness h;
    h.OnDuty("r-far", {Capability::kParamedic}, Away(kMunich, 5'000));
    h.Open("c-1", CaseKind::kMedical);
    row.setup(h);
    std::vector<Decision> decisions = h.engine->Step();
    const std::vector<std::string> summaries = testing::Summaries(decisions);
    CAPTURE(summaries);
    REQUIRE_FALSE(decisions.empty());
    const Decision& last = decisions.back();
    CHECK(last.type == Decision::Type::kOffer);
    CHECK(last.case_id == "c-1");
    CHECK(last.responder_id == row.expected_responder);
  }
}

TEST_CASE("A responder beyond the radius alone means escalation", "[dispatch][eligibility]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kAmbulance}, Away(kMunich, h.options.max_radius_meters + 0.01));
  h.Open("c-1", CaseKind::kMedical);
  CHECK(h.Step() == std::vector<std::string>{"escalate c-1"});
}

}  // namespace
}  // namespace mayday::dispatch
