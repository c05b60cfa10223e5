// OperatorService: the audit trail, for admins only. Listing shows entries
// as stored; verifying checks the audit trail's and the case history's hash
// chains (Store::VerifyHistory, the one place that knows how).
#include <algorithm>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/proto_time.h"
#include "api/roles.h"
#include "rpc/unary.h"
#include "rpc/validation.h"
#include "services/admit.h"
#include "services/operator_service.h"

namespace mayday::server {
namespace {

mayday::v1::AuditEntry ToProto(const AuditRecord& record) {
  mayday::v1::AuditEntry entry;
  entry.set_sequence(record.sequence);
  *entry.mutable_create_time() = ToProtoTime(record.entry.time);
  entry.set_actor(record.entry.actor);
  entry.set_actor_role(ToProtoRole(record.entry.actor_role));
  entry.set_action(record.entry.action);
  entry.set_target(record.entry.target);
  entry.set_detail(record.entry.detail);
  entry.set_prev_hash(record.prev_hash);
  entry.set_hash(record.hash);
  return entry;
}

// A chain head from the request: none (sequence 0, no hash), or a sequence
// of at least 1 with a hash of 64 lowercase hex digits. `field` prefixes
// the fields' names ("audit_head" for audit_head_sequence and _hash).
absl::StatusOr<ChainAnchor> ParseHead(absl::string_view field, int64_t sequence,
                                      const std::string& hash) {
  if (sequence == 0 && hash.empty()) return ChainAnchor{};
  if (sequence < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, "_sequence must be at least 1 with ", field, "_hash; got ", sequence));
  }
  const bool hex = hash.size() == 64 && std::all_of(hash.begin(), hash.end(), [](char c) {
                     return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                   });
  if (!hex) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, "_hash must be 64 lowercase hex digits; got ", hash.size(), " characters"));
  }
  return ChainAnchor{sequence, hash};
}

}  // namespace

grpc::ServerUnaryReactor* OperatorServiceImpl::ListAuditEntries(
    grpc::CallbackServerContext* context, const mayday::v1::ListAuditEntriesRequest* request,
    mayday::v1::ListAuditEntriesResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    if (auto p =
            Admit(services_, *context, Role::kAdmin, CallClass::kStaffReads, "ListAuditEntries");
        !p.ok()) {
      return p.status();
    }
    auto size = ValidatePageSize(request->page_size(), 1000, 100);
    if (!size.ok()) return size.status();
    // The page token is the last sequence already returned.
    auto after = ParseSequencePageToken(request->page_token());
    if (!after.ok()) return after.status();
    // One more than asked, to know whether another page follows.
    auto records = services_.store->ListAudit(*after, *size + 1);
    if (!records.ok()) return records.status();
    const bool more = static_cast<int>(records->size()) > *size;
    if (more) records->pop_back();
    for (const AuditRecord& record : *records) *response->add_entries() = ToProto(record);
    if (more) response->set_next_page_token(absl::StrCat(records->back().sequence));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* OperatorServiceImpl::VerifyAuditTrail(
    grpc::CallbackServerContext* context, const mayday::v1::VerifyAuditTrailRequest* request,
    mayday::v1::VerifyAuditTrailResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    if (auto p =
            Admit(services_, *context, Role::kAdmin, CallClass::kStaffReads, "VerifyAuditTrail");
        !p.ok()) {
      return p.status();
    }
    auto audit_head =
        ParseHead("audit_head", request->audit_head_sequence(), request->audit_head_hash());
    if (!audit_head.ok()) return audit_head.status();
    auto case_head =
        ParseHead("case_head", request->case_head_sequence(), request->case_head_hash());
    if (!case_head.ok()) return case_head.status();
    auto verdict = services_.store->VerifyHistory(*audit_head, *case_head);
    if (!verdict.ok()) return verdict.status();
    const AuditVerdict& audit = verdict->audit;
    response->set_intact(verdict->intact());
    response->set_checked_count(audit.checked);
    response->set_first_broken_sequence(audit.first_broken);
    response->set_problem(audit.problem);
    response->set_head_hash(audit.last_hash);
    const CaseHistoryVerdict& cases = verdict->cases;
    response->set_cases_intact(cases.intact());
    response->set_checked_case_count(cases.cases);
    response->set_checked_event_count(cases.events);
    response->set_checked_commit_count(cases.commits);
    response->set_broken_case(cases.broken_case);
    response->set_broken_event_sequence(cases.broken_sequence);
    response->set_broken_commit_sequence(cases.broken_commit);
    response->set_cases_problem(cases.problem);
    response->set_case_head_sequence(cases.head_sequence);
    response->set_case_head_hash(cases.head_hash);
    return absl::OkStatus();
  });
}

}  // namespace mayday::server
