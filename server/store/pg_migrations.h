// Numbered schema migrations of the store's PostgreSQL database: the same
// tables as the SQLite file's (migrations.h) at its version 9, in
// PostgreSQL's types, so that the store's queries (queries.h) run on both.
//
// The table schema_migrations records one row per applied migration.
// PgMigrate applies every migration newer than the database's version in
// one transaction (PostgreSQL's DDL is transactional) under an advisory
// lock of its own (kMigrationLockKey), so that replicas starting together
// apply each migration once: the first migrates, the others wait and find
// it done. A migration, once released, never changes.
#ifndef MAYDAY_SERVER_STORE_PG_MIGRATIONS_H_
#define MAYDAY_SERVER_STORE_PG_MIGRATIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/pg_database.h"

namespace mayday::server::store_internal {

// The advisory lock migrations run under ("MAYDAY" and 2 in hex).
inline constexpr int64_t kMigrationLockKey = 0x4D41'5944'4159'0002;

// The version a database has once every migration is applied.
int LatestPgSchemaVersion();

// The version of the schema in `db`: 0 for a database no migration touched.
absl::StatusOr<int> PgSchemaVersion(Database& db);

// Brings `db` to LatestPgSchemaVersion() in one transaction, recording each
// migration as applied at `now`, then makes sure the triggers that keep
// audit_log, case_events and case_chain append-only are there and as this
// build defines them (made again if dropped, disabled or changed by hand).
// Returns the names of the triggers (and their function) made again on a
// database that had them; empty if none was. FAILED_PRECONDITION if the
// database was written by a newer version of Mayday; UNAVAILABLE if
// PostgreSQL fails, in which case nothing was changed.
absl::StatusOr<std::vector<std::string>> PgMigrate(PgDatabase& db, absl::Time now);

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_PG_MIGRATIONS_H_
