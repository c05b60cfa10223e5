// The store's PostgreSQL schema (server/store/pg_migrations.*): applied
// once, by one of several replicas starting together; a newer database
// refused; the history tables append-only, their triggers made again when
// dropped, disabled or changed by hand.
#include "store/pg_migrations.h"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "test_postgres.h"

namespace mayday::testing {
namespace {

using server::store_internal::LatestPgSchemaVersion;
using server::store_internal::PgDatabase;
using server::store_internal::PgMigrate;
using server::store_internal::PgSchemaVersion;
using server::store_internal::StatementLease;
using server::store_internal::Violation;
using server::store_internal::ViolationOf;

std::unique_ptr<PgDatabase> Connect(const std::string& uri) {
  auto db = PgDatabase::Connect(uri, absl::Seconds(5));
  INFO(db.status().ToString());
  REQUIRE(db.ok());
  return *std::move(db);
}

int64_t Count(PgDatabase& db, const std::string& sql) {
  absl::StatusOr<StatementLease> query = db.Prepare(sql);
  REQUIRE(query.ok());
  absl::StatusOr<bool> row = query.value()->Step();
  INFO(row.status().ToString());
  REQUIRE(row.ok());
  REQUIRE(*row);
  return query.value()->ColumnInt64(0);
}

TEST_CASE("A new PostgreSQL database is migrated once, and opening it again changes nothing") {
  std::unique_ptr<PgDatabase> db = Connect(NewTestDatabase());
  REQUIRE(*PgSchemaVersion(*db) == 0);
  absl::StatusOr<std::vector<std::string>> first = PgMigrate(*db, absl::Now());
  INFO(first.status().ToString());
  REQUIRE(first.ok());
  CHECK(first->empty());
  CHECK(*PgSchemaVersion(*db) == LatestPgSchemaVersion());
  for (const char* table :
       {"cases", "case_events", "tokens", "case_notes", "responder_positions", "case_tracks",
        "audit_log", "case_presses", "write_probe", "case_chain", "member_pins", "safety_timers"}) {
    INFO(table);
    CHECK(Count(*db, std::string("SELECT count(*) FROM ") + table) == 0);
  }
  absl::StatusOr<std::vector<std::string>> again = PgMigrate(*db, absl::Now());
  REQUIRE(again.ok());
  CHECK(again->empty());
  CHECK(Count(*db, "SELECT count(*) FROM schema_migrations") == LatestPgSchemaVersion());
}

TEST_CASE("Replicas starting together on one database apply each migration once") {
  const std::string uri = NewTestDatabase();
  constexpr int kReplicas = 4;
  std::vector<std::unique_ptr<PgDatabase>> replicas;
  for (int i = 0; i < kReplicas; ++i) replicas.push_back(Connect(uri));
  std::vector<absl::Status> results(kReplicas);
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] { results[i] = PgMigrate(*replicas[i], absl::Now()).status(); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& result : results) {
    INFO(result.ToString());
    CHECK(result.ok());
  }
  CHECK(Count(*replicas[0], "SELECT count(*) FROM schema_migrations") == LatestPgSchemaVersion());
}

TEST_CASE("A database written by a newer maydayd is refused and left as it is") {
  std::unique_ptr<PgDatabase> db = Connect(NewTestDatabase());
  REQUIRE(PgMigrate(*db, absl::Now()).ok());
  REQUIRE(db->Exec("INSERT INTO schema_migrations VALUES (99, 'from the future', 0)").ok());
  absl::StatusOr<std::vector<std::string>> refused = PgMigrate(*db, absl::Now());
  CHECK(refused.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(absl::StrContains(refused.status().message(), "schema version 99"));
  CHECK(absl::StrContains(refused.status().message(), "run a newer maydayd"));
  CHECK(db->autocommit());
  CHECK(*PgSchemaVersion(*db) == 99);
}

TEST_CASE("History stays append-only, and triggers undone by hand are made again on open") {
  std::unique_ptr<PgDatabase> db = Connect(NewTestDatabase());
  REQUIRE(PgMigrate(*db, absl::Now()).ok());
  REQUIRE(db->Exec("INSERT INTO case_chain VALUES (1, 0, 1, '\\x00', '\\x01');"
                   "INSERT INTO audit_log VALUES (1, 0, 'admin', 'a', 'b', 'c', 'd', 'e', 'f')")
              .ok());
  const auto refused = [&](const std::string& sql) {
    absl::Status status = db->Exec(sql);
    INFO(sql << ": " << status.ToString());
    CHECK(ViolationOf(status) == Violation::kOther);
    CHECK(absl::StrContains(status.message(), "append-only"));
  };
  refused("UPDATE case_chain SET time_us = 1");
  refused("DELETE FROM audit_log");
  refused("TRUNCATE case_chain");
  refused("TRUNCATE case_events");

  // Undone three ways by someone with the database's password.
  REQUIRE(db->Exec("DROP TRIGGER case_chain_no_change ON case_chain;"
                   "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate;"
                   "CREATE OR REPLACE FUNCTION mayday_append_only() RETURNS trigger "
                   "LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$")
              .ok());
  absl::StatusOr<std::vector<std::string>> made = PgMigrate(*db, absl::Now());
  REQUIRE(made.ok());
  CHECK(*made == std::vector<std::string>{"mayday_append_only", "audit_log_no_truncate",
                                          "case_chain_no_change"});
  refused("UPDATE case_chain SET time_us = 1");
  refused("TRUNCATE audit_log");
  CHECK(Count(*db, "SELECT count(*) FROM case_chain") == 1);
  CHECK(Count(*db, "SELECT count(*) FROM audit_log") == 1);
}

}  // namespace
}  // namespace mayday::testing
