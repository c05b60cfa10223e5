// OperatorService: the audit trail, for admins only. Listing shows entries
// as stored; verifying checks the hash chain (Store::VerifyAudit, the one
// place that knows how).
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
    grpc::CallbackServerContext* context, const mayday::v1::VerifyAuditTrailRequest*,
    mayday::v1::VerifyAuditTrailResponse* response) {
  return FinishUnary(services_.calls, context, [=, this]() -> absl::Status {
    if (auto p =
            Admit(services_, *context, Role::kAdmin, CallClass::kStaffReads, "VerifyAuditTrail");
        !p.ok()) {
      return p.status();
    }
    auto verdict = services_.store->VerifyAudit();
    if (!verdict.ok()) return verdict.status();
    response->set_intact(verdict->intact());
    response->set_checked_count(verdict->checked);
    response->set_first_broken_sequence(verdict->first_broken);
    response->set_problem(verdict->problem);
    response->set_head_hash(verdict->last_hash);
    return absl::OkStatus();
  });
}

}  // namespace mayday::server
