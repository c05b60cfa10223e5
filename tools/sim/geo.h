// Geodesy for mayday-sim: distances, moving along a geodesic and scattering
// responders around a centre, on the WGS84 ellipsoid (GeographicLib), never
// flat-earth approximations, so the sim behaves the same at the poles and
// across the antimeridian as the dispatch engine's own distances do.
#ifndef MAYDAY_TOOLS_SIM_GEO_H_
#define MAYDAY_TOOLS_SIM_GEO_H_

#include <random>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::tools {

// A point on WGS84, degrees. Latitude in [-90, 90], longitude in [-180, 180].
struct LatLng {
  double latitude = 0;
  double longitude = 0;
};

// Parses "LAT,LON" ("52.37,4.89", spaces allowed). INVALID_ARGUMENT when not
// two finite numbers in range.
absl::StatusOr<LatLng> ParseLatLng(absl::string_view text);

// Geodesic distance between two points, metres.
double DistanceMeters(const LatLng& from, const LatLng& to);

// The point `fraction` of the way along the shortest geodesic from `from` to
// `to` (fraction clamped to [0, 1]): 0 is `from`, 1 is `to`, 0.5 is
// equidistant from both. Longitudes come back in [-180, 180], also when the
// path crosses the antimeridian.
LatLng Interpolate(const LatLng& from, const LatLng& to, double fraction);

// A point uniformly distributed over the disc of `radius_meters` around
// `center` (uniform azimuth, distance radius * sqrt(u)). Deterministic for a
// given engine state.
LatLng RandomPointWithin(const LatLng& center, double radius_meters, std::mt19937_64& random);

// The API's Location for a point (accuracy and fix time unset).
mayday::v1::Location ToLocation(const LatLng& point);

// The point of an API Location.
LatLng FromLocation(const mayday::v1::Location& location);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_SIM_GEO_H_
