// Translation between API and engine enums; see mapping.h.
#include "dispatcher/mapping.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cases/proto_time.h"

namespace mayday::server {

mayday::v1::Location ToLocation(const dispatch::ResponderView& view) {
  mayday::v1::Location location;
  if (!view.position.has_value()) return location;
  location.set_latitude(view.position->latitude_deg);
  location.set_longitude(view.position->longitude_deg);
  *location.mutable_fix_time() = ToProtoTime(view.position_time);
  return location;
}

dispatch::CaseKind ToEngineKind(mayday::v1::CaseKind kind) {
  return kind == mayday::v1::CASE_KIND_MEDICAL ? dispatch::CaseKind::kMedical
                                               : dispatch::CaseKind::kRoad;
}

dispatch::Capability ToEngineCapability(mayday::v1::Capability capability) {
  switch (capability) {
    case mayday::v1::CAPABILITY_TOW:
      return dispatch::Capability::kTow;
    case mayday::v1::CAPABILITY_PATROL:
      return dispatch::Capability::kPatrol;
    case mayday::v1::CAPABILITY_MECHANIC:
      return dispatch::Capability::kMechanic;
    case mayday::v1::CAPABILITY_AMBULANCE:
      return dispatch::Capability::kAmbulance;
    default:
      return dispatch::Capability::kParamedic;
  }
}

mayday::v1::Capability ToProtoCapability(dispatch::Capability capability) {
  switch (capability) {
    case dispatch::Capability::kTow:
      return mayday::v1::CAPABILITY_TOW;
    case dispatch::Capability::kPatrol:
      return mayday::v1::CAPABILITY_PATROL;
    case dispatch::Capability::kMechanic:
      return mayday::v1::CAPABILITY_MECHANIC;
    case dispatch::Capability::kAmbulance:
      return mayday::v1::CAPABILITY_AMBULANCE;
    case dispatch::Capability::kParamedic:
      return mayday::v1::CAPABILITY_PARAMEDIC;
  }
  return mayday::v1::CAPABILITY_UNSPECIFIED;
}

dispatch::GeoPoint ToGeoPoint(const mayday::v1::Location& location) {
  return {location.latitude(), location.longitude()};
}

std::string ResponderName(absl::string_view responder_id) {
  return absl::StrCat("responders/", responder_id);
}

std::string ResponderIdFromName(absl::string_view name) {
  constexpr absl::string_view kPrefix = "responders/";
  if (!absl::StartsWith(name, kPrefix)) return "";
  return std::string(name.substr(kPrefix.size()));
}

std::string CaseIdFromName(absl::string_view name) {
  constexpr absl::string_view kPrefix = "cases/";
  if (absl::StartsWith(name, kPrefix)) name.remove_prefix(kPrefix.size());
  return std::string(name);
}

}  // namespace mayday::server
