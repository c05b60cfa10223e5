// The WGS84 geodesic distance dispatch measures with (GeographicLib, not a
// spherical approximation), for the server's own measurements: how far a
// crew still is from the member it is coming to.
#ifndef MAYDAY_DISPATCH_GEODESY_H_
#define MAYDAY_DISPATCH_GEODESY_H_

#include "mayday/dispatch/engine.h"

namespace mayday::dispatch {

// The geodesic distance in metres from `from` to `to` on the WGS84 ellipsoid.
// Both points must be valid. Correct across the antimeridian and the poles.
double GeodesicDistanceMeters(const GeoPoint& from, const GeoPoint& to);

}  // namespace mayday::dispatch

#endif  // MAYDAY_DISPATCH_GEODESY_H_
