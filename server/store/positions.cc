// Responders' positions: the latest of each responder (one row each,
// replaced) and tracks while on a case. Written in batches by the server's
// PositionLog, so that a fleet reporting every second costs one transaction
// a second, not one per report.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "store/codec.h"
#include "store/queries.h"

namespace mayday::server::store_internal {
namespace {

// Reads rows of (responder, case_id, report_time_us, location) into reports.
absl::StatusOr<std::vector<PositionReport>> ReadReports(Statement& stmt) {
  std::vector<PositionReport> reports;
  while (true) {
    absl::StatusOr<bool> row = stmt.Step();
    if (!row.ok()) return ReadFailed(row.status());
    if (!*row) return reports;
    PositionReport& report = reports.emplace_back();
    report.responder = std::string(stmt.ColumnText(0));
    report.case_id = std::string(stmt.ColumnText(1));
    report.report_time = absl::FromUnixMicros(stmt.ColumnInt64(2));
    const absl::string_view blob = stmt.ColumnBlob(3);
    if (!report.location.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return absl::DataLossError(
          absl::StrCat("a stored position of ", report.responder, " does not parse"));
    }
  }
}

}  // namespace

absl::Status InsertPositions(Database& db, const std::vector<PositionReport>& reports) {
  for (const PositionReport& report : reports) {
    if (report.responder.empty()) {
      return absl::InvalidArgumentError("a position report needs a responder; nothing was stored");
    }
  }
  if (reports.empty()) return absl::OkStatus();
  absl::StatusOr<Transaction> txn = Transaction::Begin(db);
  if (!txn.ok()) return WriteFailed(txn.status());
  for (const PositionReport& report : reports) {
    const std::string blob = report.location.SerializeAsString();
    const int64_t time_us = absl::ToUnixMicros(report.report_time);
    absl::StatusOr<StatementLease> upsert = db.Prepare(
        "INSERT INTO responder_positions (responder, report_time_us, location) "
        "VALUES (?1, ?2, ?3) ON CONFLICT (responder) DO UPDATE SET "
        "report_time_us = excluded.report_time_us, location = excluded.location");
    if (!upsert.ok()) return WriteFailed(upsert.status());
    absl::Status status = (*upsert)->BindText(1, report.responder);
    if (status.ok()) status = (*upsert)->BindInt64(2, time_us);
    if (status.ok()) status = (*upsert)->BindBlob(3, blob);
    if (status.ok()) status = (*upsert)->Step().status();
    if (!status.ok()) return WriteFailed(status);
    if (report.case_id.empty()) continue;
    absl::StatusOr<StatementLease> track = db.Prepare(
        "INSERT INTO case_tracks (case_id, report_time_us, responder, location) "
        "VALUES (?1, ?2, ?3, ?4)");
    if (!track.ok()) return WriteFailed(track.status());
    status = (*track)->BindText(1, report.case_id);
    if (status.ok()) status = (*track)->BindInt64(2, time_us);
    if (status.ok()) status = (*track)->BindText(3, report.responder);
    if (status.ok()) status = (*track)->BindBlob(4, blob);
    if (status.ok()) status = (*track)->Step().status();
    if (!status.ok()) return WriteFailed(status);
  }
  if (absl::Status status = txn->Commit(); !status.ok()) return WriteFailed(status);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PositionReport>> SelectTrack(Database& db, absl::string_view case_id) {
  absl::StatusOr<StatementLease> select = db.Prepare(
      "SELECT responder, case_id, report_time_us, location FROM case_tracks "
      "WHERE case_id = ?1 ORDER BY report_time_us, rowid");
  if (!select.ok()) return ReadFailed(select.status());
  if (absl::Status status = (*select)->BindText(1, case_id); !status.ok()) {
    return ReadFailed(status);
  }
  return ReadReports(**select);
}

absl::StatusOr<std::vector<PositionReport>> SelectPositions(Database& db) {
  absl::StatusOr<StatementLease> select = db.Prepare(
      "SELECT responder, '', report_time_us, location FROM responder_positions "
      "ORDER BY responder");
  if (!select.ok()) return ReadFailed(select.status());
  return ReadReports(**select);
}

}  // namespace mayday::server::store_internal
