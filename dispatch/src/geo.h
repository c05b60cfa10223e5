// Geodesy for dispatch: validating points and measuring the WGS84 geodesic
// distance between them (GeographicLib, not a spherical approximation).
#ifndef MAYDAY_DISPATCH_SRC_GEO_H_
#define MAYDAY_DISPATCH_SRC_GEO_H_

#include "absl/status/status.h"
#include "mayday/dispatch/engine.h"
#include "mayday/dispatch/geodesy.h"  // GeodesicDistanceMeters

namespace mayday::dispatch {

// OK if `point` is finite with latitude in [-90, 90] and longitude in
// [-180, 180]; INVALID_ARGUMENT naming `what` (e.g. "position of responder
// r-1") otherwise.
absl::Status ValidatePoint(const GeoPoint& point, const char* what);

}  // namespace mayday::dispatch

#endif  // MAYDAY_DISPATCH_SRC_GEO_H_
