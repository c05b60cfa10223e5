// OperatorService: a care agent acting on dispatch (assign, take, release,
// escalate, keep one of two crews), following a crew on a case and looking up one responder. See
// operator_service.h; the rules live in Dispatcher (dispatcher_desk.cc).
#include <string>

#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "api/proto_time.h"
#include "rpc/unary.h"
#include "rpc/validation.h"
#include "services/admit.h"
#include "services/audit_trail.h"
#include "services/operator_service.h"

namespace mayday::server {
namespace {

// A care agent's action on one case (request field "name"): authenticate the
// agent, parse the name, then `act(agent, case_id, audit)` returns the case
// as it left it; `audit` is the entry for `action`, to write with the change.
// On a standby, the request goes to the holder's `method` instead.
template <typename Request, typename Act>
grpc::ServerUnaryReactor* ActOnCase(const ServiceContext& services,
                                    grpc::CallbackServerContext* context, const Request* request,
                                    mayday::v1::Case* response, const char* action,
                                    grpc::Status (mayday::v1::OperatorService::Stub::*method)(
                                        grpc::ClientContext*, const Request&, mayday::v1::Case*),
                                    Act act) {
  // By value: the work runs after this returns (rpc/unary.h).
  return FinishUnary(services.calls, context,
                     [&services, context, request, response, action, method,
                      act = std::move(act)]() -> absl::Status {
                       auto agent = services.auth->Require(*context, Role::kOperator);
                       if (!agent.ok()) return agent.status();
                       auto id = ParseCaseName("name", request->name());
                       if (!id.ok()) return id.status();
                       return services.Dispatch(*context, method, *request, response, [&] {
                         const AuditEntry audit =
                             AuditOf(*agent, *services.clock, action, request->name());
                         absl::StatusOr<mayday::v1::Case> changed = act(agent->Name(), *id, audit);
                         if (!changed.ok()) return changed.status();
                         *response = *std::move(changed);
                         return absl::OkStatus();
                       });
                     });
}

}  // namespace

grpc::ServerUnaryReactor* OperatorServiceImpl::AssignCase(
    grpc::CallbackServerContext* context, const mayday::v1::AssignCaseRequest* request,
    mayday::v1::Case* response) {
  return ActOnCase(services_, context, request, response, "case.assign",
                   &mayday::v1::OperatorService::Stub::AssignCase,
                   [=, this](const std::string& agent, const std::string& id,
                             AuditEntry audit) -> absl::StatusOr<mayday::v1::Case> {
                     auto responder =
                         ParseSubjectName("responder", request->responder(), "responders");
                     if (!responder.ok()) return responder.status();
                     audit.detail = absl::StrCat("to ", request->responder());
                     return services_.dispatcher->AssignManually(agent, id, *responder, audit);
                   });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::TakeCase(grpc::CallbackServerContext* context,
                                                        const mayday::v1::TakeCaseRequest* request,
                                                        mayday::v1::Case* response) {
  return ActOnCase(
      services_, context, request, response, "case.take",
      &mayday::v1::OperatorService::Stub::TakeCase,
      [this](const std::string& agent, const std::string& id, const AuditEntry& audit) {
        return services_.dispatcher->Take(agent, id, audit);
      });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::ReleaseCase(
    grpc::CallbackServerContext* context, const mayday::v1::ReleaseCaseRequest* request,
    mayday::v1::Case* response) {
  return ActOnCase(
      services_, context, request, response, "case.release",
      &mayday::v1::OperatorService::Stub::ReleaseCase,
      [this](const std::string& agent, const std::string& id, const AuditEntry& audit) {
        return services_.dispatcher->Release(agent, id, audit);
      });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::EscalateCase(
    grpc::CallbackServerContext* context, const mayday::v1::EscalateCaseRequest* request,
    mayday::v1::Case* response) {
  return ActOnCase(services_, context, request, response, "case.escalate",
                   &mayday::v1::OperatorService::Stub::EscalateCase,
                   [=, this](const std::string& agent, const std::string& id,
                             AuditEntry audit) -> absl::StatusOr<mayday::v1::Case> {
                     if (auto s = ValidateMessageText("reason", request->reason()); !s.ok()) {
                       return s;
                     }
                     audit.detail = absl::StrCat("reason: ", request->reason());
                     return services_.dispatcher->Escalate(agent, id, request->reason(), audit);
                   });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::KeepCrew(grpc::CallbackServerContext* context,
                                                        const mayday::v1::KeepCrewRequest* request,
                                                        mayday::v1::Case* response) {
  return ActOnCase(services_, context, request, response, "case.keep_crew",
                   &mayday::v1::OperatorService::Stub::KeepCrew,
                   [=, this](const std::string& agent, const std::string& id,
                             AuditEntry audit) -> absl::StatusOr<mayday::v1::Case> {
                     auto responder =
                         ParseSubjectName("responder", request->responder(), "responders");
                     if (!responder.ok()) return responder.status();
                     audit.detail = absl::StrCat("keeps ", request->responder());
                     return services_.dispatcher->KeepCrew(agent, id, *responder, audit);
                   });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::ListCaseTrack(
    grpc::CallbackServerContext* context, const mayday::v1::ListCaseTrackRequest* request,
    mayday::v1::ListCaseTrackResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    auto agent =
        Admit(services_, *context, Role::kOperator, CallClass::kStaffReads, "ListCaseTrack");
    if (!agent.ok()) return agent.status();
    auto found = FindCase("parent", request->parent());
    if (!found.ok()) return found.status();
    auto track = services_.store->ListTrack(CaseIdFromName(found->name()));
    if (!track.ok()) return track.status();
    for (const PositionReport& report : *track) {
      mayday::v1::TrackPoint* point = response->add_points();
      point->set_responder(report.responder);
      *point->mutable_location() = report.location;
      *point->mutable_report_time() = ToProtoTime(report.report_time);
    }
    AuditRead(*agent, "case.track.list", found->name(),
              absl::StrCat(response->points_size(), " positions"));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::GetResponder(
    grpc::CallbackServerContext* context, const mayday::v1::GetResponderRequest* request,
    mayday::v1::Responder* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    if (auto p =
            Admit(services_, *context, Role::kOperator, CallClass::kStaffReads, "GetResponder");
        !p.ok()) {
      return p.status();
    }
    auto id = ParseSubjectName("name", request->name(), "responders");
    if (!id.ok()) return id.status();
    return services_.Dispatch(
        *context, &mayday::v1::OperatorService::Stub::GetResponder, *request, response,
        [&]() -> absl::Status {
          auto found = services_.dispatcher->GetResponder(*id);
          if (!found.has_value()) {
            return absl::NotFoundError(absl::StrCat(
                request->name(), " not found: it has not gone on duty since the server started"));
          }
          *response = std::move(*found);
          return absl::OkStatus();
        });
  });
}

}  // namespace mayday::server
