// The audit trail of privileged actions: an append-only, hash-chained table.
// Each row's hash is the SHA-256 of the previous row's hash and the row's own
// fields in a canonical form, so that editing, inserting or deleting a row
// anywhere but at the very end breaks the chain at that row. This file is the
// one place that knows how a row is hashed and how the chain is checked.
//
// Not thread-safe: the caller holds the lock that guards `db` (queries.h).
#ifndef MAYDAY_SERVER_STORE_AUDIT_H_
#define MAYDAY_SERVER_STORE_AUDIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "store/database.h"
#include "store/store.h"

namespace mayday::server::store_internal {

// The prev_hash of the first row: 64 zeros.
inline constexpr absl::string_view kAuditGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Lowercase hex SHA-256 of `prev_hash` followed by the canonical encoding of
// the row `sequence` holding `entry`: each field as "<byte length>:<bytes>\n"
// in the order sequence, time (Unix microseconds), actor role, actor,
// action, target, detail, so that no two different rows encode alike.
std::string AuditRowHash(absl::string_view prev_hash, int64_t sequence, const AuditEntry& entry);

// Appends `entry` after the last row, inside the caller's transaction.
// INVALID_ARGUMENT if actor or action is empty; UNAVAILABLE on a SQLite
// error.
absl::Status InsertAudit(Database& db, const AuditEntry& entry);

// Store::ListAudit.
absl::StatusOr<std::vector<AuditRecord>> SelectAudit(Database& db, int64_t after_sequence,
                                                     int limit);

// Store::VerifyAudit: reads every row in sequence order and checks it, and
// that the row `anchor.sequence` (if not 0) is still there with
// `anchor.hash`.
absl::StatusOr<AuditVerdict> CheckAuditChain(Database& db, const ChainAnchor& anchor = {});

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_AUDIT_H_
