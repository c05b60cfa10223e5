// The store's schema, as numbered migrations; see migrations.h.
#include "store/migrations.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "log/log.h"
#include "store/case_chain.h"
#include "store/codec.h"

namespace mayday::server::store_internal {
namespace {

// Version 1: cases (current snapshot plus the columns lists filter on), their
// event timelines, and access tokens.
//
// cases.request_id is NULL when the alert carried none, so that such alerts
// never match each other under UNIQUE (member, request_id). Enum columns hold
// the mayday.v1 enum numbers. Times are microseconds since the Unix epoch.
constexpr char kMigration1[] = R"sql(
CREATE TABLE cases (
  id TEXT NOT NULL PRIMARY KEY,
  member TEXT NOT NULL,
  request_id TEXT,
  kind INTEGER NOT NULL,
  state INTEGER NOT NULL,
  create_time_us INTEGER NOT NULL,
  last_sequence INTEGER NOT NULL CHECK (last_sequence >= 1),
  snapshot BLOB NOT NULL,
  UNIQUE (member, request_id)
) STRICT;

-- ListCases filtered by member, by state, by kind or by nothing; each is
-- read backwards for newest first.
CREATE INDEX cases_by_member ON cases (member, create_time_us, id);
CREATE INDEX cases_by_state ON cases (state, create_time_us, id);
CREATE INDEX cases_by_kind ON cases (kind, create_time_us, id);
CREATE INDEX cases_by_time ON cases (create_time_us, id);
-- ListOpenCases: open cases oldest first. The WHERE clause must match the
-- query's word for word for SQLite to use it.
CREATE INDEX cases_open ON cases (create_time_us, id) WHERE state NOT IN (5, 6);

CREATE TABLE case_events (
  case_id TEXT NOT NULL REFERENCES cases (id),
  sequence INTEGER NOT NULL CHECK (sequence >= 1),
  event BLOB NOT NULL,
  PRIMARY KEY (case_id, sequence)
) STRICT, WITHOUT ROWID;

CREATE TABLE tokens (
  token_hash TEXT NOT NULL PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('member', 'responder', 'operator')),
  subject TEXT NOT NULL,
  create_time_us INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
) STRICT, WITHOUT ROWID;
)sql";

// Version 2: care agents' internal notes on cases. Kept apart from the event
// timeline because members and responders must never see them.
constexpr char kMigration2[] = R"sql(
CREATE TABLE case_notes (
  case_id TEXT NOT NULL REFERENCES cases (id),
  create_time_us INTEGER NOT NULL,
  note BLOB NOT NULL
) STRICT;
CREATE INDEX case_notes_by_case ON case_notes (case_id, create_time_us);
)sql";

// Version 3: admin tokens (operators who also manage tokens), the assigned
// responder as a column of cases so that lists can filter on it, two indexes
// fewer to write, and responders' positions (the latest of each, and tracks
// while on a case).
// SQLite cannot change a CHECK constraint in place: tokens is rebuilt.
constexpr char kMigration3[] = R"sql(
CREATE TABLE tokens_v3 (
  token_hash TEXT NOT NULL PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('member', 'responder', 'operator', 'admin')),
  subject TEXT NOT NULL,
  create_time_us INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
) STRICT, WITHOUT ROWID;
INSERT INTO tokens_v3 (token_hash, role, subject, create_time_us, revoked)
  SELECT token_hash, role, subject, create_time_us, revoked FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_v3 RENAME TO tokens;

-- Every index costs each new case a page write at commit. A member's cases
-- are found through UNIQUE (member, request_id) (few per member, sorted in
-- memory); a kind filter walks cases_by_time.
DROP INDEX cases_by_member;
DROP INDEX cases_by_kind;

-- NULL until the case is assigned.
ALTER TABLE cases ADD COLUMN responder TEXT;
CREATE INDEX cases_by_responder ON cases (responder, create_time_us, id);

-- Each responder's latest reported position (one row per responder,
-- replaced), and the track of a responder while it is on a case. Locations
-- are mayday.v1.Location messages.
CREATE TABLE responder_positions (
  responder TEXT NOT NULL PRIMARY KEY,
  report_time_us INTEGER NOT NULL,
  location BLOB NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE case_tracks (
  case_id TEXT NOT NULL,
  report_time_us INTEGER NOT NULL,
  responder TEXT NOT NULL,
  location BLOB NOT NULL
) STRICT;
CREATE INDEX case_tracks_by_case ON case_tracks (case_id, report_time_us);
)sql";

