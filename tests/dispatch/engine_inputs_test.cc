// Engine::Create and input validation: every bad input gets a clear status and
// changes nothing; views.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "dispatch_test_util.h"

namespace mayday::dispatch {
namespace {

using testing::Away;
using testing::Harness;
using testing::kMunich;

TEST_CASE("Create refuses out-of-range options", "[dispatch][inputs]") {
  struct Row {
    const char* option;
    std::function<void(EngineOptions&)> spoil;
  };
  const std::vector<Row> rows = {
      {"max_radius_meters", [](EngineOptions& o) { o.max_radius_meters = 0; }},
      {"max_radius_meters", [](EngineOptions& o) { o.max_radius_meters = std::nan(""); }},
      {"offer_timeout", [](EngineOptions& o) { o.offer_timeout = absl::ZeroDuration(); }},
      {"offer_timeout", [](EngineOptions& o) { o.offer_timeout = absl::InfiniteDuration(); }},
      {"max_position_age", [](EngineOptions& o) { o.max_position_age = -absl::Seconds(1); }},
      {"tow_speed_mps", [](EngineOptions& o) { o.tow_speed_mps = -1; }},
      {"patrol_speed_mps", [](EngineOptions& o) { o.patrol_speed_mps = 0; }},
      {"mechanic_speed_mps",
       [](EngineOptions& o) { o.mechanic_speed_mps = std::numeric_limits<double>::infinity(); }},
      {"ambulance_speed_mps", [](EngineOptions& o) { o.ambulance_speed_mps = 0; }},
      {"paramedic_speed_mps", [](EngineOptions& o) { o.paramedic_speed_mps = 0; }},
  };
  base::ManualClock clock;
  REQUIRE(Engine::Create(EngineOptions{}, &clock).ok());
  for (const Row& row : rows) {
    INFO("row: " << row.option);
    EngineOptions options;
    row.spoil(options);
    const auto engine = Engine::Create(options, &clock);
    CHECK(engine.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(engine.status().message()), Catch::Contains(row.option));
  }
  CHECK(Engine::Create(EngineOptions{}, nullptr).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Invalid points are refused everywhere", "[dispatch][inputs]") {
  const double nan = std::nan("");
  const double inf = std::numeric_limits<double>::infinity();
  auto [lat, lon] = GENERATE_COPY(table<double, double>({
      {90.000001, 0},
      {-90.5, 0},
      {0, 180.0001},
      {0, -181},
      {nan, 0},
      {0, nan},
      {inf, 0},
      {0, -inf},
  }));
  CAPTURE(lat, lon);
  Harness h;
  h.OnDuty("r-1", {Capability::kTow}, kMunich);
  h.Open("c-1", CaseKind::kRoad);
  const GeoPoint bad{lat, lon};
  CHECK(h.engine->UpdatePosition("r-1", bad, h.clock.Now()).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(h.engine->AddCase("c-2", CaseKind::kRoad, bad, h.clock.Now()).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(h.engine->AddAssignedCase("c-3", CaseKind::kRoad, bad, h.clock.Now(), "r-9").code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(h.engine->MoveCase("c-1", bad).code() == absl::StatusCode::kInvalidArgument);
  // Nothing changed: c-2 and c-3 do not exist, r-9 was not registered, r-1
  // keeps its position, c-1 is still where it was.
  CHECK(h.engine->MoveCase("c-2", kMunich).code() == absl::StatusCode::kNotFound);
  CHECK(h.engine->GetResponder("r-9") == std::nullopt);
  CHECK(h.engine->GetResponder("r-1")->position->latitude_deg == kMunich.latitude_deg);
  const std::vector<Decision> d = h.engine->Step();
  REQUIRE(d.size() == 1);
  CHECK(d[0].distance_meters == 0);
}

TEST_CASE("The poles and the antimeridian are valid points", "[dispatch][inputs]") {
  Harness h;
  REQUIRE(h.engine->SetDuty("r-1", true, {Capability::kTow}).ok());
  for (const GeoPoint p : {GeoPoint{90, 0}, GeoPoint{-90, 180}, GeoPoint{0, -180}}) {
    CHECK(h.engine->UpdatePosition("r-1", p, h.clock.Now()).ok());
  }
}

TEST_CASE("Responder and case inputs report clear errors", "[dispatch][inputs]") {
  Harness h;
  CHECK(h.engine->SetDuty("r-1", true, {}).code() == absl::StatusCode::kInvalidArgument);
  CHECK(h.engine->GetResponder("r-1") == std::nullopt);
  CHECK(h.engine->SetDuty("", true, {Capability::kTow}).code() ==
        absl::StatusCode::kInvalidArgument);
  const Capability stray = static_cast<Capability>(42);
  CHECK(h.engine->SetDuty("r-1", true, {stray}).code() == absl::StatusCode::kInvalidArgument);
  CHECK(h.engine->UpdatePosition("r-1", kMunich, h.clock.Now()).code() ==
        absl::StatusCode::kNotFound);
  REQUIRE(h.engine->SetDuty("r-1", false, {}).ok());  // registers, off duty
  CHECK(h.engine->UpdatePosition("r-1", kMunich, absl::InfiniteFuture()).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(h.engine->UpdatePosition("r-1", kMunich, h.clock.Now()).ok());

  h.Open("c-1", CaseKind::kRoad);
  CHECK(h.engine->AddCase("c-1", CaseKind::kMedical, kMunich, h.clock.Now()).code() ==
        absl::StatusCode::kAlreadyExists);
  CHECK(h.engine->AddCase("", CaseKind::kMedical, kMunich, h.clock.Now()).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(h.engine->AddCase("c-2", CaseKind::kMedical, kMunich, absl::InfinitePast()).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(h.engine->MoveCase("c-404", kMunich).code() == absl::StatusCode::kNotFound);
  CHECK(h.engine->CloseCase("c-404") == std::nullopt);
  h.engine->ResponderDisconnected("r-404");  // ignored
  h.engine->ResponderConnected("r-404");
  CHECK(h.engine->GetResponder("r-404") == std::nullopt);
}

TEST_CASE("An older position fix does not overwrite a newer one", "[dispatch][inputs]") {
  Harness h;
  const GeoPoint newer = Away(kMunich, 1'000);
  h.OnDuty("r-1", {Capability::kTow}, newer);
  REQUIRE(
      h.engine->UpdatePosition("r-1", Away(kMunich, 9'000), h.clock.Now() - absl::Seconds(5)).ok());
  const std::optional<ResponderView> view = h.engine->GetResponder("r-1");
  CHECK(view->position->longitude_deg == newer.longitude_deg);
  CHECK(view->position_time == h.clock.Now());
}

TEST_CASE("Responders() lists everyone by id with status", "[dispatch][inputs]") {
  Harness h;
  h.OnDuty("r-c", {Capability::kMechanic, Capability::kTow, Capability::kMechanic},
           Away(kMunich, 1'000));
  REQUIRE(h.engine->SetDuty("r-a", false, {Capability::kAmbulance}).ok());
  h.OnDuty("r-b", {Capability::kTow}, Away(kMunich, 40'000));
  REQUIRE(h.engine->AddAssignedCase("c-0", CaseKind::kRoad, kMunich, h.clock.Now(), "r-d").ok());
  h.Open("c-1", CaseKind::kRoad);
  REQUIRE(h.Step() == std::vector<std::string>{"offer c-1 -> r-c"});

  const std::vector<ResponderView> views = h.engine->Responders();
  REQUIRE(views.size() == 4);
  CHECK(views[0].id == "r-a");
  CHECK(views[0].status == ResponderView::Status::kOffDuty);
  CHECK_FALSE(views[0].position.has_value());
  CHECK(views[1].id == "r-b");
  CHECK(views[1].status == ResponderView::Status::kAvailable);
  CHECK(views[1].current_case.empty());
  CHECK(views[2].id == "r-c");
  CHECK(views[2].status == ResponderView::Status::kOffered);
  CHECK(views[2].current_case == "c-1");
  CHECK(views[2].capabilities == std::vector<Capability>{Capability::kTow, Capability::kMechanic});
  CHECK(views[3].id == "r-d");
  CHECK(views[3].status == ResponderView::Status::kBusy);
  CHECK(views[3].current_case == "c-0");
}

}  // namespace
}  // namespace mayday::dispatch
