// OperatorService: care agents see every case, its timeline, the live event
// feed and the responders.
#ifndef MAYDAY_SERVER_SERVICES_OPERATOR_SERVICE_H_
#define MAYDAY_SERVER_SERVICES_OPERATOR_SERVICE_H_

#include "mayday/v1/operator_service.grpc.pb.h"
#include "rpc/text_handlers.h"
#include "services/service_context.h"

namespace mayday::server {

// Thread-safe; handlers run on gRPC's callback threads.
class OperatorServiceImpl final : public RepairsText<mayday::v1::OperatorService> {
 public:
  explicit OperatorServiceImpl(const ServiceContext& services) : services_(services) {
    Repair("ListCases", &OperatorServiceImpl::ListCases);
    Repair("GetCase", &OperatorServiceImpl::GetCase);
    Repair("ListCaseEvents", &OperatorServiceImpl::ListCaseEvents);
    Repair("ListSafetyTimers", &OperatorServiceImpl::ListSafetyTimers);
    Repair("GetMedicalProfile", &OperatorServiceImpl::GetMedicalProfile);
    Repair("WatchCases", &OperatorServiceImpl::WatchCases);
    Repair("WatchCrew", &OperatorServiceImpl::WatchCrew);
    Repair("ListResponders", &OperatorServiceImpl::ListResponders);
    Repair("PostMessage", &OperatorServiceImpl::PostMessage);
    Repair("CancelCase", &OperatorServiceImpl::CancelCase);
    Repair("ResolveCase", &OperatorServiceImpl::ResolveCase);
    Repair("CreateCaseNote", &OperatorServiceImpl::CreateCaseNote);
    Repair("ListCaseNotes", &OperatorServiceImpl::ListCaseNotes);
    Repair("AssignCase", &OperatorServiceImpl::AssignCase);
    Repair("TakeCase", &OperatorServiceImpl::TakeCase);
    Repair("ReleaseCase", &OperatorServiceImpl::ReleaseCase);
    Repair("EscalateCase", &OperatorServiceImpl::EscalateCase);
    Repair("KeepCrew", &OperatorServiceImpl::KeepCrew);
    Repair("ListCaseTrack", &OperatorServiceImpl::ListCaseTrack);
    Repair("GetResponder", &OperatorServiceImpl::GetResponder);
    Repair("CreateToken", &OperatorServiceImpl::CreateToken);
    Repair("ListTokens", &OperatorServiceImpl::ListTokens);
    Repair("RevokeToken", &OperatorServiceImpl::RevokeToken);
    Repair("ListAuditEntries", &OperatorServiceImpl::ListAuditEntries);
    Repair("VerifyAuditTrail", &OperatorServiceImpl::VerifyAuditTrail);
    Repair("CreateWebhookEndpoint", &OperatorServiceImpl::CreateWebhookEndpoint);
    Repair("ListWebhookEndpoints", &OperatorServiceImpl::ListWebhookEndpoints);
    Repair("DeleteWebhookEndpoint", &OperatorServiceImpl::DeleteWebhookEndpoint);
    Repair("ListWebhookDeliveries", &OperatorServiceImpl::ListWebhookDeliveries);
    Repair("RedeliverWebhooks", &OperatorServiceImpl::RedeliverWebhooks);
  }

