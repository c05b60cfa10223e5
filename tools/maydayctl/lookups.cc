// maydayctl's commands about people: responders show and members show. They
// gather with OperatorService and print through people.h.
#include <iostream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "maydayctl/commands.h"
#include "maydayctl/operator_call.h"
#include "maydayctl/people.h"
#include "maydayctl/rpc.h"
#include "maydayctl/views.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

}  // namespace

absl::Status ShowResponder(const CtlOptions& options, const std::string& responder_name) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::GetResponderRequest get;
  get.set_name(responder_name);
  v1::Responder responder;
  absl::Status status =
      FromGrpc((*stub)->GetResponder(NewCallContext(options).get(), get, &responder));
  if (!status.ok()) return status;

  v1::ListAllCasesRequest request;
  request.set_responder(responder_name);
  absl::StatusOr<std::vector<v1::Case>> cases = ListAllCases(**stub, options, request);
  if (!cases.ok()) return cases.status();
  v1::ListCasesResponse served;
  for (const v1::Case& c : *cases) *served.add_cases() = c;

  if (options.json) {
    absl::StatusOr<std::string> responder_json = ToJson(responder);
    if (!responder_json.ok()) return responder_json.status();
    absl::StatusOr<std::string> cases_json = ToJsonArray(*cases);
    if (!cases_json.ok()) return cases_json.status();
    std::cout << "{\"responder\":" << *responder_json << ",\"cases\":" << *cases_json << "}\n";
    return absl::OkStatus();
  }
  std::cout << FormatResponderDetails(responder, served, absl::Now());
  return absl::OkStatus();
}

absl::Status ShowMedicalProfile(const CtlOptions& options, const std::string& member_name) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::GetMemberMedicalProfileRequest request;
  request.set_name(member_name + "/medicalProfile");
  v1::MedicalProfile profile;
  absl::Status status =
      FromGrpc((*stub)->GetMedicalProfile(NewCallContext(options).get(), request, &profile));
  if (!status.ok()) return status;
  if (options.json) return PrintJson(profile);
  std::cout << FormatMedicalProfile(profile, absl::LocalTimeZone());
  return absl::OkStatus();
}

absl::Status ShowMember(const CtlOptions& options, const std::string& member_name) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  MemberRecord record;
  record.member = member_name;
  v1::ListAllCasesRequest request;
  request.set_member(member_name);
  absl::StatusOr<std::vector<v1::Case>> cases = ListAllCases(**stub, options, request);
  if (!cases.ok()) return cases.status();
  record.cases = *std::move(cases);
  for (const v1::Case& c : record.cases) {
    absl::StatusOr<v1::ListCaseEventsResponse> timeline =
        ListAllCaseEvents(**stub, options, c.name());
    if (!timeline.ok()) return timeline.status();
    record.events.insert(record.events.end(), timeline->events().begin(), timeline->events().end());
  }
  if (options.json) {
    absl::StatusOr<std::string> json = MemberJson(record);
    if (!json.ok()) return json.status();
    std::cout << *json << '\n';
    return absl::OkStatus();
  }
  std::cout << FormatMember(record, absl::Now(), absl::LocalTimeZone());
  return absl::OkStatus();
}

}  // namespace mayday::tools
