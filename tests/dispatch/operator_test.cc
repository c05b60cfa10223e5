// Care agents stepping in: Hold (the engine stops matching a case), Release
// (matching resumes), AssignManually (operator override), and AddCase with
// the responders already tried (a restarted server).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "dispatch_test_util.h"

namespace mayday::dispatch {
namespace {

using testing::Away;
using testing::Harness;
using testing::kMunich;
using V = std::vector<std::string>;

TEST_CASE("Hold stops matching a waiting case, Release resumes it", "[dispatch][operator]") {
  Harness h;
  h.Open("c-1", CaseKind::kMedical);
  REQUIRE(h.engine->Hold("c-1").ok());
  REQUIRE(h.engine->Hold("c-1").ok());  // idempotent
  h.OnDuty("r-1", {Capability::kAmbulance}, Away(kMunich, 1'000));
  CHECK(h.Step().empty());  // neither offered nor escalated
  CHECK(h.engine->GetResponder("r-1")->status == ResponderView::Status::kAvailable);
  REQUIRE(h.engine->Release("c-1").ok());
  CHECK(h.Step() == V{"offer c-1 -> r-1"});
}

TEST_CASE("Hold withdraws a pending offer, Release skips who declined, not who was withdrawn",
          "[dispatch][operator]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kAmbulance}, Away(kMunich, 1'000));
  h.OnDuty("r-2", {Capability::kAmbulance}, Away(kMunich, 2'000));
  h.Open("c-1", CaseKind::kMedical);
  CHECK(h.Step() == V{"offer c-1 -> r-1"});
  REQUIRE(h.engine->Hold("c-1").ok());
  CHECK(h.engine->Accept("r-1", "c-1").status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(h.Step() == V{"ended c-1 r-1 withdrawn"});
  CHECK(h.engine->GetResponder("r-1")->status == ResponderView::Status::kAvailable);
  // r-1 never said no: released, the case goes to the nearest again.
  REQUIRE(h.engine->Release("c-1").ok());
  CHECK(h.Step() == V{"offer c-1 -> r-1"});
  REQUIRE(h.engine->Decline("r-1", "c-1").ok());
  CHECK(h.Step() == V{"ended c-1 r-1 declined", "offer c-1 -> r-2"});
  // Held and released again: r-2 again (withdrawn), never r-1 (declined).
  REQUIRE(h.engine->Hold("c-1").ok());
  CHECK(h.Step() == V{"ended c-1 r-2 withdrawn"});
  REQUIRE(h.engine->Release("c-1").ok());
  CHECK(h.Step() == V{"offer c-1 -> r-2"});
  // With nobody left: escalated, not silently idle.
  REQUIRE(h.engine->Decline("r-2", "c-1").ok());
  CHECK(h.Step() == V{"ended c-1 r-2 declined", "escalate c-1"});
}

TEST_CASE("A held escalated case is not redispatched", "[dispatch][operator]") {
  Harness h;
  h.Open("c-1", CaseKind::kRoad);
  CHECK(h.Step() == V{"escalate c-1"});
  REQUIRE(h.engine->Hold("c-1").ok());
  h.OnDuty("r-1", {Capability::kTow}, Away(kMunich, 1'000));
  CHECK(h.Step().empty());
  REQUIRE(h.engine->Release("c-1").ok());
  CHECK(h.Step() == V{"offer c-1 -> r-1"});  // waiting again: a plain offer
}

TEST_CASE("Hold and Release errors", "[dispatch][operator]") {
  Harness h;
  CHECK(h.engine->Hold("nope").code() == absl::StatusCode::kNotFound);
  CHECK(h.engine->Release("nope").code() == absl::StatusCode::kNotFound);
  h.OnDuty("r-1", {Capability::kTow}, Away(kMunich, 1'000));
  h.Open("c-1", CaseKind::kRoad);
  CHECK(h.engine->Release("c-1").code() == absl::StatusCode::kFailedPrecondition);
  CHECK(h.Step() == V{"offer c-1 -> r-1"});
  REQUIRE(h.engine->Accept("r-1", "c-1").ok());
  CHECK(h.engine->Hold("c-1").code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("AssignManually overrides distance, radius and the pending offer",
          "[dispatch][operator]") {
  Harness h;
  h.OnDuty("r-near", {Capability::kAmbulance}, Away(kMunich, 1'000));
  // Far beyond the 50 km radius, and a tow truck: the operator knows better.
  h.OnDuty("r-far", {Capability::kTow}, Away(kMunich, 80'000));
  h.Open("c-1", CaseKind::kMedical);
  CHECK(h.Step() == V{"offer c-1 -> r-near"});
  const absl::StatusOr<Assignment> a = h.engine->AssignManually("c-1", "r-far");
  REQUIRE(a.ok());
  CHECK(a->responder_id == "r-far");
  CHECK(a->distance_meters == Approx(80'000).margin(1e-6));
  CHECK(a->eta == absl::InfiniteDuration());  // no capability serving medical
  CHECK(h.engine->GetResponder("r-far")->status == ResponderView::Status::kBusy);
  CHECK(h.Step() == V{"ended c-1 r-near withdrawn"});
  CHECK(h.engine->GetResponder("r-near")->status == ResponderView::Status::kAvailable);
  CHECK(h.engine->AssignManually("c-1", "r-near").status().code() ==
        absl::StatusCode::kFailedPrecondition);  // already assigned
  REQUIRE(h.engine->CloseCase("c-1") == std::nullopt);
  CHECK(h.engine->GetResponder("r-far")->status == ResponderView::Status::kAvailable);
}

TEST_CASE("AssignManually turns the chosen responder's own offer into the case",
          "[dispatch][operator]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kPatrol}, Away(kMunich, 3'000));
  h.Open("c-1", CaseKind::kRoad);
  CHECK(h.Step() == V{"offer c-1 -> r-1"});
  const absl::StatusOr<Assignment> a = h.engine->AssignManually("c-1", "r-1");
  REQUIRE(a.ok());
  CHECK(a->distance_meters == Approx(3'000).margin(1e-6));
  CHECK(a->eta == absl::Seconds(3'000 / h.options.patrol_speed_mps));
  CHECK(h.Step().empty());  // no kOfferEnded: the offer became the assignment
  CHECK(h.engine->GetResponder("r-1")->current_case == "c-1");
}

TEST_CASE("AssignManually refuses what cannot be", "[dispatch][operator]") {
  Harness h;
  h.OnDuty("r-busy", {Capability::kTow}, Away(kMunich, 1'000));
  h.OnDuty("r-offered", {Capability::kTow}, Away(kMunich, 2'000));
  h.Open("c-1", CaseKind::kRoad);
  h.Open("c-2", CaseKind::kRoad, Away(kMunich, 1'500));
  h.Step();
  REQUIRE(h.engine->Accept("r-busy", "c-1").ok());
  REQUIRE(h.engine->SetDuty("r-off", false, {}).ok());
  h.Open("c-3", CaseKind::kRoad);
  struct Row {
    const char* case_id;
    const char* responder;
    absl::StatusCode want;
  };
  for (const Row& row : {
           Row{"nope", "r-offered", absl::StatusCode::kNotFound},
           Row{"c-3", "r-nobody", absl::StatusCode::kFailedPrecondition},
           Row{"c-3", "r-off", absl::StatusCode::kFailedPrecondition},
           Row{"c-3", "r-busy", absl::StatusCode::kFailedPrecondition},
           Row{"c-3", "r-offered", absl::StatusCode::kFailedPrecondition},  // holds c-2
           Row{"c-1", "r-offered", absl::StatusCode::kFailedPrecondition},  // c-1 assigned
       }) {
    INFO(row.case_id << " -> " << row.responder);
    CHECK(h.engine->AssignManually(row.case_id, row.responder).status().code() == row.want);
  }
  // Nothing changed.
  CHECK(h.engine->GetResponder("r-offered")->current_case == "c-2");
  CHECK(h.engine->GetResponder("r-busy")->current_case == "c-1");
}

TEST_CASE("AddCase with responders already tried never offers it to them again",
          "[dispatch][operator]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kAmbulance}, Away(kMunich, 1'000));
  h.OnDuty("r-2", {Capability::kAmbulance}, Away(kMunich, 5'000));
  const std::vector<ResponderId> tried = {"r-1", "r-unknown"};
  REQUIRE(h.engine->AddCase("c-1", CaseKind::kMedical, kMunich, h.clock.Now(), tried).ok());
  CHECK(h.engine->AddCase("c-1", CaseKind::kMedical, kMunich, h.clock.Now(), tried).code() ==
        absl::StatusCode::kAlreadyExists);
  CHECK(h.Step() == V{"offer c-1 -> r-2"});
  REQUIRE(h.engine->Decline("r-2", "c-1").ok());
  const std::vector<Decision> d = h.engine->Step();
  REQUIRE(d.size() == 2);
  CHECK(d[1].type == Decision::Type::kEscalate);
  CHECK(d[1].reason.find("all 3 candidates") != std::string::npos);
}

}  // namespace
}  // namespace mayday::dispatch
