// Thin RAII wrappers over the SQLite C API, so the store never touches a raw
// sqlite3* or sqlite3_stmt* and never forgets to finalize, reset or roll back:
//
//   Database     one connection (sqlite3_open_v2 / sqlite3_close_v2), with a
//                cache of prepared statements keyed by their SQL text.
//   Statement    one prepared statement; bind, step, read columns.
//   StatementLease  a cached statement borrowed for one use; resets it and
//                clears its bindings when it goes out of scope, so no read
//                transaction is left open by a half-read SELECT.
//   Transaction  BEGIN IMMEDIATE ... COMMIT, rolled back if not committed.
//
// None of these is thread-safe: the owner of a Database serializes all use of
// it and of everything obtained from it.
#ifndef MAYDAY_SERVER_STORE_DATABASE_H_
#define MAYDAY_SERVER_STORE_DATABASE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mayday::server::store_internal {

// A prepared statement. Owns its sqlite3_stmt; move-only.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Bind parameter `index` (1-based). The bound text and blobs are copied.
  // An error status carries SQLite's message.
  absl::Status BindText(int index, absl::string_view value);
  absl::Status BindBlob(int index, absl::string_view value);
  absl::Status BindInt64(int index, int64_t value);
  absl::Status BindNull(int index);

  // Runs the statement one step: true if a row is ready to read, false when
  // the statement is done. An error status carries SQLite's message and
  // extended result code (see SqliteErrorCode).
  absl::StatusOr<bool> Step();

  // Column `index` (0-based) of the current row. The returned views stay
  // valid until the next Step or Reset.
  int64_t ColumnInt64(int index) const;
  absl::string_view ColumnText(int index) const;
  absl::string_view ColumnBlob(int index) const;
  bool ColumnIsNull(int index) const;

  // Makes the statement ready to run again and clears its bindings.
  void Reset();

 private:
  sqlite3_stmt* stmt_;
};

// A cached Statement lent out for one use; Reset() when destroyed.
class StatementLease {
 public:
  explicit StatementLease(Statement* stmt) : stmt_(stmt) {}
  StatementLease(StatementLease&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  StatementLease& operator=(StatementLease&&) = delete;
  StatementLease(const StatementLease&) = delete;
  StatementLease& operator=(const StatementLease&) = delete;
  ~StatementLease() {
    if (stmt_ != nullptr) stmt_->Reset();
  }

  Statement* operator->() const { return stmt_; }
  Statement& operator*() const { return *stmt_; }

 private:
  Statement* stmt_;
};

// One SQLite connection.
class Database {
 public:
  // Opens `path` with sqlite3_open_v2, `flags` (SQLITE_OPEN_*) and the VFS
  // named `vfs` (empty: the default), with extended result codes on and a
  // busy timeout of `busy_timeout_ms`. UNAVAILABLE with SQLite's message if
  // the file cannot be opened; INVALID_ARGUMENT if no VFS is named `vfs`.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path, int flags,
                                                        int busy_timeout_ms,
                                                        const std::string& vfs = "");
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  // Finalizes every cached statement, then closes the connection.
  ~Database();

  // Runs one or more SQL statements that return no rows of interest.
  absl::Status Exec(absl::string_view sql);

  // Runs one statement that returns no rows, prepared once and cached (for
  // the BEGIN, SAVEPOINT and COMMIT of every write, where parsing each time
  // would cost more than the statement).
  absl::Status Run(absl::string_view sql);

  // The cached prepared statement for `sql`, preparing it on first use.
  absl::StatusOr<StatementLease> Prepare(absl::string_view sql);

  // True if the connection has no open transaction.
  bool autocommit() const;

  // True if SQLite opened the main database read-only although it was asked
  // for read-write (it does so, silently, when the file cannot be written).
  bool read_only() const;

  // Rows inserted, changed or deleted by this connection's statements since
  // it opened (those of statements that failed and were undone not counted).
  int64_t total_changes() const;

  // Set by the group commit while it runs a job of a batch: nested
  // Transactions then open no savepoint of their own (the batch undoes a
  // failed job: SqliteStore::RunBatch).
  void set_in_job(bool in_job) { in_job_ = in_job; }
  bool in_job() const { return in_job_; }

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
  explicit Database(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  absl::AnyInvocable<void(int)> on_commit_;
  absl::flat_hash_map<std::string, std::unique_ptr<Statement>> statements_;
  bool in_job_ = false;
};

// BEGIN IMMEDIATE on construction via Begin(); ROLLBACK in the destructor
// unless Commit() succeeded. Inside an open transaction (a group commit's
// batch) it nests as a SAVEPOINT instead: Commit() releases it into the outer
// transaction, and the destructor rolls back only its own changes.
class Transaction {
 public:
  // Takes the database's write lock (waiting up to its busy timeout for
  // other connections, in this or other processes), or opens a savepoint if
  // a transaction is already open.
  static absl::StatusOr<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept
      : db_(other.db_), nested_(other.nested_), savepoint_(other.savepoint_) {
    other.db_ = nullptr;
  }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // COMMIT. With synchronous=FULL, OK means the transaction is on disk. On
  // error the transaction is rolled back (now or by the destructor). Nested:
  // RELEASE; the outer transaction's commit decides.
  absl::Status Commit();

 private:
  Transaction(Database* db, bool nested, bool savepoint)
      : db_(db), nested_(nested), savepoint_(savepoint) {}
  Database* db_;    // null once committed or moved from
  bool nested_;     // inside an outer transaction
  bool savepoint_;  // nested with a savepoint of its own (not inside a job)
};

// The SQLite extended result code an error status from this file carries,
// or 0 if it carries none.
int SqliteErrorCode(const absl::Status& status);

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_DATABASE_H_
