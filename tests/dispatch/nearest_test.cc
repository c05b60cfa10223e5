// Ranking: the geodesic-nearest eligible responder on WGS84 (not a sphere),
// correct across the antimeridian; ties to the responder idle longest, then
// to the smaller id; ETA from the fastest capability that serves the case.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "dispatch_test_util.h"

namespace mayday::dispatch {
namespace {

using testing::Away;
using testing::Geodesic;
using testing::Harness;
using testing::kMunich;

// Great-circle distance on a sphere of the mean Earth radius: what a naive
// engine would use.
double Haversine(GeoPoint a, GeoPoint b) {
  constexpr double kEarthRadius = 6'371'008.8;
  constexpr double kRad = 3.14159265358979323846 / 180;
  const double dlat = (b.latitude_deg - a.latitude_deg) * kRad;
  const double dlon = (b.longitude_deg - a.longitude_deg) * kRad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.latitude_deg * kRad) * std::cos(b.latitude_deg * kRad) *
                       std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadius * std::asin(std::sqrt(h));
}

TEST_CASE("Nearest is measured on the WGS84 ellipsoid, not a sphere", "[dispatch][nearest]") {
  EngineOptions options;
  options.max_radius_meters = 200'000;
  Harness h(options);
  const GeoPoint incident{0, 0};
  // North of the equator a degree of latitude is shorter than a degree of
  // longitude on the ellipsoid; on a sphere they are equal.
  const GeoPoint north{1.005, 0};
  const GeoPoint east{0, 1};
  // The premise: sphere and ellipsoid disagree about who is nearer.
  REQUIRE(Haversine(east, incident) < Haversine(north, incident));
  REQUIRE(Geodesic(north, incident) < Geodesic(east, incident));

  // "r-a" (east) has the smaller id and came on duty first, so it would also
  // win any tie.
  h.OnDuty("r-a", {Capability::kAmbulance}, east);
  h.clock.Advance(absl::Seconds(1));
  h.OnDuty("r-b", {Capability::kAmbulance}, north);
  h.Open("c-1", CaseKind::kMedical, incident);
  const std::vector<Decision> decisions = h.engine->Step();
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].responder_id == "r-b");
  CHECK(decisions[0].distance_meters == Approx(Geodesic(north, incident)).epsilon(1e-12));
}

TEST_CASE("Nearest across the antimeridian", "[dispatch][nearest]") {
  EngineOptions options;
  options.max_radius_meters = 100'000;  // both responders in range
  Harness h(options);
  const GeoPoint incident{0, 179.99};
  h.OnDuty("r-west-of-line", {Capability::kTow}, {0, 179.5});    // ~54.5 km
  h.OnDuty("r-east-of-line", {Capability::kTow}, {0, -179.99});  // ~2.2 km
  h.Open("c-1", CaseKind::kRoad, incident);
  const std::vector<Decision> decisions = h.engine->Step();
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].responder_id == "r-east-of-line");
  // 0.02 degrees of longitude on the equator.
  CHECK(decisions[0].distance_meters == Approx(2'226.39).margin(0.01));
}

TEST_CASE("A case on the antimeridian reaches a responder on the other side",
          "[dispatch][nearest]") {
  Harness h;
  h.OnDuty("r-1", {Capability::kPatrol}, {-17.0, -179.95});
  h.Open("c-1", CaseKind::kRoad, {-17.0, 180.0});
  CHECK(h.Step() == std::vector<std::string>{"offer c-1 -> r-1"});
}

TEST_CASE("Equal distances go to the responder idle longest, then the smaller id",
          "[dispatch][nearest]") {
  // Seconds after the start at which each responder came on duty; all three
  // stand on the same spot.
  auto [a_on, b_on, c_on, winner] = GENERATE(table<int, int, int, std::string>({
      {0, 0, 0, "r-a"},
      {10, 0, 10, "r-b"},
      {10, 10, 0, "r-c"},
      {5, 0, 0, "r-b"},
      {0, 5, 5, "r-a"},
  }));
  CAPTURE(a_on, b_on, c_on);
  Harness h;
  const GeoPoint spot = Away(kMunich, 3'000);
  const absl::Time start = h.clock.Now();
  for (int t = 0; t <= 10; ++t) {
    h.clock.Set(start + absl::Seconds(t));
    if (t == a_on) h.OnDuty("r-a", {Capability::kAmbulance}, spot);
    if (t == b_on) h.OnDuty("r-b", {Capability::kAmbulance}, spot);
    if (t == c_on) h.OnDuty("r-c", {Capability::kAmbulance}, spot);
  }
  h.Open("c-1", CaseKind::kMedical);
  const std::vector<Decision> decisions = h.engine->Step();
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].responder_id == winner);
}

TEST_CASE("Idle since counts from when the responder last got free", "[dispatch][nearest]") {
  Harness h;
  const GeoPoint spot = Away(kMunich, 3'000);
  // r-a came on duty first, but then worked a case until after r-b came on.
  h.OnDuty("r-a", {Capability::kAmbulance}, spot);
  REQUIRE(h.engine->AddAssignedCase("c-0", CaseKind::kMedical, kMunich, h.clock.Now(), "r-a").ok());
  h.clock.Advance(absl::Seconds(10));
  h.OnDuty("r-b", {Capability::kAmbulance}, spot);
  h.clock.Advance(absl::Seconds(10));
  REQUIRE(h.engine->CloseCase("c-0") == std::nullopt);  // r-a free again, idle since now
  h.Open("c-1", CaseKind::kMedical);
  CHECK(h.Step() == std::vector<std::string>{"offer c-1 -> r-b"});
}

TEST_CASE("ETA uses the fastest capability that serves the case", "[dispatch][nearest]") {
  EngineOptions options;  // tow 11, patrol 14, mechanic 12, ambulance 15, paramedic 16
  auto [capabilities, kind, speed] =
      GENERATE_COPY(table<std::vector<Capability>, CaseKind, double>({
          {{Capability::kTow}, CaseKind::kRoad, options.tow_speed_mps},
          {{Capability::kMechanic, Capability::kTow}, CaseKind::kRoad, options.mechanic_speed_mps},
          {{Capability::kTow, Capability::kPatrol, Capability::kParamedic},
           CaseKind::kRoad,
           options.patrol_speed_mps},
          {{Capability::kAmbulance}, CaseKind::kMedical, options.ambulance_speed_mps},
          {{Capability::kAmbulance, Capability::kParamedic},
           CaseKind::kMedical,
           options.paramedic_speed_mps},
          // Patrol is faster than ambulance here, but patrol does not serve medical.
          {{Capability::kAmbulance, Capability::kPatrol},
           CaseKind::kMedical,
           options.ambulance_speed_mps},
      }));
  CAPTURE(capabilities.size(), static_cast<int>(kind), speed);
  Harness h(options);
  h.OnDuty("r-1", capabilities, Away(kMunich, 7'000));
  h.Open("c-1", kind);
  const std::vector<Decision> decisions = h.engine->Step();
  REQUIRE(decisions.size() == 1);
  CHECK(decisions[0].distance_meters == Approx(7'000).margin(1e-6));
  CHECK(absl::ToDoubleSeconds(decisions[0].eta) ==
        Approx(decisions[0].distance_meters / speed).epsilon(1e-9));
  CHECK(decisions[0].expire_time == h.clock.Now() + options.offer_timeout);
}

}  // namespace
}  // namespace mayday::dispatch
