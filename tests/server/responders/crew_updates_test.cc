// The rule a member's WatchCrew stream sends by (responders/crew_watch.h):
// at once, then every 100 m moved, and at least every 10 s.
#include <catch2/catch.hpp>

#include "responders/crew_watch.h"

namespace mayday::server {
namespace {

CrewFix At(double meters_north, absl::Time when) {
  CrewFix fix;
  fix.location.set_latitude(52.0 + meters_north / 111'250.0);
  fix.location.set_longitude(4.9);
  fix.report_time = when;
  return fix;
}

TEST_CASE("CrewUpdates: first at once, then 100 m or 10 s") {
  const absl::Time t0 = absl::FromUnixSeconds(1'800'000'000);
  CrewUpdates updates;
  CHECK_FALSE(updates.Quiet(t0));  // nothing known yet: nothing to send
  REQUIRE(updates.Moved(At(0, t0), t0));
  updates.Sent(t0);
  CHECK_FALSE(updates.Moved(At(60, t0 + absl::Seconds(1)), t0 + absl::Seconds(1)));
  CHECK_FALSE(updates.Moved(At(99, t0 + absl::Seconds(2)), t0 + absl::Seconds(2)));
  CHECK(updates.Moved(At(101, t0 + absl::Seconds(3)), t0 + absl::Seconds(3)));
  updates.Sent(t0 + absl::Seconds(3));
  // A report received before the latest (handed on late) changes nothing.
  CHECK_FALSE(updates.Moved(At(500, t0 + absl::Seconds(2)), t0 + absl::Seconds(3)));
  CHECK(updates.latest()->location.latitude() == At(101, t0).location.latitude());
  // Distance counts from what was sent, not from the last report.
  CHECK_FALSE(updates.Moved(At(150, t0 + absl::Seconds(4)), t0 + absl::Seconds(4)));
  CHECK_FALSE(updates.Quiet(t0 + absl::Seconds(12)));
  CHECK(updates.Quiet(t0 + absl::Seconds(13)));
  updates.Sent(t0 + absl::Seconds(13));
  CHECK(updates.latest()->location.latitude() == At(150, t0).location.latitude());
  // A crew that stops reporting is still sent every 10 s (a fresh ETA).
  CHECK(updates.Quiet(t0 + absl::Seconds(23)));
  updates.Reset();
  CHECK_FALSE(updates.Quiet(t0 + absl::Seconds(40)));
  CHECK(updates.Moved(At(0, t0 + absl::Seconds(41)), t0 + absl::Seconds(41)));
}

TEST_CASE("CrewWatch: a listener hears its crew only, and the ticks") {
  struct Listener : CrewListener {
    int moved = 0, ticks = 0;
    void CrewMoved(const CrewFix&) override { ++moved; }
    void Tick(absl::Time) override { ++ticks; }
  };
  base::ManualClock clock;
  CrewWatch watch(&clock, dispatch::EngineOptions{});
  Listener a, b;
  watch.Add(&a);
  watch.Add(&b);
  watch.Watch(&a, "r-1");
  watch.Watch(&b, "r-2");
  mayday::v1::Location here;
  watch.Reported("r-1", here, clock.Now());
  watch.Reported("r-3", here, clock.Now());
  CHECK(a.moved == 1);
  CHECK(b.moved == 0);
  watch.Watch(&a, "r-2");  // reassigned
  watch.Reported("r-1", here, clock.Now());
  watch.Reported("r-2", here, clock.Now());
  CHECK(a.moved == 2);
  CHECK(b.moved == 1);
  watch.Remove(&b);
  watch.Reported("r-2", here, clock.Now());
  CHECK(b.moved == 1);
  CHECK(watch.ListenerCount() == 1);
  CHECK(watch.FallbackSpeed(mayday::v1::CASE_KIND_MEDICAL) == 15.0);
  CHECK(watch.FallbackSpeed(mayday::v1::CASE_KIND_ROAD) == 11.0);
}

}  // namespace
}  // namespace mayday::server
