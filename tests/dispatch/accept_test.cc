// Accepting an offer, being busy, closing cases, and the restart path
// (AddAssignedCase); NextDeadline over several offers.
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

TEST_CASE("Accept assigns the case with distance and ETA", "[dispatch][accept]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kParamedic}, Away(kMunich, 8'000));
  h.Open("c-1", CaseKind::kMedical);
  const std::vector<Decision> offer = h.engine->Step();
  REQUIRE(testing::Summaries(offer) == Lines{"offer c-1 -> r-1"});

  h.clock.Advance(h.options.offer_timeout - absl::Milliseconds(1));  // just in time
  absl::StatusOr<Assignment> assignment = h.engine->Accept("r-1", "c-1");
  REQUIRE(assignment.ok());
  CHECK(assignment->case_id == "c-1");
  CHECK(assignment->responder_id == "r-1");
  CHECK(assignment->distance_meters == Approx(8'000).margin(1e-6));
  CHECK(assignment->distance_meters == offer[0].distance_meters);
  CHECK(assignment->eta == offer[0].eta);
  CHECK(absl::ToDoubleSeconds(assignment->eta) == Approx(8'000 / h.options.paramedic_speed_mps));

  const std::optional<ResponderView> view = h.engine->GetResponder("r-1");
  REQUIRE(view.has_value());
  CHECK(view->status == ResponderView::Status::kBusy);
  CHECK(view->current_case == "c-1");
  CHECK(h.engine->NextDeadline() == std::nullopt);
  CHECK(h.Step().empty());  // an accepted offer does not lapse
  h.clock.Advance(absl::Hours(1));
  CHECK(h.Step().empty());

  // Accepting twice is refused.
  CHECK(h.engine->Accept("r-1", "c-1").status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("Accept is refused for a lapsed offer or another case", "[dispatch][accept]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kPatrol}, Away(kMunich, 1'000));
  h.OnDuty("r-2", {Capability::kPatrol}, Away(kMunich, 2'000, 0));
  h.Open("c-1", CaseKind::kRoad);
  h.Open("c-2", CaseKind::kRoad, Away(kMunich, 2'100, 0));
  REQUIRE(h.Step() == Lines{"offer c-1 -> r-1", "offer c-2 -> r-2"});

  SECTION("another case") {
    const absl::StatusOr<Assignment> wrong = h.engine->Accept("r-1", "c-2");
    CHECK(wrong.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK_THAT(std::string(wrong.status().message()), Catch::Contains("\"c-1\""));
    CHECK(h.engine->Accept("r-1", "c-unknown").status().code() ==
          absl::StatusCode::kFailedPrecondition);
    CHECK(h.engine->Accept("r-unknown", "c-1").status().code() ==
          absl::StatusCode::kFailedPrecondition);
    // Nothing changed: r-1 still holds c-1 and may accept it.
    CHECK(h.engine->Accept("r-1", "c-1").ok());
  }
  SECTION("after expiry, before Step") {
    h.clock.Advance(h.options.offer_timeout);
    const absl::StatusOr<Assignment> late = h.engine->Accept("r-1", "c-1");
    CHECK(late.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK_THAT(std::string(late.status().message()), Catch::Contains("lapsed"));
    // Each case moves to the responder it was not yet offered to.
    CHECK(h.Step() == Lines{"ended c-1 r-1 expired", "ended c-2 r-2 expired", "offer c-1 -> r-2",
                            "offer c-2 -> r-1"});
  }
  SECTION("after expiry, after Step") {
    h.clock.Advance(h.options.offer_timeout + absl::Seconds(1));
    REQUIRE(h.Step().size() == 4);
    CHECK(h.engine->Accept("r-1", "c-1").status().code() == absl::StatusCode::kFailedPrecondition);
  }
}

TEST_CASE("A busy responder gets nothing until its case is closed", "[dispatch][accept]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kAmbulance}, Away(kMunich, 1'000));
  h.Open("c-1", CaseKind::kMedical);
  REQUIRE(h.Step() == Lines{"offer c-1 -> r-1"});
  REQUIRE(h.engine->Accept("r-1", "c-1").ok());

  const absl::Status off = h.engine->SetDuty("r-1", false, {});
  CHECK(off.code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(off.message()), Catch::Contains("\"c-1\""));
  CHECK(h.engine->GetResponder("r-1")->status == ResponderView::Status::kBusy);

  h.Open("c-2", CaseKind::kMedical);
  CHECK(h.Step() == Lines{"escalate c-2"});

  // Closing an assigned case frees the responder; there was no offer to withdraw.
  CHECK(h.engine->CloseCase("c-1") == std::nullopt);
  CHECK(h.engine->GetResponder("r-1")->status == ResponderView::Status::kAvailable);
  CHECK(h.Step() == Lines{"redispatch c-2", "offer c-2 -> r-1"});
  CHECK(h.engine->CloseCase("c-1") == std::nullopt);  // already forgotten
}

TEST_CASE("Closing an offered case returns the offer holder and frees it", "[dispatch][accept]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kAmbulance}, Away(kMunich, 1'000));
  h.Open("c-1", CaseKind::kMedical);
  REQUIRE(h.Step() == Lines{"offer c-1 -> r-1"});
  CHECK(h.engine->CloseCase("c-1") == std::optional<ResponderId>("r-1"));
  CHECK(h.engine->GetResponder("r-1")->status == ResponderView::Status::kAvailable);
  CHECK(h.engine->NextDeadline() == std::nullopt);
  CHECK(h.Step().empty());
  CHECK(h.engine->Accept("r-1", "c-1").status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("A declined offer of a case closed before Step leaves no decision",
          "[dispatch][accept]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kAmbulance}, Away(kMunich, 1'000));
  h.Open("c-1", CaseKind::kMedical);
  REQUIRE(h.Step() == Lines{"offer c-1 -> r-1"});
  REQUIRE(h.engine->Decline("r-1", "c-1").ok());
  CHECK(h.engine->CloseCase("c-1") == std::nullopt);  // the offer had already ended
  CHECK(h.Step().empty());
}

TEST_CASE("AddAssignedCase restores a busy responder", "[dispatch][accept][restart]") {
  Harness h;
  REQUIRE(h.engine
              ->AddAssignedCase("c-1", CaseKind::kRoad, kMunich, h.clock.Now() - absl::Minutes(5),
                                "r-1")
              .ok());
  std::optional<ResponderView> view = h.engine->GetResponder("r-1");
  REQUIRE(view.has_value());
  CHECK(view->status == ResponderView::Status::kBusy);
  CHECK(view->current_case == "c-1");
  CHECK(h.engine->NextDeadline() == std::nullopt);
  CHECK(h.Step().empty());
  CHECK(h.engine->SetDuty("r-1", false, {}).code() == absl::StatusCode::kFailedPrecondition);

  // The restored responder reports in; it still gets no second case.
  h.OnDuty("r-1", {Capability::kTow}, Away(kMunich, 500));
  h.Open("c-2", CaseKind::kRoad);
  CHECK(h.Step() == Lines{"escalate c-2"});

  CHECK(h.engine->AddAssignedCase("c-1", CaseKind::kRoad, kMunich, h.clock.Now(), "r-2").code() ==
        absl::StatusCode::kAlreadyExists);
  CHECK(h.engine->AddAssignedCase("c-3", CaseKind::kRoad, kMunich, h.clock.Now(), "r-1").code() ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(h.engine->GetResponder("r-2") == std::nullopt);  // the refused call registered nobody

  CHECK(h.engine->CloseCase("c-1") == std::nullopt);
  CHECK(h.Step() == Lines{"redispatch c-2", "offer c-2 -> r-1"});
}

TEST_CASE("NextDeadline is the earliest offer expiry", "[dispatch][accept]") {
  Harness h;
  CHECK(h.engine->NextDeadline() == std::nullopt);
  h.OnDuty("r-1", {Capability::kTow}, Away(kMunich, 1'000));
  h.OnDuty("r-2", {Capability::kTow}, Away(kMunich, 1'500, 180));
  h.Open("c-1", CaseKind::kRoad);
  REQUIRE(h.Step() == Lines{"offer c-1 -> r-1"});
  const absl::Time first = h.clock.Now() + h.options.offer_timeout;
  h.clock.Advance(absl::Seconds(10));
  h.Open("c-2", CaseKind::kRoad);
  REQUIRE(h.Step() == Lines{"offer c-2 -> r-2"});
  CHECK(h.engine->NextDeadline() == first);
  REQUIRE(h.engine->Accept("r-1", "c-1").ok());
  CHECK(h.engine->NextDeadline() == first + absl::Seconds(10));
}

}  // namespace
}  // namespace mayday::dispatch
