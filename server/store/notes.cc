// Care agents' internal notes on cases: AddNote and ListNotes. Stored apart
// from the event timeline, so that nothing that streams to members or
// responders can carry them.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "store/codec.h"
#include "store/queries.h"

namespace mayday::server::store_internal {

absl::Status InsertNote(Database& db, const mayday::v1::CaseNote& note) {
  std::optional<absl::string_view> case_id = CaseIdOf(note.case_());
  if (!case_id.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("note.case must be \"cases/{id}\"; got \"", note.case_(), "\""));
  }
  absl::StatusOr<StatementLease> insert =
      db.Prepare("INSERT INTO case_notes (case_id, create_time_us, note) VALUES (?1, ?2, ?3)");
  if (!insert.ok()) return WriteFailed(insert.status());
  const std::string blob = note.SerializeAsString();
  absl::Status status = (*insert)->BindText(1, *case_id);
  if (status.ok()) {
    const auto& t = note.create_time();
    status = (*insert)->BindInt64(2, t.seconds() * 1'000'000 + t.nanos() / 1'000);
  }
  if (status.ok()) status = (*insert)->BindBlob(3, blob);
  if (status.ok()) status = (*insert)->Step().status();
  if (ViolationOf(status) == Violation::kForeignKey) {
    return absl::NotFoundError(absl::StrCat(note.case_(), " not found; nothing was stored"));
  }
  if (!status.ok()) return WriteFailed(status);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<mayday::v1::CaseNote>> SelectNotes(Database& db,
                                                              absl::string_view case_id) {
  absl::StatusOr<StatementLease> select =
      db.Prepare("SELECT note FROM case_notes WHERE case_id = ?1 ORDER BY create_time_us, rowid");
  if (!select.ok()) return ReadFailed(select.status());
  if (absl::Status status = (*select)->BindText(1, case_id); !status.ok()) {
    return ReadFailed(status);
  }
  std::vector<mayday::v1::CaseNote> notes;
  while (true) {
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return ReadFailed(row.status());
    if (!*row) break;
    mayday::v1::CaseNote note;
    const absl::string_view blob = (*select)->ColumnBlob(0);
    if (!note.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return absl::DataLossError(
          absl::StrCat("a stored note of cases/", case_id, " does not parse"));
    }
    notes.push_back(std::move(note));
  }
  return notes;
}

}  // namespace mayday::server::store_internal
