// What every maydayctl command does around one OperatorService call: open
// the stub, give each unary call its token and deadline, and print responses
// as JSON. Internal to the maydayctl binary.
#ifndef MAYDAY_TOOLS_MAYDAYCTL_OPERATOR_CALL_H_
#define MAYDAY_TOOLS_MAYDAYCTL_OPERATOR_CALL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "grpcpp/client_context.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "maydayctl/commands.h"
#include "maydayctl/json.h"

namespace mayday::tools {

// A stub on a new channel to options.server. The channel connects lazily;
// errors (INVALID_ARGUMENT, NOT_FOUND for the CA file) are those of
// OpenChannel.
absl::StatusOr<std::unique_ptr<mayday::v1::OperatorService::Stub>> ConnectOperator(
    const CtlOptions& options);

// The case `case_name` ("cases/{id}") as the desk reads it (GetCase).
absl::StatusOr<mayday::v1::Case> GetCase(mayday::v1::OperatorService::Stub& stub,
                                         const CtlOptions& options, const std::string& case_name);

// Every event of `case_name` ("cases/{id}"), following all pages, in
// sequence order. The first failed call's status otherwise.
absl::StatusOr<mayday::v1::ListCaseEventsResponse> ListAllCaseEvents(
    mayday::v1::OperatorService::Stub& stub, const CtlOptions& options,
    const std::string& case_name);

// Every case matching `request` (its page_size and page_token are set
// here), following all pages, newest first. The first failed call's status
// otherwise.
absl::StatusOr<std::vector<mayday::v1::Case>> ListAllCases(mayday::v1::OperatorService::Stub& stub,
                                                           const CtlOptions& options,
                                                           mayday::v1::ListAllCasesRequest request);

// Every known responder, following all pages, by name. The first failed
// call's status otherwise.
absl::StatusOr<mayday::v1::ListRespondersResponse> ListAllResponders(
    mayday::v1::OperatorService::Stub& stub, const CtlOptions& options);

// A context for one unary call, carrying the token and options.timeout.
std::unique_ptr<grpc::ClientContext> NewCallContext(const CtlOptions& options);

// Prints ToJson(message) and a newline to stdout.
absl::Status PrintJson(const google::protobuf::Message& message);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_MAYDAYCTL_OPERATOR_CALL_H_
