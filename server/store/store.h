// Durable storage of cases, their event timelines and access tokens, in one
// SQLite file (WAL mode, synchronous=FULL: a call that returns OK has been
// fsynced). Schema changes are applied by numbered migrations on Open.
//
// A case is stored twice over: its full timeline (one row per CaseEvent, keyed
// by case id and sequence) and its current snapshot (one row per Case, with
// the columns the list queries filter on). Both change in the same
// transaction, so they never disagree.
#ifndef MAYDAY_SERVER_STORE_STORE_H_
#define MAYDAY_SERVER_STORE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "api/roles.h"
#include "mayday/base/clock.h"
#include "mayday/v1/resources.pb.h"
#include "store/webhook_records.h"

namespace mayday::server {

// Which cases ListCases returns. Empty fields match everything.
struct CaseFilter {
  std::string member;                                             // "members/{id}"; empty: any
  std::vector<mayday::v1::CaseState> states;                      // empty: any state
  mayday::v1::CaseKind kind = mayday::v1::CASE_KIND_UNSPECIFIED;  // unspecified: any
  // "responders/{id}": only cases assigned to it (now, or until they
  // closed); empty: any.
  std::string responder;
  // Only cases created at or after `min_create_time` and before
  // `max_create_time`; nullopt: no bound.
  std::optional<absl::Time> min_create_time;
  std::optional<absl::Time> max_create_time;
};

// One page of ListCases.
struct CasePage {
  std::vector<mayday::v1::Case> cases;  // newest first (create_time, then name, descending)
  std::string next_page_token;          // empty on the last page
};

// Result of CreateCase.
struct CreatedCase {
  mayday::v1::Case snapshot;  // the stored case (the existing one on a retry)
  bool created = false;       // false: (member, request_id) was already stored
  // WriteTxn::OpenCase only: the member already had this kind of case open
  // and the press joined it (`snapshot` is that case).
  bool joined = false;
};

// A responder's position as it reported it: the latest one per responder is
// kept, and, while it is on a case, its track.
struct PositionReport {
  std::string responder;  // "responders/{id}"
  std::string case_id;    // the case it is assigned to; empty if none
  mayday::v1::Location location;
  absl::Time report_time;  // when the server received it
};

// An open case as dispatch rebuilds it on start (Store::ListOpenCases).
struct OpenCase {
  mayday::v1::Case snapshot;
  // If the case waits for a responder (dispatching or escalated): its events
  // after the first (the offers made and how they ended), in order. Empty for
  // assigned cases, which dispatch rebuilds from the snapshot alone.
  std::vector<mayday::v1::CaseEvent> events;
};

// How many cases not closed are in `state` and of `kind` (Store::Figures).
struct OpenCaseCount {
  mayday::v1::CaseState state = mayday::v1::CASE_STATE_UNSPECIFIED;
  mayday::v1::CaseKind kind = mayday::v1::CASE_KIND_UNSPECIFIED;
  int64_t count = 0;
};

// What the store holds, in figures, for the metrics page.
struct StoreFigures {
  // Open cases by state and kind; pairs without a case left out.
  std::vector<OpenCaseCount> open_cases;
  // Bytes stored: a SQLite file and its write-ahead log; a PostgreSQL
  // database as pg_database_size() reports it.
  int64_t bytes = 0;
  // Bytes free on the SQLite file's disk for this process; nullopt for
  // PostgreSQL (its disk is the database server's).
  std::optional<int64_t> disk_free_bytes;
  // The size of that disk (its file system); nullopt for PostgreSQL.
  std::optional<int64_t> disk_size_bytes;
  // The oldest ESCALATED cases (by creation), at most kOldestEscalated: how
  // long an escalation has waited for a care agent.
  static constexpr int kOldestEscalated = 100;
  std::vector<mayday::v1::Case> oldest_escalated;
};

// A stored token: who holds it. The plain token is never stored.
struct TokenRecord {
  std::string token_hash;  // lowercase hex SHA-256 of the plain token
  Role role = Role::kMember;
  std::string subject;  // the member, responder or operator id
  absl::Time create_time;
  bool revoked = false;
  // When it stops being valid; InfiniteFuture: never.
  absl::Time expire_time = absl::InfiniteFuture();
};

// A member's cancel PINs (AlertService.SetCancelPins), as stored: slow
// salted hashes (auth/pin_hash.h), never the PINs. A row with both hashes
// empty records that the member cleared them.
struct MemberPins {
  std::string member;       // "members/{id}"
  std::string cancel_hash;  // empty: no cancel PIN
  std::string duress_hash;  // empty: no duress PIN
  absl::Time update_time;   // when they were last set or cleared
};

// A member's medical profile as stored: sealed (medical/profile_keys.h),
// never in clear.
struct StoredProfile {
  std::string member;      // "members/{id}"
  std::string key_id;      // the key that sealed it
  std::string sealed;      // the sealed bytes
  absl::Time update_time;  // when the member last replaced it
};

// The public id of a token: the first 16 hex digits of its hash, enough to
// tell tokens apart and useless to authenticate with.
std::string TokenId(absl::string_view token_hash);

// One privileged action as the audit trail records it (see audit.h): who
// did what to which resource. Written in the same transaction as the change
// it records.
struct AuditEntry {
  absl::Time time;                    // when the server handled the action
  Role actor_role = Role::kOperator;  // the role of the token used
  std::string actor;                  // "operators/{id}", "members/{id}", ...
  std::string action;                 // "case.get", "case.assign", "token.create", ...
  std::string target;                 // "cases/{id}", "members/{id}", "tokens/{id}", "cases"
  std::string detail;                 // what else a reviewer needs, in words
};

// A stored audit row: the entry, its place in the chain and its hashes.
struct AuditRecord {
  int64_t sequence = 0;  // 1, 2, 3 ... in the order written
  AuditEntry entry;
  std::string prev_hash;  // the previous row's hash (64 zeros for row 1)
  std::string hash;       // SHA-256 over prev_hash and this row's fields
};

// The outcome of checking the audit trail's hash chain (Store::VerifyAudit).
struct AuditVerdict {
  int64_t checked = 0;       // rows read
  int64_t first_broken = 0;  // sequence of the first bad row; 0 if intact
  std::string problem;       // what is wrong with it, in words; empty if intact
  std::string last_hash;     // hash of the last row (the chain's head)
  bool intact() const { return first_broken == 0; }
};

// A chain's head as recorded outside the file (from maydayd's log, or an
// earlier verify): the chain must still hold entry `sequence` with `hash`,
// or it was cut off the end or rewritten.
struct ChainAnchor {
  int64_t sequence = 0;  // 0: none
  std::string hash;      // 64 lowercase hex digits
};

// The heads of the audit trail and of the case history's commit chain
// (case_chain.h), as the store reports them at intervals (StoreOptions).
struct HistoryHeads {
  int64_t audit_sequence = 0;   // the last audit row; 0 if there is none
  std::string audit_hash;       // its hash; empty if none
  int64_t commit_sequence = 0;  // the last commit of case events; 0 if none
  std::string commit_hash;      // its hash, 64 hex digits; empty if none
};

// The outcome of checking the case history (Store::VerifyHistory): every
// case's events against the case's hash chain, then the chain of commits.
struct CaseHistoryVerdict {
  int64_t cases = 0;    // cases read (up to the first broken one)
  int64_t events = 0;   // events read
  int64_t commits = 0;  // commit rows read
  // Where the first break is: the case ("cases/{id}") and its event's
  // sequence, when it is inside one case's chain; the commit's sequence
  // when the commit chain broke. Empty / 0 otherwise.
  std::string broken_case;
  int64_t broken_sequence = 0;
  int64_t broken_commit = 0;
  std::string problem;  // what is wrong, in words; empty if intact
  // The commit chain's head if intact: its last sequence and hash (hex).
  int64_t head_sequence = 0;
  std::string head_hash;
  bool intact() const { return problem.empty(); }
};

// Both halves of Store::VerifyHistory.
struct HistoryVerdict {
  AuditVerdict audit;
  CaseHistoryVerdict cases;
  bool intact() const { return audit.intact() && cases.intact(); }
};

// One commit of the case history (a group commit that wrote case events),
// as replicas follow them (Store::ReadCommits).
struct CommitRecord {
  int64_t sequence = 0;  // its case_chain row: 1, 2, 3 ... in commit order
  // Its events, each case's in sequence order (cases in id order).
  std::vector<mayday::v1::CaseEvent> events;
};

// The writer's view of the store during one job of a group commit (see
// Store::Submit): reads see everything written before, including by earlier
// jobs of the same batch that are not committed yet. Valid only inside the
// job, on the writer thread.
class WriteTxn {
 public:
  virtual ~WriteTxn() = default;
  // As Store::GetCase, CreateCase and AppendEvent.
  virtual absl::StatusOr<mayday::v1::Case> GetCase(std::string_view case_id) = 0;
  virtual absl::StatusOr<CreatedCase> CreateCase(const mayday::v1::Case& snapshot,
                                                 const mayday::v1::CaseEvent& first) = 0;
  virtual absl::Status AppendEvent(const mayday::v1::Case& snapshot,
                                   const mayday::v1::CaseEvent& event) = 0;
  // What a member's alert does: as CreateCase, except that while the member
  // has an open case of the same kind the alert joins it instead (the oldest
  // one, returned with created false and joined true; nothing is written but
  // the press's request_id, so that its retries return the same case even
  // after it closes; the first kMaxRememberedPresses presses of a case are
  // remembered, later ones only answered). A request_id that opened or
  // joined a case before returns that case, whatever its state.
  virtual absl::StatusOr<CreatedCase> OpenCase(const mayday::v1::Case& snapshot,
                                               const mayday::v1::CaseEvent& first) = 0;
  // As Store::AddNote, PutToken and RevokeToken, inside the job.
  virtual absl::Status AddNote(const mayday::v1::CaseNote& note) = 0;
  virtual absl::Status PutToken(const TokenRecord& token) = 0;
  virtual absl::StatusOr<TokenRecord> RevokeToken(std::string_view token_id) = 0;
  // As Store::GetPins, seeing the batch's earlier writes; and stores
  // `pins` for pins.member, replacing what it had. INVALID_ARGUMENT if the
  // member is empty, or a duress hash is given without a cancel hash.
  virtual absl::StatusOr<std::optional<MemberPins>> GetPins(std::string_view member) = 0;
  virtual absl::Status PutPins(const MemberPins& pins) = 0;
  // Members' medical profiles (profiles.cc): as Store::GetProfile, seeing
  // the batch's earlier writes; storing `profile` for profile.member,
  // replacing what it had (INVALID_ARGUMENT without a member, a key id or
  // sealed bytes); removing the member's profile (false if it had none).
  virtual absl::StatusOr<std::optional<StoredProfile>> GetProfile(std::string_view member) = 0;
  virtual absl::Status PutProfile(const StoredProfile& profile) = 0;
  virtual absl::StatusOr<bool> DeleteProfile(std::string_view member) = 0;
  // Safety timers (timers.cc): the timer with id `timer_id` (NOT_FOUND if
  // none); the member's timer started with `request_id`, and its running
  // one, if any; and storing `timer` (inserted, or replacing the one with
  // its name). PutTimer: INVALID_ARGUMENT without a name "timers/{id}", a
  // member or a request_id; ALREADY_EXISTS if another timer of the member
  // has its request_id.
  virtual absl::StatusOr<mayday::v1::SafetyTimer> GetTimer(std::string_view timer_id) = 0;
  virtual absl::StatusOr<std::optional<mayday::v1::SafetyTimer>> FindTimer(
      std::string_view member, std::string_view request_id) = 0;
  virtual absl::StatusOr<std::optional<mayday::v1::SafetyTimer>> RunningTimerOf(
      std::string_view member) = 0;
  virtual absl::Status PutTimer(const mayday::v1::SafetyTimer& timer) = 0;
  // Webhooks (webhook_records.h). PutWebhook registers `endpoint` (id,
  // url, events, format, secret, creator and create_time set; its mark is
  // the commit chain's head): ALREADY_EXISTS if the id is taken.
  // DeleteWebhook removes it and its deliveries: NOT_FOUND if none.
  virtual absl::Status PutWebhook(const WebhookEndpoint& endpoint) = 0;
  virtual absl::Status DeleteWebhook(std::string_view id) = 0;
  // Writes what `settled` says (DeliverySettlement); nothing if its
  // endpoint is gone.
  virtual absl::Status SettleDeliveries(const DeliverySettlement& settled) = 0;
  // Records what attempts came to, on deliveries still pending (others,
  // their endpoint removed or the delivery made by another replica, are
  // left alone), each one made counted on its endpoint; the cases of
  // `attempts` that have no delivery pending or dead left (per endpoint:
  // all of `attempts` are of one endpoint).
  virtual absl::StatusOr<std::vector<std::string>> RecordAttempts(
      const std::vector<DeliveryAttempt>& attempts) = 0;
  // Makes `endpoint`'s dead deliveries (of case `case_id` only, unless it
  // is empty) pending, due `now`, with retries counted from `now`; how
  // many. NOT_FOUND for an unknown endpoint.
  virtual absl::StatusOr<int64_t> Redeliver(std::string_view endpoint, std::string_view case_id,
                                            absl::Time now) = 0;
  // Forgets deliveries made before `before`; how many.
  virtual absl::StatusOr<int64_t> PruneDeliveries(absl::Time before) = 0;
  // Appends `entry` to the audit trail, chained to the last row (including
  // rows of earlier jobs of the batch), with the job's other writes: if the
  // job fails, the row is undone with them. INVALID_ARGUMENT if actor or
  // action is empty.
  virtual absl::Status AppendAudit(const AuditEntry& entry) = 0;
  // Fencing for dispatch on a shared database (store/dispatch_lease.h): OK
  // if `holder` holds dispatch for `region` under `epoch`, else ABORTED
  // naming the holder and epoch that replaced it. A dispatch job
  // calls it first, so that a holder that lost its lease (it stalled and
  // another replica took over) writes nothing. Only a PostgreSQL store has
  // leases; a SQLite file is served by one maydayd (ServingLock).
  virtual absl::Status CheckDispatchLease(std::string_view region, std::string_view holder,
                                          int64_t epoch) = 0;
};

// How many presses that joined a case WriteTxn::OpenCase remembers.
inline constexpr int kMaxRememberedPresses = 100;

// One unit of a group commit: runs on the writer thread; an error undoes its
// own writes only. Then `WriteDone` gets the outcome once the batch is on
// disk: OK only if the job succeeded and its batch committed. A job may run
// more than once (its batch runs again if another job fails after writing:
// SqliteStore::RunBatch), each time from the stored state it first saw: it
// must start from its inputs each time, never from what a run before left
// in its captures.
using WriteJob = absl::AnyInvocable<absl::Status(WriteTxn&)>;
using WriteDone = absl::AnyInvocable<void(absl::Status)>;

// How Store::Open opens the file. The defaults are what maydayd runs with.
struct StoreOptions {
  // The registered SQLite VFS to open the file through (sqlite3_vfs_find);
  // empty: SQLite's default. Tests pass one that simulates power loss, full
  // disks and I/O errors.
  std::string vfs;
  // PRAGMA synchronous on every connection.
  enum class Sync {
    // The default: every commit fsyncs the WAL before it returns, so an
    // acknowledged write survives power loss.
    kFull,
    // The WAL is fsynced only at checkpoints: commits since the last one are
    // lost on power loss although they were acknowledged. Only for the test
    // that shows why maydayd needs kFull.
    kNormal,
  };
  Sync synchronous = Sync::kFull;
  // The time the store stamps (a migration's application, a commit of case
  // events) and waits on (the write probe); null: the system clock. Not
  // owned.
  const base::Clock* clock = nullptr;
  // Told when the file stops taking writes (false, with the reason: "disk
  // full", "I/O error", …, as WriteFailureReason words it) and when it takes
  // them again (true, ""): on changes only, on the writer thread, before the
  // batch's callers are answered. While it takes none, the writer tries a
  // write of its own every `probe_interval` (a row of write_probe), so that
  // it notices the file is writable again without waiting for traffic.
  std::function<void(bool writable, absl::string_view reason)> on_writable;
  absl::Duration probe_interval = absl::Seconds(1);
  // Told after each batch of writes, on the writer thread: how many writes
  // it held, how long it took to run and commit (on the real clock: the
  // disk's time), and whether it committed (false: a storage failure, as
  // WriteFailureReason tells). Must be quick; must not call the store.
  std::function<void(size_t writes, absl::Duration took, bool committed)> on_batch;
  // The heads of the audit trail and of the case history are reported when
  // the store opens, when it closes, and after a commit once this long (on
  // `clock`) has passed since the last report, so that a record kept
  // outside the file can show rows cut off the end.
  absl::Duration history_heads_interval = absl::Minutes(1);
  // Where they are reported, on the writer thread (at open and close, on
  // the caller's); must not call the store. Empty: one line on stderr.
  std::function<void(const HistoryHeads&)> on_history_heads;
  // Open refuses (DATA_LOSS) a file whose history is behind the high-water
  // mark its writers kept beside it ("<path>-mark"): acknowledged commits
  // are gone, most likely with a deleted write-ahead log. True opens it
  // anyway, records the loss in the audit trail and lowers the mark.
  bool accept_data_loss = false;
};

// Whether Store::Open takes `target` for a PostgreSQL database.
bool IsPostgresTarget(absl::string_view target);

// For a SQLite file `path`: UNAVAILABLE naming the folder if the folder it
// would be in does not exist or is not a folder (SQLite would only say
// "unable to open database file"); OK otherwise, the file existing or not.
absl::Status CheckDatabaseFolder(const std::string& path);

// The storage failure behind an UNAVAILABLE status a write returned, in a
// few words for people ("disk full", "I/O error", "database busy", "storage
// error"); empty if `status` is not a failed write.
absl::string_view WriteFailureReason(const absl::Status& status);

// Marks the calling thread, for the rest of its life, as one of a
// background task's (webhook deliveries): on a SQLite file its reads run on
// a connection of their own, so that they never wait for, nor hold up, the
// reads that serve members, crews and care agents (a token looked up for an
// alert). PostgreSQL's readers are a pool already: nothing changes there.
void MarkBackgroundThread();

// Thread-safe: any thread may call any method. Writes go through one writer
// thread that commits them in batches (group commit): everything queued while
// a commit's fsync runs shares the next one, and no write is acknowledged
// before its batch is on disk. Every method returns UNAVAILABLE if SQLite
// fails (a write then stored nothing) and DATA_LOSS if a stored row does not
// parse.
class Store {
 public:
  // Opens the store `target` names and migrates it to the current schema:
  // a PostgreSQL database for a "postgresql://" or "postgres://" URI
  // (IsPostgresTarget; several maydayd may share it), otherwise the SQLite
  // file at `target`, less a "sqlite:" prefix (created if missing; one
  // maydayd at a time). UNAVAILABLE if it cannot be opened or written;
  // FAILED_PRECONDITION if it was written by a newer schema version;
  // DATA_LOSS if a file lost acknowledged history (StoreOptions::
  // accept_data_loss); INVALID_ARGUMENT if `options.vfs` names no
  // registered VFS, or is set for PostgreSQL.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& target,
                                                     const StoreOptions& options = {});
  virtual ~Store() = default;

