// PositionCoalescer on its own, under an injected clock: which reports are
// urgent, that the latest held one is never lost, the bound on how long one
// is held, and that an unknown responder's reports are refused.
#include "responders/position_coalescer.h"

#include <catch2/catch.hpp>
#include <string>

#include "mayday/base/clock.h"

namespace mayday::testing {
namespace {

using server::PositionCoalescer;
using Route = PositionCoalescer::Route;

mayday::v1::Location At(double latitude, double longitude) {
  mayday::v1::Location l;
  l.set_latitude(latitude);
  l.set_longitude(longitude);
  return l;
}

// 0.001 degree of latitude is about 111 m.
constexpr double kLat = 52.0, kLon = 5.0;

TEST_CASE("First reports and jumps are urgent, the rest are held") {
  base::ManualClock clock;
  PositionCoalescer coalescer;
  const absl::Time t0 = clock.Now();
  coalescer.Registered("r");
  coalescer.Registered("s");
  struct Row {
    const char* what;
    double dlat;  // from the applied position, degrees
    Route route;
  };
  // First report: urgent, and due at once; then applied.
  REQUIRE(coalescer.Offer("r", At(kLat, kLon), t0, t0).route == Route::kUrgent);
  REQUIRE(coalescer.NextDue() == t0);
  REQUIRE(coalescer.TakeHeld().size() == 1);
  coalescer.Applied("r", At(kLat, kLon), t0, "");
  const Row rows[] = {
      {"same place", 0, Route::kHeld},      {"100 m away", 0.0009, Route::kHeld},
      {"400 m away", 0.0036, Route::kHeld}, {"600 m away: a jump", 0.0054, Route::kUrgent},
      {"5 km away", 0.045, Route::kUrgent},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    CHECK(coalescer.Offer("r", At(kLat + row.dlat, kLon), t0, t0).route == row.route);
  }
  // Whatever was urgent, the newest report is the one held.
  auto held = coalescer.TakeHeld();
  REQUIRE(held.size() == 1);
  CHECK(held[0].location.latitude() == Approx(kLat + 0.045));
  coalescer.Applied("r", At(kLat + 0.045, kLon), t0, "");
  // Another responder's first report is its own.
  CHECK(coalescer.Offer("s", At(kLat, kLon), t0, t0).route == Route::kUrgent);
  // After Registered again (duty changed), the next report is urgent again.
  coalescer.Registered("r");
  CHECK(coalescer.Offer("r", At(kLat + 0.045, kLon), t0, t0).route == Route::kUrgent);
}

TEST_CASE("Reports of a responder dispatch does not know are refused and not held") {
  base::ManualClock clock;
  PositionCoalescer coalescer;
  const absl::Time t0 = clock.Now();
  CHECK(coalescer.Offer("stranger", At(kLat, kLon), t0, t0).route == Route::kUnregistered);
  // Knowing where a crew was (an applied position) is not knowing the crew.
  coalescer.Applied("ghost", At(kLat, kLon), t0, "");
  CHECK(coalescer.Offer("ghost", At(kLat, kLon), t0, t0).route == Route::kUnregistered);
  CHECK(coalescer.HeldCount() == 0);
  CHECK_FALSE(coalescer.NextDue().has_value());
  coalescer.Registered("stranger");
  CHECK(coalescer.Offer("stranger", At(kLat, kLon), t0, t0).route == Route::kUrgent);
}

TEST_CASE("The newest held report is kept and taken once, within the interval") {
  base::ManualClock clock;
  PositionCoalescer coalescer({.interval = absl::Seconds(1), .urgent_move_meters = 500});
  const absl::Time t0 = clock.Now();
  coalescer.Registered("r");
  coalescer.Applied("r", At(kLat, kLon), t0, "case-1");
  CHECK_FALSE(coalescer.NextDue().has_value());

  clock.Advance(absl::Milliseconds(100));
  const absl::Time first_held = clock.Now();
  for (int i = 1; i <= 50; ++i) {
    const auto verdict =
        coalescer.Offer("r", At(kLat + i * 0.00001, kLon), clock.Now(), clock.Now());
    REQUIRE(verdict.route == Route::kHeld);
    CHECK(verdict.on_case == "case-1");  // for the track, without the engine
    clock.Advance(absl::Milliseconds(10));
  }
  // A report with an older fix (out of order) does not replace the newest.
  coalescer.Offer("r", At(kLat + 0.002, kLon), first_held, clock.Now());
  CHECK(coalescer.HeldCount() == 1);
  // The bound: due one interval after the first report held, however many
  // followed.
  REQUIRE(coalescer.NextDue().has_value());
  CHECK(*coalescer.NextDue() == first_held + absl::Seconds(1));

  auto held = coalescer.TakeHeld();
  REQUIRE(held.size() == 1);
  CHECK(held[0].responder_id == "r");
  CHECK(held[0].location.latitude() == Approx(kLat + 50 * 0.00001));
  CHECK(coalescer.TakeHeld().empty());
  CHECK_FALSE(coalescer.NextDue().has_value());
}

TEST_CASE("A report applied supersedes an older held one") {
  base::ManualClock clock;
  PositionCoalescer coalescer;
  const absl::Time t0 = clock.Now();
  coalescer.Registered("r");
  coalescer.Applied("r", At(kLat, kLon), t0, "");
  REQUIRE(coalescer.Offer("r", At(kLat + 0.0001, kLon), t0 + absl::Milliseconds(1), t0).route ==
          Route::kHeld);
  coalescer.Applied("r", At(kLat + 0.01, kLon), t0 + absl::Milliseconds(2), "");
  CHECK(coalescer.HeldCount() == 0);
  CHECK(coalescer.TakeHeld().empty());
  // The case a crew is on follows SetCase.
  coalescer.SetCase("r", "case-9");
  CHECK(coalescer.Offer("r", At(kLat + 0.01, kLon), t0 + absl::Seconds(1), t0).on_case == "case-9");
}

TEST_CASE("With coalescing off every report is urgent") {
  PositionCoalescer coalescer({.interval = absl::ZeroDuration()});
  const absl::Time t = absl::Now();
  coalescer.Registered("r");
  coalescer.Applied("r", At(kLat, kLon), t, "");
  CHECK(coalescer.Offer("r", At(kLat, kLon), t, t).route == Route::kUrgent);
  CHECK(coalescer.NextDue() == t);
}

TEST_CASE("ApproximateMeters is close to the geodesic distance") {
  // 1 degree of latitude near 52 N is 111.26 km on WGS84.
  CHECK(server::ApproximateMeters(52, 5, 53, 5) == Approx(111'260).epsilon(0.005));
  CHECK(server::ApproximateMeters(52, 5, 52, 5) == 0);
}

}  // namespace
}  // namespace mayday::testing
