// Members' medical profiles: one row per member, the profile sealed
// (medical/profile_keys.h) and the id of the key that sealed it. Nothing
// here ever sees a profile in clear.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "store/codec.h"
#include "store/queries.h"

namespace mayday::server::store_internal {
namespace {

constexpr char kColumns[] = "SELECT member, key_id, sealed, update_time_us FROM medical_profiles ";

StoredProfile ProfileOf(const Statement& row) {
  StoredProfile profile;
  profile.member = std::string(row.ColumnText(0));
  profile.key_id = std::string(row.ColumnText(1));
  profile.sealed = std::string(row.ColumnBlob(2));
  profile.update_time = absl::FromUnixMicros(row.ColumnInt64(3));
  return profile;
}

}  // namespace

absl::StatusOr<std::optional<StoredProfile>> SelectProfile(Database& db, absl::string_view member) {
  absl::StatusOr<StatementLease> select = db.Prepare(absl::StrCat(kColumns, "WHERE member = ?1"));
  if (!select.ok()) return select.status();
  if (absl::Status s = (*select)->BindText(1, member); !s.ok()) return s;
  absl::StatusOr<bool> row = (*select)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  return ProfileOf(**select);
}

absl::StatusOr<std::vector<StoredProfile>> SelectProfilesNotSealedWith(Database& db,
                                                                       absl::string_view key_id,
                                                                       int limit) {
  if (limit < 1 || limit > 1000) {
    return absl::InvalidArgumentError(absl::StrCat("limit must be 1 to 1000; got ", limit));
  }
  absl::StatusOr<StatementLease> select =
      db.Prepare(absl::StrCat(kColumns, "WHERE key_id <> ?1 ORDER BY member LIMIT ?2"));
  if (!select.ok()) return ReadFailed(select.status());
  absl::Status s = (*select)->BindText(1, key_id);
  if (s.ok()) s = (*select)->BindInt64(2, limit);
  if (!s.ok()) return ReadFailed(s);
  std::vector<StoredProfile> out;
  while (true) {
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return ReadFailed(row.status());
    if (!*row) break;
    out.push_back(ProfileOf(**select));
  }
  return out;
}

absl::Status UpsertProfile(Database& db, const StoredProfile& profile) {
  if (profile.member.empty() || profile.key_id.empty() || profile.sealed.empty()) {
    return absl::InvalidArgumentError(
        "a medical profile needs a member, a key id and sealed bytes; nothing was stored");
  }
  absl::StatusOr<StatementLease> upsert = db.Prepare(
      "INSERT INTO medical_profiles (member, key_id, sealed, update_time_us) "
      "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (member) DO UPDATE SET "
      "key_id = excluded.key_id, sealed = excluded.sealed, "
      "update_time_us = excluded.update_time_us");
  if (!upsert.ok()) return WriteFailed(upsert.status());
  absl::Status s = (*upsert)->BindText(1, profile.member);
  if (s.ok()) s = (*upsert)->BindText(2, profile.key_id);
  if (s.ok()) s = (*upsert)->BindBlob(3, profile.sealed);
  if (s.ok()) s = (*upsert)->BindInt64(4, absl::ToUnixMicros(profile.update_time));
  if (s.ok()) s = (*upsert)->Step().status();
  if (!s.ok()) return WriteFailed(s);
  return absl::OkStatus();
}

absl::StatusOr<bool> RemoveProfile(Database& db, absl::string_view member) {
  absl::StatusOr<StatementLease> remove =
      db.Prepare("DELETE FROM medical_profiles WHERE member = ?1");
  if (!remove.ok()) return WriteFailed(remove.status());
  absl::Status s = (*remove)->BindText(1, member);
  if (s.ok()) s = (*remove)->Step().status();
  if (!s.ok()) return WriteFailed(s);
  return db.changes() > 0;
}

}  // namespace mayday::server::store_internal
