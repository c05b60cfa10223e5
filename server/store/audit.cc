// The audit trail's rows, hashes and chain check; see audit.h.
#include "store/audit.h"

#include <openssl/sha.h>

#include <array>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "store/codec.h"

namespace mayday::server::store_internal {
namespace {

// A row's fields as stored, the form that is hashed: the verifier hashes
// exactly the column text it read, whatever it says.
struct RawRow {
  int64_t sequence = 0;
  int64_t time_us = 0;
  absl::string_view actor_role;
  absl::string_view actor;
  absl::string_view action;
  absl::string_view target;
  absl::string_view detail;
};

std::string HashRaw(absl::string_view prev_hash, const RawRow& row) {
  std::string canonical = absl::StrCat(prev_hash, "\n");
  const auto field = [&canonical](absl::string_view value) {
    absl::StrAppend(&canonical, value.size(), ":", value, "\n");
  };
  field(absl::StrCat(row.sequence));
  field(absl::StrCat(row.time_us));
  field(row.actor_role);
  field(row.actor);
  field(row.action);
  field(row.target);
  field(row.detail);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest;
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest.data());
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

RawRow ToRaw(int64_t sequence, const AuditEntry& entry) {
  return RawRow{sequence,
                absl::ToUnixMicros(entry.time),
                RoleName(entry.actor_role),
                entry.actor,
                entry.action,
                entry.target,
                entry.detail};
}

constexpr char kSelectColumns[] =
    "SELECT sequence, time_us, actor_role, actor, action, target, detail, prev_hash, hash "
    "FROM audit_log ";

RawRow ReadRaw(const Statement& row) {
  return RawRow{row.ColumnInt64(0), row.ColumnInt64(1), row.ColumnText(2), row.ColumnText(3),
                row.ColumnText(4),  row.ColumnText(5),  row.ColumnText(6)};
}

}  // namespace

std::string AuditRowHash(absl::string_view prev_hash, int64_t sequence, const AuditEntry& entry) {
  return HashRaw(prev_hash, ToRaw(sequence, entry));
}

absl::Status InsertAudit(Database& db, const AuditEntry& entry) {
  if (entry.actor.empty() || entry.action.empty()) {
    return absl::InvalidArgumentError("an audit entry needs an actor and an action");
  }
  absl::StatusOr<StatementLease> last =
      db.Prepare("SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1");
  if (!last.ok()) return WriteFailed(last.status());
  absl::StatusOr<bool> found = (*last)->Step();
  if (!found.ok()) return WriteFailed(found.status());
  const int64_t sequence = *found ? (*last)->ColumnInt64(0) + 1 : 1;
  const std::string prev_hash =
      *found ? std::string((*last)->ColumnText(1)) : std::string(kAuditGenesisHash);
  const std::string hash = AuditRowHash(prev_hash, sequence, entry);

  absl::StatusOr<StatementLease> insert = db.Prepare(
      "INSERT INTO audit_log (sequence, time_us, actor_role, actor, action, target, detail, "
      "prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  if (!insert.ok()) return WriteFailed(insert.status());
  absl::Status status = (*insert)->BindInt64(1, sequence);
  if (status.ok()) status = (*insert)->BindInt64(2, absl::ToUnixMicros(entry.time));
  if (status.ok()) status = (*insert)->BindText(3, RoleName(entry.actor_role));
  if (status.ok()) status = (*insert)->BindText(4, entry.actor);
  if (status.ok()) status = (*insert)->BindText(5, entry.action);
  if (status.ok()) status = (*insert)->BindText(6, entry.target);
  if (status.ok()) status = (*insert)->BindText(7, entry.detail);
  if (status.ok()) status = (*insert)->BindText(8, prev_hash);
  if (status.ok()) status = (*insert)->BindText(9, hash);
  if (status.ok()) status = (*insert)->Step().status();
  if (!status.ok()) return WriteFailed(status);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AuditRecord>> SelectAudit(Database& db, int64_t after_sequence,
                                                     int limit) {
  if (limit < 1 || limit > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("limit must be 1 to 10000 audit rows; got ", limit));
  }
  absl::StatusOr<StatementLease> select =
      db.Prepare(absl::StrCat(kSelectColumns, "WHERE sequence > ?1 ORDER BY sequence LIMIT ?2"));
  if (!select.ok()) return ReadFailed(select.status());
  absl::Status status = (*select)->BindInt64(1, after_sequence);
  if (status.ok()) status = (*select)->BindInt64(2, limit);
  if (!status.ok()) return ReadFailed(status);
  std::vector<AuditRecord> records;
  while (true) {
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return ReadFailed(row.status());
    if (!*row) return records;
    const RawRow raw = ReadRaw(**select);
    AuditRecord record;
    record.sequence = raw.sequence;
    record.entry.time = absl::FromUnixMicros(raw.time_us);
    // A tampered role is shown as the operator role; VerifyAudit reports it.
    record.entry.actor_role = RoleFromName(raw.actor_role).value_or(Role::kOperator);
    record.entry.actor = std::string(raw.actor);
    record.entry.action = std::string(raw.action);
    record.entry.target = std::string(raw.target);
    record.entry.detail = std::string(raw.detail);
    record.prev_hash = std::string((*select)->ColumnText(7));
    record.hash = std::string((*select)->ColumnText(8));
    records.push_back(std::move(record));
  }
}

absl::StatusOr<AuditVerdict> CheckAuditChain(Database& db, const ChainAnchor& anchor) {
  absl::StatusOr<StatementLease> select =
      db.Prepare(absl::StrCat(kSelectColumns, "ORDER BY sequence"));
  if (!select.ok()) return ReadFailed(select.status());
  AuditVerdict verdict;
  std::string expected_prev(kAuditGenesisHash);
  int64_t expected_sequence = 1;
  while (true) {
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return ReadFailed(row.status());
    if (!*row) break;
    ++verdict.checked;
    const RawRow raw = ReadRaw(**select);
    const absl::string_view prev_hash = (*select)->ColumnText(7);
    const absl::string_view hash = (*select)->ColumnText(8);
    std::string problem;
    if (raw.sequence != expected_sequence) {
      problem =
          absl::StrCat("sequence ", raw.sequence, " follows ", expected_sequence - 1, ": rows ",
                       expected_sequence, " to ", raw.sequence - 1, " are missing");
    } else if (prev_hash != expected_prev) {
      problem = absl::StrCat("its prev_hash ", prev_hash, " is not the hash of row ",
                             raw.sequence - 1, " (", expected_prev, ")");
    } else if (!RoleFromName(raw.actor_role).has_value()) {
      problem = absl::StrCat("its actor role \"", raw.actor_role, "\" is not a role");
    } else if (const std::string recomputed = HashRaw(prev_hash, raw); recomputed != hash) {
      problem = absl::StrCat("its fields do not match its hash (stored ", hash, ", computed ",
                             recomputed, "): the row was changed");
    } else if (raw.sequence == anchor.sequence && hash != anchor.hash) {
      problem = absl::StrCat("its hash ", hash, " is not the one recorded for it (", anchor.hash,
                             "): the trail was rewritten");
    }
    if (!problem.empty()) {
      verdict.first_broken = raw.sequence;
      verdict.problem = std::move(problem);
      return verdict;
    }
    expected_prev = std::string(hash);
    expected_sequence = raw.sequence + 1;
  }
  if (anchor.sequence >= expected_sequence) {
    verdict.first_broken = expected_sequence;
    verdict.problem = absl::StrCat("the trail ends at entry ", expected_sequence - 1, " but entry ",
                                   anchor.sequence, " was recorded: entries were cut off the end");
    return verdict;
  }
  verdict.last_hash = expected_prev;
  return verdict;
}

}  // namespace mayday::server::store_internal
