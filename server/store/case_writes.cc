// Writes of cases and their events: CreateCase and AppendEvent, each one
// BEGIN IMMEDIATE transaction that either commits (fsynced) or leaves the file
// as it was. Each event is chained to its case's head (store/case_chain.h)
// and recorded for its commit's row.

#include <array>
#include <initializer_list>
#include <string>

#include "absl/strings/str_cat.h"
#include "store/case_chain.h"
#include "store/codec.h"
#include "store/queries.h"

namespace mayday::server::store_internal {
namespace {

using ::mayday::v1::Case;
using ::mayday::v1::CaseEvent;

// The cases.closed column: whether `state` is one a case ends in (the case
// rules' IsTerminal, which the store sits below; "state IN (5, 6)" in SQL).
bool IsClosed(int64_t state) {
  return state == mayday::v1::CASE_STATE_RESOLVED || state == mayday::v1::CASE_STATE_CANCELLED;
}

// The request_id column: NULL for none, so that alerts without one never
// count as retries of each other.
absl::Status BindRequestId(Statement& stmt, int index, const std::string& id) {
  return id.empty() ? stmt.BindNull(index) : stmt.BindText(index, id);
}

// The case a SELECT of (id, snapshot) found, if any.
absl::StatusOr<std::optional<Case>> CaseRow(Statement& select) {
  absl::StatusOr<bool> row = select.Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::nullopt;
  return ParseCase(select.ColumnBlob(1), absl::StrCat("case cases/", select.ColumnText(0)));
}

// The two ways a request_id can be stored: the press that opened a case,
// and a press that joined one.
constexpr char kOpenedBy[] = "SELECT id, snapshot FROM cases WHERE member = ?1 AND request_id = ?2";
constexpr char kJoinedBy[] =
    "SELECT c.id, c.snapshot FROM case_presses p JOIN cases c ON c.id = p.case_id "
    "WHERE p.member = ?1 AND p.request_id = ?2";

// The stored case of `member` that `request_id` opened or joined (as `sqls`
// say), if any.
absl::StatusOr<std::optional<Case>> FindRetried(Database& db, const std::string& member,
                                                const std::string& request_id,
                                                std::initializer_list<const char*> sqls = {
                                                    kOpenedBy, kJoinedBy}) {
  if (request_id.empty()) return std::nullopt;
  for (const char* sql : sqls) {
    absl::StatusOr<StatementLease> select = db.Prepare(sql);
    if (!select.ok()) return select.status();
    absl::Status status = (*select)->BindText(1, member);
    if (status.ok()) status = (*select)->BindText(2, request_id);
    if (!status.ok()) return status;
    absl::StatusOr<std::optional<Case>> found = CaseRow(**select);
    if (!found.ok() || found->has_value()) return found;
  }
  return std::nullopt;
}

// The oldest case of `member` of `kind` that is open as the member reads it,
// if any. The WHERE clause is cases_open_by_member's, word for word, so
// that SQLite uses it.
absl::StatusOr<std::optional<Case>> FindOpen(Database& db, const std::string& member,
                                             mayday::v1::CaseKind kind) {
  absl::StatusOr<StatementLease> select = db.Prepare(
      "SELECT id, snapshot FROM cases WHERE member = ?1 AND kind = ?2 AND closed = 0 "
      "ORDER BY create_time_us, id");
  if (!select.ok()) return select.status();
  absl::Status status = (*select)->BindText(1, member);
  if (status.ok()) status = (*select)->BindInt64(2, kind);
  if (!status.ok()) return status;
  // A case the member cancelled under duress goes on, but reads closed to
  // the member (cases/member_view.h): a new press opens a case of its own,
  // as after a real cancel. A member has few such cases.
  while (true) {
    absl::StatusOr<std::optional<Case>> found = CaseRow(**select);
    if (!found.ok() || !found->has_value() || !(*found)->has_duress()) return found;
  }
}

// Remembers that the press `request_id` of `member` joined `case_id`, so
// that its retries return that case even after it closed; unless the case
// has kMaxRememberedPresses already (an app pressing in a loop must not grow
// the file without bound: later presses are answered, not remembered).
absl::Status InsertPress(Database& db, const std::string& member, const std::string& request_id,
                         absl::string_view case_id, int64_t press_time_us) {
  // Walks the member's presses (the key's prefix): at most the limit per
  // case, and a member has few cases.
  absl::StatusOr<StatementLease> count =
      db.Prepare("SELECT count(*) FROM case_presses WHERE member = ?1 AND case_id = ?2");
  if (!count.ok()) return count.status();
  absl::Status status = (*count)->BindText(1, member);
  if (status.ok()) status = (*count)->BindText(2, case_id);
  if (!status.ok()) return status;
  absl::StatusOr<bool> row = (*count)->Step();
  if (!row.ok()) return row.status();
  if ((*count)->ColumnInt64(0) >= kMaxRememberedPresses) return absl::OkStatus();

  absl::StatusOr<StatementLease> insert = db.Prepare(
      "INSERT INTO case_presses (member, request_id, case_id, press_time_us) "
      "VALUES (?1, ?2, ?3, ?4)");
  if (!insert.ok()) return insert.status();
  status = (*insert)->BindText(1, member);
  if (status.ok()) status = (*insert)->BindText(2, request_id);
  if (status.ok()) status = (*insert)->BindText(3, case_id);
  if (status.ok()) status = (*insert)->BindInt64(4, press_time_us);
  if (status.ok()) status = (*insert)->Step().status();
  return status;
}

// A failed read inside a write: DATA_LOSS stays what it is (a row that does
// not parse), anything else is a write that stored nothing.
absl::Status ReadInWriteFailed(const absl::Status& status) {
  return absl::IsDataLoss(status) ? status : WriteFailed(status);
}

// Inserts event `sequence` of the case with its chain hash `hash`
// (CaseEventHash) and records it for the commit's row.
absl::Status InsertEventRow(Database& db, CommitChain& chain, absl::string_view case_id,
                            int64_t sequence, const std::string& blob, const std::string& hash) {
  absl::StatusOr<int64_t> commit = chain.Sequence(db);
  if (!commit.ok()) return commit.status();
  absl::StatusOr<StatementLease> insert = db.Prepare(
      "INSERT INTO case_events (case_id, sequence, event, hash, chain_sequence) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert.ok()) return insert.status();
  absl::Status status = (*insert)->BindText(1, case_id);
  if (status.ok()) status = (*insert)->BindInt64(2, sequence);
  if (status.ok()) status = (*insert)->BindBlob(3, blob);
  if (status.ok()) status = (*insert)->BindBlob(4, hash);
  if (status.ok()) status = (*insert)->BindInt64(5, *commit);
  if (status.ok()) status = (*insert)->Step().status();
  if (status.ok()) chain.Add(case_id, sequence, hash);
  return status;
}

absl::Status ValidateNewCase(const Case& snapshot, const CaseEvent& first) {
  if (!CaseIdOf(snapshot.name()).has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("case name \"", snapshot.name(), "\" is not of the form cases/{id}"));
  }
  if (snapshot.member().empty() || !snapshot.has_create_time()) {
    return absl::InvalidArgumentError(
        absl::StrCat("case ", snapshot.name(), " needs a member and a create_time"));
  }
  if (snapshot.last_sequence() != 1 || first.sequence() != 1 || first.case_() != snapshot.name()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a new case starts with last_sequence 1 and its own event 1; got "
        "last_sequence ",
        snapshot.last_sequence(), " and event ", first.sequence(), " of \"", first.case_(), "\""));
  }
  return absl::OkStatus();
}

