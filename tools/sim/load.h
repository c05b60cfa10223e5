// `mayday-sim load`: a load generator for RaiseAlert. Many calls in flight
// at once on a few connections, through gRPC's callback client API, either
// as fast as the server answers (closed loop: a finished call starts the
// next) or at a fixed rate (open loop: latency is measured from when a call
// was due, so a slow server cannot hide its queueing). Works against maydayd
// and against the bare echo server (mayday-echo), so that both are measured
// with the same client in one run.
#ifndef MAYDAY_TOOLS_SIM_LOAD_H_
#define MAYDAY_TOOLS_SIM_LOAD_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mayday/v1/resources.pb.h"
#include "maydayctl/rpc.h"
#include "sim/geo.h"

namespace mayday::tools {

struct LoadOptions {
  ServerOptions server;
  // Member tokens; calls take them in turn. At least one.
  std::vector<std::string> tokens;
  // Calls in flight at most.
  int concurrency = 128;
  // Connections the calls are spread over.
  int connections = 4;
  // 0: closed loop. Otherwise calls per second, paced.
  double rate = 0;
  // Calls started in the first `warmup` are not counted.
  absl::Duration warmup = absl::Seconds(1);
  // How long calls are counted, after the warm-up.
  absl::Duration duration = absl::Seconds(5);
  // Deadline of each call.
  absl::Duration call_timeout = absl::Seconds(10);
  uint64_t seed = 1;
  // Where the alerts come from: uniformly within `area_radius_meters` of
  // `area_center`; a radius of 0 means anywhere over the Netherlands.
  LatLng area_center;
  double area_radius_meters = 0;
  // If positive, the result also gives the worst latency of the calls due
  // in each slice of this length from the start (warm-up included): where
  // in the run a stall happened, which percentiles do not say.
  absl::Duration timeline = absl::ZeroDuration();
  // If set, called with every counted alert the server acknowledged and when
  // its call was sent, on a gRPC thread (so it must be quick and
  // thread-safe).
  std::function<void(const mayday::v1::Case& acknowledged, absl::Time sent)> on_acknowledged;
};

struct LoadResult {
  int64_t completed = 0;  // counted calls answered OK
  int64_t failed = 0;     // counted calls answered with an error
  // Counted calls answered with a case another request_id opened: the
  // member had that kind of case open and the press joined it. The intake
  // measurement gives each alert a member of its own, so that this is 0.
  int64_t joined = 0;
  std::string first_error;
  double seconds = 0;     // the counted window
  double per_second = 0;  // completed / seconds
  double p50_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  // With LoadOptions::timeline: per slice, the worst latency of the calls
  // due in it and answered OK, ms (0: none).
  std::vector<double> worst_ms_by_slice;
};

// Runs the load. INVALID_ARGUMENT for bad options, ChannelCredentialsFor's
// errors for unreadable TLS files; otherwise the figures
// (calls that failed are counted, not fatal).
absl::StatusOr<LoadResult> RunAlertLoad(const LoadOptions& options);

// One JSON object: {"label":..., "rate":..., "concurrency":..., "completed":...,
// "failed":..., "joined":..., "seconds":..., "per_second":..., "p50_ms":..., "p99_ms":...,
// "p999_ms":..., "max_ms":..., "first_error":...}, and with a timeline
// "timeline_ms":... and "worst_ms":[...] per slice.
std::string LoadResultJson(const std::string& label, const LoadOptions& options,
                           const LoadResult& result);

// The value at quantile q in [0, 1] of sorted `values` (nearest rank).
int64_t Quantile(const std::vector<int64_t>& sorted, double q);

// Sets result.p50_ms, p99_ms, p999_ms and max_ms from sorted latencies in
// nanoseconds; leaves them alone if there are none. `Result` is any struct
// with those four double fields (LoadResult, FanoutResult).
template <typename Result>
void SetLatencies(const std::vector<int64_t>& sorted_ns, Result& result) {
  if (sorted_ns.empty()) return;
  result.p50_ms = Quantile(sorted_ns, 0.5) / 1e6;
  result.p99_ms = Quantile(sorted_ns, 0.99) / 1e6;
  result.p999_ms = Quantile(sorted_ns, 0.999) / 1e6;
  result.max_ms = sorted_ns.back() / 1e6;
}

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_SIM_LOAD_H_
