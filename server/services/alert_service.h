// AlertService: the member's device raises alerts and follows its cases.
#ifndef MAYDAY_SERVER_SERVICES_ALERT_SERVICE_H_
#define MAYDAY_SERVER_SERVICES_ALERT_SERVICE_H_

#include "mayday/v1/alert_service.grpc.pb.h"
#include "rpc/call_turns.h"
#include "rpc/text_handlers.h"
#include "services/service_context.h"

namespace mayday::server {

// Thread-safe; handlers run on gRPC's callback threads.
class AlertServiceImpl final : public RepairsText<mayday::v1::AlertService> {
 public:
  // `alert_spacing`: ServerOptions::alert_spacing.
  AlertServiceImpl(const ServiceContext& services, absl::Duration alert_spacing)
      : services_(services), raise_turns_(1, alert_spacing, services.clock) {
    Repair("RaiseAlert", &AlertServiceImpl::RaiseAlert);
    Repair("GetCase", &AlertServiceImpl::GetCase);
    Repair("ListCases", &AlertServiceImpl::ListCases);
    Repair("UpdateCaseLocation", &AlertServiceImpl::UpdateCaseLocation);
    Repair("CancelCase", &AlertServiceImpl::CancelCase);
    Repair("WatchCase", &AlertServiceImpl::WatchCase);
    Repair("WatchCrew", &AlertServiceImpl::WatchCrew);
    Repair("PostMessage", &AlertServiceImpl::PostMessage);
    Repair("RateCase", &AlertServiceImpl::RateCase);
    Repair("SetCancelPins", &AlertServiceImpl::SetCancelPins);
    Repair("GetCancelPins", &AlertServiceImpl::GetCancelPins);
    Repair("StartSafetyTimer", &AlertServiceImpl::StartSafetyTimer);
    Repair("UpdateSafetyTimer", &AlertServiceImpl::UpdateSafetyTimer);
    Repair("EndSafetyTimer", &AlertServiceImpl::EndSafetyTimer);
    Repair("GetSafetyTimer", &AlertServiceImpl::GetSafetyTimer);
    Repair("GetMedicalProfile", &AlertServiceImpl::GetMedicalProfile);
    Repair("UpdateMedicalProfile", &AlertServiceImpl::UpdateMedicalProfile);
    Repair("DeleteMedicalProfile", &AlertServiceImpl::DeleteMedicalProfile);
  }

  grpc::ServerUnaryReactor* RaiseAlert(grpc::CallbackServerContext* context,
                                       const mayday::v1::RaiseAlertRequest* request,
                                       mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* context,
                                    const mayday::v1::GetCaseRequest* request,
                                    mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* ListCases(grpc::CallbackServerContext* context,
                                      const mayday::v1::ListCasesRequest* request,
                                      mayday::v1::ListCasesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateCaseLocation(grpc::CallbackServerContext* context,
                                               const mayday::v1::UpdateCaseLocationRequest* request,
                                               mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* CancelCase(grpc::CallbackServerContext* context,
                                       const mayday::v1::CancelCaseRequest* request,
                                       mayday::v1::Case* response) override;
  grpc::ServerWriteReactor<mayday::v1::CaseEvent>* WatchCase(
      grpc::CallbackServerContext* context, const mayday::v1::WatchCaseRequest* request) override;
  grpc::ServerWriteReactor<mayday::v1::CrewPosition>* WatchCrew(
      grpc::CallbackServerContext* context, const mayday::v1::WatchCrewRequest* request) override;
  grpc::ServerUnaryReactor* PostMessage(grpc::CallbackServerContext* context,
                                        const mayday::v1::PostMessageRequest* request,
                                        mayday::v1::CaseEvent* response) override;
  grpc::ServerUnaryReactor* RateCase(grpc::CallbackServerContext* context,
                                     const mayday::v1::RateCaseRequest* request,
                                     mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* SetCancelPins(grpc::CallbackServerContext* context,
                                          const mayday::v1::SetCancelPinsRequest* request,
                                          mayday::v1::CancelPinSettings* response) override;
  grpc::ServerUnaryReactor* GetCancelPins(grpc::CallbackServerContext* context,
                                          const mayday::v1::GetCancelPinsRequest* request,
                                          mayday::v1::CancelPinSettings* response) override;
  // Safety timers (safety_timers.cc).
  grpc::ServerUnaryReactor* StartSafetyTimer(grpc::CallbackServerContext* context,
                                             const mayday::v1::StartSafetyTimerRequest* request,
                                             mayday::v1::SafetyTimer* response) override;
  grpc::ServerUnaryReactor* UpdateSafetyTimer(grpc::CallbackServerContext* context,
                                              const mayday::v1::UpdateSafetyTimerRequest* request,
                                              mayday::v1::SafetyTimer* response) override;
  grpc::ServerUnaryReactor* EndSafetyTimer(grpc::CallbackServerContext* context,
                                           const mayday::v1::EndSafetyTimerRequest* request,
                                           mayday::v1::SafetyTimer* response) override;
  grpc::ServerUnaryReactor* GetSafetyTimer(grpc::CallbackServerContext* context,
                                           const mayday::v1::GetSafetyTimerRequest* request,
                                           mayday::v1::SafetyTimer* response) override;

  // Medical profiles (services/medical_profiles.h).
  grpc::ServerUnaryReactor* GetMedicalProfile(grpc::CallbackServerContext* context,
                                              const mayday::v1::GetMedicalProfileRequest* request,
                                              mayday::v1::MedicalProfile* response) override;
  grpc::ServerUnaryReactor* UpdateMedicalProfile(
      grpc::CallbackServerContext* context, const mayday::v1::UpdateMedicalProfileRequest* request,
      mayday::v1::MedicalProfile* response) override;
  grpc::ServerUnaryReactor* DeleteMedicalProfile(
      grpc::CallbackServerContext* context, const mayday::v1::DeleteMedicalProfileRequest* request,
      google::protobuf::Empty* response) override;

 private:
  // Applies a member's `change` to their case `name`; NOT_FOUND if the case
  // is not theirs. Tells dispatch of the committed change.
  // `field` names the request field holding the case name, for messages.
  absl::StatusOr<CommittedChange> ChangeOwnCase(const Principal& member, absl::string_view field,
                                                const std::string& name, CaseChange change);

  // Starts storing the validated alert `alert` of `member` (its turn came)
  // and answers `reactor` once it is on disk.
  // Finishes a RaiseAlert call with `status`, counted in the metrics.
  void AnswerAlert(grpc::ServerUnaryReactor* reactor, mayday::v1::CaseKind kind,
                   const absl::Status& status);
  void OpenCase(grpc::CallbackServerContext* context, grpc::ServerUnaryReactor* reactor,
                mayday::v1::Case* response, NewCase alert);

  ServiceContext services_;
  // A member's RaiseAlerts of one kind take turns, one at a time and
  // alert_spacing apart (a road and a medical alert go at once); the rest
  // wait, so that an app pressing in a loop never crowds out other members.
  // Keyed "members/{id} KIND".
  CallTurns raise_turns_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_ALERT_SERVICE_H_
