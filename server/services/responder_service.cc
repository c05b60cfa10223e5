// ResponderService; see responder_service.h.
#include "services/responder_service.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "cases/case_rules.h"
#include "dispatcher/mapping.h"
#include "rpc/unary.h"
#include "rpc/validation.h"
#include "services/responder_streams_rpc.h"

namespace mayday::server {

grpc::ServerUnaryReactor* ResponderServiceImpl::SetDuty(
    grpc::CallbackServerContext* context, const mayday::v1::SetDutyRequest* request,
    mayday::v1::Responder* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    auto responder = services_.auth->Require(*context, Role::kResponder);
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
    auto updated =
        services_.dispatcher->SetDuty(responder->subject, request->on_duty(), capabilities);
    if (!updated.ok()) return updated.status();
    *response = std::move(*updated);
    return absl::OkStatus();
  });
}

grpc::ServerReadReactor<mayday::v1::ReportLocationRequest>* ResponderServiceImpl::ReportLocation(
    grpc::CallbackServerContext* context, mayday::v1::ReportLocationResponse* response) {
  return StartReportLocation(services_, context, response);
}

grpc::ServerWriteReactor<mayday::v1::ResponderUpdate>* ResponderServiceImpl::Subscribe(
    grpc::CallbackServerContext* context, const mayday::v1::SubscribeRequest*) {
  return StartSubscribe(services_, context);
}

grpc::ServerUnaryReactor* ResponderServiceImpl::AcceptOffer(
    grpc::CallbackServerContext* context, const mayday::v1::AcceptOfferRequest* request,
    mayday::v1::Case* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    auto responder = services_.auth->Require(*context, Role::kResponder);
    if (!responder.ok()) return responder.status();
    auto id = ParseCaseName("case", request->case_());
    if (!id.ok()) return id.status();
    auto assigned = services_.dispatcher->Accept(responder->subject, *id);
    if (!assigned.ok()) return assigned.status();
    *response = std::move(*assigned);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* ResponderServiceImpl::DeclineOffer(
    grpc::CallbackServerContext* context, const mayday::v1::DeclineOfferRequest* request,
    mayday::v1::DeclineOfferResponse*) {
  return FinishUnary(context, [&]() -> absl::Status {
    auto responder = services_.auth->Require(*context, Role::kResponder);
    if (!responder.ok()) return responder.status();
    auto id = ParseCaseName("case", request->case_());
    if (!id.ok()) return id.status();
    return services_.dispatcher->Decline(responder->subject, *id);
  });
}

grpc::ServerUnaryReactor* ResponderServiceImpl::UpdateProgress(
    grpc::CallbackServerContext* context, const mayday::v1::UpdateProgressRequest* request,
    mayday::v1::Case* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    auto responder = services_.auth->Require(*context, Role::kResponder);
    if (!responder.ok()) return responder.status();
    auto id = ParseCaseName("case", request->case_());
    if (!id.ok()) return id.status();
    const mayday::v1::CaseState to = request->state();
    // The target state is checked before the case is even looked up.
    if (auto s = CheckProgress(mayday::v1::CASE_STATE_ASSIGNED, to);
        absl::IsInvalidArgument(s)) {
      return s;
    }
    const std::string name = responder->Name();
    auto committed = services_.log->Append(
        *id, name,
        [&](const mayday::v1::Case& current, mayday::v1::Case& next, mayday::v1::CaseEvent& e) {
          // A responder sees only the case assigned to it.
          if (current.responder() != name) {
            return absl::NotFoundError(
                absl::StrCat(request->case_(), " is not assigned to ", name));
          }
          if (auto s = CheckProgress(current.state(), to); !s.ok()) return s;
          next.set_state(to);
          e.mutable_progressed()->set_responder(name);
          return absl::OkStatus();
        });
    if (absl::IsNotFound(committed.status())) {
      return absl::NotFoundError(absl::StrCat(request->case_(), " is not assigned to ", name));
    }
    if (!committed.ok()) return committed.status();
    services_.dispatcher->CaseChanged(*committed);
    *response = std::move(committed->snapshot);
    return absl::OkStatus();
  });
}

}  // namespace mayday::server
