// What the services write to the audit trail (store/audit.h) and how. A
// privileged action that changes something is audited in the same
// transaction as the change (CaseLog::Append with an entry, or a write job
// that makes the change and calls WriteTxn::AppendAudit). A care agent's
// read of members' data (cases, timelines, notes, tracks, the live feed) and
// an admin's read of the token list are audited by RecordRead before the
// answer is sent.
#ifndef MAYDAY_SERVER_SERVICES_AUDIT_TRAIL_H_
#define MAYDAY_SERVER_SERVICES_AUDIT_TRAIL_H_

#include <string>

#include "auth/token.h"
#include "mayday/base/clock.h"
#include "store/store.h"

namespace mayday::server {

// The entry for `who` doing `action` now (by `clock`) on `target`.
AuditEntry AuditOf(const Principal& who, const base::Clock& clock, std::string action,
                   std::string target, std::string detail = "");

// Appends `entry` through the store's writer and waits until it is on disk.
// If storage fails the read is still answered (care agents must keep seeing
// cases while the disk is full): the failure is reported on stderr, naming
// the entry, and returned for callers that want it.
absl::Status RecordRead(Store& store, const AuditEntry& entry);

// Runs `job` as one job of the store's group commit and waits for its
// outcome: OK only once it is on disk.
absl::Status SubmitAndWait(Store& store, WriteJob job);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_AUDIT_TRAIL_H_
