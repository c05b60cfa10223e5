// Access token records: PutToken, FindToken, ListTokens and RevokeToken.
// Only the SHA-256 of a token is stored, so the file does not hold
// credentials.
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "store/codec.h"
#include "store/queries.h"

namespace mayday::server::store_internal {
namespace {

bool IsLowercaseHex(absl::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

bool IsLowercaseSha256Hex(absl::string_view hash) {
  return hash.size() == 64 && IsLowercaseHex(hash);
}

// The token in the current row of a SELECT of token_hash, role, subject,
// create_time_us, revoked, expire_time_us.
absl::StatusOr<TokenRecord> ReadToken(const Statement& row) {
  std::optional<Role> role = RoleFromName(row.ColumnText(1));
  if (!role.has_value()) {
    return absl::DataLossError(
        absl::StrCat("stored token has unknown role \"", row.ColumnText(1), "\""));
  }
  TokenRecord token;
  token.token_hash = std::string(row.ColumnText(0));
  token.role = *role;
  token.subject = std::string(row.ColumnText(2));
  token.create_time = absl::FromUnixMicros(row.ColumnInt64(3));
  token.revoked = row.ColumnInt64(4) != 0;
  if (!row.ColumnIsNull(5)) token.expire_time = absl::FromUnixMicros(row.ColumnInt64(5));
  return token;
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
      "INSERT INTO tokens (token_hash, role, subject, create_time_us, revoked, expire_time_us) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert.ok()) return WriteFailed(insert.status());
  absl::Status status = (*insert)->BindText(1, token.token_hash);
  if (status.ok()) status = (*insert)->BindText(2, RoleName(token.role));
  if (status.ok()) status = (*insert)->BindText(3, token.subject);
  if (status.ok()) {
    status = (*insert)->BindInt64(4, absl::ToUnixMicros(token.create_time));
  }
  if (status.ok()) status = (*insert)->BindInt64(5, token.revoked ? 1 : 0);
  if (status.ok()) {
    status = token.expire_time == absl::InfiniteFuture()
                 ? (*insert)->BindNull(6)
                 : (*insert)->BindInt64(6, absl::ToUnixMicros(token.expire_time));
  }
  if (status.ok()) status = (*insert)->Step().status();
  if (ViolationOf(status) == Violation::kPrimaryKey) {
    return absl::AlreadyExistsError("a token with this hash is already stored; nothing was stored");
  }
  if (!status.ok()) return WriteFailed(status);
  return absl::OkStatus();
}

absl::StatusOr<TokenRecord> SelectToken(Database& db, absl::string_view token_hash) {
  absl::StatusOr<StatementLease> select = db.Prepare(
      "SELECT token_hash, role, subject, create_time_us, revoked, expire_time_us FROM tokens "
      "WHERE token_hash = ?1");
  if (!select.ok()) return ReadFailed(select.status());
  if (absl::Status status = (*select)->BindText(1, token_hash); !status.ok()) {
    return ReadFailed(status);
  }
  absl::StatusOr<bool> row = (*select)->Step();
  if (!row.ok()) return ReadFailed(row.status());
  // The hash is not echoed: it identifies a credential.
  if (!*row) return absl::NotFoundError("no token with this hash");
  return ReadToken(**select);
}

absl::StatusOr<std::vector<TokenRecord>> SelectTokens(Database& db) {
  absl::StatusOr<StatementLease> select = db.Prepare(
      "SELECT token_hash, role, subject, create_time_us, revoked, expire_time_us FROM tokens "
      "ORDER BY create_time_us DESC, token_hash");
  if (!select.ok()) return ReadFailed(select.status());
  std::vector<TokenRecord> tokens;
  while (true) {
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return ReadFailed(row.status());
    if (!*row) return tokens;
    absl::StatusOr<TokenRecord> token = ReadToken(**select);
    if (!token.ok()) return token.status();
    tokens.push_back(*std::move(token));
  }
}

absl::StatusOr<TokenRecord> UpdateTokenRevoked(Database& db, absl::string_view token_id) {
  if (token_id.size() != 16 || !IsLowercaseHex(token_id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "token id \"", token_id, "\" is not 16 lowercase hex digits; take it from the token list"));
  }
  absl::StatusOr<Transaction> txn = Transaction::Begin(db);
  if (!txn.ok()) return WriteFailed(txn.status());
  absl::StatusOr<StatementLease> select = db.Prepare(
      "SELECT token_hash, role, subject, create_time_us, revoked, expire_time_us FROM tokens "
      "WHERE substr(token_hash, 1, 16) = ?1");
  if (!select.ok()) return WriteFailed(select.status());
  if (absl::Status status = (*select)->BindText(1, token_id); !status.ok()) {
    return WriteFailed(status);
  }
  std::vector<TokenRecord> found;
  while (true) {
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return WriteFailed(row.status());
    if (!*row) break;
    absl::StatusOr<TokenRecord> token = ReadToken(**select);
    if (!token.ok()) return token.status();
    found.push_back(*std::move(token));
  }
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat("tokens/", token_id, " not found"));
  }
  // 64 bits of a SHA-256 collide only by design of an attacker who can
  // already issue tokens; refuse rather than revoke the wrong one.
  if (found.size() > 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "tokens/", token_id, " matches ", found.size(), " tokens; nothing was revoked"));
  }
  TokenRecord token = std::move(found.front());
  if (token.revoked) return token;
  absl::StatusOr<StatementLease> update =
      db.Prepare("UPDATE tokens SET revoked = 1 WHERE token_hash = ?1");
  if (!update.ok()) return WriteFailed(update.status());
  absl::Status status = (*update)->BindText(1, token.token_hash);
  if (status.ok()) status = (*update)->Step().status();
  if (status.ok()) status = txn->Commit();
  if (!status.ok()) return WriteFailed(status);
  token.revoked = true;
  return token;
}

}  // namespace mayday::server::store_internal
