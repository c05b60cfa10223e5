// Translation between the API's enums and the dispatch engine's, which knows
// nothing of protobuf.
#ifndef MAYDAY_SERVER_DISPATCHER_MAPPING_H_
#define MAYDAY_SERVER_DISPATCHER_MAPPING_H_

#include <string>
#include "absl/strings/string_view.h"

#include "mayday/dispatch/engine.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::server {

// ROAD or MEDICAL (callers validated the kind).
dispatch::CaseKind ToEngineKind(mayday::v1::CaseKind kind);
// A validated capability.
dispatch::Capability ToEngineCapability(mayday::v1::Capability capability);
mayday::v1::Capability ToProtoCapability(dispatch::Capability capability);
dispatch::GeoPoint ToGeoPoint(const mayday::v1::Location& location);
// The responder's last position (callers check it has one), with its fix
// time; the engine keeps no accuracy.
mayday::v1::Location ToLocation(const dispatch::ResponderView& view);

// "responders/{id}" for an engine responder id, and back ("" if malformed).
std::string ResponderName(absl::string_view responder_id);
std::string ResponderIdFromName(absl::string_view name);
// The id part of "cases/{id}" (callers hold well-formed names).
std::string CaseIdFromName(absl::string_view name);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_DISPATCHER_MAPPING_H_
