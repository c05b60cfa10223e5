// Access token records: PutToken and FindToken. Only the SHA-256 of a token
// is stored, so the file does not hold credentials.
#include <sqlite3.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "store/codec.h"
#include "store/queries.h"

namespace mayday::server::store_internal {
namespace {

bool IsLowercaseSha256Hex(absl::string_view hash) {
  if (hash.size() != 64) return false;
  for (char c : hash) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

}  // namespace

absl::Status InsertToken(Database& db, const TokenRecord& token) {
  if (!IsLowercaseSha256Hex(token.token_hash)) {
    return absl::InvalidArgumentError(
        "token_hash must be the lowercase hex SHA-256 of the token (64 "
        "characters 0-9a-f)");
  }
  if (token.subject.empty()) {
    return absl::InvalidArgumentError("a token needs a subject");
  }
  // One statement commits on its own (and is fsynced like a transaction).
  absl::StatusOr<StatementLease> insert = db.Prepare(
      "INSERT INTO tokens (token_hash, role, subject, create_time_us, revoked) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert.ok()) return WriteFailed(insert.status());
  absl::Status status = (*insert)->BindText(1, token.token_hash);
  if (status.ok()) status = (*insert)->BindText(2, RoleName(token.role));
  if (status.ok()) status = (*insert)->BindText(3, token.subject);
  if (status.ok()) {
    status = (*insert)->BindInt64(4, absl::ToUnixMicros(token.create_time));
  }
  if (status.ok()) status = (*insert)->BindInt64(5, token.revoked ? 1 : 0);
  if (status.ok()) status = (*insert)->Step().status();
  if (SqliteErrorCode(status) == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return absl::AlreadyExistsError(
        "a token with this hash is already stored; nothing was stored");
  }
  if (!status.ok()) return WriteFailed(status);
  return absl::OkStatus();
}

absl::StatusOr<TokenRecord> SelectToken(Database& db,
                                        absl::string_view token_hash) {
  absl::StatusOr<StatementLease> select = db.Prepare(
      "SELECT role, subject, create_time_us, revoked FROM tokens "
      "WHERE token_hash = ?1");
  if (!select.ok()) return ReadFailed(select.status());
  if (absl::Status status = (*select)->BindText(1, token_hash); !status.ok()) {
    return ReadFailed(status);
  }
  absl::StatusOr<bool> row = (*select)->Step();
  if (!row.ok()) return ReadFailed(row.status());
  // The hash is not echoed: it identifies a credential.
  if (!*row) return absl::NotFoundError("no token with this hash");
  std::optional<Role> role = RoleFromName((*select)->ColumnText(0));
  if (!role.has_value()) {
    return absl::DataLossError(absl::StrCat("stored token has unknown role \"",
                                            (*select)->ColumnText(0), "\""));
  }
  TokenRecord token;
  token.token_hash = std::string(token_hash);
  token.role = *role;
  token.subject = std::string((*select)->ColumnText(1));
  token.create_time = absl::FromUnixMicros((*select)->ColumnInt64(2));
  token.revoked = (*select)->ColumnInt64(3) != 0;
  return token;
}

}  // namespace mayday::server::store_internal
