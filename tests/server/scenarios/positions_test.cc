// Where crews are: every report reaches dispatch, the database keeps only
// each crew's latest position and, while it is on a case, a track of at most
// one point per flush interval (one second).
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "crew.h"
#include "mayday/base/clock.h"
#include "responders/position_log.h"
#include "store/store.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// Far from the other intervals the server waits on (a second for the
// position coalescer, offers, alert spacing), so that the position log's
// wait is the only one with its deadline.
constexpr absl::Duration kTrackInterval = absl::Milliseconds(700);

// A server on `clock` whose position log writes every kTrackInterval.
std::unique_ptr<TestServer> TrackingServer(base::ManualClock& clock) {
  auto server = std::make_unique<TestServer>([&](server::ServerOptions& options) {
    options.clock = &clock;
    options.track_interval = kTrackInterval;
  });
  // The position log sleeps until its first write.
  REQUIRE(clock.AwaitWaiter(clock.Now() + kTrackInterval));
  return server;
}

// Moves the clock to the position log's next write and returns once the
// write is done: the log wrote, then went back to sleep for another interval.
void NextWrite(base::ManualClock& clock) {
  clock.Advance(kTrackInterval);
  REQUIRE(clock.AwaitWaiter(clock.Now() + kTrackInterval));
}

v1::ListCaseTrackResponse Track(TestServer& server, const std::string& agent,
                                const std::string& case_name) {
  v1::ListCaseTrackRequest request;
  request.set_parent(case_name);
  v1::ListCaseTrackResponse track;
  REQUIRE(server.Operators()->ListCaseTrack(Call(agent).get(), request, &track).ok());
  return track;
}

TEST_CASE("A crew's track is kept only while it is on a case") {
  base::ManualClock clock(absl::Now());
  auto server_owner = TrackingServer(clock);
  TestServer& server = *server_owner;
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");
  Crew crew(server, "tow-1");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.368, 4.904).ok());
  crew.Subscribe();
  v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("trk"), &opened).ok());
  REQUIRE(crew.NextOffer().has_value());
  // Before acceptance: no track, however many reports.
  REQUIRE(crew.Report({{52.3681, 4.9041}, {52.3682, 4.9042}}).ok());
  NextWrite(clock);
  CHECK(Track(server, agent, opened.name()).points_size() == 0);

  REQUIRE(crew.Accept(opened.name()).ok());
  // A burst of reports within one interval leaves one point, the newest.
  REQUIRE(crew.Report({{52.3690, 4.9000}, {52.3691, 4.9001}, {52.3692, 4.9002}}).ok());
  NextWrite(clock);
  v1::ListCaseTrackResponse track = Track(server, agent, opened.name());
  REQUIRE(track.points_size() == 1);
  CHECK(track.points(0).responder() == crew.name());
  CHECK(track.points(0).location().latitude() == Approx(52.3692));
  // An interval without reports adds nothing; the next report adds a point.
  NextWrite(clock);
  CHECK(Track(server, agent, opened.name()).points_size() == 1);
  REQUIRE(crew.Report({{52.3700, 4.8990}}).ok());
  NextWrite(clock);
  track = Track(server, agent, opened.name());
  REQUIRE(track.points_size() == 2);
  CHECK(track.points(1).location().latitude() == Approx(52.3700));

  // After the case is resolved, reports no longer add to its track, and the
  // crew still has exactly one stored position.
  REQUIRE(crew.Progress(opened.name(), v1::CASE_STATE_RESOLVED).ok());
  REQUIRE(crew.Report({{52.3800, 4.8000}}).ok());
  NextWrite(clock);
  CHECK(Track(server, agent, opened.name()).points_size() == 2);
  auto positions = server.server().store().ListPositions();
  REQUIRE(positions.ok());
  REQUIRE(positions->size() == 1);
  CHECK((*positions)[0].responder == crew.name());
  CHECK((*positions)[0].location.latitude() == Approx(52.38));

  v1::ListCaseTrackRequest bad;
  bad.set_parent("cases/nope");
  v1::ListCaseTrackResponse none;
  CHECK(server.Operators()->ListCaseTrack(Call(agent).get(), bad, &none).error_code() ==
        grpc::INVALID_ARGUMENT);
}

TEST_CASE("PositionLog writes one row per responder per flush") {
  TempDir dir;
  auto store = server::Store::Open((dir.path() / "p.db").string());
  REQUIRE(store.ok());
  {
    server::PositionLog log(store->get(), base::SystemClock(), absl::Hours(1));
    for (int i = 0; i < 1000; ++i) {
      v1::Location at;
      at.set_latitude(50 + i * 0.001);
      at.set_longitude(8);
      log.Record("r-" + std::to_string(i % 10), at, i % 10 == 0 ? "c1" : "");
    }
    REQUIRE(log.Flush().ok());
    REQUIRE(log.Flush().ok());  // nothing pending: writes nothing
    v1::Location last;
    last.set_latitude(1);
    log.Record("r-0", last, "c1");
  }  // the destructor flushes the last report
  auto positions = (*store)->ListPositions();
  REQUIRE(positions.ok());
  CHECK(positions->size() == 10);
  auto track = (*store)->ListTrack("c1");
  REQUIRE(track.ok());
  REQUIRE(track->size() == 2);
  CHECK((*track)[0].location.latitude() == Approx(50 + 990 * 0.001));
  CHECK((*track)[1].location.latitude() == Approx(1));
}

}  // namespace
}  // namespace mayday::testing
