// maydayctl's audit commands, for admins: `audit list` prints the trail of
// privileged actions; `audit verify` asks the server to check its hash chain
// and the case history's (OperatorService.VerifyAuditTrail, the one place
// that knows how), against heads recorded earlier if given, and fails naming
// the first break.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
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

// "--audit-head" "12:ab…" → 12 and "ab…"; empty: 0 and "".
absl::Status ParseHead(absl::string_view flag, const std::string& text, int64_t& sequence,
                       std::string& hash) {
  if (text.empty()) return absl::OkStatus();
  const std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits(':', 1));
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &sequence) || sequence < 1 ||
      parts[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " must be SEQUENCE:HASH, as maydayd logs it; got \"", text, "\""));
  }
  hash = parts[1];
  return absl::OkStatus();
}

// Where the case history broke, in words: "cases/… event 3" or "commit 7".
std::string CaseBreak(const v1::VerifyAuditTrailResponse& verdict) {
  if (!verdict.broken_case().empty()) {
    return absl::StrCat(verdict.broken_case(), " event ", verdict.broken_event_sequence());
  }
  return absl::StrCat("commit ", verdict.broken_commit_sequence());
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

absl::StatusOr<HistoryHeadArgs> ParseHistoryHeads(const std::string& audit_head,
                                                  const std::string& case_head) {
  HistoryHeadArgs heads;
  absl::Status status =
      ParseHead("--audit-head", audit_head, heads.audit_sequence, heads.audit_hash);
  if (status.ok())
    status = ParseHead("--case-head", case_head, heads.case_sequence, heads.case_hash);
  if (!status.ok()) return status;
  return heads;
}

absl::Status VerifyAuditTrail(const CtlOptions& options, const HistoryHeadArgs& heads) {
  v1::VerifyAuditTrailRequest request;
  request.set_audit_head_sequence(heads.audit_sequence);
  request.set_audit_head_hash(heads.audit_hash);
  request.set_case_head_sequence(heads.case_sequence);
  request.set_case_head_hash(heads.case_hash);
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::VerifyAuditTrailResponse verdict;
  absl::Status status =
      FromGrpc((*stub)->VerifyAuditTrail(NewCallContext(options).get(), request, &verdict));
  if (!status.ok()) return status;
  const bool audit_intact = verdict.first_broken_sequence() == 0;
  if (options.json) {
    if (absl::Status printed = PrintJson(verdict); !printed.ok()) return printed;
  } else {
    if (audit_intact) {
      std::cout << "audit trail intact: " << verdict.checked_count() << " entries";
      if (verdict.checked_count() > 0) {
        std::cout << ", head " << verdict.checked_count() << ":" << verdict.head_hash();
      }
      std::cout << "\n";
    } else {
      std::cout << "audit trail BROKEN at entry " << verdict.first_broken_sequence() << ": "
                << verdict.problem() << "\n";
    }
    if (verdict.cases_intact()) {
      std::cout << "case history intact: " << verdict.checked_case_count() << " cases, "
                << verdict.checked_event_count() << " events, " << verdict.checked_commit_count()
                << " commits";
      if (verdict.case_head_sequence() > 0) {
        std::cout << ", head " << verdict.case_head_sequence() << ":" << verdict.case_head_hash();
      }
      std::cout << "\n";
    } else {
      std::cout << "case history BROKEN at " << CaseBreak(verdict) << ": "
                << verdict.cases_problem() << "\n";
    }
    if (verdict.intact() && (verdict.checked_count() > 0 || verdict.case_head_sequence() > 0)) {
      // What to keep elsewhere, to check later that nothing was cut off.
      std::cout << "keep the heads; later: maydayctl audit verify";
      if (verdict.checked_count() > 0) {
        std::cout << " --audit-head " << verdict.checked_count() << ":" << verdict.head_hash();
      }
      if (verdict.case_head_sequence() > 0) {
        std::cout << " --case-head " << verdict.case_head_sequence() << ":"
                  << verdict.case_head_hash();
      }
      std::cout << "\n";
    }
  }
  if (verdict.intact()) return absl::OkStatus();
  if (!audit_intact) {
    return absl::DataLossError(absl::StrCat("the audit trail is broken at entry ",
                                            verdict.first_broken_sequence(), ": ",
                                            verdict.problem()));
  }
  return absl::DataLossError(absl::StrCat("the case history is broken at ", CaseBreak(verdict),
                                          ": ", verdict.cases_problem()));
}

}  // namespace mayday::tools