// Fills cases.responder from each case's snapshot.
absl::Status BackfillResponders(Database& db) {
  absl::StatusOr<StatementLease> select = db.Prepare("SELECT id, snapshot FROM cases");
  if (!select.ok()) return select.status();
  std::vector<std::pair<std::string, std::string>> assigned;
  while (true) {
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    absl::StatusOr<mayday::v1::Case> c =
        ParseCase((*select)->ColumnBlob(1), absl::StrCat("case cases/", (*select)->ColumnText(0)));
    if (!c.ok()) return c.status();
    if (!c->responder().empty()) {
      assigned.emplace_back(std::string((*select)->ColumnText(0)), c->responder());
    }
  }
  for (const auto& [id, responder] : assigned) {
    absl::StatusOr<StatementLease> update =
        db.Prepare("UPDATE cases SET responder = ?2 WHERE id = ?1");
    if (!update.ok()) return update.status();
    absl::Status status = (*update)->BindText(1, id);
    if (status.ok()) status = (*update)->BindText(2, responder);
    if (status.ok()) status = (*update)->Step().status();
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

// Version 4: the audit trail of privileged actions (store/audit.h). Rows
// are only ever appended: the triggers refuse UPDATE and DELETE, so that
// changing the trail takes dropping them first, which the hash chain then
// shows.
constexpr char kMigration4[] = R"sql(
CREATE TABLE audit_log (
  sequence INTEGER NOT NULL PRIMARY KEY CHECK (sequence > 0),
  time_us INTEGER NOT NULL,
  actor_role TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted');
END;
)sql";

// Version 5: one open case per member and kind. A member who presses again
// while a case of the kind is open joins that case (WriteTxn::OpenCase):
// cases_open_by_member finds it, and case_presses remembers each press that
// joined, so that its retries return the same case after it closes. Not
// UNIQUE: files written before may hold several open cases of a kind.
constexpr char kMigration5[] = R"sql(
CREATE INDEX cases_open_by_member ON cases (member, kind) WHERE state NOT IN (5, 6);
CREATE TABLE case_presses (
  member TEXT NOT NULL,
  request_id TEXT NOT NULL,
  case_id TEXT NOT NULL REFERENCES cases (id),
  press_time_us INTEGER NOT NULL,
  PRIMARY KEY (member, request_id)
) STRICT, WITHOUT ROWID;
)sql";

// Version 6: fewer index writes per alert. An UPDATE rewrites every index
// that holds a changed column or whose WHERE clause names one, so the open
// cases' indexes named `state` were rewritten (an entry out, the same entry
// back in) at every step of every case. They name `closed` instead, which
// changes once, when the case closes (written by the store with `state`; a
// generated column would count as changed whenever `state` is);
// cases_open_by_member is in the order OpenCase wants (the oldest first),
// which SQLite had sorted per alert.
// Unassigned cases (every new one) are left out of cases_by_responder.
constexpr char kMigration6[] = R"sql(
ALTER TABLE cases ADD COLUMN closed INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1));
UPDATE cases SET closed = 1 WHERE state IN (5, 6);
DROP INDEX cases_open;
DROP INDEX cases_open_by_member;
DROP INDEX cases_by_responder;
CREATE INDEX cases_open ON cases (create_time_us, id) WHERE closed = 0;
CREATE INDEX cases_open_by_member ON cases (member, kind, create_time_us, id) WHERE closed = 0;
CREATE INDEX cases_by_responder ON cases (responder, create_time_us, id)
  WHERE responder IS NOT NULL;
)sql";

// Version 7: while the file takes no writes (a full disk, an I/O error, a
// file made read-only), the writer tries one of its own every second, to
// this one row, so that it notices when the file is writable again
// (SqliteStore::Probe; health then says SERVING again).
constexpr char kMigration7[] = R"sql(
CREATE TABLE write_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  probe_time_us INTEGER NOT NULL
) STRICT;
)sql";

// Version 8: a token may expire (CreateTokenRequest.expires_in); NULL:
// valid until revoked, as every token before.
constexpr char kMigration8[] = R"sql(
ALTER TABLE tokens ADD COLUMN expire_time_us INTEGER;
)sql";

