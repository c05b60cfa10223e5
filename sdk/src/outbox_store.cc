// The alert outbox on disk; see outbox_store.h.
#include "outbox_store.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"

namespace mayday::sdk::internal {
namespace {

constexpr int kAcknowledged = 1;
constexpr int kFailed = 2;

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

absl::StatusOr<std::unique_ptr<OutboxStore>> OutboxStore::Open(const std::string& data_dir) {
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
  std::unique_ptr<OutboxStore> store(new OutboxStore(db));
  absl::MutexLock lock(&store->mu_);
  for (const char* sql : {
           "PRAGMA synchronous=FULL",
           "CREATE TABLE IF NOT EXISTS alerts ("
           " request_id TEXT PRIMARY KEY,"
           " request BLOB NOT NULL,"
           " state INTEGER NOT NULL,"
           " case_name TEXT NOT NULL DEFAULT '',"
           " error TEXT NOT NULL DEFAULT '',"
           " created_at INTEGER NOT NULL)",
           // Finished alerts are kept a week, for AcknowledgedCase.
           "DELETE FROM alerts WHERE state <> 0 AND"
           " created_at < strftime('%s','now') - 7 * 86400",
       }) {
    if (absl::Status status = store->Exec(sql); !status.ok()) {
      return absl::FailedPreconditionError(status.message());
    }
  }
  return store;
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
                 " (request_id, request, state, created_at)"
                 " VALUES (?, ?, 0, strftime('%s','now'))");
  if (!stmt.ok()) return Error(db_, "prepare insert");
  BindText(stmt.get(), 1, request.request_id());
  sqlite3_bind_blob(stmt.get(), 2, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(stmt.get()) != SQLITE_DONE) return Error(db_, "insert");
  return absl::OkStatus();
}

absl::Status OutboxStore::SetState(const std::string& request_id, int state,
                                   const std::string& case_name, const std::string& error) {
  absl::MutexLock lock(&mu_);
  Statement stmt(db_,
                 "UPDATE alerts SET state = ?, case_name = ?, error = ?"
                 " WHERE request_id = ?");
  if (!stmt.ok()) return Error(db_, "prepare update");
  sqlite3_bind_int(stmt.get(), 1, state);
  BindText(stmt.get(), 2, case_name);
  BindText(stmt.get(), 3, error);
  BindText(stmt.get(), 4, request_id);
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
                 "SELECT request FROM alerts WHERE state = 0"
                 " ORDER BY created_at, rowid");
  if (!stmt.ok()) return Error(db_, "prepare select");
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
                 " WHERE request_id = ? AND state = 1");
  if (!stmt.ok()) return "";
  BindText(stmt.get(), 1, request_id);
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) return "";
  const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

}  // namespace mayday::sdk::internal
