// One connection to PostgreSQL through libpq, so that the store never holds a
// raw PGconn* or PGresult* and every failure comes back as a status a person
// can act on:
//
//   PgConnection  connects (a libpq URI or key=value string), runs a
//                 statement with parameters, prepared once per connection
//                 and cached by its text; also runs plain SQL scripts.
//   PgRows        the rows a statement returned, read by column in the
//                 binary format (integers, text, bytea, booleans).
//   PgParams      the parameters of one statement, as $1, $2, ...
//
// Statuses: UNAVAILABLE when the server cannot be reached, is shutting down,
// is out of disk or is a standby (read-only: the primary moved); ABORTED on
// a serialization failure or deadlock (the transaction may be retried);
// ALREADY_EXISTS on a unique violation; FAILED_PRECONDITION on other
// constraint violations; INTERNAL on errors in the SQL itself. Each carries
// the server's message and its SQLSTATE (PgSqlState).
//
// Not thread-safe: the owner serializes every use of a connection.
#ifndef MAYDAY_SERVER_STORE_PG_CONNECTION_H_
#define MAYDAY_SERVER_STORE_PG_CONNECTION_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

struct pg_conn;
struct pg_result;

namespace mayday::server::store_internal {

// The parameters of one statement, in order ($1 first): appended, or set
// by their 0-based place among `count` NULLs. Values are copied.
class PgParams {
 public:
  PgParams() = default;
  explicit PgParams(int count) : values_(static_cast<size_t>(count)) {}
  PgParams& Text(absl::string_view value);
  PgParams& Bytes(absl::string_view value);  // a bytea
  PgParams& Int64(int64_t value);
  PgParams& Null();
  void SetText(int i, absl::string_view value);
  void SetBytes(int i, absl::string_view value);
  void SetInt64(int i, int64_t value);
  void SetNull(int i);

  int size() const { return static_cast<int>(values_.size()); }

 private:
  friend class PgConnection;
  struct Value {
    std::optional<std::string> bytes;  // nullopt: NULL
    bool binary = false;               // bytea (sent as raw bytes)
  };
  std::vector<Value> values_;
};

// The result rows of one statement, owned; move-only. Columns are read in
// PostgreSQL's binary format by their type: ColumnInt64 reads smallint,
// integer, bigint and boolean columns; ColumnText text, varchar and bytea.
class PgRows {
 public:
  PgRows(PgRows&& other) noexcept;
  PgRows& operator=(PgRows&& other) noexcept;
  PgRows(const PgRows&) = delete;
  PgRows& operator=(const PgRows&) = delete;
  ~PgRows();

  int size() const;     // rows
  int columns() const;  // columns per row
  // Rows a write changed (INSERT, UPDATE, DELETE), 0 for others.
  int64_t affected() const;
  // Cell (row, column), 0-based. The view stays valid while this lives.
  // DATA_LOSS if the column's type is not one these read, which says the
  // schema is not what the code expects.
  absl::StatusOr<int64_t> Int64(int row, int column) const;
  absl::StatusOr<absl::string_view> Text(int row, int column) const;
  bool IsNull(int row, int column) const;

 private:
  friend class PgConnection;
  explicit PgRows(pg_result* result) : result_(result) {}
  pg_result* result_;
};

// The five-character SQLSTATE a status from this file carries ("23505"),
// or empty if it carries none (not from the server, or OK).
std::string PgSqlState(const absl::Status& status);

// The name of the constraint a status from this file says was violated
// ("cases_pkey"), or empty.
std::string PgConstraint(const absl::Status& status);

class PgConnection {
 public:
  // Connects to `conninfo` (a "postgresql://" URI, or key=value pairs; a
  // multi-host URI with target_session_attrs=read-write reaches the
  // primary), giving up after `timeout` (rounded up to whole seconds, at
  // least 2, libpq's least). Sets the session up for the store: UTC, no
  // notices, and synchronous_commit on whatever the server's default is, so
  // that a commit returns only once it is durable. UNAVAILABLE with libpq's
  // message (the password, if any, is not in it) if it cannot connect;
  // INVALID_ARGUMENT if `conninfo` does not parse.
  static absl::StatusOr<std::unique_ptr<PgConnection>> Connect(const std::string& conninfo,
                                                               absl::Duration timeout);
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;
  ~PgConnection();

  // Runs `sql`, one or more statements without parameters (a migration, a
  // BEGIN), in the simple query protocol; the rows of the last one.
  absl::StatusOr<PgRows> Exec(absl::string_view sql);

  // Runs one statement with `params`, prepared on first use on this
  // connection and reused after (by its text). Rows in the binary format.
  absl::StatusOr<PgRows> Query(absl::string_view sql, const PgParams& params = {});

  // False once the connection broke (the server went away, or a network
  // cut); every call then fails UNAVAILABLE and the owner connects anew.
  bool healthy() const;
  // healthy(), after reading what the server sent while the connection sat
  // idle: a backend ended meanwhile (a restart, a failover,
  // pg_terminate_backend) has said so and closed, which only a read shows.
  // Never blocks. A pooled connection is checked so before it is reused, so
  // that the first call after an outage does not fail on a dead one.
  bool StillOpen();

  // Whether a transaction is open (or failed and not yet rolled back).
  bool in_transaction() const;
  // Whether a statement failed in the open transaction, which then takes no
  // more until rolled back (to a savepoint before the failure, or whole).
  bool transaction_failed() const;

  // A NOTIFY this connection LISTENs to: its channel and payload.
  struct Notice {
    std::string channel;
    std::string payload;
  };
  // Waits up to `timeout` (on the real clock: it is a wait on the socket)
  // for notifications on the channels this connection LISTENs to, and
  // returns those that came (none: the time ran out). UNAVAILABLE if the
  // connection broke. Call outside a transaction.
  absl::StatusOr<std::vector<Notice>> AwaitNotices(absl::Duration timeout);

  // The server's major version (150000 and up for PostgreSQL 15).
  int server_version() const;

  // Which database on which server, for people: "mayday on 10.0.0.5:5432"
  // (never the password).
  std::string Describe() const;

 private:
  explicit PgConnection(pg_conn* conn) : conn_(conn) {}
  // The status of `result` (OK for rows or a command), taking ownership.
  absl::StatusOr<PgRows> Take(pg_result* result);

  pg_conn* conn_;
  // Prepared statements by their SQL text: the name each was prepared as.
  absl::flat_hash_map<std::string, std::string> prepared_;
};

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_PG_CONNECTION_H_
