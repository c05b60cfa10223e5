// Tests of mayday-sim's geodesic movement on WGS84.
#include "sim/geo.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <string>

namespace mayday::tools {
namespace {

TEST_CASE("Interpolate's midpoint halves the distance", "[geo]") {
  auto [from_lat, from_lon, to_lat, to_lon] = GENERATE(table<double, double, double, double>({
      {52.3702, 4.8952, 52.3680, 4.9036},      // Amsterdam, a few hundred m
      {52.3702, 4.8952, 48.8566, 2.3522},      // Amsterdam to Paris
      {-33.8688, 151.2093, 51.5074, -0.1278},  // Sydney to London
      {0.0, 0.0, 0.0, 90.0},                   // along the equator
      {89.0, 0.0, 89.0, 180.0},                // over the pole
  }));
  const LatLng from{from_lat, from_lon};
  const LatLng to{to_lat, to_lon};
  INFO("from " << from_lat << "," << from_lon << " to " << to_lat << "," << to_lon);
  const double total = DistanceMeters(from, to);
  const LatLng mid = Interpolate(from, to, 0.5);
  CHECK(DistanceMeters(from, mid) == Approx(total / 2).epsilon(1e-9).margin(1e-3));
  CHECK(DistanceMeters(mid, to) == Approx(total / 2).epsilon(1e-9).margin(1e-3));
  const LatLng quarter = Interpolate(from, to, 0.25);
  CHECK(DistanceMeters(from, quarter) == Approx(total / 4).epsilon(1e-9).margin(1e-3));
}

TEST_CASE("Interpolate crosses the antimeridian the short way", "[geo]") {
  const LatLng from{10.0, 179.5};
  const LatLng to{10.0, -179.5};
  const double total = DistanceMeters(from, to);
  CHECK(total == Approx(109'600).margin(1'000));  // ~1 degree at 10°N.

  for (double fraction : {0.1, 0.25, 0.5, 0.75, 0.9}) {
    INFO("fraction " << fraction);
    const LatLng point = Interpolate(from, to, fraction);
    CHECK(std::abs(point.longitude) >= 179.5);
    CHECK(std::abs(point.longitude) <= 180.0);
    CHECK(DistanceMeters(from, point) == Approx(total * fraction).epsilon(1e-9).margin(1e-3));
  }
  const LatLng mid = Interpolate(from, to, 0.5);
  CHECK(std::abs(mid.longitude) == Approx(180.0).margin(1e-6));
}

TEST_CASE("Interpolate clamps the fraction to the endpoints", "[geo]") {
  const LatLng from{52.0, 4.0};
  const LatLng to{52.1, 4.2};
  auto [fraction, expect_from] =
      GENERATE(table<double, bool>({{-1.0, true}, {0.0, true}, {1.0, false}, {2.5, false}}));
  INFO("fraction " << fraction);
  const LatLng point = Interpolate(from, to, fraction);
  const LatLng& expected = expect_from ? from : to;
  CHECK(point.latitude == expected.latitude);
  CHECK(point.longitude == expected.longitude);
}

TEST_CASE("RandomPointWithin stays in the disc and repeats by seed", "[geo]") {
  const LatLng center{52.37, 4.89};
  const double radius = 3000;
  std::mt19937_64 first(1);
  std::mt19937_64 second(1);
  double farthest = 0;
  for (int i = 0; i < 500; ++i) {
    const LatLng a = RandomPointWithin(center, radius, first);
    const LatLng b = RandomPointWithin(center, radius, second);
    CHECK(a.latitude == b.latitude);
    CHECK(a.longitude == b.longitude);
    const double distance = DistanceMeters(center, a);
    REQUIRE(distance <= radius + 1e-6);
    farthest = std::max(farthest, distance);
  }
  CHECK(farthest > radius * 0.9);  // The whole disc is used.

  std::mt19937_64 other(2);
  const LatLng c = RandomPointWithin(center, radius, other);
  std::mt19937_64 again(1);
  const LatLng d = RandomPointWithin(center, radius, again);
  CHECK((c.latitude != d.latitude || c.longitude != d.longitude));

  std::mt19937_64 zero(1);
  const LatLng same = RandomPointWithin(center, 0, zero);
  CHECK(DistanceMeters(center, same) == Approx(0).margin(1e-6));
}

TEST_CASE("ParseLatLng accepts LAT,LON and rejects the rest", "[geo]") {
  auto good = ParseLatLng(" 52.37 , 4.89 ");
  REQUIRE(good.ok());
  CHECK(good->latitude == 52.37);
  CHECK(good->longitude == 4.89);
  auto edge = ParseLatLng("-90,180");
  REQUIRE(edge.ok());

  auto [text, expected] = GENERATE(table<std::string, std::string>({
      {"", "bad position"},
      {"52.37", "bad position"},
      {"52.37,4.89,1", "bad position"},
      {"north,east", "bad position"},
      {"nan,4", "bad position"},
      {"inf,4", "bad position"},
      {"91,4", "out of range"},
      {"52,-180.5", "out of range"},
  }));
  INFO("text: \"" << text << "\"");
  auto bad = ParseLatLng(text);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.status().message()), Catch::Matchers::Contains(expected));
}

TEST_CASE("ToLocation and FromLocation round-trip", "[geo]") {
  const LatLng point{-33.8688, 151.2093};
  const LatLng back = FromLocation(ToLocation(point));
  CHECK(back.latitude == point.latitude);
  CHECK(back.longitude == point.longitude);
}

}  // namespace
}  // namespace mayday::tools