  // Queues `job` for the next batch and returns at once. `job` runs on the
  // writer thread; `done` on the store's completer thread, in the order the
  // jobs were queued, after the batch committed (or failed: UNAVAILABLE,
  // nothing of the batch stored); `done` must not block on the store. Jobs
  // queued by one thread run in the order queued.
  virtual void Submit(WriteJob job, WriteDone done) = 0;
  // Submit for work nobody waits on in person (webhook bookkeeping): such
  // jobs are committed together in a batch of their own, at most every few
  // tens of milliseconds and after the jobs Submit queued meanwhile, so
  // that however many there are they add a few commits a second and an
  // alert's batch carries none of their rows. Background jobs run in the
  // order queued among themselves, not with Submit's.
  virtual void SubmitBackground(WriteJob job, WriteDone done) {
    Submit(std::move(job), std::move(done));
  }

  // Stores a new case (`snapshot`, whose name, member, request_id, state,
  // create_time and last_sequence == 1 are set) together with its first event
  // (`first`, sequence 1), durably, in one transaction. If the member already
  // has a case with the same request_id, stores nothing and returns that case
  // with created == false; an empty request_id never matches. UNAVAILABLE if
  // the write failed (nothing stored); INVALID_ARGUMENT if the inputs break
  // the rules above; ALREADY_EXISTS if another case has the same id.
  virtual absl::StatusOr<CreatedCase> CreateCase(const mayday::v1::Case& snapshot,
                                                 const mayday::v1::CaseEvent& first) = 0;

