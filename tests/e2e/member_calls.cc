// A member's calls; see member_calls.h.
#include "member_calls.h"

#include "absl/time/clock.h"
#include "mayday/v1/alert_service.grpc.pb.h"

namespace mayday::testing {
namespace {

std::unique_ptr<mayday::v1::AlertService::Stub> Stub(const std::string& address) {
  return mayday::v1::AlertService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

}  // namespace

std::unique_ptr<grpc::ClientContext> As(const std::string& token, absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

grpc::Status Raise(const std::string& address, const std::string& token,
                   const std::string& request_id, mayday::v1::Case* out) {
  auto context = As(token);
  mayday::v1::RaiseAlertRequest request;
  request.set_request_id(request_id);
  request.set_kind(mayday::v1::CASE_KIND_MEDICAL);
  request.mutable_location()->set_latitude(48.8566);
  request.mutable_location()->set_longitude(2.3522);
  return Stub(address)->RaiseAlert(context.get(), request, out);
}

grpc::Status ListOwnCases(const std::string& address, const std::string& token,
                          std::vector<std::string>* names) {
  auto context = As(token);
  mayday::v1::ListCasesRequest request;
  mayday::v1::ListCasesResponse response;
  grpc::Status status = Stub(address)->ListCases(context.get(), request, &response);
  names->clear();
  for (const mayday::v1::Case& c : response.cases()) names->push_back(c.name());
  return status;
}

}  // namespace mayday::testing
