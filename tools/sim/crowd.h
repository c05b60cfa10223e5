// A crowd of simulated crews for the benchmarks: thousands of responders in
// one process, each on duty with a Subscribe stream and a ReportLocation
// stream, all through gRPC's callback API (a reactor per stream, no thread
// per crew). Reports come every `report_period` from each crew (spread evenly
// over the period), or as fast as the server takes them; offers are noted
// with their arrival time and, if asked, accepted at once.
#ifndef MAYDAY_TOOLS_SIM_CROWD_H_
#define MAYDAY_TOOLS_SIM_CROWD_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "maydayctl/rpc.h"
#include "sim/geo.h"

namespace mayday::tools {

struct CrowdOptions {
  ServerOptions server;
  // Responder tokens: one crew each. Even crews are tow trucks, odd ones
  // ambulances.
  std::vector<std::string> tokens;
  // Connections the crews' streams are spread over.
  int connections = 16;
  // Crews start uniformly within this disc.
  LatLng center;
  double radius_meters = 30'000;
  // How often each crew reports its position; zero: back to back, as fast as
  // the server takes them.
  absl::Duration report_period = absl::Seconds(5);
  // Accept every offer at once (the crew is then busy).
  bool accept_offers = true;
  uint64_t seed = 1;
};

// An offer as it reached a crew.
struct OfferArrival {
  std::string case_name;
  absl::Time arrival;
};

class Crowd {
 public:
  // Puts every crew on duty, opens its streams and has it report its first
  // position; returns once all of that is done. UNAVAILABLE (with the first
  // error) if some crew could not; INVALID_ARGUMENT for bad options.
  static absl::StatusOr<std::unique_ptr<Crowd>> Start(const CrowdOptions& options);
  virtual ~Crowd() = default;

  // The offers that arrived since the last call. Thread-safe.
  virtual std::vector<OfferArrival> TakeOffers() = 0;
  // Offers accepted and acceptances refused so far.
  virtual int64_t accepted() const = 0;
  virtual int64_t accept_failures() const = 0;

  // Stops reporting, ends the streams and returns how many position reports
  // the server said it accepted, in all (ReportLocationResponse). Call once.
  virtual absl::StatusOr<int64_t> Stop() = 0;
};

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_SIM_CROWD_H_
