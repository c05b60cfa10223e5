// How each engine decision is written as a case event; see decision_events.h.
#include "dispatcher/decision_events.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "api/proto_time.h"
#include "cases/case_rules.h"
#include "dispatcher/mapping.h"
#include "google/protobuf/util/message_differencer.h"

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

// A second crew is offered only while the case's crew is on its way and
// the search the stall started goes on.
absl::Status RequireSecondCrewSought(const Case& c) {
  if ((c.state() != mayday::v1::CASE_STATE_ASSIGNED &&
       c.state() != mayday::v1::CASE_STATE_EN_ROUTE) ||
      !c.stall().second_crew_sought() || !c.second_responder().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat(c.name(), " is ", StateName(c.state()), ": it no longer seeks a second crew"));
  }
  return absl::OkStatus();
}

}  // namespace

OwnedCaseChange DecisionEvent(const Decision& d) {
  switch (d.type) {
    case Decision::Type::kOffer:
      return
          [responder = ResponderName(d.responder_id), distance = d.distance_meters,
           eta = static_cast<int>(absl::ToInt64Seconds(d.eta)), expire = ToProtoTime(d.expire_time),
           second = d.second](const Case& current, Case&, CaseEvent& e) {
            if (auto s = second ? RequireSecondCrewSought(current)
                                : RequireState(current, mayday::v1::CASE_STATE_DISPATCHING);
                !s.ok()) {
              return s;
            }
            auto* offered = e.mutable_offered();
            offered->set_second_crew(second);
            offered->set_responder(responder);
            offered->set_distance_meters(distance);
            offered->set_eta_seconds(eta);
            *offered->mutable_expire_time() = expire;
            return absl::OkStatus();
          };
    case Decision::Type::kOfferEnded:
      return [responder = ResponderName(d.responder_id), reason = ToProtoEndReason(d.end_reason),
              second = d.second](const Case&, Case&, CaseEvent& e) {
        auto* ended = e.mutable_offer_ended();
        ended->set_responder(responder);
        ended->set_reason(reason);
        ended->set_second_crew(second);
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

namespace {

mayday::v1::CrewStall::Reason ToProtoStallReason(dispatch::StallReason reason) {
  switch (reason) {
    case dispatch::StallReason::kSilent:
      return mayday::v1::CrewStall::REASON_SILENT;
    case dispatch::StallReason::kNotCloser:
      return mayday::v1::CrewStall::REASON_NOT_CLOSER;
    case dispatch::StallReason::kLate:
      return mayday::v1::CrewStall::REASON_LATE;
  }
  return mayday::v1::CrewStall::REASON_UNSPECIFIED;
}

}  // namespace

OwnedCaseChange StalledEvent(const dispatch::Stall& stall, absl::Time now,
                             bool second_crew_sought) {
  mayday::v1::CrewStall mark;
  mark.set_responder(ResponderName(stall.responder_id));
  mark.set_reason(ToProtoStallReason(stall.reason));
  mark.set_words(stall.words);
  *mark.mutable_time() = ToProtoTime(now);
  mark.set_second_crew_sought(second_crew_sought);
  return [mark = std::move(mark)](const Case& current, Case& next, CaseEvent& e) {
    if ((current.state() != mayday::v1::CASE_STATE_ASSIGNED &&
         current.state() != mayday::v1::CASE_STATE_EN_ROUTE) ||
        current.responder() != mark.responder()) {
      return absl::FailedPreconditionError(
          absl::StrCat(current.name(), " is ", StateName(current.state()), " with ",
                       current.responder(), ": the stall of ", mark.responder(), " is moot"));
    }
    *next.mutable_stall() = mark;
    *e.mutable_stalled() = mark;
    return absl::OkStatus();
  };
}

OwnedCaseChange FixRequestedEvent(mayday::v1::FixRequest request, mayday::v1::Location about,
                                  absl::Time now, const FixLimits& limits) {
  *request.mutable_time() = ToProtoTime(now);
  return [request = std::move(request), about = std::move(about), now, limits](
             const Case& current, Case& next, CaseEvent& e) {
    if (!google::protobuf::util::MessageDifferencer::Equals(current.location(), about)) {
      return absl::AbortedError(
          absl::StrCat(current.name(), " has a newer location than the one asked about"));
    }
    if (auto s = MayRequestFix(current, now, limits); !s.ok()) return s;
    mayday::v1::FixRequest* made = e.mutable_fix_requested();
    *made = request;
    made->set_count(current.has_fix_request() ? current.fix_request().count() + 1 : 1);
    *next.mutable_fix_request() = *made;
    next.mutable_fix_request()->set_pending(true);
    return absl::OkStatus();
  };
}

}  // namespace mayday::server
