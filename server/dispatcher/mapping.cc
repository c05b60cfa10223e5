// Translation between API and engine messages and enums; see mapping.h.
#include "dispatcher/mapping.h"

#include "api/names.h"
#include "api/proto_time.h"

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

mayday::v1::Responder ResponderToProto(const dispatch::ResponderView& view) {
  mayday::v1::Responder r;
  r.set_name(ResponderName(view.id));
  switch (view.status) {
    case dispatch::ResponderView::Status::kOffDuty:
      r.set_status(mayday::v1::Responder::STATUS_OFF_DUTY);
      break;
    case dispatch::ResponderView::Status::kAvailable:
      r.set_status(mayday::v1::Responder::STATUS_AVAILABLE);
      break;
    case dispatch::ResponderView::Status::kOffered:
      r.set_status(mayday::v1::Responder::STATUS_OFFERED);
      break;
    case dispatch::ResponderView::Status::kBusy:
      r.set_status(mayday::v1::Responder::STATUS_BUSY);
      break;
  }
  for (auto c : view.capabilities) r.add_capabilities(ToProtoCapability(c));
  if (view.position.has_value()) {
    *r.mutable_location() = ToLocation(view);
    *r.mutable_location_time() = ToProtoTime(view.position_time);
  }
  if (!view.current_case.empty()) r.set_current_case(CaseName(view.current_case));
  return r;
}

mayday::v1::CaseEvent::OfferEnded::Reason ToProtoEndReason(dispatch::Decision::EndReason reason) {
  using Reason = mayday::v1::CaseEvent::OfferEnded;
  switch (reason) {
    case dispatch::Decision::EndReason::kDeclined:
      return Reason::REASON_DECLINED;
    case dispatch::Decision::EndReason::kExpired:
      return Reason::REASON_EXPIRED;
    case dispatch::Decision::EndReason::kResponderUnavailable:
      return Reason::REASON_RESPONDER_UNAVAILABLE;
    case dispatch::Decision::EndReason::kWithdrawn:
      return Reason::REASON_WITHDRAWN;
    case dispatch::Decision::EndReason::kMemberMoved:
      return Reason::REASON_MEMBER_MOVED;
    case dispatch::Decision::EndReason::kNone:
      break;
  }
  return Reason::REASON_UNSPECIFIED;
}

mayday::v1::Offer OfferOf(const mayday::v1::Case& c,
                          const mayday::v1::CaseEvent::Offered& offered) {
  mayday::v1::Offer offer;
  offer.set_case_(c.name());
  offer.set_kind(c.kind());
  *offer.mutable_location() = c.location();
  offer.set_note(c.note());
  offer.set_distance_meters(offered.distance_meters());
  offer.set_eta_seconds(offered.eta_seconds());
  *offer.mutable_expire_time() = offered.expire_time();
  offer.set_second_crew(offered.second_crew());
  return offer;
}

}  // namespace mayday::server
