// A member's calls; see member_calls.h.
#include "member_calls.h"

#include <chrono>

#include "mayday/v1/alert_service.grpc.pb.h"

namespace mayday::testing {
namespace {

std::unique_ptr<mayday::v1::AlertService::Stub> Stub(const std::string& address) {
  return mayday::v1::AlertService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

void Authorize(grpc::ClientContext& context, const std::string& token) {
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
}

}  // namespace

grpc::Status Raise(const std::string& address, const std::string& token,
                   const std::string& request_id, mayday::v1::Case* out) {
  grpc::ClientContext context;
  Authorize(context, token);
  mayday::v1::RaiseAlertRequest request;
  request.set_request_id(request_id);
  request.set_kind(mayday::v1::CASE_KIND_MEDICAL);
  request.mutable_location()->set_latitude(48.8566);
  request.mutable_location()->set_longitude(2.3522);
  return Stub(address)->RaiseAlert(&context, request, out);
}

grpc::Status ListOwnCases(const std::string& address, const std::string& token,
                          std::vector<std::string>* names) {
  grpc::ClientContext context;
  Authorize(context, token);
  mayday::v1::ListCasesRequest request;
  mayday::v1::ListCasesResponse response;
  grpc::Status status = Stub(address)->ListCases(&context, request, &response);
  names->clear();
  for (const mayday::v1::Case& c : response.cases()) names->push_back(c.name());
  return status;
}

}  // namespace mayday::testing
