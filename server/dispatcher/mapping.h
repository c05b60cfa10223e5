// Translation between the API's messages and enums and the dispatch engine's,
// which knows nothing of protobuf.
#ifndef MAYDAY_SERVER_DISPATCHER_MAPPING_H_
#define MAYDAY_SERVER_DISPATCHER_MAPPING_H_

#include "mayday/dispatch/engine.h"
#include "mayday/v1/resources.pb.h"
#include "mayday/v1/responder_service.pb.h"

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

// A responder as the API shows it.
mayday::v1::Responder ResponderToProto(const dispatch::ResponderView& view);
// Why an offer ended, as its OfferEnded event says.
mayday::v1::CaseEvent::OfferEnded::Reason ToProtoEndReason(dispatch::Decision::EndReason reason);
// The offer a responder is sent: the committed case `c` and its Offered
// event.
mayday::v1::Offer OfferOf(const mayday::v1::Case& c, const mayday::v1::CaseEvent::Offered& offered);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_DISPATCHER_MAPPING_H_
