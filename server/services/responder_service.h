// ResponderService: a crew goes on duty, reports positions, holds a push
// stream of offers and answers them, and moves its case along.
#ifndef MAYDAY_SERVER_SERVICES_RESPONDER_SERVICE_H_
#define MAYDAY_SERVER_SERVICES_RESPONDER_SERVICE_H_

#include "mayday/v1/responder_service.grpc.pb.h"
#include "rpc/text_handlers.h"
#include "services/service_context.h"

namespace mayday::server {

// Thread-safe; handlers run on gRPC's callback threads.
class ResponderServiceImpl final : public RepairsText<mayday::v1::ResponderService> {
 public:
  explicit ResponderServiceImpl(const ServiceContext& services) : services_(services) {
    Repair("SetDuty", &ResponderServiceImpl::SetDuty);
    Repair("Subscribe", &ResponderServiceImpl::Subscribe);
    Repair("AcceptOffer", &ResponderServiceImpl::AcceptOffer);
    Repair("DeclineOffer", &ResponderServiceImpl::DeclineOffer);
    Repair("UpdateProgress", &ResponderServiceImpl::UpdateProgress);
    Repair("PostMessage", &ResponderServiceImpl::PostMessage);
    Repair("GetCaseMedicalProfile", &ResponderServiceImpl::GetCaseMedicalProfile);
  }

  grpc::ServerUnaryReactor* SetDuty(grpc::CallbackServerContext* context,
                                    const mayday::v1::SetDutyRequest* request,
                                    mayday::v1::Responder* response) override;
  grpc::ServerReadReactor<mayday::v1::ReportLocationRequest>* ReportLocation(
      grpc::CallbackServerContext* context, mayday::v1::ReportLocationResponse* response) override;
  grpc::ServerWriteReactor<mayday::v1::ResponderUpdate>* Subscribe(
      grpc::CallbackServerContext* context, const mayday::v1::SubscribeRequest* request) override;
  grpc::ServerUnaryReactor* AcceptOffer(grpc::CallbackServerContext* context,
                                        const mayday::v1::AcceptOfferRequest* request,
                                        mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* DeclineOffer(grpc::CallbackServerContext* context,
                                         const mayday::v1::DeclineOfferRequest* request,
                                         mayday::v1::DeclineOfferResponse* response) override;
  grpc::ServerUnaryReactor* UpdateProgress(grpc::CallbackServerContext* context,
                                           const mayday::v1::UpdateProgressRequest* request,
                                           mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* PostMessage(grpc::CallbackServerContext* context,
                                        const mayday::v1::PostMessageRequest* request,
                                        mayday::v1::CaseEvent* response) override;

  grpc::ServerUnaryReactor* GetCaseMedicalProfile(
      grpc::CallbackServerContext* context, const mayday::v1::GetCaseMedicalProfileRequest* request,
      mayday::v1::MedicalProfile* response) override;

 private:
  // Applies `change` to the case named in `case_name` if it is assigned to
  // `responder`, as its crew or its second crew (NOT_FOUND otherwise: a
  // responder sees only its own case), then tells dispatch.
  absl::StatusOr<CommittedChange> ChangeAssignedCase(const Principal& responder,
                                                     const std::string& case_name,
                                                     CaseChange change);

  ServiceContext services_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_RESPONDER_SERVICE_H_
