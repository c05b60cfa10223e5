// ResponderService; see responder_service.h.
#include "services/responder_service.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "cases/case_changes.h"
#include "cases/case_rules.h"
#include "rpc/unary.h"
#include "rpc/validation.h"
#include "services/admit.h"
#include "services/medical_profiles.h"
#include "services/responder_streams_rpc.h"

namespace mayday::server {

grpc::ServerUnaryReactor* ResponderServiceImpl::SetDuty(grpc::CallbackServerContext* context,
                                                        const mayday::v1::SetDutyRequest* request,
                                                        mayday::v1::Responder* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto responder =
        Admit(services_, *context, Role::kResponder, CallClass::kResponderUpdates, "SetDuty");
    if (!responder.ok()) return responder.status();
    std::vector<mayday::v1::Capability> capabilities;
    for (int c : request->capabilities()) {
      if (auto s = ValidateCapability(c); !s.ok()) return s;
      capabilities.push_back(static_cast<mayday::v1::Capability>(c));
    }
    if (request->on_duty() && capabilities.empty()) {
      return absl::InvalidArgumentError(
          "capabilities is empty: going on duty needs at least one (for example "
          "CAPABILITY_TOW or CAPABILITY_AMBULANCE)");
    }
    return services_.Dispatch(*context, &mayday::v1::ResponderService::Stub::SetDuty, *request,
                              response, [&]() -> absl::Status {
                                auto updated = services_.dispatcher->SetDuty(
                                    responder->subject, request->on_duty(), capabilities);
                                if (!updated.ok()) return updated.status();
                                *response = std::move(*updated);
                                return absl::OkStatus();
                              });
  });
}

grpc::ServerReadReactor<mayday::v1::ReportLocationRequest>* ResponderServiceImpl::ReportLocation(
    grpc::CallbackServerContext* context, mayday::v1::ReportLocationResponse* response) {
  absl::StatusOr<DispatchSite> site = services_.WhereDispatch(*context);
  if (site.ok() && *site == DispatchSite::kRelay) {
    return RelayReportLocation(services_, context, response);
  }
  return StartReportLocation(services_, context, response, site.status());
}

grpc::ServerWriteReactor<mayday::v1::ResponderUpdate>* ResponderServiceImpl::Subscribe(
    grpc::CallbackServerContext* context, const mayday::v1::SubscribeRequest* request) {
  absl::StatusOr<DispatchSite> site = services_.WhereDispatch(*context);
  if (site.ok() && *site == DispatchSite::kRelay) {
    return RelaySubscribe(services_, context, *request);
  }
  return StartSubscribe(services_, context, site.status());
}

grpc::ServerUnaryReactor* ResponderServiceImpl::AcceptOffer(
    grpc::CallbackServerContext* context, const mayday::v1::AcceptOfferRequest* request,
    mayday::v1::Case* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto responder = services_.auth->Require(*context, Role::kResponder);
    if (!responder.ok()) return responder.status();
    auto id = ParseCaseName("case", request->case_());
    if (!id.ok()) return id.status();
    return services_.Dispatch(*context, &mayday::v1::ResponderService::Stub::AcceptOffer, *request,
                              response, [&]() -> absl::Status {
                                auto assigned =
                                    services_.dispatcher->Accept(responder->subject, *id);
                                if (!assigned.ok()) return assigned.status();
                                *response = std::move(*assigned);
                                return absl::OkStatus();
                              });
  });
}

grpc::ServerUnaryReactor* ResponderServiceImpl::DeclineOffer(
    grpc::CallbackServerContext* context, const mayday::v1::DeclineOfferRequest* request,
    mayday::v1::DeclineOfferResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto responder = services_.auth->Require(*context, Role::kResponder);
    if (!responder.ok()) return responder.status();
    auto id = ParseCaseName("case", request->case_());
    if (!id.ok()) return id.status();
    return services_.Dispatch(
        *context, &mayday::v1::ResponderService::Stub::DeclineOffer, *request, response,
        [&] { return services_.dispatcher->Decline(responder->subject, *id); });
  });
}

