// What the store's reads and writes (queries.h) need of a database
// connection, whichever engine is behind it (SQLite: sqlite_database.h):
//
//   Database     one connection, with a cache of prepared statements keyed
//                by their SQL text. Statements number their parameters
//                ?1, ?2, ...
//   Statement    one prepared statement; bind, step, read columns.
//   StatementLease  a cached statement borrowed for one use; resets it and
//                clears its bindings when it goes out of scope, so no read
//                transaction is left open by a half-read SELECT.
//   Transaction  a write transaction (it holds the database's write lock)
//                committed or rolled back, never left open.
//
// None of these is thread-safe: the owner of a Database serializes all use of
// it and of everything obtained from it.
#ifndef MAYDAY_SERVER_STORE_DATABASE_H_
#define MAYDAY_SERVER_STORE_DATABASE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mayday::server::store_internal {

// A prepared statement, owned by its Database.
class Statement {
 public:
  virtual ~Statement() = default;

  // Bind parameter `index` (1-based, ?index in the SQL). The bound text and
  // blobs are copied. An error status carries the engine's message.
  virtual absl::Status BindText(int index, absl::string_view value) = 0;
  virtual absl::Status BindBlob(int index, absl::string_view value) = 0;
  virtual absl::Status BindInt64(int index, int64_t value) = 0;
  virtual absl::Status BindNull(int index) = 0;

  // Runs the statement one step: true if a row is ready to read, false when
  // the statement is done. An error status carries the engine's message and
  // what it ran into (ViolationOf, StorageFailureOf).
  virtual absl::StatusOr<bool> Step() = 0;

  // Column `index` (0-based) of the current row. The returned views stay
  // valid until the next Step or Reset.
  virtual int64_t ColumnInt64(int index) const = 0;
  virtual absl::string_view ColumnText(int index) const = 0;
  virtual absl::string_view ColumnBlob(int index) const = 0;
  virtual bool ColumnIsNull(int index) const = 0;

  // Makes the statement ready to run again and clears its bindings.
  virtual void Reset() = 0;
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

// One connection to the store's database.
class Database {
 public:
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  // Closes the connection and every statement prepared on it.
  virtual ~Database() = default;

  // Runs one or more SQL statements that return no rows of interest.
  virtual absl::Status Exec(absl::string_view sql) = 0;

  // Runs one statement that returns no rows, prepared once and cached (for
  // the SAVEPOINT and COMMIT of every write, where parsing each time would
  // cost more than the statement).
  absl::Status Run(absl::string_view sql);

  // The cached prepared statement for `sql`, preparing it on first use.
  virtual absl::StatusOr<StatementLease> Prepare(absl::string_view sql) = 0;

  // Opens a write transaction: waits for the database's write lock (up to
  // the engine's timeout; other connections, in this or other processes,
  // may hold it), so that what the transaction reads stays true until it
  // commits.
  virtual absl::Status BeginWrite() = 0;

  // True if the connection has no open transaction.
  virtual bool autocommit() const = 0;

  // Rows the last INSERT, UPDATE or DELETE of this connection changed.
  virtual int64_t changes() const = 0;

  // Rows inserted, changed or deleted by this connection's statements since
  // it opened (those of statements that failed and were undone not counted).
  virtual int64_t total_changes() const = 0;

  // True if a statement failed inside the open transaction and the engine
  // takes no more statements in it until it is rolled back (PostgreSQL), or
  // to a savepoint before the failure. SQLite undoes only the statement.
  virtual bool failed_transaction() const = 0;

  // Set by the group commit while it runs a job of a batch: nested
  // Transactions then open no savepoint of their own (the batch undoes a
  // failed job: SqliteStore::RunBatch).
  void set_in_job(bool in_job) { in_job_ = in_job; }
  bool in_job() const { return in_job_; }

 private:
  bool in_job_ = false;
};

// What a failed write ran into, whichever engine refused it.
enum class Violation {
  kNone,        // no constraint (or not a failed write)
  kPrimaryKey,  // the row's key is taken
  kUnique,      // another unique column's value is taken
  kForeignKey,  // it refers to a row that does not exist
  kOther,       // a CHECK or NOT NULL constraint
};
Violation ViolationOf(const absl::Status& status);

// Why storage failed, in a few words for people ("disk full", "I/O error",
// "database busy", "database read-only", "database corrupt", "database
// unreachable"), or "storage error" if the engine told nothing more.
absl::string_view StorageFailureOf(const absl::Status& status);

// How an engine's adapter marks its errors for the two functions above.
void MarkViolation(absl::Status& status, Violation violation);
void MarkStorageFailure(absl::Status& status, absl::string_view reason);

// Database::BeginWrite on construction via Begin(); ROLLBACK in the
// destructor unless Commit() succeeded. Inside an open transaction (a group commit's
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

  // COMMIT. OK means the transaction is durable (the engines are set up so:
  // SQLite's synchronous=FULL, PostgreSQL's synchronous_commit). On
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

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_DATABASE_H_
