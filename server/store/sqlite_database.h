// The store's Database over one SQLite connection: thin RAII wrappers over
// the SQLite C API, so the store never touches a raw sqlite3* or
// sqlite3_stmt* and never forgets to finalize, reset or roll back.
// SqliteDatabase also gives SqliteStore what only SQLite has: the file's
// path, its write-ahead log and checkpoints.
//
// Not thread-safe, as database.h says.
#ifndef MAYDAY_SERVER_STORE_SQLITE_DATABASE_H_
#define MAYDAY_SERVER_STORE_SQLITE_DATABASE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "store/database.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mayday::server::store_internal {

// A prepared SQLite statement. Owns its sqlite3_stmt.
class SqliteStatement final : public Statement {
 public:
  explicit SqliteStatement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement() override;

  absl::Status BindText(int index, absl::string_view value) override;
  absl::Status BindBlob(int index, absl::string_view value) override;
  absl::Status BindInt64(int index, int64_t value) override;
  absl::Status BindNull(int index) override;
  // Errors carry SQLite's extended result code (SqliteErrorCode).
  absl::StatusOr<bool> Step() override;
  int64_t ColumnInt64(int index) const override;
  absl::string_view ColumnText(int index) const override;
  absl::string_view ColumnBlob(int index) const override;
  bool ColumnIsNull(int index) const override;
  void Reset() override;

 private:
  sqlite3_stmt* stmt_;
};

// One SQLite connection.
class SqliteDatabase final : public Database {
 public:
  // Opens `path` with sqlite3_open_v2, `flags` (SQLITE_OPEN_*) and the VFS
  // named `vfs` (empty: the default), with extended result codes on and a
  // busy timeout of `busy_timeout_ms`. UNAVAILABLE with SQLite's message if
  // the file cannot be opened; INVALID_ARGUMENT if no VFS is named `vfs`.
  static absl::StatusOr<std::unique_ptr<SqliteDatabase>> Open(const std::string& path, int flags,
                                                              int busy_timeout_ms,
                                                              const std::string& vfs = "");
  // Finalizes every cached statement, then closes the connection.
  ~SqliteDatabase() override;

  absl::Status Exec(absl::string_view sql) override;
  absl::StatusOr<StatementLease> Prepare(absl::string_view sql) override;
  // BEGIN IMMEDIATE: SQLite's write lock, waiting up to the busy timeout.
  absl::Status BeginWrite() override;
  bool autocommit() const override;
  int64_t changes() const override;
  int64_t total_changes() const override;
  bool failed_transaction() const override { return false; }

  // True if SQLite opened the main database read-only although it was asked
  // for read-write (it does so, silently, when the file cannot be written).
  bool read_only() const;

  // The file this connection has open as its main database.
  std::string path() const;

  // After each commit of this connection, on the committing thread, calls
  // `on_commit` with the number of pages the write-ahead log holds, in place
  // of SQLite's own checkpoint of the log once it passes 1,000 pages.
  void SetWalHook(absl::AnyInvocable<void(int)> on_commit);

  // A passive checkpoint: copies into the database file the pages of the
  // write-ahead log that no reader still needs, syncing both as the
  // connection's synchronous setting says. Waits for no reader or writer;
  // UNAVAILABLE on an I/O error (SQLITE_BUSY, another checkpoint running, is
  // no error: that one does the work).
  absl::Status CheckpointPassive();

 private:
  explicit SqliteDatabase(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  absl::AnyInvocable<void(int)> on_commit_;
  absl::flat_hash_map<std::string, std::unique_ptr<SqliteStatement>> statements_;
};

// The SQLite extended result code an error status from this file carries,
// or 0 if it carries none.
int SqliteErrorCode(const absl::Status& status);

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_SQLITE_DATABASE_H_