  // Appends `event` to the case's timeline and replaces its snapshot with
  // `snapshot`, durably, in one transaction. `event.sequence()` must be the
  // stored last_sequence + 1 and equal `snapshot.last_sequence()`, otherwise
  // FAILED_PRECONDITION and nothing changes. NOT_FOUND for an unknown case.
  // INVALID_ARGUMENT if `event` is not of `snapshot`'s case or `snapshot`
  // changes the member, request_id, kind or create_time.
  virtual absl::Status AppendEvent(const mayday::v1::Case& snapshot,
                                   const mayday::v1::CaseEvent& event) = 0;

  // The case with id `case_id` (the part after "cases/"). NOT_FOUND if none.
  virtual absl::StatusOr<mayday::v1::Case> GetCase(std::string_view case_id) = 0;

  // The committed case that the press `request_id` of `member` ("members/…")
  // opened or joined, or nullopt if none is stored (an empty request_id never
  // matches). A read: it does not wait for the writer, so a retry can be
  // answered while writes fail.
  virtual absl::StatusOr<std::optional<mayday::v1::Case>> FindPress(
      std::string_view member, std::string_view request_id) = 0;

  // Up to `limit` events of the case with sequence > after_sequence, in
  // sequence order. An unknown case yields an empty list. INVALID_ARGUMENT if
  // limit < 1.
  virtual absl::StatusOr<std::vector<mayday::v1::CaseEvent>> ListEvents(std::string_view case_id,
                                                                        int64_t after_sequence,
                                                                        int limit) = 0;

