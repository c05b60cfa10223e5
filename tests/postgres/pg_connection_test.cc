// The store's PostgreSQL connection (server/store/pg_connection.*) against a
// real server: values in and out by type, errors as statuses by SQLSTATE, a
// connection cut from the server, and the session settings durability needs.
#include "store/pg_connection.h"

#include <catch2/catch.hpp>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "test_postgres.h"

namespace mayday::testing {
namespace {

using server::store_internal::PgConnection;
using server::store_internal::PgParams;
using server::store_internal::PgRows;
using server::store_internal::PgSqlState;

// A connection to a new database of the shared cluster; fails the test if
// there is none.
std::unique_ptr<PgConnection> Connected(std::string* uri = nullptr) {
  const std::string database = NewTestDatabase();
  if (uri != nullptr) *uri = database;
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      PgConnection::Connect(database, absl::Seconds(5));
  INFO(connection.status().ToString());
  REQUIRE(connection.ok());
  return *std::move(connection);
}

TEST_CASE("A PostgreSQL connection stores parameters and reads them back by type") {
  std::unique_ptr<PgConnection> db = Connected();
  REQUIRE(db->Exec("CREATE TABLE t (big bigint, i integer, s smallint, b boolean, "
                   "words text, bytes bytea, maybe bigint)")
              .ok());
  const std::string bytes("\0\x01\xff proto", 9);
  const std::string words = "Überschlag auf der A7, Höhe km 12 🚑";
  absl::StatusOr<PgRows> inserted = db->Query("INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                              PgParams()
                                                  .Int64(-9'007'199'254'740'993)
                                                  .Int64(-7)
                                                  .Int64(12)
                                                  .Int64(1)
                                                  .Text(words)
                                                  .Bytes(bytes)
                                                  .Null());
  INFO(inserted.status().ToString());
  REQUIRE(inserted.ok());
  CHECK(inserted->affected() == 1);

  // The same statement again: prepared once, run with new values.
  REQUIRE(db->Query("INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    PgParams().Int64(1).Int64(2).Int64(3).Int64(0).Text("").Bytes("").Int64(4))
              .ok());

  absl::StatusOr<PgRows> rows =
      db->Query("SELECT big, i, s, b, words, bytes, maybe FROM t ORDER BY big");
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  REQUIRE(rows->columns() == 7);
  CHECK(*rows->Int64(0, 0) == -9'007'199'254'740'993);
  CHECK(*rows->Int64(0, 1) == -7);
  CHECK(*rows->Int64(0, 2) == 12);
  CHECK(*rows->Int64(0, 3) == 1);
  CHECK(*rows->Text(0, 4) == words);
  CHECK(*rows->Text(0, 5) == bytes);
  CHECK(rows->IsNull(0, 6));
  CHECK(*rows->Int64(1, 3) == 0);
  CHECK(rows->Text(1, 4)->empty());
  CHECK(*rows->Int64(1, 6) == 4);
  // A column read as what it is not says so.
  CHECK(rows->Int64(0, 4).status().code() == absl::StatusCode::kDataLoss);
  CHECK(rows->Text(0, 0).status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("Text with a NUL in it is refused, not cut short") {
  std::unique_ptr<PgConnection> db = Connected();
  REQUIRE(db->Exec("CREATE TABLE t (words text)").ok());
  absl::StatusOr<PgRows> inserted =
      db->Query("INSERT INTO t VALUES ($1)", PgParams().Text(std::string("before\0after", 12)));
  CHECK(inserted.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(inserted.status().message(), "NUL"));
  absl::StatusOr<PgRows> count = db->Exec("SELECT count(*) FROM t");
  REQUIRE(count.ok());
  CHECK(*count->Int64(0, 0) == 0);
}

TEST_CASE("Server errors come back with the status their SQLSTATE calls for") {
  std::unique_ptr<PgConnection> db = Connected();
  // Raised by the server itself, as it raises them on its own.
  const auto [state, code] = GENERATE(table<std::string, absl::StatusCode>({
      {"23505", absl::StatusCode::kAlreadyExists},       // unique violation
      {"23503", absl::StatusCode::kFailedPrecondition},  // foreign key violation
      {"40001", absl::StatusCode::kAborted},             // serialization failure
      {"40P01", absl::StatusCode::kAborted},             // deadlock
      {"22012", absl::StatusCode::kInvalidArgument},     // division by zero
      {"53100", absl::StatusCode::kUnavailable},         // disk full
      {"53300", absl::StatusCode::kUnavailable},         // too many connections
      {"57P01", absl::StatusCode::kUnavailable},         // admin shutdown
      {"58030", absl::StatusCode::kUnavailable},         // I/O error
      {"25006", absl::StatusCode::kUnavailable},         // read-only transaction: a standby
      {"57014", absl::StatusCode::kDeadlineExceeded},    // statement timeout
      {"XX001", absl::StatusCode::kDataLoss},            // data corrupted
      {"42P01", absl::StatusCode::kInternal},            // undefined table: our bug
  }));
  INFO("SQLSTATE " << state);
  absl::StatusOr<PgRows> raised = db->Exec(absl::StrCat(
      "DO $$ BEGIN RAISE EXCEPTION 'as the server says it' USING ERRCODE = '", state, "'; END $$"));
  CHECK(raised.status().code() == code);
  CHECK(PgSqlState(raised.status()) == state);
  CHECK(absl::StrContains(raised.status().message(), "as the server says it"));
  CHECK(absl::StrContains(raised.status().message(), state));
  // The connection is usable after.
  CHECK(db->Exec("SELECT 1").ok());
}

TEST_CASE("The real errors behind the common cases are mapped as the table says") {
  std::unique_ptr<PgConnection> db = Connected();
  REQUIRE(db->Exec("CREATE TABLE t (id text PRIMARY KEY, n bigint CHECK (n > 0))").ok());
  const std::string insert = "INSERT INTO t VALUES ($1, $2)";
  REQUIRE(db->Query(insert, PgParams().Text("a").Int64(1)).ok());
  absl::StatusOr<PgRows> again = db->Query(insert, PgParams().Text("a").Int64(1));
  CHECK(again.status().code() == absl::StatusCode::kAlreadyExists);
  absl::StatusOr<PgRows> negative = db->Query(insert, PgParams().Text("b").Int64(-1));
  CHECK(negative.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(PgSqlState(negative.status()) == "23514");
  // Read-only, as on a standby after the primary moved.
  REQUIRE(db->Exec("SET default_transaction_read_only = on").ok());
  absl::StatusOr<PgRows> on_standby = db->Query(insert, PgParams().Text("c").Int64(1));
  CHECK(on_standby.status().code() == absl::StatusCode::kUnavailable);
  CHECK(db->Exec("SELECT * FROM nowhere").status().code() == absl::StatusCode::kInternal);
}

TEST_CASE("A connection the server ends is UNAVAILABLE and no longer healthy") {
  std::unique_ptr<PgConnection> db = Connected();
  REQUIRE(db->healthy());
  absl::StatusOr<PgRows> pid = db->Query("SELECT pg_backend_pid()");
  REQUIRE(pid.ok());
  // Ended from the server's side, as a restart or a failover does.
  auto admin = PgConnection::Connect(NewTestDatabase(), absl::Seconds(5));
  REQUIRE(admin.ok());
  REQUIRE((*admin)
              ->Query("SELECT pg_terminate_backend($1::int)", PgParams().Int64(*pid->Int64(0, 0)))
              .ok());
  // Seen before it is used again: what the server said while it sat idle.
  for (int i = 0; i < 100 && db->StillOpen(); ++i) absl::SleepFor(absl::Milliseconds(10));
  CHECK_FALSE(db->StillOpen());
  absl::StatusOr<PgRows> after = db->Query("SELECT 1");
  CHECK(after.status().code() == absl::StatusCode::kUnavailable);
  CHECK_FALSE(db->healthy());
  CHECK(db->Query("SELECT 2").status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("Connecting to no server is UNAVAILABLE, a malformed string INVALID_ARGUMENT") {
  absl::StatusOr<std::unique_ptr<PgConnection>> nobody = PgConnection::Connect(
      "postgresql://mayday@/none?host=/nonexistent-mayday-folder&port=5432", absl::Seconds(2));
  CHECK(nobody.status().code() == absl::StatusCode::kUnavailable);
  CHECK(absl::StrContains(nobody.status().message(), "cannot connect to PostgreSQL"));
  absl::StatusOr<std::unique_ptr<PgConnection>> malformed =
      PgConnection::Connect("postgresql://[::1", absl::Seconds(2));
  CHECK(malformed.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(absl::StrContains(malformed.status().message(), "does not parse"));
}

TEST_CASE("Every session commits synchronously, whatever the server's default") {
  std::string uri;
  std::unique_ptr<PgConnection> db = Connected(&uri);
  // An operator's setting that would acknowledge commits not yet durable.
  absl::StatusOr<PgRows> database = db->Exec("SELECT current_database()");
  REQUIRE(database.ok());
  REQUIRE(db->Exec(absl::StrCat("ALTER DATABASE ", *database->Text(0, 0),
                                " SET synchronous_commit = off"))
              .ok());
  absl::StatusOr<std::unique_ptr<PgConnection>> fresh =
      PgConnection::Connect(uri, absl::Seconds(5));
  REQUIRE(fresh.ok());
  absl::StatusOr<PgRows> setting = (*fresh)->Exec("SHOW synchronous_commit");
  REQUIRE(setting.ok());
  CHECK(*setting->Text(0, 0) == "on");
  absl::StatusOr<PgRows> zone = (*fresh)->Exec("SHOW TimeZone");
  REQUIRE(zone.ok());
  CHECK(*zone->Text(0, 0) == "UTC");
}

TEST_CASE("A transaction is seen open until it ends") {
  std::unique_ptr<PgConnection> db = Connected();
  CHECK_FALSE(db->in_transaction());
  REQUIRE(db->Exec("BEGIN").ok());
  CHECK(db->in_transaction());
  CHECK_FALSE(db->Exec("SELECT * FROM nowhere").ok());
  CHECK(db->in_transaction());  // failed, until rolled back
  REQUIRE(db->Exec("ROLLBACK").ok());
  CHECK_FALSE(db->in_transaction());
}

}  // namespace
}  // namespace mayday::testing
