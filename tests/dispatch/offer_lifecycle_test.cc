// An offer's life: it lapses, is declined, or is abandoned (disconnect, off
// duty), and the case moves to the next responder not yet tried; when none is
// left the case is escalated, and matched again when someone new can take it.
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
using Lines = std::vector<std::string>;

// Two ambulances: r-1 at 1 km, r-2 at 3 km; a medical case c-1 offered to r-1.
struct TwoAmbulances : Harness {
  TwoAmbulances() {
    OnDuty("r-1", {Capability::kAmbulance}, Away(kMunich, 1'000));
    OnDuty("r-2", {Capability::kAmbulance}, Away(kMunich, 3'000));
    Open("c-1", CaseKind::kMedical);
    REQUIRE(Step() == Lines{"offer c-1 -> r-1"});
  }
};

TEST_CASE("A lapsed offer moves to the next candidate, then escalates", "[dispatch][offer]") {
  TwoAmbulances h;
  const absl::Time first_expiry = h.clock.Now() + h.options.offer_timeout;
  CHECK(h.engine->NextDeadline() == first_expiry);

  h.clock.Advance(h.options.offer_timeout - absl::Seconds(1));
  CHECK(h.Step().empty());
  h.clock.Advance(absl::Seconds(1));  // exactly at the expiry
  CHECK(h.Step() == Lines{"ended c-1 r-1 expired", "offer c-1 -> r-2"});
  CHECK(h.engine->NextDeadline() == first_expiry + h.options.offer_timeout);
  CHECK(h.engine->GetResponder("r-1")->status == ResponderView::Status::kAvailable);

  h.clock.Advance(h.options.offer_timeout);
  std::vector<Decision> decisions = h.engine->Step();
  CHECK(testing::Summaries(decisions) == Lines{"ended c-1 r-2 expired", "escalate c-1"});
  CHECK_THAT(decisions.back().reason,
             Catch::Equals("all 2 candidates declined or did not answer; no other ambulance "
                           "or paramedic on duty within 50 km"));
  CHECK(h.engine->NextDeadline() == std::nullopt);
  CHECK(h.Step().empty());  // escalated once, and nobody new
}

TEST_CASE("An offer that ends for any reason moves the case on", "[dispatch][offer]") {
  struct Row {
    const char* name;
    std::function<void(Harness&)> end_offer;
    const char* ended;
  };
  const std::vector<Row> rows = {
      {"declined", [](Harness& h) { REQUIRE(h.engine->Decline("r-1", "c-1").ok()); },
       "ended c-1 r-1 declined"},
      {"disconnected", [](Harness& h) { h.engine->ResponderDisconnected("r-1"); },
       "ended c-1 r-1 unavailable"},
      {"off duty", [](Harness& h) { REQUIRE(h.engine->SetDuty("r-1", false, {}).ok()); },
       "ended c-1 r-1 unavailable"},
      {"no longer capable",
       [](Harness& h) { REQUIRE(h.engine->SetDuty("r-1", true, {Capability::kTow}).ok()); },
       "ended c-1 r-1 unavailable"},
      {"disconnected after the offer lapsed",
       [](Harness& h) {
         h.clock.Advance(h.options.offer_timeout);
         h.engine->ResponderDisconnected("r-1");
       },
       "ended c-1 r-1 expired"},
  };
  for (const Row& row : rows) {
    INFO("row: " << row.name);
    TwoAmbulances h;
    h.clock.Advance(absl::Seconds(5));
    row.end_offer(h);
    // The responder no longer holds the offer, even before Step().
    CHECK(h.engine->GetResponder("r-1")->current_case.empty());
    CHECK(h.engine->Accept("r-1", "c-1").status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(h.Step() == Lines{row.ended, "offer c-1 -> r-2"});
    // r-1 is never offered c-1 again, even when r-2 declines and r-1 is back.
    REQUIRE(h.engine->SetDuty("r-1", true, {Capability::kAmbulance}).ok());
    h.engine->ResponderConnected("r-1");
    REQUIRE(h.engine->Decline("r-2", "c-1").ok());
    CHECK(h.Step() == Lines{"ended c-1 r-2 declined", "escalate c-1"});
  }
}

TEST_CASE("Answers to an offer not held are refused and change nothing", "[dispatch][offer]") {
  TwoAmbulances h;
  CHECK(h.engine->Decline("r-2", "c-1").code() == absl::StatusCode::kFailedPrecondition);
  CHECK(h.engine->Decline("r-1", "c-404").code() == absl::StatusCode::kFailedPrecondition);
  CHECK(h.engine->Decline("r-404", "c-1").code() == absl::StatusCode::kFailedPrecondition);
  h.clock.Advance(h.options.offer_timeout);
  const absl::Status late = h.engine->Decline("r-1", "c-1");
  CHECK(late.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(late.message()), Catch::Contains("lapsed"));
  CHECK(h.Step() == Lines{"ended c-1 r-1 expired", "offer c-1 -> r-2"});
}

// The tally behind an escalation's reason skips the geodesic where the
// straight-line distance already settles it; at the radius's edge it must
// still count exactly the responders within the radius along the surface.
TEST_CASE("Escalation reasons count responders at the radius's edge by the geodesic",
          "[dispatch][offer]") {
  struct Row {
    double radius_meters;
    std::vector<double> inside;  // geodesic metres from the case
    std::vector<double> outside;
  };
  const std::vector<Row> rows = {
      {50'000, {1, 49'000, 49'950, 49'999.5, 49'999.99}, {50'000.05, 50'000.5, 50'060, 80'000}},
      {2'500, {2'497.4, 2'499.99}, {2'500.01, 2'502.6}},
      // Far beyond 500 km the chord falls short of the geodesic by more
      // than 0.1% (8 km at 2,000 km): every responder in chord range gets
      // its geodesic.
      {2'000'000, {1'500'000, 1'999'990}, {2'001'000, 2'005'000}},
  };
  for (const Row& row : rows) {
    CAPTURE(row.radius_meters);
    EngineOptions options;
    options.max_radius_meters = row.radius_meters;
    Harness h(options);
    int n = 0;
    for (const std::vector<double>* group : {&row.inside, &row.outside}) {
      for (double meters : *group) {
        const std::string id = "r-" + std::to_string(n);
        // Each in another direction, so that chords and geodesics differ.
        h.OnDuty(id, {Capability::kAmbulance}, Away(kMunich, meters, 37.0 * n++));
        h.engine->ResponderDisconnected(id);
      }
    }
    h.Open("c-1", CaseKind::kMedical);
    const std::vector<Decision> d = h.engine->Step();
    REQUIRE(d.size() == 1);
    CHECK(d[0].type == Decision::Type::kEscalate);
    const std::string counted = std::to_string(row.inside.size()) + " free but not connected";
    CHECK_THAT(d[0].reason, Catch::Matchers::Contains("(" + counted + ")"));
  }
}

TEST_CASE("Escalation reasons count crews without a fix wherever they are and as they are now",
          "[dispatch][offer]") {
  // Crews without a recent position are counted however far their last fix
  // (they could be anywhere), those with one only within the radius; the
  // counts follow every change, and a crew the case was already offered to
  // is never counted.
  Harness h;
  REQUIRE(h.engine->SetDuty("r-nofix", true, {Capability::kAmbulance}).ok());
  REQUIRE(h.engine->SetDuty("r-tow", true, {Capability::kTow}).ok());  // serves road only
  h.OnDuty("r-stale", {Capability::kParamedic}, Away(kMunich, 300'000));
  h.clock.Advance(h.options.max_position_age + absl::Seconds(1));
  h.OnDuty("r-away", {Capability::kAmbulance}, Away(kMunich, 1'000));
  h.engine->ResponderDisconnected("r-away");
  h.Open("c-1", CaseKind::kMedical);
  std::vector<Decision> d = h.engine->Step();
  REQUIRE(d.size() == 1);
  CHECK_THAT(d[0].reason, Catch::Matchers::EndsWith(
                              "(1 free but not connected, 2 on duty without a recent position)"));

  // r-nofix reports from 2 km and loses its link: one fewer without a fix.
  REQUIRE(h.engine->UpdatePosition("r-nofix", Away(kMunich, 2'000), h.clock.Now()).ok());
  h.engine->ResponderDisconnected("r-nofix");
  h.Open("c-2", CaseKind::kMedical);
  d = h.engine->Step();
  REQUIRE(d.size() == 1);
  CHECK_THAT(d[0].reason, Catch::Matchers::EndsWith(
                              "(2 free but not connected, 1 on duty without a recent position)"));

  // Nothing changes but the time: the fixes of 2 km and 1 km age too.
  h.clock.Advance(h.options.max_position_age + absl::Seconds(1));
  h.Open("c-3", CaseKind::kMedical);
  d = h.engine->Step();
  REQUIRE(d.size() == 1);
  CHECK_THAT(d[0].reason, Catch::Matchers::EndsWith("(3 on duty without a recent position)"));

  // A new crew is offered c-1 (the oldest of the three), its fix ages and the
  // offer lapses: c-1 says it did not answer, and counts it nowhere else.
  h.OnDuty("r-new", {Capability::kAmbulance}, Away(kMunich, 3'000));
  REQUIRE(h.Step() == Lines{"redispatch c-1", "offer c-1 -> r-new"});
  h.clock.Advance(h.options.max_position_age + absl::Seconds(1));
  d = h.engine->Step();
  REQUIRE(d.size() == 2);
  CHECK(mayday::dispatch::testing::Summary(d[0]) == "ended c-1 r-new expired");
  CHECK(mayday::dispatch::testing::Summary(d[1]) == "escalate c-1");
  // r-nofix, r-stale and r-away are without a recent fix by now; so is
  // r-new, which is not counted.
  CHECK_THAT(d[1].reason, Catch::Matchers::StartsWith("the only candidate declined"));
  CHECK_THAT(d[1].reason, Catch::Matchers::EndsWith("(3 on duty without a recent position)"));
}

TEST_CASE("Escalation reasons say what a care agent can act on", "[dispatch][offer]") {
  SECTION("nobody on duty in range, medical") {
    Harness h;
    h.OnDuty("r-far", {Capability::kAmbulance}, Away(kMunich, 80'000));
    h.OnDuty("r-tow", {Capability::kTow}, Away(kMunich, 1'000));
    h.Open("c-1", CaseKind::kMedical);
    const std::vector<Decision> d = h.engine->Step();
    REQUIRE(d.size() == 1);
    CHECK(d[0].type == Decision::Type::kEscalate);
    CHECK(d[0].reason == "no ambulance or paramedic on duty within 50 km");
  }
  SECTION("nobody on duty in range, road, other radius") {
    EngineOptions options;
    options.max_radius_meters = 2'500;
    Harness h(options);
    h.Open("c-1", CaseKind::kRoad);
    const std::vector<Decision> d = h.engine->Step();
    REQUIRE(d.size() == 1);
    CHECK(d[0].reason == "no tow truck, patrol or mechanic on duty within 2.5 km");
  }
  SECTION("everyone in range is busy or unreachable") {
    Harness h;
    h.OnDuty("r-1", {Capability::kParamedic}, Away(kMunich, 1'000));
    REQUIRE(
        h.engine->AddAssignedCase("c-0", CaseKind::kMedical, kMunich, h.clock.Now(), "r-1").ok());
    h.OnDuty("r-2", {Capability::kParamedic}, Away(kMunich, 2'000));
    h.engine->ResponderDisconnected("r-2");
    REQUIRE(h.engine->SetDuty("r-3", true, {Capability::kAmbulance}).ok());  // no fix yet
    h.Open("c-1", CaseKind::kMedical);
    const std::vector<Decision> d = h.engine->Step();
    REQUIRE(d.size() == 1);
    CHECK(d[0].reason ==
          "no ambulance or paramedic free within 50 km (1 busy with another case, 1 free but "
          "not connected, 1 on duty without a recent position)");
  }
  SECTION("the only candidate declined") {
    Harness h;
    h.OnDuty("r-1", {Capability::kMechanic}, Away(kMunich, 1'000));
    h.Open("c-1", CaseKind::kRoad);
    REQUIRE(h.Step() == Lines{"offer c-1 -> r-1"});
    REQUIRE(h.engine->Decline("r-1", "c-1").ok());
    const std::vector<Decision> d = h.engine->Step();
    REQUIRE(d.size() == 2);
    CHECK(d[1].reason ==
          "the only candidate declined or did not answer; no other tow truck, patrol or "
          "mechanic on duty within 50 km");
  }
}

TEST_CASE("An escalated case is matched again when someone new can take it",
          "[dispatch][offer][redispatch]") {
  struct Row {
    const char* name;
    std::function<void(Harness&)> make_available;  // makes "r-new" eligible
  };
  const GeoPoint near = Away(kMunich, 4'000);
  const std::vector<Row> rows = {
      {"comes on duty", [&](Harness& h) { h.OnDuty("r-new", {Capability::kAmbulance}, near); }},
      {"finishes a case",
       [&](Harness& h) { REQUIRE(h.engine->CloseCase("c-other") == std::nullopt); }},
      {"moves into range",
       [&](Harness& h) { REQUIRE(h.engine->UpdatePosition("r-new", near, h.clock.Now()).ok()); }},
      {"reconnects", [&](Harness& h) { h.engine->ResponderConnected("r-new"); }},
      {"gains a capability",
       [&](Harness& h) {
         REQUIRE(h.engine->SetDuty("r-new", true, {Capability::kTow, Capability::kParamedic}).ok());
       }},
      {"the case moves into its range",
       [&](Harness& h) { REQUIRE(h.engine->MoveCase("c-1", Away(kMunich, 60'000, 270)).ok()); }},
  };
  for (const Row& row : rows) {
    INFO("row: " << row.name);
    Harness h;
    // r-tried is offered c-1 and declines; r-new is ineligible in the way the
    // row then undoes.
    h.OnDuty("r-tried", {Capability::kAmbulance}, Away(kMunich, 500));
    const std::string name = row.name;
    if (name == "finishes a case") {
      h.OnDuty("r-new", {Capability::kAmbulance}, near);
      REQUIRE(h.engine->AddAssignedCase("c-other", CaseKind::kMedical, near, h.clock.Now(), "r-new")
                  .ok());
    } else if (name == "moves into range") {
      h.OnDuty("r-new", {Capability::kAmbulance}, Away(kMunich, 70'000));
    } else if (name == "reconnects") {
      h.OnDuty("r-new", {Capability::kAmbulance}, near);
      h.engine->ResponderDisconnected("r-new");
    } else if (name == "gains a capability") {
      h.OnDuty("r-new", {Capability::kTow}, near);
    } else if (name == "the case moves into its range") {
      h.OnDuty("r-new", {Capability::kAmbulance}, Away(kMunich, 100'000, 270));
    }
    h.Open("c-1", CaseKind::kMedical);
    REQUIRE(h.Step() == Lines{"offer c-1 -> r-tried"});
    REQUIRE(h.engine->Decline("r-tried", "c-1").ok());
    REQUIRE(h.Step() == Lines{"ended c-1 r-tried declined", "escalate c-1"});
    h.clock.Advance(absl::Seconds(20));
    REQUIRE(h.engine->UpdatePosition("r-tried", Away(kMunich, 500), h.clock.Now()).ok());
    CHECK(h.Step().empty());  // r-tried is free and near, but was tried

    row.make_available(h);
    CHECK(h.Step() == Lines{"redispatch c-1", "offer c-1 -> r-new"});
    // Once more nobody is left: escalated again, then quiet.
    REQUIRE(h.engine->Decline("r-new", "c-1").ok());
    CHECK(h.Step() == Lines{"ended c-1 r-new declined", "escalate c-1"});
    CHECK(h.Step().empty());
  }
}

TEST_CASE("A case restored as escalated is not escalated again, and is matched like one",
          "[dispatch][offer][redispatch][restart]") {
  Harness h;
  // Stored before the restart: escalated after r-tried was offered it.
  REQUIRE(h.engine
              ->AddEscalatedCase("c-1", CaseKind::kMedical, kMunich, h.clock.Now(),
                                 std::vector<ResponderId>{"r-tried"})
              .ok());
  CHECK(h.Step().empty());
  CHECK(h.engine->AddEscalatedCase("c-1", CaseKind::kMedical, kMunich, h.clock.Now(), {}).code() ==
        absl::StatusCode::kAlreadyExists);
  h.OnDuty("r-tried", {Capability::kAmbulance}, Away(kMunich, 500));
  CHECK(h.Step().empty());  // tried before the restart
  h.OnDuty("r-new", {Capability::kAmbulance}, Away(kMunich, 4'000));
  CHECK(h.Step() == Lines{"redispatch c-1", "offer c-1 -> r-new"});
}

TEST_CASE("A case restored as escalated is offered at once to a crew already in range",
          "[dispatch][offer][redispatch][restart]") {
  Harness h;
  h.OnDuty("r-near", {Capability::kTow}, Away(kMunich, 900));
  REQUIRE(h.engine->AddEscalatedCase("c-1", CaseKind::kRoad, kMunich, h.clock.Now(), {}).ok());
  CHECK(h.Step() == Lines{"redispatch c-1", "offer c-1 -> r-near"});
}

TEST_CASE("Step decides nothing twice", "[dispatch][offer]") {
  TwoAmbulances h;
  CHECK(h.Step().empty());
  h.clock.Advance(absl::Seconds(1));
  CHECK(h.Step().empty());
}

}  // namespace
}  // namespace mayday::dispatch