  // Cases matching `filter`, newest first, `page_size` (1..1000) at a time.
  // `page_token` is empty or a next_page_token from a call with the same
  // filter; INVALID_ARGUMENT if it is malformed or page_size is out of range.
  virtual absl::StatusOr<CasePage> ListCases(const CaseFilter& filter, int page_size,
                                             std::string_view page_token) = 0;

  // Every case not RESOLVED or CANCELLED, oldest first, with what dispatch
  // needs of its timeline (see OpenCase), read in one pass: for rebuilding
  // the dispatch engine on start.
  virtual absl::StatusOr<std::vector<OpenCase>> ListOpenCases() = 0;

  // Stores an internal note on the case `note.case_()` ("cases/{id}")
  // durably. NOT_FOUND for an unknown case; UNAVAILABLE if the write failed.
  virtual absl::Status AddNote(const mayday::v1::CaseNote& note) = 0;

  // The case's notes, oldest first (empty for an unknown case).
  virtual absl::StatusOr<std::vector<mayday::v1::CaseNote>> ListNotes(std::string_view case_id) = 0;

  // Stores a token record durably. ALREADY_EXISTS if the hash is known;
  // INVALID_ARGUMENT if it is not 64 lowercase hex digits or subject is empty.
  virtual absl::Status PutToken(const TokenRecord& token) = 0;

