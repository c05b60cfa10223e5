// Members' cancel PINs: GetPins and PutPins. Only the PINs' slow salted
// hashes are stored (auth/pin_hash.h); they are read to check a PIN and
// never leave the server.
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "store/codec.h"
#include "store/queries.h"

namespace mayday::server::store_internal {

absl::StatusOr<std::optional<MemberPins>> SelectPins(Database& db, absl::string_view member) {
  absl::StatusOr<StatementLease> select = db.Prepare(
      "SELECT cancel_hash, duress_hash, update_time_us FROM member_pins WHERE member = ?1");
  if (!select.ok()) return ReadFailed(select.status());
  if (absl::Status status = (*select)->BindText(1, member); !status.ok()) {
    return ReadFailed(status);
  }
  absl::StatusOr<bool> row = (*select)->Step();
  if (!row.ok()) return ReadFailed(row.status());
  if (!*row) return std::nullopt;
  MemberPins pins;
  pins.member = std::string(member);
  pins.cancel_hash = std::string((*select)->ColumnText(0));
  pins.duress_hash = std::string((*select)->ColumnText(1));
  pins.update_time = absl::FromUnixMicros((*select)->ColumnInt64(2));
  return pins;
}

absl::Status UpsertPins(Database& db, const MemberPins& pins) {
  if (pins.member.empty()) return absl::InvalidArgumentError("PINs need a member");
  if (pins.cancel_hash.empty() && !pins.duress_hash.empty()) {
    return absl::InvalidArgumentError("a duress PIN needs a cancel PIN; nothing was stored");
  }
  absl::StatusOr<StatementLease> upsert = db.Prepare(
      "INSERT INTO member_pins (member, cancel_hash, duress_hash, update_time_us) "
      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (member) DO UPDATE SET "
      "cancel_hash = excluded.cancel_hash, duress_hash = excluded.duress_hash, "
      "update_time_us = excluded.update_time_us");
  if (!upsert.ok()) return WriteFailed(upsert.status());
  absl::Status status = (*upsert)->BindText(1, pins.member);
  if (status.ok()) status = (*upsert)->BindText(2, pins.cancel_hash);
  if (status.ok()) status = (*upsert)->BindText(3, pins.duress_hash);
  if (status.ok()) status = (*upsert)->BindInt64(4, absl::ToUnixMicros(pins.update_time));
  if (status.ok()) status = (*upsert)->Step().status();
  if (!status.ok()) return WriteFailed(status);
  return absl::OkStatus();
}

}  // namespace mayday::server::store_internal
