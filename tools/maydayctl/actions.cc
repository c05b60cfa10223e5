// maydayctl's commands that change a case: cases message, note, cancel,
// resolve, take, release, escalate, assign and keep, and export. Each makes one
// OperatorService call and prints what the server committed.
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "mayday/exports/cap.h"
#include "mayday/exports/eido.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "maydayctl/commands.h"
#include "maydayctl/operator_call.h"
#include "maydayctl/rpc.h"
#include "maydayctl/views.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

// Prints a case as `cases show` prints its fields, or as JSON.
absl::Status PrintCase(const CtlOptions& options, const v1::Case& the_case) {
  if (options.json) return PrintJson(the_case);
  std::cout << FormatCaseDetails(the_case, absl::Now(), absl::LocalTimeZone());
  return absl::OkStatus();
}

// Makes the unary call `method` (a stub method answering with a Case) and
// prints the case.
template <typename Request>
absl::Status CallAndPrintCase(const CtlOptions& options,
                              grpc::Status (v1::OperatorService::Stub::*method)(
                                  grpc::ClientContext*, const Request&, v1::Case*),
                              const Request& request) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::Case the_case;
  absl::Status status =
      FromGrpc(((**stub).*method)(NewCallContext(options).get(), request, &the_case));
  if (!status.ok()) return status;
  return PrintCase(options, the_case);
}

}  // namespace

absl::Status PostCaseMessage(const CtlOptions& options, const std::string& case_name,
                             const std::string& text) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::PostMessageRequest request;
  request.set_case_(case_name);
  request.set_text(text);
  v1::ListCaseEventsResponse posted;
  absl::Status status =
      FromGrpc((*stub)->PostMessage(NewCallContext(options).get(), request, posted.add_events()));
  if (!status.ok()) return status;
  if (options.json) return PrintJson(posted.events(0));
  std::cout << FormatTimeline(posted, absl::LocalTimeZone());
  return absl::OkStatus();
}

absl::Status AddCaseNote(const CtlOptions& options, const std::string& case_name,
                         const std::string& text) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::CreateCaseNoteRequest request;
  request.set_parent(case_name);
  request.set_text(text);
  v1::ListCaseNotesResponse created;
  absl::Status status = FromGrpc(
      (*stub)->CreateCaseNote(NewCallContext(options).get(), request, created.add_notes()));
  if (!status.ok()) return status;
  if (options.json) return PrintJson(created.notes(0));
  std::cout << "note (internal) on " << case_name << ":\n"
            << FormatNotes(created, absl::LocalTimeZone());
  return absl::OkStatus();
}

absl::Status CancelCase(const CtlOptions& options, const std::string& case_name,
                        const std::string& reason, bool false_alarm) {
  v1::CancelCaseRequest request;
  request.set_name(case_name);
  request.set_reason(reason);
  request.set_false_alarm(false_alarm);
  return CallAndPrintCase(options, &v1::OperatorService::Stub::CancelCase, request);
}

absl::Status ResolveCase(const CtlOptions& options, const std::string& case_name) {
  v1::ResolveCaseRequest request;
  request.set_name(case_name);
  return CallAndPrintCase(options, &v1::OperatorService::Stub::ResolveCase, request);
}

absl::Status TakeCase(const CtlOptions& options, const std::string& case_name) {
  v1::TakeCaseRequest request;
  request.set_name(case_name);
  return CallAndPrintCase(options, &v1::OperatorService::Stub::TakeCase, request);
}

absl::Status ReleaseCase(const CtlOptions& options, const std::string& case_name) {
  v1::ReleaseCaseRequest request;
  request.set_name(case_name);
  return CallAndPrintCase(options, &v1::OperatorService::Stub::ReleaseCase, request);
}

absl::Status EscalateCase(const CtlOptions& options, const std::string& case_name,
                          const std::string& reason) {
  v1::EscalateCaseRequest request;
  request.set_name(case_name);
  request.set_reason(reason);
  return CallAndPrintCase(options, &v1::OperatorService::Stub::EscalateCase, request);
}

absl::Status AssignCase(const CtlOptions& options, const std::string& case_name,
                        const std::string& responder_name) {
  v1::AssignCaseRequest request;
  request.set_name(case_name);
  request.set_responder(responder_name);
  return CallAndPrintCase(options, &v1::OperatorService::Stub::AssignCase, request);
}

absl::Status ExportCaseCap(const CtlOptions& options, const std::string& case_name,
                           const std::string& sender) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  absl::StatusOr<v1::Case> the_case = GetCase(**stub, options, case_name);
  if (!the_case.ok()) return the_case.status();
  absl::StatusOr<std::string> cap = exports::CaseToCap(*the_case, {.sender = sender});
  if (!cap.ok()) return cap.status();
  std::cout << *cap;
  return absl::OkStatus();
}

absl::Status ExportCaseEido(const CtlOptions& options, const std::string& case_name,
                            const std::string& agency) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  absl::StatusOr<v1::Case> found = GetCase(**stub, options, case_name);
  if (!found.ok()) return found.status();
  const v1::Case& the_case = *found;
  absl::StatusOr<v1::ListCaseEventsResponse> timeline =
      ListAllCaseEvents(**stub, options, case_name);
  if (!timeline.ok()) return timeline.status();
  // A crew's capabilities give its resource type; one the server no longer
  // knows (it has not gone on duty since a restart) is named in the notes only.
  std::vector<exports::EidoCrew> crews;
  for (const std::string& crew : {the_case.responder(), the_case.second_responder()}) {
    if (crew.empty()) continue;
    v1::GetResponderRequest ask;
    ask.set_name(crew);
    v1::Responder responder;
    if ((*stub)->GetResponder(NewCallContext(options).get(), ask, &responder).ok()) {
      exports::EidoCrew known{crew, {}};
      for (int c : responder.capabilities()) {
        known.capabilities.push_back(static_cast<v1::Capability>(c));
      }
      crews.push_back(std::move(known));
    }
  }
  const std::vector<v1::CaseEvent> events(timeline->events().begin(), timeline->events().end());
  absl::StatusOr<std::string> eido =
      exports::CaseToEido(the_case, events, crews, {.agency = agency});
  if (!eido.ok()) return eido.status();
  std::cout << *eido << "\n";
  return absl::OkStatus();
}

absl::Status KeepCrew(const CtlOptions& options, const std::string& case_name,
                      const std::string& responder_name) {
  v1::KeepCrewRequest request;
  request.set_name(case_name);
  request.set_responder(responder_name);
  return CallAndPrintCase(options, &v1::OperatorService::Stub::KeepCrew, request);
}

}  // namespace mayday::tools