  // The token with this hash. NOT_FOUND if none.
  virtual absl::StatusOr<TokenRecord> FindToken(std::string_view token_hash) = 0;

  // Stores the reports in one durable transaction: each responder's
  // position row is replaced by its report (the last one in `reports` wins),
  // and every report with a case_id is appended to that case's track.
  // INVALID_ARGUMENT (nothing stored) if a responder name is empty.
  virtual absl::Status SavePositions(const std::vector<PositionReport>& reports) = 0;

  // The track of case `case_id` (the part after "cases/"), oldest first;
  // empty if none.
  virtual absl::StatusOr<std::vector<PositionReport>> ListTrack(std::string_view case_id) = 0;

  // Every responder's latest stored position, by responder name.
  virtual absl::StatusOr<std::vector<PositionReport>> ListPositions() = 0;

  // Every token, newest first.
  virtual absl::StatusOr<std::vector<TokenRecord>> ListTokens() = 0;

  // The cancel PINs of `member` ("members/{id}"); nullopt if it never set
  // any.
  virtual absl::StatusOr<std::optional<MemberPins>> GetPins(std::string_view member) = 0;

  // The medical profile of `member` ("members/{id}"), sealed; nullopt if
  // it keeps none.
  virtual absl::StatusOr<std::optional<StoredProfile>> GetProfile(std::string_view member) = 0;
  // Up to `limit` (1..1000) profiles sealed with a key other than
  // `key_id`, by member: what a key rotation re-seals.
  virtual absl::StatusOr<std::vector<StoredProfile>> ListProfilesNotSealedWith(
      std::string_view key_id, int limit) = 0;

