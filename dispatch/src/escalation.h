// The words of an escalation: why dispatch could not place a case, phrased so
// a care agent knows what to do next ("no ambulance or paramedic on duty
// within 50 km" is a different job from "all 3 candidates declined").
#ifndef MAYDAY_DISPATCH_SRC_ESCALATION_H_
#define MAYDAY_DISPATCH_SRC_ESCALATION_H_

#include <string>

#include "mayday/dispatch/engine.h"

namespace mayday::dispatch {

// Responders serving the case kind, on duty, and not offered the case yet, but
// ineligible for it, by why; plus how many were offered it.
struct CandidateTally {
  int offered = 0;        // responders this case was already offered to
  int busy = 0;           // in range, holding another offer or case
  int not_connected = 0;  // in range and free, but their push stream is down
  int without_fix = 0;    // no position, or one older than max_position_age
};

// "50 km", "2.5 km", "800 m".
std::string FormatDistance(double meters);

// The reason for escalating a case of `kind` when nobody within
// `max_radius_meters` is eligible, given `tally`.
std::string EscalationReason(CaseKind kind, double max_radius_meters, const CandidateTally& tally);

}  // namespace mayday::dispatch

#endif  // MAYDAY_DISPATCH_SRC_ESCALATION_H_