// The UPDATE of a case's row for an event. Only the columns that change are
// set: SQLite rewrites the indexes of every column an UPDATE sets. One of
// eight statements, built once (each also prepared once: Database::Prepare).
const std::string& UpdateCaseSql(bool state, bool closed, bool responder) {
  static const std::array<std::string, 8> kSql = [] {
    std::array<std::string, 8> sql;
    for (int set = 0; set < 8; ++set) {
      sql[set] = absl::StrCat("UPDATE cases SET last_sequence = ?2, snapshot = ?3, event_hash = ?7",
                              set & 1 ? ", state = ?4" : "", set & 2 ? ", closed = ?5" : "",
                              set & 4 ? ", responder = ?6" : "", " WHERE id = ?1");
    }
    return sql;
  }();
  return kSql[(state ? 1 : 0) | (closed ? 2 : 0) | (responder ? 4 : 0)];
}

}  // namespace

absl::StatusOr<CreatedCase> InsertCase(Database& db, CommitChain& chain, const Case& snapshot,
                                       const CaseEvent& first) {
  if (absl::Status status = ValidateNewCase(snapshot, first); !status.ok()) {
    return status;
  }
  const absl::string_view id = *CaseIdOf(snapshot.name());
  std::string snapshot_blob;
  std::string event_blob;
  if (!snapshot.SerializeToString(&snapshot_blob) || !first.SerializeToString(&event_blob)) {
    return absl::InvalidArgumentError("case or event cannot be serialized");
  }

  absl::StatusOr<Transaction> txn = Transaction::Begin(db);
  if (!txn.ok()) return WriteFailed(txn.status());

  // The insert itself tells a retry (UNIQUE (member, request_id)): it
  // inserts nothing, and only then is the stored case looked up. Nothing,
  // not a failed statement: on PostgreSQL that would spoil the transaction
  // the lookup runs in.
  absl::StatusOr<StatementLease> insert = db.Prepare(
      "INSERT INTO cases (id, member, request_id, kind, state, create_time_us, "
      "last_sequence, snapshot, closed, responder, event_hash) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9, ?10) ON CONFLICT DO NOTHING");
  if (!insert.ok()) return WriteFailed(insert.status());
  absl::Status status = (*insert)->BindText(1, id);
  if (status.ok()) status = (*insert)->BindText(2, snapshot.member());
  if (status.ok()) status = BindRequestId(**insert, 3, snapshot.request_id());
  if (status.ok()) status = (*insert)->BindInt64(4, snapshot.kind());
  if (status.ok()) status = (*insert)->BindInt64(5, snapshot.state());
  if (status.ok()) {
    status = (*insert)->BindInt64(6, ToUnixMicros(snapshot.create_time()));
  }
  if (status.ok()) status = (*insert)->BindBlob(7, snapshot_blob);
  if (status.ok()) status = (*insert)->BindInt64(8, IsClosed(snapshot.state()) ? 1 : 0);
  if (status.ok()) {
    status = snapshot.responder().empty() ? (*insert)->BindNull(9)
                                          : (*insert)->BindText(9, snapshot.responder());
  }
  // The case's head: its first event's hash.
  const std::string hash = CaseEventHash(ChainGenesis(), id, 1, event_blob);
  if (status.ok()) status = (*insert)->BindBlob(10, hash);
  if (status.ok()) status = (*insert)->Step().status();
  if (!status.ok()) return WriteFailed(status);
  if (db.changes() == 0) {
    // A conflict: the member's request_id is stored (a retry), or the id
    // is taken.
    absl::StatusOr<std::optional<Case>> existing =
        FindRetried(db, snapshot.member(), snapshot.request_id());
    if (!existing.ok()) return ReadInWriteFailed(existing.status());
    // A retry: the transaction rolls back having written nothing.
    if (existing->has_value()) return CreatedCase{std::move(**existing), false};
    return absl::AlreadyExistsError(
        absl::StrCat("case id ", id, " is already taken by another case; nothing was stored"));
  }
  if (status = InsertEventRow(db, chain, id, 1, event_blob, hash); !status.ok()) {
    return WriteFailed(status);
  }
  if (status = txn->Commit(); !status.ok()) return WriteFailed(status);
  return CreatedCase{snapshot, true};
}

