// OperatorService: a care agent acting on dispatch (assign, take, release,
// escalate), following a crew on a case and looking up one responder. See operator_service.h; the rules
// live in Dispatcher (dispatcher_desk.cc).
#include "absl/strings/str_cat.h"
#include "cases/proto_time.h"
#include "rpc/unary.h"
#include "rpc/validation.h"
#include "services/operator_service.h"

namespace mayday::server {

grpc::ServerUnaryReactor* OperatorServiceImpl::AssignCase(
    grpc::CallbackServerContext* context, const mayday::v1::AssignCaseRequest* request,
    mayday::v1::Case* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    auto agent = services_.auth->Require(*context, Role::kOperator);
    if (!agent.ok()) return agent.status();
    auto id = ParseCaseName("name", request->name());
    if (!id.ok()) return id.status();
    auto responder = ParseSubjectName("responder", request->responder(), "responders");
    if (!responder.ok()) return responder.status();
    auto assigned = services_.dispatcher->AssignManually(agent->Name(), *id, *responder);
    if (!assigned.ok()) return assigned.status();
    *response = std::move(*assigned);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::TakeCase(grpc::CallbackServerContext* context,
                                                        const mayday::v1::TakeCaseRequest* request,
                                                        mayday::v1::Case* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    auto agent = services_.auth->Require(*context, Role::kOperator);
    if (!agent.ok()) return agent.status();
    auto id = ParseCaseName("name", request->name());
    if (!id.ok()) return id.status();
    auto taken = services_.dispatcher->Take(agent->Name(), *id);
    if (!taken.ok()) return taken.status();
    *response = std::move(*taken);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::ReleaseCase(
    grpc::CallbackServerContext* context, const mayday::v1::ReleaseCaseRequest* request,
    mayday::v1::Case* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    auto agent = services_.auth->Require(*context, Role::kOperator);
    if (!agent.ok()) return agent.status();
    auto id = ParseCaseName("name", request->name());
    if (!id.ok()) return id.status();
    auto released = services_.dispatcher->Release(agent->Name(), *id);
    if (!released.ok()) return released.status();
    *response = std::move(*released);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::EscalateCase(
    grpc::CallbackServerContext* context, const mayday::v1::EscalateCaseRequest* request,
    mayday::v1::Case* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    auto agent = services_.auth->Require(*context, Role::kOperator);
    if (!agent.ok()) return agent.status();
    auto id = ParseCaseName("name", request->name());
    if (!id.ok()) return id.status();
    if (auto s = ValidateMessageText("reason", request->reason()); !s.ok()) return s;
    auto escalated = services_.dispatcher->Escalate(agent->Name(), *id, request->reason());
    if (!escalated.ok()) return escalated.status();
    *response = std::move(*escalated);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::ListCaseTrack(
    grpc::CallbackServerContext* context, const mayday::v1::ListCaseTrackRequest* request,
    mayday::v1::ListCaseTrackResponse* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    if (auto p = services_.auth->Require(*context, Role::kOperator); !p.ok()) return p.status();
    auto id = ParseCaseName("parent", request->parent());
    if (!id.ok()) return id.status();
    auto found = services_.store->GetCase(*id);
    if (absl::IsNotFound(found.status())) {
      return absl::NotFoundError(absl::StrCat(request->parent(), " not found"));
    }
    if (!found.ok()) return found.status();
    auto track = services_.store->ListTrack(*id);
    if (!track.ok()) return track.status();
    for (const PositionReport& report : *track) {
      mayday::v1::TrackPoint* point = response->add_points();
      point->set_responder(report.responder);
      *point->mutable_location() = report.location;
      *point->mutable_report_time() = ToProtoTime(report.report_time);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::GetResponder(
    grpc::CallbackServerContext* context, const mayday::v1::GetResponderRequest* request,
    mayday::v1::Responder* response) {
  return FinishUnary(context, [&]() -> absl::Status {
    if (auto p = services_.auth->Require(*context, Role::kOperator); !p.ok()) return p.status();
    auto id = ParseSubjectName("name", request->name(), "responders");
    if (!id.ok()) return id.status();
    auto found = services_.dispatcher->GetResponder(*id);
    if (!found.has_value()) {
      return absl::NotFoundError(absl::StrCat(
          request->name(), " not found: it has not gone on duty since the server started"));
    }
    *response = std::move(*found);
    return absl::OkStatus();
  });
}

}  // namespace mayday::server
