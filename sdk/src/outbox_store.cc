// The alert outbox on disk; see outbox_store.h.
#include "outbox_store.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"

namespace mayday::sdk::internal {
namespace {

constexpr int kAcknowledged = 1;
constexpr int kFailed = 2;

// IF NOT EXISTS: an older outbox keeps its table, and Open moves it over.
constexpr char kCreateAlerts[] =
    "CREATE TABLE IF NOT EXISTS alerts (member TEXT NOT NULL, request_id TEXT NOT NULL,"
    " request BLOB NOT NULL, state INTEGER NOT NULL,"
    " case_name TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',"
    " created_at INTEGER NOT NULL, PRIMARY KEY (member, request_id))";

// Finalises a prepared statement when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3_stmt* get() { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

absl::Status Error(sqlite3* db, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat("outbox: ", what, ": ", sqlite3_errmsg(db)));
}

void BindText(sqlite3_stmt* stmt, int index, const std::string& text) {
  sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

}  // namespace

absl::StatusOr<std::unique_ptr<OutboxStore>> OutboxStore::Open(const std::string& data_dir,
                                                               const std::string& member) {
  const std::string path =
      data_dir.empty() ? std::string(":memory:") : absl::StrCat(data_dir, "/", kFileName);
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open the alert outbox ", path, ": ", message));
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<OutboxStore> store(new OutboxStore(db, member));
  absl::MutexLock lock(&store->mu_);
  absl::Status status = store->Exec("PRAGMA synchronous=FULL");
  if (status.ok()) status = store->Exec("BEGIN IMMEDIATE");
  if (status.ok()) status = store->Exec(kCreateAlerts);
  // An outbox from before alerts had members (no member column, keyed by
  // request_id alone): its rows move to the new table as this member's.
  if (status.ok() && !store->HasMemberColumn()) {
    status = store->Exec(
        "ALTER TABLE alerts RENAME TO alerts_before_members; "
        "CREATE TABLE alerts (member TEXT NOT NULL, request_id TEXT NOT NULL,"
        " request BLOB NOT NULL, state INTEGER NOT NULL,"
        " case_name TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',"
        " created_at INTEGER NOT NULL, PRIMARY KEY (member, request_id))");
    if (status.ok()) {
      Statement copy(store->db_,
                     "INSERT INTO alerts SELECT ?, request_id, request, state, case_name, error,"
                     " created_at FROM alerts_before_members");
      if (!copy.ok()) status = Error(store->db_, "prepare copy");
      if (status.ok()) {
        BindText(copy.get(), 1, member);
        if (sqlite3_step(copy.get()) != SQLITE_DONE) status = Error(store->db_, "copy");
      }
    }
    if (status.ok()) status = store->Exec("DROP TABLE alerts_before_members");
  }
  // Finished alerts are kept a week, for AcknowledgedCase.
  if (status.ok()) {
    status = store->Exec(
        "DELETE FROM alerts WHERE state <> 0 AND created_at < strftime('%s','now') - 7 * 86400");
  }
  if (status.ok()) status = store->Exec("COMMIT");
  if (!status.ok()) {
    (void)store->Exec("ROLLBACK");
    return absl::FailedPreconditionError(status.message());
  }
  return store;
}

bool OutboxStore::HasMemberColumn() {
  Statement stmt(db_, "SELECT 1 FROM pragma_table_info('alerts') WHERE name = 'member'");
  return stmt.ok() && sqlite3_step(stmt.get()) == SQLITE_ROW;
}

OutboxStore::~OutboxStore() { sqlite3_close(db_); }

absl::Status OutboxStore::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    absl::Status status =
        absl::UnavailableError(absl::StrCat("outbox: ", message != nullptr ? message : "error"));
    sqlite3_free(message);
    return status;
  }
  return absl::OkStatus();
}

absl::Status OutboxStore::Insert(const mayday::v1::RaiseAlertRequest& request) {
  const std::string blob = request.SerializeAsString();
  absl::MutexLock lock(&mu_);
  Statement stmt(db_,
                 "INSERT OR REPLACE INTO alerts"
                 " (member, request_id, request, state, created_at)"
                 " VALUES (?, ?, ?, 0, strftime('%s','now'))");
  if (!stmt.ok()) return Error(db_, "prepare insert");
  BindText(stmt.get(), 1, member_);
  BindText(stmt.get(), 2, request.request_id());
  sqlite3_bind_blob(stmt.get(), 3, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(stmt.get()) != SQLITE_DONE) return Error(db_, "insert");
  return absl::OkStatus();
}

absl::Status OutboxStore::SetState(const std::string& request_id, int state,
                                   const std::string& case_name, const std::string& error) {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_,
                 "UPDATE alerts SET state = ?, case_name = ?, error = ?"
                 " WHERE member = ? AND request_id = ?");
  if (!stmt.ok()) return Error(db_, "prepare update");
  sqlite3_bind_int(stmt.get(), 1, state);
  BindText(stmt.get(), 2, case_name);
  BindText(stmt.get(), 3, error);
  BindText(stmt.get(), 4, member_);
  BindText(stmt.get(), 5, request_id);
  if (sqlite3_step(stmt.get()) != SQLITE_DONE) return Error(db_, "update");
  return absl::OkStatus();
}

absl::Status OutboxStore::MarkAcknowledged(const std::string& request_id,
                                           const std::string& case_name) {
  return SetState(request_id, kAcknowledged, case_name, "");
}

absl::Status OutboxStore::MarkFailed(const std::string& request_id, const std::string& error) {
  return SetState(request_id, kFailed, "", error);
}

absl::StatusOr<std::vector<mayday::v1::RaiseAlertRequest>> OutboxStore::LoadPending() {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_,
                 "SELECT request FROM alerts WHERE member = ? AND state = 0"
                 " ORDER BY created_at, rowid");
  if (!stmt.ok()) return Error(db_, "prepare select");
  BindText(stmt.get(), 1, member_);
  std::vector<mayday::v1::RaiseAlertRequest> pending;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    mayday::v1::RaiseAlertRequest request;
    const void* blob = sqlite3_column_blob(stmt.get(), 0);
    const int size = sqlite3_column_bytes(stmt.get(), 0);
    if (request.ParseFromArray(blob, size) && !request.request_id().empty()) {
      pending.push_back(std::move(request));
    }
  }
  if (rc != SQLITE_DONE) return Error(db_, "select");
  return pending;
}

std::string OutboxStore::AcknowledgedCase(const std::string& request_id) {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_,
                 "SELECT case_name FROM alerts"
                 " WHERE member = ? AND request_id = ? AND state = 1");
  if (!stmt.ok()) return "";
  BindText(stmt.get(), 1, member_);
  BindText(stmt.get(), 2, request_id);
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) return "";
  const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

absl::StatusOr<std::vector<OthersAlert>> OutboxStore::WaitingForOthers() {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_,
                 "SELECT request, created_at FROM alerts WHERE member <> ? AND state = 0"
                 " ORDER BY created_at, rowid");
  if (!stmt.ok()) return Error(db_, "prepare select");
  BindText(stmt.get(), 1, member_);
  std::vector<OthersAlert> waiting;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    mayday::v1::RaiseAlertRequest request;
    if (!request.ParseFromArray(sqlite3_column_blob(stmt.get(), 0),
                                sqlite3_column_bytes(stmt.get(), 0))) {
      continue;
    }
    waiting.push_back(
        OthersAlert{request.request_id(), request.kind(), sqlite3_column_int64(stmt.get(), 1)});
  }
  if (rc != SQLITE_DONE) return Error(db_, "select");
  return waiting;
}

}  // namespace mayday::sdk::internal