// Version 9: the case history's hash chains (store/case_chain.h): each
// event's hash, each case's head, and case_chain, one row per commit that
// wrote events. ChainStoredEvents computes them for the events already
// stored. The triggers that keep case_events and case_chain append-only are
// made on every open (ProtectHistory), after this has run.
constexpr char kMigration9[] = R"sql(
ALTER TABLE case_events ADD COLUMN hash BLOB;
ALTER TABLE case_events ADD COLUMN chain_sequence INTEGER;
ALTER TABLE cases ADD COLUMN event_hash BLOB;
CREATE TABLE case_chain (
  sequence INTEGER NOT NULL PRIMARY KEY CHECK (sequence > 0),
  time_us INTEGER NOT NULL,
  event_count INTEGER NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL
) STRICT;
)sql";

// Version 10: members' cancel and duress PINs (AlertService.SetCancelPins),
// as slow salted hashes (auth/pin_hash.h); empty hashes: cleared.
constexpr char kMigration10[] = R"sql(
CREATE TABLE member_pins (
  member TEXT NOT NULL PRIMARY KEY,
  cancel_hash TEXT NOT NULL,
  duress_hash TEXT NOT NULL,
  update_time_us INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql";

// Version 11: members' safety timers (AlertService.StartSafetyTimer): the
// timer itself, and what its queries look for: a member's start by its
// request_id, a member's running timer, the running ones by deadline, the
// others by their last change.
constexpr char kMigration11[] = R"sql(
CREATE TABLE safety_timers (
  id TEXT NOT NULL PRIMARY KEY,
  member TEXT NOT NULL,
  request_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  deadline_us INTEGER NOT NULL,
  update_time_us INTEGER NOT NULL,
  timer BLOB NOT NULL,
  UNIQUE (member, request_id)
) STRICT;
CREATE INDEX safety_timers_running ON safety_timers (deadline_us, id) WHERE state = 1;
CREATE INDEX safety_timers_by_member ON safety_timers (member, state);
CREATE INDEX safety_timers_by_change ON safety_timers (update_time_us);
)sql";

// Version 12: members' medical profiles (AlertService.UpdateMedicalProfile),
// sealed with AES-256-GCM (medical/profile_keys.h) under the key key_id
// names; never in clear. Deleted rows leave the file: the writer runs with
// secure_delete (sqlite_store.cc).
constexpr char kMigration12[] = R"sql(
CREATE TABLE medical_profiles (
  member TEXT NOT NULL PRIMARY KEY,
  key_id TEXT NOT NULL,
  sealed BLOB NOT NULL,
  update_time_us INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql";

// Version 13: fleet tokens (FleetService: a vehicle tracking feed). SQLite
// cannot change a CHECK constraint in place: tokens is rebuilt, as in 3.
constexpr char kMigration13[] = R"sql(
CREATE TABLE tokens_v13 (
  token_hash TEXT NOT NULL PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('member', 'responder', 'operator', 'admin', 'fleet')),
  subject TEXT NOT NULL,
  create_time_us INTEGER NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
  expire_time_us INTEGER
) STRICT, WITHOUT ROWID;
INSERT INTO tokens_v13 (token_hash, role, subject, create_time_us, revoked, expire_time_us)
  SELECT token_hash, role, subject, create_time_us, revoked, expire_time_us FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_v13 RENAME TO tokens;
)sql";

// Version 14: webhooks (store/webhook_records.h). Endpoints, and one
// delivery row per event and endpoint, queued from the commit chain, which
// case_events_by_chain lets the deliverer read commit by commit (as the
// replicas' follower does on PostgreSQL). Of each case, the first delivery
// not made is found through webhook_deliveries_open; the due ones through
// webhook_deliveries_due.
constexpr char kMigration14[] = R"sql(
CREATE INDEX case_events_by_chain ON case_events (chain_sequence);
CREATE TABLE webhook_endpoints (
  id TEXT NOT NULL PRIMARY KEY,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  format TEXT NOT NULL CHECK (format IN ('json', 'cap', 'eido')),
  secret BLOB NOT NULL,
  creator TEXT NOT NULL,
  create_time_us INTEGER NOT NULL,
  scanned_commit INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE webhook_deliveries (
  endpoint TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  case_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),
  attempts INTEGER NOT NULL,
  create_time_us INTEGER NOT NULL,
  retry_from_us INTEGER NOT NULL,
  next_attempt_us INTEGER NOT NULL,
  last_attempt_us INTEGER,
  last_result TEXT NOT NULL,
  PRIMARY KEY (endpoint, case_id, sequence)
) STRICT, WITHOUT ROWID;
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (endpoint, case_id, sequence)
  WHERE state <> 1;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint, next_attempt_us)
  WHERE state = 0;
