// SqliteStore's watch on whether its file takes writes (StoreOptions::
// on_writable): what each batch tells, and the writer's own probe while the
// file takes none. The writer loop (sqlite_store.cc) decides when to probe.
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "store/codec.h"
#include "store/sqlite_store.h"

namespace mayday::server::store_internal {

void SqliteStore::NoteWritable(const std::vector<absl::Status>& results, bool wrote) {
  absl::string_view failure;
  bool committed = false;
  for (const absl::Status& result : results) {
    if (result.ok()) committed = true;
    const absl::string_view reason = WriteFailureReason(result);
    if (!reason.empty()) failure = reason;
  }
  bool writable;
  if (!failure.empty()) {
    writable = false;
  } else if (committed && wrote) {
    writable = true;
  } else {
    return;  // nothing written: it tells nothing
  }
  if (!writable) next_probe_ = clock_->Now() + probe_interval_;
  if (writable == writable_) return;
  writable_ = writable;
  if (on_writable_) on_writable_(writable, writable ? absl::string_view() : failure);
}

absl::Status SqliteStore::Probe() {
  absl::StatusOr<Transaction> txn = Transaction::Begin(*writer_);
  if (!txn.ok()) return WriteFailed(txn.status());
  absl::StatusOr<StatementLease> upsert = writer_->Prepare(
      "INSERT INTO write_probe (id, probe_time_us) VALUES (1, ?1) "
      "ON CONFLICT (id) DO UPDATE SET probe_time_us = excluded.probe_time_us");
  if (!upsert.ok()) return WriteFailed(upsert.status());
  absl::Status status = (*upsert)->BindInt64(1, absl::ToUnixMicros(clock_->Now()));
  if (status.ok()) status = (*upsert)->Step().status();
  if (status.ok()) status = txn->Commit();
  return status.ok() ? status : WriteFailed(status);
}

}  // namespace mayday::server::store_internal