grpc::ServerUnaryReactor* ResponderServiceImpl::UpdateProgress(
    grpc::CallbackServerContext* context, const mayday::v1::UpdateProgressRequest* request,
    mayday::v1::Case* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto responder = services_.auth->Require(*context, Role::kResponder);
    if (!responder.ok()) return responder.status();
    if (auto id = ParseCaseName("case", request->case_()); !id.ok()) return id.status();
    const mayday::v1::CaseState to = request->state();
    // The target state is checked before the case is even looked up.
    if (auto s = CheckProgress(mayday::v1::CASE_STATE_ASSIGNED, to); absl::IsInvalidArgument(s)) {
      return s;
    }
    const auto where = services_.dispatcher->ResponderLocation(responder->subject);
    auto committed = ChangeAssignedCase(
        *responder, request->case_(),
        [&](const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& e) {
          if (current.responder() != responder->Name()) {
            return absl::FailedPreconditionError(absl::StrCat(
                responder->Name(), " came to ", current.name(), " as a second crew: its crew ",
                current.responder(),
                " reports the progress until a care agent keeps one of you; post a message to "
                "tell the desk where you are"));
          }
          if (auto s = CheckProgress(current.state(), to); !s.ok()) return s;
          next.set_state(to);
          // On scene (or done): the crew got there, stalled or not.
          if (to != mayday::v1::CASE_STATE_EN_ROUTE) next.clear_stall();
          e.mutable_progressed()->set_responder(responder->Name());
          if (where.has_value()) *e.mutable_progressed()->mutable_responder_location() = *where;
          return absl::OkStatus();
        });
    if (!committed.ok()) return committed.status();
    *response = std::move(committed->snapshot);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ResponderServiceImpl::PostMessage(
    grpc::CallbackServerContext* context, const mayday::v1::PostMessageRequest* request,
    mayday::v1::CaseEvent* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto responder =
        Admit(services_, *context, Role::kResponder, CallClass::kResponderUpdates, "PostMessage");
    if (!responder.ok()) return responder.status();
    if (auto s = ValidateMessageText("text", request->text()); !s.ok()) return s;
    auto posted = ChangeAssignedCase(
        *responder, request->case_(),
        [&](const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& e) {
          return server::PostMessage(responder->Name(), request->text(), current, next, e);
        });
    if (!posted.ok()) return posted.status();
    *response = std::move(posted->event);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ResponderServiceImpl::GetCaseMedicalProfile(
    grpc::CallbackServerContext* context, const mayday::v1::GetCaseMedicalProfileRequest* request,
    mayday::v1::MedicalProfile* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto crew = services_.auth->Require(*context, Role::kResponder);
    if (!crew.ok()) return crew.status();
    auto profile = ReadMedicalProfileForCrew(services_, *crew, request->case_());
    if (!profile.ok()) return profile.status();
    *response = *std::move(profile);
    return absl::OkStatus();
  });
}

absl::StatusOr<CommittedChange> ResponderServiceImpl::ChangeAssignedCase(
    const Principal& responder, const std::string& case_name, CaseChange change) {
  auto id = ParseCaseName("case", case_name);
  if (!id.ok()) return id.status();
  const std::string name = responder.Name();
  const auto not_assigned = [&] {
    return absl::NotFoundError(absl::StrCat(case_name, " is not assigned to ", name));
  };
  auto committed = services_.log->Append(
      *id, name,
      [&](const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& e) {
        // A second crew (Case.second_responder) may write on the case too.
        if (current.responder() != name && current.second_responder() != name) {
          return not_assigned();
        }
        return change(current, next, e);
      });
  if (absl::IsNotFound(committed.status())) return not_assigned();
  if (!committed.ok()) return committed.status();
  services_.changes->CaseChanged(*committed);
  return committed;
}

}  // namespace mayday::server