CREATE INDEX webhook_deliveries_done ON webhook_deliveries (endpoint, last_attempt_us)
  WHERE state = 1;
)sql";

// Version 15: an endpoint counts the deliveries made to it. Those made at
// their first attempt leave no row (webhook_records.h): the count is kept
// on the endpoint, from the rows of those made so far.
constexpr char kMigration15[] = R"sql(
ALTER TABLE webhook_endpoints ADD COLUMN delivered INTEGER NOT NULL DEFAULT 0;
UPDATE webhook_endpoints SET delivered = (
  SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint = webhook_endpoints.id AND d.state = 1);
)sql";

constexpr Migration kMigrations[] = {
    {1, "cases, case_events and tokens", kMigration1},
    {2, "case_notes", kMigration2},
    {3, "admin tokens; cases.responder; fewer indexes; responder_positions and case_tracks",
     kMigration3, BackfillResponders},
    {4, "audit_log: append-only, hash-chained audit trail of privileged actions", kMigration4},
    {5, "one open case per member and kind: cases_open_by_member, case_presses", kMigration5},
    {6, "cases.closed; open-case indexes on it, cases_by_responder on assigned cases only",
     kMigration6},
    {7, "write_probe: the row the writer writes to learn the file takes writes again", kMigration7},
    {8, "tokens.expire_time_us: tokens that expire", kMigration8},
    {9, "hash-chained case history: case_events.hash, cases.event_hash, case_chain", kMigration9,
     ChainStoredEvents},
    {10, "member_pins: members' cancel and duress PINs, hashed", kMigration10},
    {11, "safety_timers: members' safety timers", kMigration11},
    {12, "medical_profiles: members' medical profiles, sealed", kMigration12},
    {13, "fleet tokens: tokens.role may be 'fleet'", kMigration13},
    {14, "webhooks: webhook_endpoints, webhook_deliveries; case_events_by_chain", kMigration14},
    {15, "webhook_endpoints.delivered: deliveries made, counted", kMigration15},
};

// The triggers that refuse changing or removing rows of the tables that
// are only ever appended to, as they must read in sqlite_schema. The first
// two are migration 4's, word for word.
struct Trigger {
  const char* name;
  const char* sql;
};
constexpr Trigger kProtectiveTriggers[] = {
    {"audit_log_no_update",
     "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log\n"
     "BEGIN\n"
     "  SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed');\n"
     "END"},
    {"audit_log_no_delete",
     "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log\n"
     "BEGIN\n"
     "  SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted');\n"
     "END"},
    {"case_events_no_update",
     "CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events\n"
     "BEGIN\n"
     "  SELECT RAISE(ABORT, 'case_events is append-only: events cannot be changed');\n"
     "END"},
    {"case_events_no_delete",
     "CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events\n"
     "BEGIN\n"
     "  SELECT RAISE(ABORT, 'case_events is append-only: events cannot be deleted');\n"
     "END"},
    {"case_chain_no_update",
     "CREATE TRIGGER case_chain_no_update BEFORE UPDATE ON case_chain\n"
     "BEGIN\n"
     "  SELECT RAISE(ABORT, 'case_chain is append-only: rows cannot be changed');\n"
     "END"},
    {"case_chain_no_delete",
     "CREATE TRIGGER case_chain_no_delete BEFORE DELETE ON case_chain\n"
     "BEGIN\n"
     "  SELECT RAISE(ABORT, 'case_chain is append-only: rows cannot be deleted');\n"
     "END"},
};

constexpr char kCreateMigrationsTable[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER NOT NULL PRIMARY KEY,
  description TEXT NOT NULL,
  applied_time_us INTEGER NOT NULL
) STRICT;
)sql";

// Makes each of kProtectiveTriggers that is missing or differs, inside the
// caller's transaction; returns their names.
absl::StatusOr<std::vector<std::string>> MakeTriggers(Database& db) {
  std::vector<std::string> made;
  for (const Trigger& trigger : kProtectiveTriggers) {
    absl::StatusOr<StatementLease> stored =
        db.Prepare("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?1");
    if (!stored.ok()) return stored.status();
    absl::Status status = (*stored)->BindText(1, trigger.name);
    if (!status.ok()) return status;
    absl::StatusOr<bool> row = (*stored)->Step();
    if (!row.ok()) return row.status();
    if (*row && (*stored)->ColumnText(0) == trigger.sql) continue;
    made.push_back(trigger.name);
  }
  for (const std::string& name : made) {
    const Trigger* trigger =
        std::find_if(std::begin(kProtectiveTriggers), std::end(kProtectiveTriggers),
                     [&name](const Trigger& t) { return name == t.name; });
    absl::Status status = db.Exec(absl::StrCat("DROP TRIGGER IF EXISTS ", name));
    if (status.ok()) status = db.Exec(trigger->sql);
    if (!status.ok()) return status;
  }
  return made;
}

}  // namespace