absl::StatusOr<CreatedCase> OpenOrJoinCase(Database& db, CommitChain& chain, const Case& snapshot,
                                           const CaseEvent& first) {
  if (absl::Status status = ValidateNewCase(snapshot, first); !status.ok()) {
    return status;
  }
  // A press that opened or joined a case gets that case back whatever its
  // state, even if another case of the kind is open now.
  absl::StatusOr<std::optional<Case>> open = FindOpen(db, snapshot.member(), snapshot.kind());
  if (!open.ok()) return ReadInWriteFailed(open.status());
  // Nothing open (the usual alert): only a joining press needs looking up;
  // InsertCase tells the retry of an opening press by its UNIQUE conflict.
  absl::StatusOr<std::optional<Case>> retried =
      open->has_value() ? FindRetried(db, snapshot.member(), snapshot.request_id())
                        : FindRetried(db, snapshot.member(), snapshot.request_id(), {kJoinedBy});
  if (!retried.ok()) return ReadInWriteFailed(retried.status());
  if (retried->has_value()) return CreatedCase{std::move(**retried), false};
  if (!open->has_value()) return InsertCase(db, chain, snapshot, first);

  // The member pressed again while help is on its way: the press joins the
  // open case. Recorded only if it carries a request_id to retry with.
  if (!snapshot.request_id().empty()) {
    absl::StatusOr<Transaction> txn = Transaction::Begin(db);
    if (!txn.ok()) return WriteFailed(txn.status());
    absl::Status status =
        InsertPress(db, snapshot.member(), snapshot.request_id(), *CaseIdOf((*open)->name()),
                    ToUnixMicros(snapshot.create_time()));
    if (status.ok()) status = txn->Commit();
    if (!status.ok()) return WriteFailed(status);
  }
  return CreatedCase{std::move(**open), false, true};
}

