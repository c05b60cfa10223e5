// What every engine's connection shares: Run, Transaction, and the marks
// that say what a failed write ran into; see database.h.
#include "store/database.h"

#include <string>

#include "absl/strings/cord.h"

namespace mayday::server::store_internal {
namespace {

constexpr absl::string_view kViolationUrl = "type.mayday.dev/store.violation";
constexpr absl::string_view kStorageFailureUrl = "type.mayday.dev/store.storage_failure";

}  // namespace

void MarkViolation(absl::Status& status, Violation violation) {
  if (violation == Violation::kNone) return;
  status.SetPayload(kViolationUrl, absl::Cord(std::string(1, static_cast<char>(violation))));
}

Violation ViolationOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kViolationUrl);
  if (!payload.has_value() || payload->size() != 1) return Violation::kNone;
  return static_cast<Violation>(std::string(*payload)[0]);
}

void MarkStorageFailure(absl::Status& status, absl::string_view reason) {
  status.SetPayload(kStorageFailureUrl, absl::Cord(reason));
}

absl::string_view StorageFailureOf(const absl::Status& status) {
  const auto payload = status.GetPayload(kStorageFailureUrl);
  if (!payload.has_value()) return "storage error";
  // The reasons are the literals adapters mark with: return ours, which
  // outlive the status.
  for (absl::string_view reason : {"disk full", "I/O error", "database busy", "database read-only",
                                   "database corrupt", "database unreachable"}) {
    if (*payload == reason) return reason;
  }
  return "storage error";
}

absl::Status Database::Run(absl::string_view sql) {
  absl::StatusOr<StatementLease> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  return (*stmt)->Step().status();
}

absl::StatusOr<Transaction> Transaction::Begin(Database& db) {
  if (!db.autocommit()) {
    // Inside a group commit's batch every job already has a savepoint of
    // its own: a failed job is rolled back to it whole.
    if (db.in_job()) return Transaction(&db, /*nested=*/true, /*savepoint=*/false);
    absl::Status status = db.Run("SAVEPOINT nested");
    if (!status.ok()) return status;
    return Transaction(&db, /*nested=*/true, /*savepoint=*/true);
  }
  absl::Status status = db.BeginWrite();
  if (!status.ok()) return status;
  return Transaction(&db, /*nested=*/false, /*savepoint=*/false);
}

Transaction::~Transaction() {
  // After a failed statement or COMMIT the engine may already have rolled
  // back on its own (the whole transaction); only undo what is still open.
  if (db_ == nullptr || db_->autocommit()) return;
  if (nested_ && !savepoint_) return;  // the job's savepoint undoes it
  if (nested_) {
    db_->Run("ROLLBACK TO nested").IgnoreError();
    db_->Run("RELEASE nested").IgnoreError();
  } else {
    db_->Run("ROLLBACK").IgnoreError();
  }
}

absl::Status Transaction::Commit() {
  if (nested_ && db_->autocommit()) {
    // The engine rolled back the outer transaction (I/O error, disk full):
    // the savepoint is gone with it.
    db_ = nullptr;
    return absl::UnavailableError("the enclosing transaction was rolled back");
  }
  if (nested_ && !savepoint_) {
    db_ = nullptr;
    return absl::OkStatus();
  }
  absl::Status status = db_->Run(nested_ ? "RELEASE nested" : "COMMIT");
  if (status.ok()) db_ = nullptr;
  return status;
}

}  // namespace mayday::server::store_internal
