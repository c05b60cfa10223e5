// Geodesic helpers for mayday-sim, on GeographicLib's WGS84 geodesic.
#include "sim/geo.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "GeographicLib/Geodesic.hpp"
#include "GeographicLib/GeodesicLine.hpp"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mayday::tools {

absl::StatusOr<LatLng> ParseLatLng(absl::string_view text) {
  const std::vector<std::string> parts = absl::StrSplit(text, ',');
  LatLng point;
  if (parts.size() != 2 || !absl::SimpleAtod(parts[0], &point.latitude) ||
      !absl::SimpleAtod(parts[1], &point.longitude) || !std::isfinite(point.latitude) ||
      !std::isfinite(point.longitude)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad position \"", text, "\"; expected LAT,LON such as 52.37,4.89"));
  }
  if (std::abs(point.latitude) > 90 || std::abs(point.longitude) > 180) {
    return absl::InvalidArgumentError(
        absl::StrCat("position \"", text,
                     "\" out of range; latitude must be in [-90, 90], "
                     "longitude in [-180, 180]"));
  }
  return point;
}

double DistanceMeters(const LatLng& from, const LatLng& to) {
  double meters = 0;
  GeographicLib::Geodesic::WGS84().Inverse(from.latitude, from.longitude, to.latitude, to.longitude,
                                           meters);
  return meters;
}

LatLng Interpolate(const LatLng& from, const LatLng& to, double fraction) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  if (fraction == 0.0) return from;
  if (fraction == 1.0) return to;
  const GeographicLib::GeodesicLine line = GeographicLib::Geodesic::WGS84().InverseLine(
      from.latitude, from.longitude, to.latitude, to.longitude);
  LatLng point;
  line.Position(fraction * line.Distance(), point.latitude, point.longitude);
  return point;
}

LatLng RandomPointWithin(const LatLng& center, double radius_meters, std::mt19937_64& random) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double azimuth = 360.0 * unit(random);
  const double distance = std::max(radius_meters, 0.0) * std::sqrt(unit(random));
  LatLng point;
  GeographicLib::Geodesic::WGS84().Direct(center.latitude, center.longitude, azimuth, distance,
                                          point.latitude, point.longitude);
  return point;
}

mayday::v1::Location ToLocation(const LatLng& point) {
  mayday::v1::Location location;
  location.set_latitude(point.latitude);
  location.set_longitude(point.longitude);
  return location;
}

LatLng FromLocation(const mayday::v1::Location& location) {
  return LatLng{location.latitude(), location.longitude()};
}

}  // namespace mayday::tools
