// Why dispatch ranks crews by their distance to the fix's centre even when
// the fix is uncertain (docs/dispatch.md, "Uncertain and old fixes"): over a
// disc of uncertainty (the 68% radius, widened by the fix's age at walking
// pace), the expected distance from a crew to the member and the worst-case
// distance both grow with the crew's distance to the centre, so either rule
// picks the crew the centre rule picks. This test checks that claim
// numerically, row by row for the table in the docs, and over a sweep.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

namespace mayday::dispatch {
namespace {

// The mean distance from a point `centre_meters` from the disc's centre to a
// point uniformly spread over a disc of radius `radius` (planar: the discs
// are a few km at most), by a midpoint rule on a polar grid.
double ExpectedMeters(double centre_meters, double radius) {
  if (radius == 0) return centre_meters;
  constexpr int kRings = 200, kSpokes = 360;
  double sum = 0, weight = 0;
  for (int i = 0; i < kRings; ++i) {
    const double r = radius * (i + 0.5) / kRings;
    for (int j = 0; j < kSpokes; ++j) {
      const double t = 2 * M_PI * (j + 0.5) / kSpokes;
      sum += std::hypot(centre_meters - r * std::cos(t), r * std::sin(t)) * r;
      weight += r;
    }
  }
  return sum / weight;
}

// The disc a fix stands for: its 68% radius, widened by its age at walking
// pace (a member on foot may have moved that far).
double DiscMeters(double accuracy, double age_seconds) { return accuracy + 1.4 * age_seconds; }

TEST_CASE("Over an uncertain fix the expected and worst-case rules pick the centre rule's crew",
          "[dispatch][uncertainty]") {
  struct Row {
    double accuracy, age_seconds;
    double a_meters, b_meters;      // crews A and B from the fix's centre
    double expected_a, expected_b;  // the docs' figures, metres
  };
  const std::vector<Row> rows = {
      {0, 0, 300, 900, 300, 900},          // a certain fix: the distances themselves
      {800, 0, 300, 900, 589, 992},        // A inside the disc, B outside
      {800, 0, 0, 600, 533, 750},          // A at the very centre
      {800, 0, 2000, 2400, 2040, 2433},    // both well outside
      {3000, 0, 100, 2900, 2002, 3311},    // a cell-tower fix
      {800, 120, 1500, 1700, 1580, 1770},  // 2 min old: the disc is 968 m
  };
  for (const Row& row : rows) {
    INFO("accuracy " << row.accuracy << " m, age " << row.age_seconds << " s, A " << row.a_meters
                     << " m, B " << row.b_meters << " m");
    const double disc = DiscMeters(row.accuracy, row.age_seconds);
    const double ea = ExpectedMeters(row.a_meters, disc);
    const double eb = ExpectedMeters(row.b_meters, disc);
    CHECK(ea == Approx(row.expected_a).margin(1));
    CHECK(eb == Approx(row.expected_b).margin(1));
    CHECK(ea < eb);                                    // expected distance: A
    CHECK(row.a_meters + disc < row.b_meters + disc);  // worst case: A
  }
}

TEST_CASE("The expected distance over a disc grows with the distance to its centre",
          "[dispatch][uncertainty]") {
  for (double radius : {50.0, 800.0, 3000.0}) {
    double before = -1;
    for (double d = 0; d <= 2 * radius + 1000; d += radius / 20) {
      const double expected = ExpectedMeters(d, radius);
      INFO("radius " << radius << " m, centre " << d << " m");
      CHECK(expected > before);
      CHECK(expected >= d);  // never below the centre distance (convexity)
      before = expected;
    }
  }
}

}  // namespace
}  // namespace mayday::dispatch
