// maydayctl's commands that change a case: cases message, note, cancel and
// resolve. Each makes one OperatorService call and prints what the server
// committed.
#include <iostream>
#include <memory>

#include "absl/time/clock.h"
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
                        const std::string& reason) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::CancelCaseRequest request;
  request.set_name(case_name);
  request.set_reason(reason);
  v1::Case the_case;
  absl::Status status =
      FromGrpc((*stub)->CancelCase(NewCallContext(options).get(), request, &the_case));
  if (!status.ok()) return status;
  return PrintCase(options, the_case);
}

absl::Status ResolveCase(const CtlOptions& options, const std::string& case_name) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::ResolveCaseRequest request;
  request.set_name(case_name);
  v1::Case the_case;
  absl::Status status =
      FromGrpc((*stub)->ResolveCase(NewCallContext(options).get(), request, &the_case));
  if (!status.ok()) return status;
  return PrintCase(options, the_case);
}

}  // namespace mayday::tools
