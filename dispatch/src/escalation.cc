// Human-readable escalation reasons.
#include "escalation.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "capability.h"

namespace mayday::dispatch {
namespace {

std::string Count(int n, const char* one, const char* many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

// "(2 busy with other cases, 1 not connected)", or "" when all are zero.
std::string Details(const CandidateTally& tally) {
  std::vector<std::string> parts;
  if (tally.busy > 0) {
    parts.push_back(Count(tally.busy, "busy with another case", "busy with other cases"));
  }
  if (tally.not_connected > 0) {
    parts.push_back(Count(tally.not_connected, "free but not connected", "free but not connected"));
  }
  if (tally.without_fix > 0) {
    parts.push_back(Count(tally.without_fix, "on duty without a recent position",
                          "on duty without a recent position"));
  }
  if (parts.empty()) return "";
  return absl::StrCat(" (", absl::StrJoin(parts, ", "), ")");
}

}  // namespace

std::string FormatDistance(double meters) {
  if (meters < 1000) return absl::StrFormat("%.0f m", meters);
  const double km = meters / 1000;
  if (std::abs(km - std::round(km)) < 0.05) return absl::StrFormat("%.0f km", km);
  return absl::StrFormat("%.1f km", km);
}

std::string EscalationReason(CaseKind kind, double max_radius_meters, const CandidateTally& tally) {
  const bool others = tally.busy + tally.not_connected + tally.without_fix > 0;
  // "ambulance or paramedic on duty within 50 km", or "... free within ..."
  // when some are on duty but cannot take the case.
  const std::string nobody =
      absl::StrCat(ServingNouns(kind), others ? " free" : " on duty", " within ",
                   FormatDistance(max_radius_meters), Details(tally));
  if (tally.offered == 0) return absl::StrCat("no ", nobody);
  const std::string who = tally.offered == 1 ? std::string("the only candidate")
                                             : absl::StrCat("all ", tally.offered, " candidates");
  return absl::StrCat(who, " declined or did not answer; no other ", nobody);
}

}  // namespace mayday::dispatch
