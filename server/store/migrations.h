// Numbered schema migrations of the store's SQLite file.
//
// The table schema_migrations records one row per applied migration. Open
// applies every migration newer than the file's version, all in one
// BEGIN IMMEDIATE transaction, so a file is always at exactly one version and
// two processes opening it at once cannot both migrate it. A migration, once
// released, never changes: a schema change is a new migration at the end.
#ifndef MAYDAY_SERVER_STORE_MIGRATIONS_H_
#define MAYDAY_SERVER_STORE_MIGRATIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "store/sqlite_database.h"

namespace mayday::server::store_internal {

// One step of the schema: the SQL that takes version - 1 to version.
struct Migration {
  int version;              // 1, 2, 3 ... without gaps
  const char* description;  // what it changes, for people reading the table
  const char* sql;          // one or more statements
  // Optional: run after `sql`, in the same transaction, for what SQL alone
  // cannot do (filling a new column from the protobuf snapshots).
  absl::Status (*backfill)(Database& db) = nullptr;
};

// Every migration, in version order.
absl::Span<const Migration> AllMigrations();

// What a failed step of a migration returns: its status's code, saying
// which step failed and that nothing was changed (the migration's
// transaction rolls back).
absl::Status MigrationFailed(const absl::Status& status, absl::string_view what);

// Runs `migration` (its SQL, then its backfill) inside the caller's
// transaction and records it in schema_migrations as applied at `now`;
// MigrationFailed naming the migration on error. Both engines' Migrate.
absl::Status ApplyMigration(Database& db, const Migration& migration, absl::Time now);

// The version a file has once every migration is applied.
int LatestSchemaVersion();

// The version of the schema in `db`: 0 for a file no migration touched.
// UNAVAILABLE on a SQLite error.
absl::StatusOr<int> SchemaVersion(Database& db);

// Brings `db` to LatestSchemaVersion() in one transaction, recording each
// migration as applied at `now`; does nothing (and writes nothing) if it is
// already there. FAILED_PRECONDITION if the file was written by a newer
// version of Mayday; UNAVAILABLE on a SQLite error, in which case nothing was
// changed.
absl::Status Migrate(SqliteDatabase& db, absl::Time now);

// Makes sure the triggers that keep audit_log, case_events and case_chain
// append-only are there as this build defines them: each one missing or
// changed (dropped or replaced by hand) is made again, in one transaction.
// Run on every open, after Migrate. Returns the names of those made again
// (empty: nothing was written); UNAVAILABLE on a SQLite error.
absl::StatusOr<std::vector<std::string>> ProtectHistory(Database& db);

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_MIGRATIONS_H_