  grpc::ServerUnaryReactor* ListCases(grpc::CallbackServerContext* context,
                                      const mayday::v1::ListAllCasesRequest* request,
                                      mayday::v1::ListCasesResponse* response) override;
  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* context,
                                    const mayday::v1::GetCaseRequest* request,
                                    mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* ListCaseEvents(grpc::CallbackServerContext* context,
                                           const mayday::v1::ListCaseEventsRequest* request,
                                           mayday::v1::ListCaseEventsResponse* response) override;
  grpc::ServerUnaryReactor* ListSafetyTimers(
      grpc::CallbackServerContext* context, const mayday::v1::ListSafetyTimersRequest* request,
      mayday::v1::ListSafetyTimersResponse* response) override;
  grpc::ServerUnaryReactor* GetMedicalProfile(
      grpc::CallbackServerContext* context,
      const mayday::v1::GetMemberMedicalProfileRequest* request,
      mayday::v1::MedicalProfile* response) override;
  grpc::ServerWriteReactor<mayday::v1::CaseEvent>* WatchCases(
      grpc::CallbackServerContext* context, const mayday::v1::WatchCasesRequest* request) override;
  grpc::ServerWriteReactor<mayday::v1::CrewPosition>* WatchCrew(
      grpc::CallbackServerContext* context, const mayday::v1::WatchCrewRequest* request) override;
  grpc::ServerUnaryReactor* ListResponders(grpc::CallbackServerContext* context,
                                           const mayday::v1::ListRespondersRequest* request,
                                           mayday::v1::ListRespondersResponse* response) override;
  grpc::ServerUnaryReactor* PostMessage(grpc::CallbackServerContext* context,
                                        const mayday::v1::PostMessageRequest* request,
                                        mayday::v1::CaseEvent* response) override;
  grpc::ServerUnaryReactor* CancelCase(grpc::CallbackServerContext* context,
                                       const mayday::v1::CancelCaseRequest* request,
                                       mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* ResolveCase(grpc::CallbackServerContext* context,
                                        const mayday::v1::ResolveCaseRequest* request,
                                        mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* CreateCaseNote(grpc::CallbackServerContext* context,
                                           const mayday::v1::CreateCaseNoteRequest* request,
                                           mayday::v1::CaseNote* response) override;
  grpc::ServerUnaryReactor* ListCaseNotes(grpc::CallbackServerContext* context,
                                          const mayday::v1::ListCaseNotesRequest* request,
                                          mayday::v1::ListCaseNotesResponse* response) override;

  // Acting on dispatch (operator_desk.cc).
  grpc::ServerUnaryReactor* AssignCase(grpc::CallbackServerContext* context,
                                       const mayday::v1::AssignCaseRequest* request,
                                       mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* TakeCase(grpc::CallbackServerContext* context,
                                     const mayday::v1::TakeCaseRequest* request,
                                     mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* ReleaseCase(grpc::CallbackServerContext* context,
                                        const mayday::v1::ReleaseCaseRequest* request,
                                        mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* EscalateCase(grpc::CallbackServerContext* context,
                                         const mayday::v1::EscalateCaseRequest* request,
                                         mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* KeepCrew(grpc::CallbackServerContext* context,
                                     const mayday::v1::KeepCrewRequest* request,
                                     mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* ListCaseTrack(grpc::CallbackServerContext* context,
                                          const mayday::v1::ListCaseTrackRequest* request,
                                          mayday::v1::ListCaseTrackResponse* response) override;
  grpc::ServerUnaryReactor* GetResponder(grpc::CallbackServerContext* context,
                                         const mayday::v1::GetResponderRequest* request,
                                         mayday::v1::Responder* response) override;

  // Tokens, admins only (operator_tokens.cc).
  grpc::ServerUnaryReactor* CreateToken(grpc::CallbackServerContext* context,
                                        const mayday::v1::CreateTokenRequest* request,
                                        mayday::v1::CreateTokenResponse* response) override;
  grpc::ServerUnaryReactor* ListTokens(grpc::CallbackServerContext* context,
                                       const mayday::v1::ListTokensRequest* request,
                                       mayday::v1::ListTokensResponse* response) override;
  grpc::ServerUnaryReactor* RevokeToken(grpc::CallbackServerContext* context,
                                        const mayday::v1::RevokeTokenRequest* request,
                                        mayday::v1::Token* response) override;

  // The audit trail, admins only (operator_audit.cc).
  grpc::ServerUnaryReactor* ListAuditEntries(
      grpc::CallbackServerContext* context, const mayday::v1::ListAuditEntriesRequest* request,
      mayday::v1::ListAuditEntriesResponse* response) override;
  grpc::ServerUnaryReactor* VerifyAuditTrail(
      grpc::CallbackServerContext* context, const mayday::v1::VerifyAuditTrailRequest* request,
      mayday::v1::VerifyAuditTrailResponse* response) override;

  // Webhook endpoints, admins only (operator_webhooks.cc).
  grpc::ServerUnaryReactor* CreateWebhookEndpoint(
      grpc::CallbackServerContext* context, const mayday::v1::CreateWebhookEndpointRequest* request,
      mayday::v1::WebhookEndpoint* response) override;
  grpc::ServerUnaryReactor* ListWebhookEndpoints(
      grpc::CallbackServerContext* context, const mayday::v1::ListWebhookEndpointsRequest* request,
      mayday::v1::ListWebhookEndpointsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteWebhookEndpoint(
      grpc::CallbackServerContext* context, const mayday::v1::DeleteWebhookEndpointRequest* request,
      google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* ListWebhookDeliveries(
      grpc::CallbackServerContext* context, const mayday::v1::ListWebhookDeliveriesRequest* request,
      mayday::v1::ListWebhookDeliveriesResponse* response) override;
  grpc::ServerUnaryReactor* RedeliverWebhooks(
      grpc::CallbackServerContext* context, const mayday::v1::RedeliverWebhooksRequest* request,
      mayday::v1::RedeliverWebhooksResponse* response) override;

 private:
  // The case named `case_name` (the request field `field`): INVALID_ARGUMENT
  // for a malformed name, NOT_FOUND naming it if there is none.
  absl::StatusOr<mayday::v1::Case> FindCase(absl::string_view field, const std::string& case_name);
  // Applies `change` to any case on behalf of `agent`, with the audit entry
  // for `action` (and `detail`) in the same transaction, then tells
  // dispatch. `field` names the request field holding the case name.
  absl::StatusOr<CommittedChange> ChangeCase(const Principal& agent, absl::string_view field,
                                             const std::string& case_name, CaseChange change,
                                             std::string action, std::string detail = "");
  // Records `agent`'s read of `target` in the audit trail (RecordRead).
  void AuditRead(const Principal& agent, std::string action, std::string target,
                 std::string detail = "");

  ServiceContext services_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_OPERATOR_SERVICE_H_
