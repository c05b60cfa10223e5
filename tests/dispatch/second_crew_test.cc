// A second crew for a case whose first crew stalled (Engine::SeekSecond):
// offered as any case is, never escalated, behind every case with no crew,
// and both crews hold the case until an operator keeps one.
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dispatch_test_util.h"

namespace mayday::dispatch {
namespace {

using testing::Away;
using testing::Harness;
using testing::kMunich;
using Lines = std::vector<std::string>;
using Status = ResponderView::Status;

// r-1 (1 km) has c-1 assigned; r-2 (3 km) and r-3 (5 km) are free.
struct Assigned : Harness {
  Assigned() {
    OnDuty("r-1", {Capability::kAmbulance}, Away(kMunich, 1'000, 0));
    OnDuty("r-2", {Capability::kAmbulance}, Away(kMunich, 3'000, 90));
    OnDuty("r-3", {Capability::kAmbulance}, Away(kMunich, 5'000, 180));
    Open("c-1", CaseKind::kMedical);
    REQUIRE(Step() == Lines{"offer c-1 -> r-1"});
    REQUIRE(engine->Accept("r-1", "c-1").ok());
  }
  Status StatusOf(const ResponderId& id) { return engine->GetResponder(id)->status; }
};

TEST_CASE("A second crew is offered the nearest free responder and both hold the case",
          "[dispatch][second]") {
  Assigned h;
  REQUIRE(h.engine->SeekSecond("c-1").ok());
  REQUIRE(h.Step() == Lines{"offer c-1 -> r-2 (second)"});
  CHECK(h.StatusOf("r-1") == Status::kBusy);
  CHECK(h.StatusOf("r-2") == Status::kOffered);
  auto second = h.engine->Accept("r-2", "c-1");
  REQUIRE(second.ok());
  CHECK(second->second);
  CHECK(second->distance_meters == Approx(3'000).margin(0.01));
  CHECK(h.StatusOf("r-1") == Status::kBusy);
  CHECK(h.StatusOf("r-2") == Status::kBusy);
  CHECK(h.engine->GetResponder("r-2")->current_case == "c-1");
  CHECK(h.Step().empty());
  // Neither crew may leave while it holds the case.
  CHECK(absl::IsFailedPrecondition(h.engine->SetDuty("r-2", false, {Capability::kAmbulance})));
  // Only one search at a time.
  CHECK(absl::IsFailedPrecondition(h.engine->SeekSecond("c-1")));
}

TEST_CASE("An operator keeps either crew and the other is free again", "[dispatch][second]") {
  for (const char* kept : {"r-1", "r-2"}) {
    INFO("kept: " << kept);
    Assigned h;
    REQUIRE(h.engine->SeekSecond("c-1").ok());
    REQUIRE(h.Step() == Lines{"offer c-1 -> r-2 (second)"});
    REQUIRE(h.engine->Accept("r-2", "c-1").ok());
    // A responder not on the case is refused and nothing changes.
    CHECK(absl::IsFailedPrecondition(h.engine->KeepResponder("c-1", "r-3").status()));
    auto released = h.engine->KeepResponder("c-1", kept);
    REQUIRE(released.ok());
    const std::string other = std::string(kept) == "r-1" ? "r-2" : "r-1";
    CHECK(*released == std::optional<ResponderId>(other));
    CHECK(h.StatusOf(kept) == Status::kBusy);
    CHECK(h.StatusOf(other) == Status::kAvailable);
    CHECK(h.engine->GetResponder(other)->current_case.empty());
    // One crew again: the kept one may not be "kept" twice, the freed one
    // may take other cases, and closing the case frees the kept one.
    CHECK(absl::IsFailedPrecondition(h.engine->KeepResponder("c-1", kept).status()));
    h.Open("c-2", CaseKind::kMedical, Away(kMunich, 100, 0));
    const Lines offered = h.Step();
    REQUIRE(offered.size() == 1);
    CHECK(offered[0] == "offer c-2 -> " + other);
    CHECK(!h.engine->CloseCase("c-1").has_value());
    CHECK(h.StatusOf(kept) == Status::kAvailable);
  }
}

TEST_CASE("A second crew's offer lapses or is declined, and the search goes on",
          "[dispatch][second]") {
  Assigned h;
  REQUIRE(h.engine->SeekSecond("c-1").ok());
  REQUIRE(h.Step() == Lines{"offer c-1 -> r-2 (second)"});
  REQUIRE(h.engine->NextDeadline() == h.clock.Now() + h.options.offer_timeout);
  h.clock.Advance(h.options.offer_timeout);
  CHECK(h.Step() == Lines{"ended c-1 r-2 expired (second)", "offer c-1 -> r-3 (second)"});
  CHECK(absl::IsFailedPrecondition(h.engine->Accept("r-2", "c-1").status()));
  REQUIRE(h.engine->Decline("r-3", "c-1").ok());
  // Nobody left: no escalation (the case has its crew), no decision.
  CHECK(h.Step() == Lines{"ended c-1 r-3 declined (second)"});
  CHECK(h.StatusOf("r-1") == Status::kBusy);
  // A responder coming on duty later is offered it.
  h.OnDuty("r-4", {Capability::kParamedic}, Away(kMunich, 9'000, 270));
  CHECK(h.Step() == Lines{"offer c-1 -> r-4 (second)"});
}

TEST_CASE("A search with nobody eligible waits for a responder to turn up or move near",
          "[dispatch][second]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kTow}, Away(kMunich, 1'000, 0));
  h.OnDuty("far", {Capability::kTow}, Away(kMunich, 80'000, 90));
  h.Open("c-1", CaseKind::kRoad);
  REQUIRE(h.Step() == Lines{"offer c-1 -> r-1"});
  REQUIRE(h.engine->Accept("r-1", "c-1").ok());
  REQUIRE(h.engine->SeekSecond("c-1").ok());
  CHECK(h.Step().empty());
  CHECK(h.Step().empty());
  // The far crew drives into range.
  REQUIRE(h.engine->UpdatePosition("far", Away(kMunich, 40'000, 90), h.clock.Now()).ok());
  CHECK(h.Step() == Lines{"offer c-1 -> far (second)"});
}

TEST_CASE("A second crew never takes the responder a case with no crew could have",
          "[dispatch][second]") {
  // One free ambulance, r-2; c-1 (assigned to r-1) seeks a second crew and
  // c-2, newer, has no crew at all: c-2 gets r-2 although c-1 is older, and
  // c-1's search waits.
  Assigned h;
  REQUIRE(h.engine->SetDuty("r-3", false, {}).ok());
  REQUIRE(h.engine->SeekSecond("c-1").ok());
  h.clock.Advance(absl::Seconds(1));
  h.Open("c-2", CaseKind::kMedical, Away(kMunich, 3'100, 90));
  CHECK(h.Step() == Lines{"offer c-2 -> r-2"});
  // Once c-2 has its crew and r-3 is back, c-1's search gets r-3.
  REQUIRE(h.engine->Accept("r-2", "c-2").ok());
  h.OnDuty("r-3", {Capability::kAmbulance}, Away(kMunich, 5'000, 180));
  CHECK(h.Step() == Lines{"offer c-1 -> r-3 (second)"});
}

TEST_CASE("Keeping the one crew ends the search and withdraws its offer", "[dispatch][second]") {
  Assigned h;
  REQUIRE(h.engine->SeekSecond("c-1").ok());
  // Before any offer: the search simply ends.
  auto none = h.engine->KeepResponder("c-1", "r-1");
  REQUIRE(none.ok());
  CHECK(!none->has_value());
  CHECK(h.Step().empty());
  // With an offer out: it is withdrawn, and r-2 may be asked again later.
  REQUIRE(h.engine->SeekSecond("c-1").ok());
  REQUIRE(h.Step() == Lines{"offer c-1 -> r-2 (second)"});
  REQUIRE(h.engine->KeepResponder("c-1", "r-1").ok());
  CHECK(h.StatusOf("r-2") == Status::kAvailable);
  CHECK(h.Step() == Lines{"ended c-1 r-2 withdrawn (second)"});
  REQUIRE(h.engine->SeekSecond("c-1").ok());
  CHECK(h.Step() == Lines{"offer c-1 -> r-2 (second)"});
  // The offered crew cannot be kept: it has not accepted.
  CHECK(absl::IsFailedPrecondition(h.engine->KeepResponder("c-1", "r-2").status()));
}

TEST_CASE("Closing a case frees both crews or the second crew's offer", "[dispatch][second]") {
  SECTION("offered") {
    Assigned h;
    REQUIRE(h.engine->SeekSecond("c-1").ok());
    REQUIRE(h.Step() == Lines{"offer c-1 -> r-2 (second)"});
    CHECK(h.engine->CloseCase("c-1") == std::optional<ResponderId>("r-2"));
    CHECK(h.StatusOf("r-1") == Status::kAvailable);
    CHECK(h.StatusOf("r-2") == Status::kAvailable);
    CHECK(h.engine->NextDeadline() == std::nullopt);
    CHECK(h.Step().empty());
  }
  SECTION("assigned") {
    Assigned h;
    REQUIRE(h.engine->SeekSecond("c-1").ok());
    REQUIRE(h.Step() == Lines{"offer c-1 -> r-2 (second)"});
    REQUIRE(h.engine->Accept("r-2", "c-1").ok());
    CHECK(!h.engine->CloseCase("c-1").has_value());
    CHECK(h.StatusOf("r-1") == Status::kAvailable);
    CHECK(h.StatusOf("r-2") == Status::kAvailable);
  }
  SECTION("sought, with nobody eligible") {
    Assigned h;
    REQUIRE(h.engine->SetDuty("r-2", false, {}).ok());
    REQUIRE(h.engine->SetDuty("r-3", false, {}).ok());
    REQUIRE(h.engine->SeekSecond("c-1").ok());
    CHECK(h.Step().empty());
    h.engine->CloseCase("c-1");
    // A responder turning up finds nothing to do.
    h.OnDuty("r-2", {Capability::kAmbulance}, Away(kMunich, 3'000, 90));
    CHECK(h.Step().empty());
  }
}

TEST_CASE("A second crew's offer ends when its holder leaves", "[dispatch][second]") {
  Assigned h;
  REQUIRE(h.engine->SeekSecond("c-1").ok());
  REQUIRE(h.Step() == Lines{"offer c-1 -> r-2 (second)"});
  h.engine->ResponderDisconnected("r-2");
  CHECK(h.Step() == Lines{"ended c-1 r-2 unavailable (second)", "offer c-1 -> r-3 (second)"});
  REQUIRE(h.engine->SetDuty("r-3", false, {}).ok());
  CHECK(h.Step() == Lines{"ended c-1 r-3 unavailable (second)"});
}

TEST_CASE("Second crews are refused on cases that cannot have one", "[dispatch][second]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kTow}, kMunich);
  CHECK(absl::IsNotFound(h.engine->SeekSecond("nope")));
  CHECK(absl::IsNotFound(h.engine->KeepResponder("nope", "r-1").status()));
  h.Open("c-1", CaseKind::kRoad);
  CHECK(absl::IsFailedPrecondition(h.engine->SeekSecond("c-1")));  // waiting
  REQUIRE(h.Step() == Lines{"offer c-1 -> r-1"});
  CHECK(absl::IsFailedPrecondition(h.engine->SeekSecond("c-1")));  // offered
  CHECK(absl::IsFailedPrecondition(h.engine->KeepResponder("c-1", "r-1").status()));
}

TEST_CASE("A restarted engine takes a case's second crew back", "[dispatch][second]") {
  Harness h;
  REQUIRE(h.engine->AddAssignedCase("c-1", CaseKind::kRoad, kMunich, h.clock.Now(), "r-1").ok());
  REQUIRE(h.engine->SetDuty("r-2", true, {Capability::kTow}).ok());
  REQUIRE(h.engine->AddSecondAssigned("c-1", "r-2").ok());
  CHECK(h.engine->GetResponder("r-2")->status == Status::kBusy);
  CHECK(absl::IsFailedPrecondition(h.engine->AddSecondAssigned("c-1", "r-3")));
  REQUIRE(h.engine->AddAssignedCase("c-2", CaseKind::kRoad, kMunich, h.clock.Now(), "r-4").ok());
  CHECK(absl::IsFailedPrecondition(h.engine->AddSecondAssigned("c-2", "r-2")));  // busy
  CHECK(absl::IsInvalidArgument(h.engine->AddSecondAssigned("c-2", "")));
  auto released = h.engine->KeepResponder("c-1", "r-2");
  REQUIRE(released.ok());
  CHECK(*released == std::optional<ResponderId>("r-1"));
}

}  // namespace
}  // namespace mayday::dispatch
