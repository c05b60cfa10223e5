// Stub, context and JSON plumbing shared by maydayctl's commands.
#include "maydayctl/operator_call.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "maydayctl/rpc.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

// The largest pages the API allows, for calls that fetch everything.
constexpr int kEventPageSize = 1000;
constexpr int kResponderPageSize = 1000;
constexpr int kCasePageSize = 100;

}  // namespace

absl::StatusOr<std::unique_ptr<mayday::v1::OperatorService::Stub>> ConnectOperator(
    const CtlOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenChannel(options.server);
  if (!channel.ok()) return channel.status();
  return mayday::v1::OperatorService::NewStub(*channel);
}

std::unique_ptr<grpc::ClientContext> NewCallContext(const CtlOptions& options) {
  auto context = std::make_unique<grpc::ClientContext>();
  PrepareContext(context.get(), options.token, options.timeout);
  return context;
}

absl::StatusOr<v1::Case> GetCase(v1::OperatorService::Stub& stub, const CtlOptions& options,
                                 const std::string& case_name) {
  v1::GetCaseRequest get;
  get.set_name(case_name);
  v1::Case the_case;
  absl::Status status = FromGrpc(stub.GetCase(NewCallContext(options).get(), get, &the_case));
  if (!status.ok()) return status;
  return the_case;
}

absl::StatusOr<v1::ListCaseEventsResponse> ListAllCaseEvents(v1::OperatorService::Stub& stub,
                                                             const CtlOptions& options,
                                                             const std::string& case_name) {
  v1::ListCaseEventsRequest request;
  request.set_parent(case_name);
  request.set_page_size(kEventPageSize);
  v1::ListCaseEventsResponse all;
  while (true) {
    v1::ListCaseEventsResponse page;
    absl::Status status =
        FromGrpc(stub.ListCaseEvents(NewCallContext(options).get(), request, &page));
    if (!status.ok()) return status;
    all.mutable_events()->MergeFrom(page.events());
    if (page.next_page_token().empty()) return all;
    request.set_page_token(page.next_page_token());
  }
}

absl::StatusOr<std::vector<v1::Case>> ListAllCases(v1::OperatorService::Stub& stub,
                                                   const CtlOptions& options,
                                                   v1::ListAllCasesRequest request) {
  request.set_page_size(kCasePageSize);
  request.clear_page_token();
  std::vector<v1::Case> all;
  while (true) {
    v1::ListCasesResponse page;
    absl::Status status = FromGrpc(stub.ListCases(NewCallContext(options).get(), request, &page));
    if (!status.ok()) return status;
    all.insert(all.end(), page.cases().begin(), page.cases().end());
    if (page.next_page_token().empty()) return all;
    request.set_page_token(page.next_page_token());
  }
}

absl::StatusOr<v1::ListRespondersResponse> ListAllResponders(v1::OperatorService::Stub& stub,
                                                             const CtlOptions& options) {
  v1::ListRespondersRequest request;
  request.set_page_size(kResponderPageSize);
  v1::ListRespondersResponse all;
  while (true) {
    v1::ListRespondersResponse page;
    absl::Status status =
        FromGrpc(stub.ListResponders(NewCallContext(options).get(), request, &page));
    if (!status.ok()) return status;
    all.mutable_responders()->MergeFrom(page.responders());
    if (page.next_page_token().empty()) return all;
    request.set_page_token(page.next_page_token());
  }
}

absl::Status PrintJson(const google::protobuf::Message& message) {
  absl::StatusOr<std::string> json = ToJson(message);
  if (!json.ok()) return json.status();
  std::cout << *json << '\n';
  return absl::OkStatus();
}

}  // namespace mayday::tools
