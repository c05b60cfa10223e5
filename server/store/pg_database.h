// The store's Database over one PostgreSQL connection (pg_connection.h), so
// that the store's reads and writes (queries.h) run unchanged on PostgreSQL:
//
//   - Parameters ?N become $k, numbered in order of first use: SQL that
//     uses ?1, ?2 and ?7 only (UpdateCaseSql) prepares, and binding a number
//     the SQL does not use is ignored, as SQLite ignores one below the
//     highest. A number above the highest is refused, as SQLite refuses it.
//   - A write transaction takes a transaction-scoped advisory lock right
//     after BEGIN (kWriteLockKey): writers on every replica are serialized,
//     as SQLite's BEGIN IMMEDIATE serializes connections, so that what a
//     write read (a case's last sequence, a chain's head) stays true until
//     it commits. Readers never wait for it.
//   - Errors are marked as database.h says (ViolationOf, StorageFailureOf).
//
// Not thread-safe, as database.h says.
#ifndef MAYDAY_SERVER_STORE_PG_DATABASE_H_
#define MAYDAY_SERVER_STORE_PG_DATABASE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "store/database.h"
#include "store/pg_connection.h"

namespace mayday::server::store_internal {

// The advisory lock every store writer holds for its transaction ("MAYDAY"
// and 1 in hex: apart from any other application's keys).
inline constexpr int64_t kWriteLockKey = 0x4D41'5944'4159'0001;

// Run on every session that takes kWriteLockKey (the store's writer, the
// dispatch lease's take-over): a process that stops inside its
// transaction (SIGSTOP, a frozen machine, a debugger) would hold every
// replica's writes; PostgreSQL ends its session once it has been idle that
// long inside a transaction, which undoes the transaction and frees the
// lock. A batch's statements follow each other within microseconds.
inline constexpr char kLimitIdleInTransaction[] = "SET idle_in_transaction_session_timeout = '2s'";

// SQL with ?N parameters as PostgreSQL's $k.
struct PgSql {
  std::string text;
  // slot[n] is the k of ?n (1-based), 0 if ?n is not used; slot[0] unused.
  std::vector<int> slot;
  int parameters = 0;  // the highest k
};
// Rewrites every ?N outside quotes and comments.
PgSql ToPgSql(absl::string_view sql);

class PgStatement;

class PgDatabase final : public Database {
 public:
  // PgConnection::Connect, then the store's settings on the connection.
  static absl::StatusOr<std::unique_ptr<PgDatabase>> Connect(const std::string& conninfo,
                                                             absl::Duration timeout);
  ~PgDatabase() override;

  absl::Status Exec(absl::string_view sql) override;
  absl::StatusOr<StatementLease> Prepare(absl::string_view sql) override;
  // BEGIN, then the advisory lock kWriteLockKey, in one round trip.
  absl::Status BeginWrite() override;
  bool autocommit() const override;
  int64_t changes() const override;
  int64_t total_changes() const override;
  bool failed_transaction() const override;

  // False once the connection broke: the owner connects anew.
  bool healthy() const { return connection_->healthy(); }
  // The same, after reading what came while idle (PgConnection::StillOpen).
  bool StillOpen() { return connection_->StillOpen(); }
  PgConnection& connection() { return *connection_; }

 private:
  friend class PgStatement;
  explicit PgDatabase(std::unique_ptr<PgConnection> connection);

  const std::unique_ptr<PgConnection> connection_;
  absl::flat_hash_map<std::string, std::unique_ptr<PgStatement>> statements_;
  int64_t changes_ = 0;
  int64_t total_changes_ = 0;
};

// A status from PgConnection marked as database.h says.
absl::Status MarkedPgError(absl::Status status);

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_PG_DATABASE_H_
