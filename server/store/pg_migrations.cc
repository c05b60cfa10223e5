// The store's PostgreSQL schema, as numbered migrations; see
// pg_migrations.h.
#include "store/pg_migrations.h"

#include <iterator>

#include "absl/strings/str_cat.h"
#include "log/log.h"
#include "store/migrations.h"

namespace mayday::server::store_internal {
namespace {

// Version 1: every table of the SQLite file at its version 9, column for
// column (INTEGER as bigint, BLOB as bytea), with the same constraints and
// indexes; what each is for is said at its SQLite migration
// (migrations.cc). case_notes and case_tracks have an identity column named
// rowid: the shared queries order by SQLite's implicit rowid.
constexpr char kMigration1[] = R"sql(
CREATE TABLE cases (
  id text NOT NULL PRIMARY KEY,
  member text NOT NULL,
  request_id text,
  kind bigint NOT NULL,
  state bigint NOT NULL,
  create_time_us bigint NOT NULL,
  last_sequence bigint NOT NULL CHECK (last_sequence >= 1),
  snapshot bytea NOT NULL,
  responder text,
  closed bigint NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
  event_hash bytea,
  UNIQUE (member, request_id)
);
CREATE INDEX cases_by_state ON cases (state, create_time_us, id);
CREATE INDEX cases_by_time ON cases (create_time_us, id);
CREATE INDEX cases_open ON cases (create_time_us, id) WHERE closed = 0;
CREATE INDEX cases_open_by_member ON cases (member, kind, create_time_us, id) WHERE closed = 0;
CREATE INDEX cases_by_responder ON cases (responder, create_time_us, id)
  WHERE responder IS NOT NULL;

CREATE TABLE case_events (
  case_id text NOT NULL REFERENCES cases (id),
  sequence bigint NOT NULL CHECK (sequence >= 1),
  event bytea NOT NULL,
  hash bytea,
  chain_sequence bigint,
  PRIMARY KEY (case_id, sequence)
);

CREATE TABLE tokens (
  token_hash text NOT NULL PRIMARY KEY,
  role text NOT NULL CHECK (role IN ('member', 'responder', 'operator', 'admin')),
  subject text NOT NULL,
  create_time_us bigint NOT NULL,
  revoked bigint NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  expire_time_us bigint
);

CREATE TABLE case_notes (
  rowid bigint GENERATED ALWAYS AS IDENTITY,
  case_id text NOT NULL REFERENCES cases (id),
  create_time_us bigint NOT NULL,
  note bytea NOT NULL
);
CREATE INDEX case_notes_by_case ON case_notes (case_id, create_time_us);

CREATE TABLE responder_positions (
  responder text NOT NULL PRIMARY KEY,
  report_time_us bigint NOT NULL,
  location bytea NOT NULL
);
CREATE TABLE case_tracks (
  rowid bigint GENERATED ALWAYS AS IDENTITY,
  case_id text NOT NULL,
  report_time_us bigint NOT NULL,
  responder text NOT NULL,
  location bytea NOT NULL
);
CREATE INDEX case_tracks_by_case ON case_tracks (case_id, report_time_us);

CREATE TABLE audit_log (
  sequence bigint NOT NULL PRIMARY KEY CHECK (sequence > 0),
  time_us bigint NOT NULL,
  actor_role text NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  detail text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL
);

CREATE TABLE case_presses (
  member text NOT NULL,
  request_id text NOT NULL,
  case_id text NOT NULL REFERENCES cases (id),
  press_time_us bigint NOT NULL,
  PRIMARY KEY (member, request_id)
);

CREATE TABLE write_probe (
  id bigint NOT NULL PRIMARY KEY CHECK (id = 1),
  probe_time_us bigint NOT NULL
);

CREATE TABLE case_chain (
  sequence bigint NOT NULL PRIMARY KEY CHECK (sequence > 0),
  time_us bigint NOT NULL,
  event_count bigint NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL
);
)sql";

// Version 2: what replicas need. case_events_by_chain lets each replica
// follow every commit in commit order (ReadCommits: the events of commits
// after the last one it saw). dispatch_leases holds, per dispatch region,
// which replica dispatches and under which epoch (store/dispatch_lease.h):
// the epoch grows at every change of holder, and a dispatch write carries
// the epoch its writer holds, refused once it is not the region's.
constexpr char kMigration2[] = R"sql(
CREATE INDEX case_events_by_chain ON case_events (chain_sequence);
CREATE TABLE dispatch_leases (
  region text NOT NULL PRIMARY KEY,
  holder text NOT NULL,
  epoch bigint NOT NULL CHECK (epoch > 0),
  expire_time_us bigint NOT NULL
);
)sql";

// Version 3: where the holder of each region's dispatch is reached, so
// that a standby relays a crew's or a care agent's dispatch calls to it
// (services/dispatch_relay.h).
constexpr char kMigration3[] = R"sql(
ALTER TABLE dispatch_leases ADD COLUMN address text NOT NULL DEFAULT '';
)sql";

