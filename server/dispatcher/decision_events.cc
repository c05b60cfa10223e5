// How each engine decision is written as a case event; see decision_events.h.
#include "dispatcher/decision_events.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "api/proto_time.h"
#include "cases/case_rules.h"
#include "dispatcher/mapping.h"

namespace mayday::server {
namespace {

using mayday::v1::Case;
using mayday::v1::CaseEvent;
using mayday::v1::CaseState;
using Decision = dispatch::Decision;

absl::Status RequireState(const Case& c, CaseState state) {
  if (c.state() == state) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat(c.name(), " is ", StateName(c.state()), ", not ", StateName(state)));
}

}  // namespace

OwnedCaseChange DecisionEvent(const Decision& d) {
  switch (d.type) {
    case Decision::Type::kOffer:
      return [responder = ResponderName(d.responder_id), distance = d.distance_meters,
              eta = static_cast<int>(absl::ToInt64Seconds(d.eta)),
              expire = ToProtoTime(d.expire_time)](const Case& current, Case&, CaseEvent& e) {
        if (auto s = RequireState(current, mayday::v1::CASE_STATE_DISPATCHING); !s.ok()) return s;
        auto* offered = e.mutable_offered();
        offered->set_responder(responder);
        offered->set_distance_meters(distance);
        offered->set_eta_seconds(eta);
        *offered->mutable_expire_time() = expire;
        return absl::OkStatus();
      };
    case Decision::Type::kOfferEnded:
      return [responder = ResponderName(d.responder_id), reason = ToProtoEndReason(d.end_reason)](
                 const Case&, Case&, CaseEvent& e) {
        auto* ended = e.mutable_offer_ended();
        ended->set_responder(responder);
        ended->set_reason(reason);
        return absl::OkStatus();
      };
    case Decision::Type::kEscalate:
      return [reason = d.reason](const Case& current, Case& next, CaseEvent& e) {
        if (current.state() == mayday::v1::CASE_STATE_ESCALATED) {
          return absl::AlreadyExistsError("already escalated");
        }
        if (auto s = RequireState(current, mayday::v1::CASE_STATE_DISPATCHING); !s.ok()) return s;
        next.set_state(mayday::v1::CASE_STATE_ESCALATED);
        e.mutable_escalated()->set_reason(reason);
        e.mutable_escalated()->set_cause(CaseEvent::Escalated::CAUSE_NO_RESPONDER);
        return absl::OkStatus();
      };
    case Decision::Type::kRedispatch:
      return [](const Case& current, Case& next, CaseEvent& e) {
        if (current.state() == mayday::v1::CASE_STATE_DISPATCHING) {
          return absl::AlreadyExistsError("already dispatching");
        }
        if (auto s = RequireState(current, mayday::v1::CASE_STATE_ESCALATED); !s.ok()) return s;
        next.set_state(mayday::v1::CASE_STATE_DISPATCHING);
        e.mutable_redispatched();
        return absl::OkStatus();
      };
  }
  return [](const Case&, Case&, CaseEvent&) { return absl::InternalError("unknown decision"); };
}

}  // namespace mayday::server
