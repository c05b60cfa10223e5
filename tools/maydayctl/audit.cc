// maydayctl's audit commands, for admins: `audit list` prints the trail of
// privileged actions; `audit verify` asks the server to check its hash chain
// (OperatorService.VerifyAuditTrail, the one place that knows how) and fails
// naming the first broken entry.
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "maydayctl/commands.h"
#include "maydayctl/format.h"
#include "maydayctl/operator_call.h"
#include "maydayctl/people.h"
#include "maydayctl/rpc.h"
#include "maydayctl/table.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

constexpr char kAuditTimeFormat[] = "%Y-%m-%d %H:%M:%E3S";

std::string FormatAuditTable(const v1::ListAuditEntriesResponse& page, absl::TimeZone zone) {
  Table table({"SEQ", "TIME", "ACTOR", "ROLE", "ACTION", "TARGET", "DETAIL"});
  for (const v1::AuditEntry& e : page.entries()) {
    table.AddRow({absl::StrCat(e.sequence()),
                  FormatTimestamp(e.create_time(), kAuditTimeFormat, zone),
                  OrDash(PrintableText(e.actor())), RoleName(e.actor_role()),
                  OrDash(PrintableText(e.action())), OrDash(PrintableText(e.target())),
                  OrDash(PrintableText(e.detail()))});
  }
  return table.Render();
}

}  // namespace

absl::Status ListAuditEntries(const CtlOptions& options) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::ListAuditEntriesResponse all;
  v1::ListAuditEntriesRequest request;
  request.set_page_size(1000);
  while (true) {
    v1::ListAuditEntriesResponse page;
    absl::Status status =
        FromGrpc((*stub)->ListAuditEntries(NewCallContext(options).get(), request, &page));
    if (!status.ok()) return status;
    for (auto& e : *page.mutable_entries()) *all.add_entries() = std::move(e);
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  if (options.json) return PrintJson(all);
  std::cout << FormatAuditTable(all, absl::LocalTimeZone());
  return absl::OkStatus();
}

absl::Status VerifyAuditTrail(const CtlOptions& options) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::VerifyAuditTrailResponse verdict;
  absl::Status status = FromGrpc((*stub)->VerifyAuditTrail(
      NewCallContext(options).get(), v1::VerifyAuditTrailRequest(), &verdict));
  if (!status.ok()) return status;
  if (options.json) {
    if (absl::Status printed = PrintJson(verdict); !printed.ok()) return printed;
  } else if (verdict.intact()) {
    std::cout << "audit trail intact: " << verdict.checked_count() << " entries, head "
              << verdict.head_hash() << "\n";
  } else {
    std::cout << "audit trail BROKEN at entry " << verdict.first_broken_sequence() << ": "
              << verdict.problem() << "\n";
  }
  if (verdict.intact()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("the audit trail is broken at entry ",
                                          verdict.first_broken_sequence(), ": ",
                                          verdict.problem()));
}

}  // namespace mayday::tools
