// `maydayctl export --format geojson`: open cases and responders as one
// GeoJSON FeatureCollection (RFC 7946) that any map tool opens. A pure
// function of its arguments.
#ifndef MAYDAY_TOOLS_MAYDAYCTL_GEOJSON_H_
#define MAYDAY_TOOLS_MAYDAYCTL_GEOJSON_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::tools {

// Returns a FeatureCollection, one line plus '\n': first one Point feature
// per case, properties {name, kind, state, age_s} (age_s: whole seconds since
// create_time at `now`, at least 0; null when create_time is unset), then one
// per responder, properties {name, status, capabilities} (capabilities an
// array of "tow", "ambulance", ...). Coordinates are [longitude, latitude]
// with six decimals (about 0.1 m). Cases and responders without a location
// are left out (RFC 7946 Points need coordinates), as are locations whose
// numbers are not finite or out of range. The caller chooses which cases
// (open ones) to pass.
std::string BuildGeoJson(const std::vector<mayday::v1::Case>& cases,
                         const std::vector<mayday::v1::Responder>& responders, absl::Time now);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_MAYDAYCTL_GEOJSON_H_
