// `maydayctl stats`: the figures a care centre manages by, computed on the
// client from cases and their events (the API has no statistics call).
// Everything here is a pure function of its arguments so that the figures can
// be pinned by hand-computed tests; fetching lives in report.cc.
#ifndef MAYDAY_TOOLS_MAYDAYCTL_STATS_H_
#define MAYDAY_TOOLS_MAYDAYCTL_STATS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::tools {

// Median and 90th percentile of a set of durations (or differences of
// them), in seconds. Both are empty when count is 0.
struct DurationSummary {
  int count = 0;
  std::optional<double> median_seconds;
  std::optional<double> p90_seconds;
};

// How far ETAs were from what happened: for each case whose first
// `assigned` event gave an ETA and that later reached ON_SCENE, the time it
// took (ON_SCENE less the assignment) minus that ETA, in seconds: positive
// when the crew came later than promised (the p90: how late the latest
// tenth came).
using EtaErrorSummary = DurationSummary;

// How the service did over a set of cases.
struct ServiceStats {
  // Cases counted, and how many of each kind.
  int cases = 0;
  int road = 0;
  int medical = 0;
  // Cases that reached ASSIGNED (an `assigned` event, or a responder set on
  // the case), and their share of all cases (empty when there are none).
  int assigned = 0;
  std::optional<double> response_rate;
  // From the case's create_time to its first `offered` event, its first
  // `assigned` event, and its first event in state ON_SCENE; over the cases
  // that have such an event. Negative spans (clock skew) count as 0.
  DurationSummary to_first_offer;
  DurationSummary to_assignment;
  DurationSummary to_on_scene;
  // The ETA given at assignment against the arrival, over all cases and by
  // kind: what an organisation tunes its crews' speeds by (dispatch's
  // --speed options).
  EtaErrorSummary eta_error;
  EtaErrorSummary eta_error_road;
  EtaErrorSummary eta_error_medical;
  // `escalated` events, and the number of cases with at least one.
  int escalations = 0;
  int escalated_cases = 0;
  // Cases whose current state is CANCELLED, and how many of them were
  // cancelled as false alarms (the `cancelled` event says so).
  int cancellations = 0;
  int false_alarms = 0;
  // Cases the member rated (Case.rating, else the latest `rated` event), and
  // the mean of their stars (empty when none).
  int ratings = 0;
  std::optional<double> average_rating;
};

// Computes the figures over `cases`. `events` may hold the events of all of
// them in any order; events of cases not in `cases` are ignored. Cases are
// taken as given: the caller picks the time window.
ServiceStats ComputeStats(const std::vector<mayday::v1::Case>& cases,
                          const std::vector<mayday::v1::CaseEvent>& events);

// The p-th percentile (p in [0, 1]) of `values` by linear interpolation
// between closest ranks (numpy's default, Excel's PERCENTILE.INC): with the
// values sorted, position p * (n - 1). Empty when `values` is empty.
std::optional<double> Percentile(std::vector<double> values, double p);

// Parses the window of `stats --since`: anything absl::ParseDuration takes
// ("24h", "90m", "1h30m") or whole days ("7d"). INVALID_ARGUMENT unless the
// result is positive and finite.
absl::StatusOr<absl::Duration> ParseWindow(absl::string_view text);

// The stable JSON object of `stats --output json`, one line, keys in this
// order: since_seconds, cases, alerts_by_kind {road, medical}, assigned,
// response_rate, time_to_first_offer_seconds, time_to_assignment_seconds,
// time_to_on_scene_seconds (each {count, median, p90}), escalations,
// escalated_cases, cancellations, false_alarms, ratings, average_rating.
// Figures that cannot be computed (no cases, no ratings) are null.
std::string FormatStatsJson(const ServiceStats& stats, absl::Duration window);

// The same figures as "key:  value" lines for a person.
std::string FormatStatsTable(const ServiceStats& stats, absl::Duration window);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_MAYDAYCTL_STATS_H_