absl::Status InsertEvent(Database& db, CommitChain& chain, const Case& snapshot,
                         const CaseEvent& event) {
  const std::optional<absl::string_view> id = CaseIdOf(snapshot.name());
  if (!id.has_value() || event.case_() != snapshot.name()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event of \"", event.case_(), "\" cannot update case \"", snapshot.name(), "\""));
  }
  if (event.sequence() != snapshot.last_sequence()) {
    return absl::FailedPreconditionError(absl::StrCat("event sequence ", event.sequence(),
                                                      " differs from the snapshot's "
                                                      "last_sequence ",
                                                      snapshot.last_sequence(),
                                                      "; nothing was stored"));
  }
  std::string snapshot_blob;
  std::string event_blob;
  if (!snapshot.SerializeToString(&snapshot_blob) || !event.SerializeToString(&event_blob)) {
    return absl::InvalidArgumentError("case or event cannot be serialized");
  }

  absl::StatusOr<Transaction> txn = Transaction::Begin(db);
  if (!txn.ok()) return WriteFailed(txn.status());
  bool state_changed = false;
  bool closed_changed = false;
  bool responder_changed = false;
  std::string prev;  // the case's head: the hash its new event follows
  {
    absl::StatusOr<StatementLease> select = db.Prepare(
        "SELECT member, coalesce(request_id, ''), kind, create_time_us, "
        "last_sequence, state, coalesce(responder, ''), event_hash FROM cases WHERE id = ?1");
    if (!select.ok()) return WriteFailed(select.status());
    absl::Status status = (*select)->BindText(1, *id);
    if (!status.ok()) return WriteFailed(status);
    absl::StatusOr<bool> row = (*select)->Step();
    if (!row.ok()) return WriteFailed(row.status());
    if (!*row) {
      return absl::NotFoundError(
          absl::StrCat("case ", snapshot.name(), " not found; nothing was stored"));
    }
    const int64_t last_sequence = (*select)->ColumnInt64(4);
    if (event.sequence() != last_sequence + 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "case ", snapshot.name(), " is at sequence ", last_sequence, "; event ", event.sequence(),
          " is not the next one (", last_sequence + 1, "); nothing was stored"));
    }
    // These columns are written once; a snapshot that changes them would
    // make the row disagree with itself (and move the case to another member).
    if ((*select)->ColumnText(0) != snapshot.member() ||
        (*select)->ColumnText(1) != snapshot.request_id() ||
        (*select)->ColumnInt64(2) != snapshot.kind() ||
        (*select)->ColumnInt64(3) != ToUnixMicros(snapshot.create_time())) {
      return absl::InvalidArgumentError(
          absl::StrCat("snapshot of ", snapshot.name(),
                       " changes its member, request_id, "
                       "kind or create_time, which never change; nothing was stored"));
    }
    state_changed = (*select)->ColumnInt64(5) != snapshot.state();
    closed_changed = IsClosed((*select)->ColumnInt64(5)) != IsClosed(snapshot.state());
    responder_changed = (*select)->ColumnText(6) != snapshot.responder();
    // Taken as stored, even if damaged: an emergency's change is never
    // refused over it; the verifier reports the break.
    prev = std::string((*select)->ColumnBlob(7));
  }

  const std::string hash = CaseEventHash(prev, *id, event.sequence(), event_blob);
  absl::Status status = InsertEventRow(db, chain, *id, event.sequence(), event_blob, hash);
  if (!status.ok()) return WriteFailed(status);
  absl::StatusOr<StatementLease> update =
      db.Prepare(UpdateCaseSql(state_changed, closed_changed, responder_changed));
  if (!update.ok()) return WriteFailed(update.status());
  status = (*update)->BindText(1, *id);
  if (status.ok()) status = (*update)->BindInt64(2, snapshot.last_sequence());
  if (status.ok()) status = (*update)->BindBlob(3, snapshot_blob);
  if (status.ok()) status = (*update)->BindBlob(7, hash);
  if (status.ok() && state_changed) status = (*update)->BindInt64(4, snapshot.state());
  if (status.ok() && closed_changed) {
    status = (*update)->BindInt64(5, IsClosed(snapshot.state()) ? 1 : 0);
  }
  if (status.ok() && responder_changed) {
    status = snapshot.responder().empty() ? (*update)->BindNull(6)
                                          : (*update)->BindText(6, snapshot.responder());
  }
  if (status.ok()) status = (*update)->Step().status();
  if (!status.ok()) return WriteFailed(status);
  if (status = txn->Commit(); !status.ok()) return WriteFailed(status);
  return absl::OkStatus();
}

absl::Status CheckLease(Database& db, absl::string_view region, absl::string_view holder,
                        int64_t epoch) {
  absl::StatusOr<StatementLease> select =
      db.Prepare("SELECT holder, epoch FROM dispatch_leases WHERE region = ?1");
  if (!select.ok()) return WriteFailed(select.status());
  absl::Status status = (*select)->BindText(1, region);
  if (!status.ok()) return WriteFailed(status);
  absl::StatusOr<bool> row = (*select)->Step();
  if (!row.ok()) return ReadInWriteFailed(row.status());
  if (!*row) {
    return absl::AbortedError(
        absl::StrCat("no replica holds dispatch for region \"", region, "\""));
  }
  if ((*select)->ColumnText(0) != holder || (*select)->ColumnInt64(1) != epoch) {
    return absl::AbortedError(
        absl::StrCat("this replica's dispatch lease (epoch ", epoch, ") was taken over: region \"",
                     region, "\" is dispatched by ", (*select)->ColumnText(0), " under epoch ",
                     (*select)->ColumnInt64(1), "; its decision was not stored"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<Case>> SelectPress(Database& db, const std::string& member,
                                                const std::string& request_id) {
  return FindRetried(db, member, request_id);
}

}  // namespace mayday::server::store_internal
