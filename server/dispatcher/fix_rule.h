// When dispatch asks the member's phone for a fresher fix: the location a
// case was raised or moved with is too uncertain (its 68% radius) or was
// taken too long before the server got it. The phone's SDK answers by
// itself with its newest fix (UpdateCaseLocation); dispatch goes on with
// the fix it has meanwhile. docs/dispatch.md gives the thresholds' reasons.
// Pure: the caller passes the times.
#ifndef MAYDAY_SERVER_DISPATCHER_FIX_RULE_H_
#define MAYDAY_SERVER_DISPATCHER_FIX_RULE_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::server {

struct FixLimits {
  // A fix less certain than this (68% radius, metres) is asked again.
  double max_accuracy_meters = 500;
  // A fix older than this when it arrived is asked again.
  absl::Duration max_age = absl::Minutes(2);
  // At most this many requests per case, at least `min_interval` apart: a
  // phone indoors may never do better, and each request is an event on the
  // case's timeline.
  int max_requests = 3;
  absl::Duration min_interval = absl::Minutes(1);

  // INVALID_ARGUMENT naming the limit if one is not positive.
  absl::Status Validate() const;
};

// The request to make for `location`, received by the server at
// `received` (its fix time as stored: bounded by api/device_time.h), or
// nullopt if the fix is good enough. An unknown accuracy (0) is not asked
// about, nor is the age of a fix whose device clock was off
// (device_fix_time set): asking again would bring the same.
std::optional<mayday::v1::FixRequest> FixRequestFor(const mayday::v1::Location& location,
                                                    absl::Time received, const FixLimits& limits);

// OK if dispatch may ask on case `c` at `now`: open and not yet reached by
// its crew, fewer than max_requests made, the last at least min_interval
// ago. Otherwise FAILED_PRECONDITION if no request will ever be made
// (closed, on scene, all made), RESOURCE_EXHAUSTED if not yet (the last
// was less than min_interval ago), saying which.
absl::Status MayRequestFix(const mayday::v1::Case& c, absl::Time now, const FixLimits& limits);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_DISPATCHER_FIX_RULE_H_