// Version 4: members' cancel PINs, as the SQLite file's version 10.
constexpr char kMigration4[] = R"sql(
CREATE TABLE member_pins (
  member text NOT NULL PRIMARY KEY,
  cancel_hash text NOT NULL,
  duress_hash text NOT NULL,
  update_time_us bigint NOT NULL
);
)sql";

// Version 5: members' safety timers, as the SQLite file's version 11.
constexpr char kMigration5[] = R"sql(
CREATE TABLE safety_timers (
  id text NOT NULL PRIMARY KEY,
  member text NOT NULL,
  request_id text NOT NULL,
  state bigint NOT NULL,
  deadline_us bigint NOT NULL,
  update_time_us bigint NOT NULL,
  timer bytea NOT NULL,
  UNIQUE (member, request_id)
);
CREATE INDEX safety_timers_running ON safety_timers (deadline_us, id) WHERE state = 1;
CREATE INDEX safety_timers_by_member ON safety_timers (member, state);
CREATE INDEX safety_timers_by_change ON safety_timers (update_time_us);
)sql";

// Version 6: members' medical profiles, as the SQLite file's version 12.
constexpr char kMigration6[] = R"sql(
CREATE TABLE medical_profiles (
  member text NOT NULL PRIMARY KEY,
  key_id text NOT NULL,
  sealed bytea NOT NULL,
  update_time_us bigint NOT NULL
);
)sql";

// Version 7: fleet tokens, as the SQLite file's version 13.
constexpr char kMigration7[] = R"sql(
ALTER TABLE tokens DROP CONSTRAINT tokens_role_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_role_check
  CHECK (role IN ('member', 'responder', 'operator', 'admin', 'fleet'));
)sql";

// Version 8: webhooks, as the SQLite file's version 14 (case_events_by_chain
// is version 2's here).
constexpr char kMigration8[] = R"sql(
CREATE TABLE webhook_endpoints (
  id text NOT NULL PRIMARY KEY,
  url text NOT NULL,
  events text NOT NULL,
  format text NOT NULL CHECK (format IN ('json', 'cap', 'eido')),
  secret bytea NOT NULL,
  creator text NOT NULL,
  create_time_us bigint NOT NULL,
  scanned_commit bigint NOT NULL
);
CREATE TABLE webhook_deliveries (
  endpoint text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  case_id text NOT NULL,
  sequence bigint NOT NULL,
  state bigint NOT NULL CHECK (state IN (0, 1, 2)),
  attempts bigint NOT NULL,
  create_time_us bigint NOT NULL,
  retry_from_us bigint NOT NULL,
  next_attempt_us bigint NOT NULL,
  last_attempt_us bigint,
  last_result text NOT NULL,
  PRIMARY KEY (endpoint, case_id, sequence)
);
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (endpoint, case_id, sequence)
  WHERE state <> 1;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint, next_attempt_us)
  WHERE state = 0;
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (endpoint, last_attempt_us)
  WHERE state = 1;
)sql";

// Version 9: the SQLite file's version 15.
constexpr char kMigration9[] = R"sql(
ALTER TABLE webhook_endpoints ADD COLUMN delivered bigint NOT NULL DEFAULT 0;
UPDATE webhook_endpoints SET delivered = (
  SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint = webhook_endpoints.id AND d.state = 1);
)sql";

constexpr Migration kMigrations[] = {
    {1, "the store's tables as of the SQLite file's version 9", kMigration1},
    {2, "replicas: case_events_by_chain, dispatch_leases", kMigration2},
    {3, "replicas: dispatch_leases.address", kMigration3},
    {4, "member_pins: members' cancel and duress PINs, hashed", kMigration4},
    {5, "safety_timers: members' safety timers", kMigration5},
    {6, "medical_profiles: members' medical profiles, sealed", kMigration6},
    {7, "fleet tokens: tokens.role may be 'fleet'", kMigration7},
    {8, "webhooks: webhook_endpoints, webhook_deliveries", kMigration8},
    {9, "webhook_endpoints.delivered: deliveries made, counted", kMigration9},
};

constexpr char kCreateMigrationsTable[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version bigint NOT NULL PRIMARY KEY,
  description text NOT NULL,
  applied_time_us bigint NOT NULL
)
)sql";

// What the append-only triggers run, word for word as pg_proc keeps it.
constexpr char kAppendOnlyBody[] =
    "\nBEGIN\n"
    "  RAISE EXCEPTION '% is append-only: its rows cannot be changed or removed', "
    "TG_TABLE_NAME\n"
    "    USING ERRCODE = 'integrity_constraint_violation';\n"
    "END\n";

// The tables kept append-only, each by two triggers: one per row (UPDATE,
// DELETE) and one per statement (TRUNCATE, which skips row triggers).
constexpr const char* kAppendOnlyTables[] = {"audit_log", "case_events", "case_chain"};

