// GeoJSON rendering of open cases and responders.
#include "maydayctl/geojson.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "maydayctl/format.h"
#include "maydayctl/json.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

// Six decimals of a degree: about 0.1 m, the precision RFC 7946 suggests.
constexpr int kCoordinateDecimals = 6;

bool Mappable(const v1::Location& location) {
  return std::isfinite(location.latitude()) && std::isfinite(location.longitude()) &&
         std::abs(location.latitude()) <= 90 && std::abs(location.longitude()) <= 180;
}

// {"type":"Feature","geometry":{"type":"Point","coordinates":[lon,lat]},
//  "properties":{...}} with `properties` already rendered.
std::string Feature(const v1::Location& location, const std::string& properties) {
  return absl::StrCat("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[",
                      JsonNumber(location.longitude(), kCoordinateDecimals), ",",
                      JsonNumber(location.latitude(), kCoordinateDecimals),
                      "]},\"properties\":", properties, "}");
}

std::string CaseProperties(const v1::Case& c, absl::Time now) {
  const absl::Time created = ToTime(c.create_time());
  const std::string age =
      created == absl::InfinitePast()
          ? "null"
          : absl::StrCat(std::max<int64_t>(0, absl::ToInt64Seconds(now - created)));
  return absl::StrCat("{\"name\":", JsonString(c.name()),
                      ",\"kind\":", JsonString(KindName(c.kind())),
                      ",\"state\":", JsonString(StateName(c.state())), ",\"age_s\":", age, "}");
}

std::string ResponderProperties(const v1::Responder& r) {
  std::vector<std::string> capabilities;
  for (int capability : r.capabilities()) {
    capabilities.push_back(JsonString(CapabilityName(static_cast<v1::Capability>(capability))));
  }
  return absl::StrCat("{\"name\":", JsonString(r.name()),
                      ",\"status\":", JsonString(ResponderStatusName(r.status())),
                      ",\"capabilities\":[", absl::StrJoin(capabilities, ","), "]}");
}

}  // namespace

std::string BuildGeoJson(const std::vector<v1::Case>& cases,
                         const std::vector<v1::Responder>& responders, absl::Time now) {
  std::vector<std::string> features;
  for (const v1::Case& c : cases) {
    if (!c.has_location() || !Mappable(c.location())) continue;
    features.push_back(Feature(c.location(), CaseProperties(c, now)));
  }
  for (const v1::Responder& r : responders) {
    if (!r.has_location() || !Mappable(r.location())) continue;
    features.push_back(Feature(r.location(), ResponderProperties(r)));
  }
  return absl::StrCat("{\"type\":\"FeatureCollection\",\"features\":[",
                      absl::StrJoin(features, ","), "]}\n");
}

}  // namespace mayday::tools