  // The safety timer with id `timer_id` (the part after "timers/");
  // NOT_FOUND if none.
  virtual absl::StatusOr<mayday::v1::SafetyTimer> GetTimer(std::string_view timer_id) = 0;
  // The running timers, soonest deadline first, then (unless running_only)
  // the others, latest change first: at most `limit` (1..1000) in all.
  virtual absl::StatusOr<std::vector<mayday::v1::SafetyTimer>> ListTimers(bool running_only,
                                                                          int limit) = 0;

  // Marks the token whose TokenId is `token_id` revoked, durably, and
  // returns it (already revoked: unchanged). NOT_FOUND if none;
  // INVALID_ARGUMENT if `token_id` is not 16 lowercase hex digits.
  virtual absl::StatusOr<TokenRecord> RevokeToken(std::string_view token_id) = 0;

  // Up to `limit` (1..10000) audit rows with sequence > after_sequence, in
  // sequence order, as stored (not verified). INVALID_ARGUMENT if limit is
  // out of range.
  virtual absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after_sequence, int limit) = 0;

  // Reads the whole audit trail and checks its chain: sequences 1..n
  // without gaps, each prev_hash equal to the previous row's hash, each
  // hash equal to the SHA-256 of the row. A broken chain is reported in the
  // verdict (not as an error); UNAVAILABLE if the table can't be read.
  virtual absl::StatusOr<AuditVerdict> VerifyAudit() = 0;

  // The commits after `after_sequence` (a CommitRecord::sequence; 0: from
  // the first), at most `max_commits` of them, oldest first: how each
  // replica follows what every replica stored (cases/commit_follower.h).
  // INVALID_ARGUMENT if max_commits < 1.
  virtual absl::StatusOr<std::vector<CommitRecord>> ReadCommits(int64_t after_sequence,
                                                                int max_commits) = 0;
  // The heads of the audit trail and of the commit chain now: where a
  // replica starts following them.
  virtual absl::StatusOr<HistoryHeads> Heads() = 0;

  // Open cases by state and kind, and the store's size (StoreFigures), read
  // as of now; for the metrics page, at each scrape.
  virtual absl::StatusOr<StoreFigures> Figures() = 0;

  // Every webhook endpoint by id, with its secret, its count of deliveries
  // made, and (`counts`) its deliveries pending and dead.
  virtual absl::StatusOr<std::vector<WebhookEndpoint>> ListWebhooks(bool counts) = 0;
  // An endpoint's deliveries (DeliveryQuery); an unknown endpoint has none.
  // INVALID_ARGUMENT for a limit out of range.
  virtual absl::StatusOr<std::vector<WebhookDelivery>> ListWebhookDeliveries(
      const DeliveryQuery& query) = 0;
  // The cases with a delivery to `endpoint` pending or dead (rows).
  virtual absl::StatusOr<std::vector<std::string>> OpenWebhookCases(std::string_view endpoint) = 0;
  // Up to `limit` deliveries of `endpoint` that may go at `now`
  // (DueDeliveries).
  virtual absl::StatusOr<DueDeliveries> DueWebhookDeliveries(std::string_view endpoint,
                                                             absl::Time now, int limit) = 0;

  // VerifyAudit, then the case history: each case's events 1..n against
  // its hash chain and its head, and the commit chain over all events; each
  // chain also against its anchor, if any (sequence 0: none). The first
  // break of each is reported in the verdict (not as an error); UNAVAILABLE
  // if the file can't be read.
  virtual absl::StatusOr<HistoryVerdict> VerifyHistory(const ChainAnchor& audit_anchor,
                                                       const ChainAnchor& commit_anchor) = 0;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_STORE_STORE_H_
