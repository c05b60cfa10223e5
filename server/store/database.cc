// RAII wrappers over the SQLite C API; see database.h.
#include "store/database.h"

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

// An UNAVAILABLE status with SQLite's message for `code` and the code itself
// as a payload.
absl::Status SqliteError(int code, absl::string_view message) {
  absl::Status status = absl::UnavailableError(
      absl::StrCat(message, " (", sqlite3_errstr(code), ", code ", code, ")"));
  status.SetPayload(kSqliteCodeUrl, absl::Cord(absl::StrCat(code)));
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

Statement::Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

absl::Status Statement::BindText(int index, absl::string_view value) {
  int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return rc == SQLITE_OK ? absl::OkStatus() : StatementError(stmt_, rc);
}

absl::Status Statement::BindBlob(int index, absl::string_view value) {
  // A zero-length blob must still be a blob, not NULL: pass a valid pointer.
  const char* data = value.empty() ? "" : value.data();
  int rc = sqlite3_bind_blob64(stmt_, index, data, value.size(), SQLITE_TRANSIENT);
  return rc == SQLITE_OK ? absl::OkStatus() : StatementError(stmt_, rc);
}

absl::Status Statement::BindInt64(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  return rc == SQLITE_OK ? absl::OkStatus() : StatementError(stmt_, rc);
}

absl::Status Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  return rc == SQLITE_OK ? absl::OkStatus() : StatementError(stmt_, rc);
}

absl::StatusOr<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return StatementError(stmt_, rc);
}

int64_t Statement::ColumnInt64(int index) const { return sqlite3_column_int64(stmt_, index); }

absl::string_view Statement::ColumnText(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text),
          static_cast<size_t>(sqlite3_column_bytes(stmt_, index))};
}

absl::string_view Statement::ColumnBlob(int index) const {
  const void* blob = sqlite3_column_blob(stmt_, index);
  if (blob == nullptr) return {};
  return {static_cast<const char*>(blob), static_cast<size_t>(sqlite3_column_bytes(stmt_, index))};
}

bool Statement::ColumnIsNull(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

absl::StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path, int flags,
                                                         int busy_timeout_ms,
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
  std::unique_ptr<Database> database(new Database(db));
  sqlite3_extended_result_codes(db, 1);
  rc = sqlite3_busy_timeout(db, busy_timeout_ms);
  if (rc != SQLITE_OK) return ConnectionError(db, rc);
  return database;
}

Database::~Database() {
  statements_.clear();  // finalize before closing
  sqlite3_close_v2(db_);
}

absl::Status Database::Exec(absl::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return absl::OkStatus();
  absl::Status status = SqliteError(rc, message != nullptr ? message : sqlite3_errmsg(db_));
  sqlite3_free(message);
  return status;
}

absl::Status Database::Run(absl::string_view sql) {
  absl::StatusOr<StatementLease> stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  return (*stmt)->Step().status();
}

absl::StatusOr<StatementLease> Database::Prepare(absl::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return ConnectionError(db_, rc);
    }
    it = statements_.emplace(std::string(sql), std::make_unique<Statement>(stmt)).first;
  }
  return StatementLease(it->second.get());
}

bool Database::autocommit() const { return sqlite3_get_autocommit(db_) != 0; }

bool Database::read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }

int64_t Database::total_changes() const { return sqlite3_total_changes64(db_); }

std::string Database::path() const {
  const char* file = sqlite3_db_filename(db_, "main");
  return file != nullptr ? file : "";
}

void Database::SetWalHook(absl::AnyInvocable<void(int)> on_commit) {
  on_commit_ = std::move(on_commit);
  sqlite3_wal_hook(
      db_,
      +[](void* self, sqlite3*, const char*, int pages) {
        static_cast<Database*>(self)->on_commit_(pages);
        return SQLITE_OK;
      },
      this);
}

absl::Status Database::CheckpointPassive() {
  int rc = sqlite3_wal_checkpoint_v2(db_, "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc == SQLITE_OK || rc == SQLITE_BUSY) return absl::OkStatus();
  return ConnectionError(db_, rc);
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
  absl::Status status = db.Run("BEGIN IMMEDIATE");
  if (!status.ok()) return status;
  return Transaction(&db, /*nested=*/false, /*savepoint=*/false);
}

Transaction::~Transaction() {
  // After a failed statement or COMMIT SQLite may already have rolled back
  // on its own (the whole transaction); only undo what is still open.
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
    // SQLite rolled back the outer transaction (I/O error, disk full): the
    // savepoint is gone with it.
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