// Whether the query's first row's first column is true (or there is a row).
absl::StatusOr<bool> Holds(Database& db, absl::string_view sql, absl::string_view text = "") {
  absl::StatusOr<StatementLease> query = db.Prepare(sql);
  if (!query.ok()) return query.status();
  if (!text.empty()) {
    if (absl::Status bound = (*query)->BindText(1, text); !bound.ok()) return bound;
  }
  absl::StatusOr<bool> row = (*query)->Step();
  if (!row.ok()) return row.status();
  return *row && (*query)->ColumnInt64(0) != 0;
}

// Makes the append-only function and triggers that are missing or differ;
// returns what it made.
absl::StatusOr<std::vector<std::string>> MakeTriggers(Database& db) {
  std::vector<std::string> made;
  absl::StatusOr<bool> body_ok =
      Holds(db, "SELECT count(*) FROM pg_proc WHERE proname = 'mayday_append_only' AND prosrc = ?1",
            kAppendOnlyBody);
  if (!body_ok.ok()) return body_ok.status();
  if (!*body_ok) {
    absl::Status status = db.Exec(absl::StrCat(
        "CREATE OR REPLACE FUNCTION mayday_append_only() RETURNS trigger LANGUAGE plpgsql AS $$",
        kAppendOnlyBody, "$$"));
    if (!status.ok()) return status;
    made.push_back("mayday_append_only");
  }
  for (const char* table : kAppendOnlyTables) {
    for (const bool per_row : {true, false}) {
      const std::string name = absl::StrCat(table, per_row ? "_no_change" : "_no_truncate");
      // Present, enabled, calling the function, for the right events.
      absl::StatusOr<bool> present = Holds(
          db,
          absl::StrCat("SELECT count(*) FROM pg_trigger WHERE tgname = ?1 AND tgrelid = '", table,
                       "'::regclass AND tgenabled = 'O' AND tgfoid = "
                       "'mayday_append_only'::regproc AND tgtype = ",
                       // BEFORE (2) | ROW (1) | DELETE (8) | UPDATE (16); or
                       // BEFORE | TRUNCATE (32).
                       per_row ? 27 : 34),
          name);
      if (!present.ok()) return present.status();
      if (*present) continue;
      absl::Status status = db.Exec(absl::StrCat(
          "CREATE OR REPLACE TRIGGER ", name, " BEFORE ", per_row ? "UPDATE OR DELETE" : "TRUNCATE",
          " ON ", table, per_row ? " FOR EACH ROW" : " FOR EACH STATEMENT",
          " EXECUTE FUNCTION mayday_append_only(); ALTER TABLE ", table, " ENABLE TRIGGER ", name));
      if (!status.ok()) return status;
      made.push_back(name);
    }
  }
  return made;
}

}  // namespace

int LatestPgSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

absl::StatusOr<int> PgSchemaVersion(Database& db) {
  absl::StatusOr<bool> exists =
      Holds(db,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'schema_migrations' "
            "AND schemaname = current_schema()");
  if (!exists.ok()) return exists.status();
  if (!*exists) return 0;
  absl::StatusOr<StatementLease> max =
      db.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!max.ok()) return max.status();
  absl::StatusOr<bool> row = (*max)->Step();
  if (!row.ok()) return row.status();
  return static_cast<int>((*max)->ColumnInt64(0));
}

absl::StatusOr<std::vector<std::string>> PgMigrate(PgDatabase& db, absl::Time now) {
  absl::StatusOr<Transaction> txn = Transaction::Begin(db);
  if (!txn.ok()) return MigrationFailed(txn.status(), "cannot begin");
  // Under the migration lock, the version read stays true until commit.
  if (absl::Status locked =
          db.Exec(absl::StrCat("SELECT pg_advisory_xact_lock(", kMigrationLockKey, ")"));
      !locked.ok()) {
    return MigrationFailed(locked, "cannot take the migration lock");
  }
  absl::StatusOr<int> version = PgSchemaVersion(db);
  if (!version.ok()) return MigrationFailed(version.status(), "cannot read the version");
  if (*version > LatestPgSchemaVersion()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the PostgreSQL database has schema version ", *version, ", newer than this build's ",
        LatestPgSchemaVersion(), "; run a newer maydayd"));
  }
  if (absl::Status status = db.Exec(kCreateMigrationsTable); !status.ok()) {
    return MigrationFailed(status, "cannot create schema_migrations");
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= *version) continue;
    if (absl::Status status = ApplyMigration(db, migration, now); !status.ok()) return status;
  }
  absl::StatusOr<std::vector<std::string>> made = MakeTriggers(db);
  if (!made.ok()) return MigrationFailed(made.status(), "append-only triggers");
  if (absl::Status status = txn->Commit(); !status.ok()) return MigrationFailed(status, "commit");
  if (*version < LatestPgSchemaVersion()) {
    LogInfo("migration", "the PostgreSQL database: schema migrated from version %d to %d", *version,
            LatestPgSchemaVersion());
  }
  // A new database's triggers were made, not made again.
  if (*version == 0) made->clear();
  return made;
}

}  // namespace mayday::server::store_internal
