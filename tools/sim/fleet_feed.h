// `mayday-sim fleet-feed`: an organisation's vehicle tracking feed, as a
// benchmark. Several FleetService.ReportPositions streams send batches of
// positions of the crews PREFIX-1 .. PREFIX-N (a fleet token for PREFIX
// reports for them), paced to an offered rate in all; a stream whose last
// batch is still unwritten skips its turn, so a server that falls behind is
// offered less rather than a backlog. Positions per second = what the
// server said it accepted over the time until it had taken the last.
#ifndef MAYDAY_TOOLS_SIM_FLEET_FEED_H_
#define MAYDAY_TOOLS_SIM_FLEET_FEED_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "maydayctl/rpc.h"
#include "sim/geo.h"

namespace mayday::tools {

struct FleetFeedOptions {
  ServerOptions server;
  std::string fleet_token;
  // The crews: "{prefix}-1" .. "{prefix}-{crews}".
  std::string prefix;
  int crews = 0;
  // Positions per second offered, in all, in batches of `batch`, over
  // `streams` streams (one connection each).
  double rate = 200'000;
  int batch = 1'000;
  int streams = 4;
  absl::Duration duration = absl::Seconds(5);
  // The crews are scattered within this disc and move a little each batch.
  LatLng center;
  double radius_meters = 30'000;
  uint64_t seed = 1;
};

struct FleetFeedResult {
  int64_t accepted = 0;  // positions the server took (its summaries)
  int64_t skipped = 0;   // positions of crews not on duty
  int64_t sent = 0;      // positions written
  absl::Duration took;   // from the first batch until the last summary
};

// Runs the feed. INVALID_ARGUMENT for bad options; the first stream's error
// otherwise.
absl::StatusOr<FleetFeedResult> RunFleetFeed(const FleetFeedOptions& options);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_SIM_FLEET_FEED_H_
