// The spatial index (dispatch/src/geo_grid.h) against brute force: the exact
// WGS84 geodesic nearest, found through chord bounds, equals a scan of every
// point, everywhere on Earth (across the antimeridian, at the poles, with
// identical positions), after moves and removals; and an engine with
// thousands of responders (so the index walks rings of cells) offers what a
// brute-force scan says.
#include "geo_grid.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "dispatch_test_util.h"

namespace mayday::dispatch {
namespace {

using testing::Geodesic;

struct Place {
  const char* name;
  double lat_lo, lat_hi, lon_lo, lon_span;  // longitudes wrap at 180
};

const Place kPlaces[] = {
    {"Munich", 47.5, 48.5, 11.0, 1.5},
    {"antimeridian", -17.5, -16.5, 179.2, 1.6},
    {"equator at the antimeridian", -0.5, 0.5, 179.5, 1.0},
    {"north pole", 89.4, 90.0, -180, 360},
    {"south pole", -90.0, -89.4, -180, 360},
};

GeoPoint RandomIn(const Place& p, std::mt19937& rng) {
  std::uniform_real_distribution<double> lat(p.lat_lo, p.lat_hi);
  std::uniform_real_distribution<double> lon(0, p.lon_span);
  double l = p.lon_lo + lon(rng);
  if (l > 180) l -= 360;
  return {lat(rng), l};
}

// The nearest point by (geodesic, index) within `radius` through the grid;
// counts geodesic evaluations in *inverse_calls.
std::optional<std::pair<double, uint32_t>> GridNearest(const GeoGrid& grid,
                                                       const std::vector<GeoPoint>& points,
                                                       GeoPoint q, double radius,
                                                       int* inverse_calls) {
  std::optional<std::pair<double, uint32_t>> best;
  grid.Search(
      ToEcef(q), [&] { return best.has_value() ? best->first : radius; },
      [&](uint32_t handle, double chord) {
        ++*inverse_calls;
        const double d = Geodesic(points[handle], q);
        REQUIRE(chord <= d + 1e-6);  // the chord is a lower bound
        if (d > radius) return;
        const std::pair<double, uint32_t> key{d, handle};
        if (!best.has_value() || key < *best) best = key;
      });
  return best;
}

std::optional<std::pair<double, uint32_t>> ScanNearest(const std::vector<GeoPoint>& points,
                                                       const std::vector<bool>& present, GeoPoint q,
                                                       double radius) {
  std::optional<std::pair<double, uint32_t>> best;
  for (uint32_t i = 0; i < points.size(); ++i) {
    if (!present[i]) continue;
    const double d = Geodesic(points[i], q);
    if (d > radius) continue;
    const std::pair<double, uint32_t> key{d, i};
    if (!best.has_value() || key < *best) best = key;
  }
  return best;
}

TEST_CASE("The grid finds the exact geodesic nearest everywhere", "[dispatch][index]") {
  for (const Place& place : kPlaces) {
    for (double cell : {400.0, 5'000.0}) {
      INFO("place " << place.name << ", cell " << cell << " m");
      std::mt19937 rng(42);
      GeoGrid grid(cell);
      std::vector<GeoPoint> points;
      std::vector<bool> present;
      for (int i = 0; i < 3'000; ++i) {
        // Every tenth point repeats an earlier one exactly.
        const GeoPoint p = (i % 10 == 9) ? points[rng() % points.size()] : RandomIn(place, rng);
        points.push_back(p);
        present.push_back(true);
        grid.Upsert(static_cast<uint32_t>(i), ToEcef(p));
      }
      for (int round = 0; round < 3; ++round) {
        INFO("round " << round);
        int inverse_calls = 0;
        for (int q = 0; q < 150; ++q) {
          const GeoPoint at = (q % 7 == 0) ? points[rng() % points.size()] : RandomIn(place, rng);
          const double radius = (q % 3 == 0) ? 2'000 : 60'000;
          INFO("query " << at.latitude_deg << ", " << at.longitude_deg << " radius " << radius);
          const auto want = ScanNearest(points, present, at, radius);
          const auto got = GridNearest(grid, points, at, radius, &inverse_calls);
          REQUIRE(got == want);
        }
        // Few exact geodesics per query: the chord bound prunes the rest.
        CHECK(inverse_calls < 150 * 60);
        // Move a third of the points, remove a tenth, bring some back.
        for (uint32_t i = 0; i < points.size(); ++i) {
          const int what = static_cast<int>(rng() % 30);
          if (what < 10) {
            points[i] = RandomIn(place, rng);
            if (present[i]) grid.Upsert(i, ToEcef(points[i]));
          } else if (what < 13) {
            grid.Erase(i);
            present[i] = false;
          } else if (what < 15 && !present[i]) {
            grid.Upsert(i, ToEcef(points[i]));
            present[i] = true;
          }
        }
        size_t count = 0;
        for (bool b : present) count += b ? 1 : 0;
        REQUIRE(grid.size() == count);
      }
    }
  }
}

TEST_CASE("The grid visits nothing beyond a shrinking bound", "[dispatch][index]") {
  GeoGrid grid(1'000);
  // Two points: one 500 m east of the query, one 20 km east.
  const GeoPoint q{45, 5};
  const GeoPoint near = testing::Away(q, 500);
  const GeoPoint far = testing::Away(q, 20'000);
  grid.Upsert(0, ToEcef(near));
  grid.Upsert(1, ToEcef(far));
  for (uint32_t i = 2; i < 2'000; ++i) {  // enough cells to walk rings
    grid.Upsert(i, ToEcef(GeoPoint{40 + (i % 40) * 0.1, 20 + (i / 40) * 0.1}));
  }
  std::vector<uint32_t> visited;
  grid.Search(
      ToEcef(q), [] { return 1'000.0; },
      [&](uint32_t handle, double) { visited.push_back(handle); });
  CHECK(visited == std::vector<uint32_t>{0});
}

// Brute force over what the test put in: the responder an engine must offer.
struct Fleet {
  std::map<std::string, GeoPoint> where;
  std::map<std::string, absl::Time> idle_since;
  std::optional<std::string> Nearest(GeoPoint at, double radius) const {
    std::optional<std::tuple<double, absl::Time, std::string>> best;
    for (const auto& [id, p] : where) {
      const double d = Geodesic(p, at);
      if (d > radius) continue;
      const std::tuple<double, absl::Time, std::string> key{d, idle_since.at(id), id};
      if (!best.has_value() || key < *best) best = key;
    }
    if (!best.has_value()) return std::nullopt;
    return std::get<2>(*best);
  }
};

TEST_CASE("An engine with thousands of responders offers the brute-force nearest",
          "[dispatch][index]") {
  for (const Place& place : kPlaces) {
    INFO("place " << place.name);
    EngineOptions options;  // 50 km radius, 5 km cells
    testing::Harness h(options);
    std::mt19937 rng(7);
    Fleet fleet;
    for (int i = 0; i < 3'000; ++i) {
      const std::string id = absl::StrCat("r-", i);
      const GeoPoint p = (i % 20 == 19) ? fleet.where.begin()->second : RandomIn(place, rng);
      h.OnDuty(id, {Capability::kAmbulance}, p);
      fleet.where[id] = p;
      fleet.idle_since[id] = h.clock.Now();
      if (i % 500 == 0) h.clock.Advance(absl::Seconds(1));  // some idle longer
    }
    for (int c = 0; c < 200; ++c) {
      const GeoPoint at = RandomIn(place, rng);
      const std::string case_id = absl::StrCat("c-", c);
      h.Open(case_id, CaseKind::kMedical, at);
      const std::optional<std::string> want = fleet.Nearest(at, options.max_radius_meters);
      const std::vector<Decision> decisions = h.engine->Step();
      REQUIRE(decisions.size() == 1);
      INFO("case at " << at.latitude_deg << ", " << at.longitude_deg);
      if (!want.has_value()) {
        CHECK(decisions[0].type == Decision::Type::kEscalate);
      } else {
        REQUIRE(decisions[0].type == Decision::Type::kOffer);
        CHECK(decisions[0].responder_id == *want);
        CHECK(decisions[0].distance_meters == Geodesic(fleet.where.at(*want), at));
        // The responder moves a little and is free again, idle since now.
        h.clock.Advance(absl::Milliseconds(100));
        REQUIRE(h.engine->CloseCase(case_id) == want);
        const GeoPoint moved = RandomIn(place, rng);
        REQUIRE(h.engine->UpdatePosition(*want, moved, h.clock.Now()).ok());
        fleet.where[*want] = moved;
        fleet.idle_since[*want] = h.clock.Now();
      }
      h.engine->CloseCase(case_id);
    }
  }
}

}  // namespace
}  // namespace mayday::dispatch
