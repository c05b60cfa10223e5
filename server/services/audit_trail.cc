// What the services write to the audit trail; see audit_trail.h.
#include "services/audit_trail.h"

#include <cstdio>
#include <utility>

#include "absl/synchronization/notification.h"
#include "log/log.h"

namespace mayday::server {

AuditEntry AuditOf(const Principal& who, const base::Clock& clock, std::string action,
                   std::string target, std::string detail) {
  AuditEntry entry;
  entry.time = clock.Now();
  entry.actor_role = who.role;
  entry.actor = who.Name();
  entry.action = std::move(action);
  entry.target = std::move(target);
  entry.detail = std::move(detail);
  return entry;
}

absl::Status SubmitAndWait(Store& store, WriteJob job) {
  absl::Notification finished;
  absl::Status outcome;
  store.Submit(std::move(job), [&](absl::Status status) {
    outcome = std::move(status);
    finished.Notify();
  });
  finished.WaitForNotification();
  return outcome;
}

absl::Status RecordRead(Store& store, const AuditEntry& entry) {
  absl::Status status =
      SubmitAndWait(store, [&entry](WriteTxn& txn) { return txn.AppendAudit(entry); });
  if (!status.ok()) {
    LogError("audit_failed", "audit trail: could not record %s %s by %s: %s", entry.action.c_str(),
             entry.target.c_str(), entry.actor.c_str(), status.ToString().c_str());
  }
  return status;
}

}  // namespace mayday::server
