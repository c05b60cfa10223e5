// WGS84 geodesic distance and point validation for the dispatch engine.
#include "geo.h"

#include <GeographicLib/Geodesic.hpp>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace mayday::dispatch {

absl::Status ValidatePoint(const GeoPoint& point, const char* what) {
  const double lat = point.latitude_deg;
  const double lon = point.longitude_deg;
  if (!std::isfinite(lat) || !std::isfinite(lon) || lat < -90 || lat > 90 || lon < -180 ||
      lon > 180) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " (", lat, ", ", lon,
                     ") is not a valid WGS84 point: latitude must be in [-90, 90] and "
                     "longitude in [-180, 180] degrees"));
  }
  return absl::OkStatus();
}

double GeodesicDistanceMeters(const GeoPoint& from, const GeoPoint& to) {
  double meters = 0;
  GeographicLib::Geodesic::WGS84().Inverse(from.latitude_deg, from.longitude_deg, to.latitude_deg,
                                           to.longitude_deg, meters);
  return meters;
}

}  // namespace mayday::dispatch
