// The store's Database over SQLite; see sqlite_database.h.
#include "store/sqlite_database.h"

#include <sqlite3.h>

#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mayday::server::store_internal {
namespace {

constexpr char kSqliteCodeUrl[] = "type.mayday.dev/sqlite.result_code";

Violation ViolationFor(int code) {
  switch (code) {
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Violation::kPrimaryKey;
    case SQLITE_CONSTRAINT_UNIQUE:
      return Violation::kUnique;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return Violation::kForeignKey;
    default:
      return (code & 0xff) == SQLITE_CONSTRAINT ? Violation::kOther : Violation::kNone;
  }
}

// What went wrong, in words an operator acts on (database.h), for a SQLite
// result code; empty if none of them.
absl::string_view FailureReason(int code) {
  switch (code & 0xff) {
    case SQLITE_FULL:
      return "disk full";
    case SQLITE_IOERR:
      return "I/O error";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return "database busy";
    case SQLITE_READONLY:
      return "database read-only";
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return "database corrupt";
    default:
      return {};
  }
}

// An UNAVAILABLE status with SQLite's message for `code`, the code itself
// as a payload, and what it means for the store (database.h).
absl::Status SqliteError(int code, absl::string_view message) {
  absl::Status status = absl::UnavailableError(
      absl::StrCat(message, " (", sqlite3_errstr(code), ", code ", code, ")"));
  status.SetPayload(kSqliteCodeUrl, absl::Cord(absl::StrCat(code)));
  MarkViolation(status, ViolationFor(code));
  if (absl::string_view reason = FailureReason(code); !reason.empty()) {
    MarkStorageFailure(status, reason);
  }
  return status;
}

absl::Status ConnectionError(sqlite3* db, int code) {
  return SqliteError(code, db != nullptr ? sqlite3_errmsg(db) : "sqlite error");
}

absl::Status StatementError(sqlite3_stmt* stmt, int code) {
  return ConnectionError(sqlite3_db_handle(stmt), code);
}

// Process-wide settings, before SQLite initializes (sqlite3_config is refused
// after that; then SQLite keeps its defaults, which are correct, only slower).
// Without memory statistics every allocation inside SQLite skips a global
// mutex: the writer allocates for every row it writes.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

int SqliteErrorCode(const absl::Status& status) {
  auto payload = status.GetPayload(kSqliteCodeUrl);
  int code = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &code)) {
    return 0;
  }
  return code;
}

SqliteStatement::~SqliteStatement() { sqlite3_finalize(stmt_); }

absl::Status SqliteStatement::BindText(int index, absl::string_view value) {
  int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return rc == SQLITE_OK ? absl::OkStatus() : StatementError(stmt_, rc);
}

absl::Status SqliteStatement::BindBlob(int index, absl::string_view value) {
  // A zero-length blob must still be a blob, not NULL: pass a valid pointer.
  const char* data = value.empty() ? "" : value.data();
  int rc = sqlite3_bind_blob64(stmt_, index, data, value.size(), SQLITE_TRANSIENT);
  return rc == SQLITE_OK ? absl::OkStatus() : StatementError(stmt_, rc);
}

absl::Status SqliteStatement::BindInt64(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  return rc == SQLITE_OK ? absl::OkStatus() : StatementError(stmt_, rc);
}

absl::Status SqliteStatement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  return rc == SQLITE_OK ? absl::OkStatus() : StatementError(stmt_, rc);
}

absl::StatusOr<bool> SqliteStatement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return StatementError(stmt_, rc);
}

int64_t SqliteStatement::ColumnInt64(int index) const { return sqlite3_column_int64(stmt_, index); }

absl::string_view SqliteStatement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text),
          static_cast<size_t>(sqlite3_column_bytes(stmt_, index))};
}

absl::string_view SqliteStatement::ColumnBlob(int index) const {
  const void* blob = sqlite3_column_blob(stmt_, index);
  if (blob == nullptr) return {};
  return {static_cast<const char*>(blob), static_cast<size_t>(sqlite3_column_bytes(stmt_, index))};
}

bool SqliteStatement::ColumnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

void SqliteStatement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

absl::StatusOr<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const std::string& path,
                                                                     int flags, int busy_timeout_ms,
                                                                     const std::string& vfs) {
  ConfigureSqliteOnce();
  if (!vfs.empty() && sqlite3_vfs_find(vfs.c_str()) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("no SQLite VFS is registered as \"", vfs, "\""));
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, vfs.empty() ? nullptr : vfs.c_str());
  if (rc != SQLITE_OK) {
    absl::Status status = ConnectionError(db, rc);
    sqlite3_close_v2(db);  // a handle is returned even on failure
    return status;
  }
  std::unique_ptr<SqliteDatabase> database(new SqliteDatabase(db));
  sqlite3_extended_result_codes(db, 1);
  rc = sqlite3_busy_timeout(db, busy_timeout_ms);
  if (rc != SQLITE_OK) return ConnectionError(db, rc);
  return database;
}

SqliteDatabase::~SqliteDatabase() {
  statements_.clear();  // finalize before closing
  sqlite3_close_v2(db_);
}

absl::Status SqliteDatabase::Exec(absl::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return absl::OkStatus();
  absl::Status status = SqliteError(rc, message != nullptr ? message : sqlite3_errmsg(db_));
  sqlite3_free(message);
  return status;
}

absl::StatusOr<StatementLease> SqliteDatabase::Prepare(absl::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return ConnectionError(db_, rc);
    }
    it = statements_.emplace(std::string(sql), std::make_unique<SqliteStatement>(stmt)).first;
  }
  return StatementLease(it->second.get());
}

absl::Status SqliteDatabase::BeginWrite() { return Run("BEGIN IMMEDIATE"); }

bool SqliteDatabase::autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

int64_t SqliteDatabase::changes() const { return sqlite3_changes64(db_); }

bool SqliteDatabase::read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }

int64_t SqliteDatabase::total_changes() const { return sqlite3_total_changes64(db_); }

std::string SqliteDatabase::path() const {
  const char* file = sqlite3_db_filename(db_, "main");
  return file != nullptr ? file : "";
}

void SqliteDatabase::SetWalHook(absl::AnyInvocable<void(int)> on_commit) {
  on_commit_ = std::move(on_commit);
  sqlite3_wal_hook(
      db_,
      +[](void* self, sqlite3*, const char*, int pages) {
        static_cast<SqliteDatabase*>(self)->on_commit_(pages);
        return SQLITE_OK;
      },
      this);
}

absl::Status SqliteDatabase::CheckpointPassive() {
  int rc = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc == SQLITE_OK || rc == SQLITE_BUSY) return absl::OkStatus();
  return ConnectionError(db_, rc);
}

}  // namespace mayday::server::store_internal
