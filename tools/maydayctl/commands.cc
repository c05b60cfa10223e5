// maydayctl's request/response commands: cases list, cases show, responders
// list. (cases watch lives in watch.cc.)
#include "maydayctl/commands.h"

#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "maydayctl/format.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

// The largest pages the API allows, for commands that fetch everything.
constexpr int kEventPageSize = 1000;
constexpr int kResponderPageSize = 1000;

absl::StatusOr<std::unique_ptr<v1::OperatorService::Stub>> Connect(
    const CtlOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      OpenChannel(options.server);
  if (!channel.ok()) return channel.status();
  return v1::OperatorService::NewStub(*channel);
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions print_options;
  auto status = google::protobuf::util::MessageToJsonString(message, &json,
                                                            print_options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print JSON: ", status.ToString()));
  }
  return json;
}

absl::Status PrintJson(const google::protobuf::Message& message) {
  absl::StatusOr<std::string> json = ToJson(message);
  if (!json.ok()) return json.status();
  std::cout << *json << '\n';
  return absl::OkStatus();
}

// A context for one unary call, carrying the token and the deadline.
std::unique_ptr<grpc::ClientContext> NewContext(const CtlOptions& options) {
  auto context = std::make_unique<grpc::ClientContext>();
  PrepareContext(context.get(), options.token, options.timeout);
  return context;
}

}  // namespace

absl::Status ListCases(const CtlOptions& options, const CaseListQuery& query) {
  auto stub = Connect(options);
  if (!stub.ok()) return stub.status();
  v1::ListAllCasesRequest request;
  for (v1::CaseState state : query.states) request.add_states(state);
  request.set_kind(query.kind);
  request.set_page_size(query.page_size);
  request.set_page_token(query.page_token);

  v1::ListCasesResponse all;
  while (true) {
    v1::ListCasesResponse page;
    absl::Status status =
        FromGrpc((*stub)->ListCases(NewContext(options).get(), request, &page));
    if (!status.ok()) return status;
    all.mutable_cases()->MergeFrom(page.cases());
    all.set_next_page_token(page.next_page_token());
    if (!query.all || page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }

  if (options.json) return PrintJson(all);
  std::cout << FormatCaseTable(all, absl::Now());
  if (!all.next_page_token().empty()) {
    std::cerr << "more cases: add --page-token " << all.next_page_token()
              << " (or --all)\n";
  }
  return absl::OkStatus();
}

absl::Status ShowCase(const CtlOptions& options, const std::string& case_name) {
  auto stub = Connect(options);
  if (!stub.ok()) return stub.status();

  v1::GetCaseRequest get;
  get.set_name(case_name);
  v1::Case the_case;
  absl::Status status =
      FromGrpc((*stub)->GetCase(NewContext(options).get(), get, &the_case));
  if (!status.ok()) return status;

  v1::ListCaseEventsRequest list;
  list.set_parent(case_name);
  list.set_page_size(kEventPageSize);
  v1::ListCaseEventsResponse timeline;
  while (true) {
    v1::ListCaseEventsResponse page;
    status = FromGrpc(
        (*stub)->ListCaseEvents(NewContext(options).get(), list, &page));
    if (!status.ok()) return status;
    timeline.mutable_events()->MergeFrom(page.events());
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }

  if (options.json) {
    absl::StatusOr<std::string> case_json = ToJson(the_case);
    if (!case_json.ok()) return case_json.status();
    std::string out = absl::StrCat("{\"case\":", *case_json, ",\"events\":[");
    for (int i = 0; i < timeline.events_size(); ++i) {
      absl::StatusOr<std::string> event_json = ToJson(timeline.events(i));
      if (!event_json.ok()) return event_json.status();
      absl::StrAppend(&out, i == 0 ? "" : ",", *event_json);
    }
    std::cout << out << "]}\n";
    return absl::OkStatus();
  }
  const absl::TimeZone zone = absl::LocalTimeZone();
  std::cout << FormatCaseDetails(the_case, absl::Now(), zone) << "\ntimeline:\n"
            << FormatTimeline(timeline, zone);
  return absl::OkStatus();
}

absl::Status ListResponders(const CtlOptions& options) {
  auto stub = Connect(options);
  if (!stub.ok()) return stub.status();
  v1::ListRespondersRequest request;
  request.set_page_size(kResponderPageSize);
  v1::ListRespondersResponse all;
  while (true) {
    v1::ListRespondersResponse page;
    absl::Status status = FromGrpc(
        (*stub)->ListResponders(NewContext(options).get(), request, &page));
    if (!status.ok()) return status;
    all.mutable_responders()->MergeFrom(page.responders());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  if (options.json) return PrintJson(all);
  std::cout << FormatResponderTable(all, absl::Now());
  return absl::OkStatus();
}

}  // namespace mayday::tools