absl::Span<const Migration> AllMigrations() { return kMigrations; }

absl::Status MigrationFailed(const absl::Status& status, absl::string_view what) {
  return absl::Status(status.code(), absl::StrCat("schema migration failed: ", what, ": ",
                                                  status.message(), "; nothing was changed"));
}

absl::Status ApplyMigration(Database& db, const Migration& migration, absl::Time now) {
  const std::string what =
      absl::StrCat("migration ", migration.version, " (", migration.description, ")");
  absl::Status status = db.Exec(migration.sql);
  if (status.ok() && migration.backfill != nullptr) status = migration.backfill(db);
  if (!status.ok()) return MigrationFailed(status, what);
  absl::StatusOr<StatementLease> insert = db.Prepare(
      "INSERT INTO schema_migrations (version, description, applied_time_us) "
      "VALUES (?1, ?2, ?3)");
  if (!insert.ok()) return MigrationFailed(insert.status(), what);
  status = (*insert)->BindInt64(1, migration.version);
  if (status.ok()) status = (*insert)->BindText(2, migration.description);
  if (status.ok()) status = (*insert)->BindInt64(3, absl::ToUnixMicros(now));
  if (status.ok()) status = (*insert)->Step().status();
  return status.ok() ? status : MigrationFailed(status, what);
}

int LatestSchemaVersion() { return std::size(kMigrations); }

absl::StatusOr<int> SchemaVersion(Database& db) {
  absl::StatusOr<StatementLease> exists = db.Prepare(
      "SELECT count(*) FROM sqlite_schema "
      "WHERE type = 'table' AND name = 'schema_migrations'");
  if (!exists.ok()) return exists.status();
  absl::StatusOr<bool> row = (*exists)->Step();
  if (!row.ok()) return row.status();
  if ((*exists)->ColumnInt64(0) == 0) return 0;

  absl::StatusOr<StatementLease> max =
      db.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
  if (!max.ok()) return max.status();
  row = (*max)->Step();
  if (!row.ok()) return row.status();
  return static_cast<int>((*max)->ColumnInt64(0));
}

absl::Status Migrate(SqliteDatabase& db, absl::Time now) {
  // The write lock comes first: it proves the file is writable, and the
  // version read under it cannot change before the migrations commit.
  absl::StatusOr<Transaction> txn = Transaction::Begin(db);
  if (!txn.ok()) return MigrationFailed(txn.status(), "cannot lock the database");
  absl::StatusOr<int> version = SchemaVersion(db);
  if (!version.ok()) return MigrationFailed(version.status(), "cannot read the version");
  if (*version > LatestSchemaVersion()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database ", db.path(), " has schema version ", *version, ", newer than this build's ",
        LatestSchemaVersion(), "; run a newer maydayd or restore a backup"));
  }
  if (*version == LatestSchemaVersion()) return txn->Commit();

  if (absl::Status status = db.Exec(kCreateMigrationsTable); !status.ok()) {
    return MigrationFailed(status, "cannot create schema_migrations");
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= *version) continue;
    if (absl::Status status = ApplyMigration(db, migration, now); !status.ok()) return status;
  }
  // The append-only triggers of the tables the migrations made, after their
  // backfills (which may write to those tables).
  if (absl::StatusOr<std::vector<std::string>> made = MakeTriggers(db); !made.ok()) {
    return MigrationFailed(made.status(), "append-only triggers");
  }
  if (absl::Status status = txn->Commit(); !status.ok()) {
    return MigrationFailed(status, "commit");
  }
  LogInfo("migration", "%s: schema migrated from version %d to %d", db.path(), *version,
          LatestSchemaVersion());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ProtectHistory(Database& db) {
  absl::StatusOr<Transaction> txn = Transaction::Begin(db);
  if (!txn.ok()) return txn.status();
  absl::StatusOr<std::vector<std::string>> remade = MakeTriggers(db);
  if (!remade.ok() || remade->empty()) return remade;  // empty: nothing was written
  if (absl::Status status = txn->Commit(); !status.ok()) return status;
  return remade;
}

}  // namespace mayday::server::store_internal
