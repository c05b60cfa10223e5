// The group commit, the write probe, the history heads and every Store call
// on the store's queries; see sql_store.h.
#include "store/sql_store.h"

#include <pthread.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "log/log.h"
#include "store/audit.h"
#include "store/codec.h"
#include "store/queries.h"

namespace mayday::server::store_internal {
namespace {

thread_local bool background_thread = false;

}  // namespace

bool OnBackgroundThread() { return background_thread; }

namespace {

// Most jobs in one transaction: bounds the latency a batch adds to its last
// job and the work lost to one failed commit.
constexpr size_t kMaxBatch = 1000;
// Background jobs (SubmitBackground) are committed in batches of their own,
// at most one per kBackgroundWait, and after what was submitted meanwhile:
// a few commits a second however many jobs, and an alert's batch carries
// none of their rows. Once they have waited kBackgroundOverdue (the
// writer busy without a pause) they join the next batch. Real time: it is
// about the disk, whatever the clock.
constexpr absl::Duration kBackgroundWait = absl::Milliseconds(10);
constexpr absl::Duration kBackgroundOverdue = absl::Milliseconds(100);

}  // namespace

absl::StatusOr<mayday::v1::Case> BatchTxn::GetCase(std::string_view case_id) {
  return SelectCase(db_, ToAbsl(case_id));
}

absl::StatusOr<CreatedCase> BatchTxn::CreateCase(const mayday::v1::Case& snapshot,
                                                 const mayday::v1::CaseEvent& first) {
  return InsertCase(db_, chain_, snapshot, first);
}

absl::Status BatchTxn::AppendEvent(const mayday::v1::Case& snapshot,
                                   const mayday::v1::CaseEvent& event) {
  return InsertEvent(db_, chain_, snapshot, event);
}

absl::StatusOr<CreatedCase> BatchTxn::OpenCase(const mayday::v1::Case& snapshot,
                                               const mayday::v1::CaseEvent& first) {
  return OpenOrJoinCase(db_, chain_, snapshot, first);
}

absl::Status BatchTxn::AddNote(const mayday::v1::CaseNote& note) { return InsertNote(db_, note); }

absl::Status BatchTxn::PutToken(const TokenRecord& token) { return InsertToken(db_, token); }

absl::StatusOr<TokenRecord> BatchTxn::RevokeToken(std::string_view token_id) {
  return UpdateTokenRevoked(db_, ToAbsl(token_id));
}

absl::StatusOr<std::optional<MemberPins>> BatchTxn::GetPins(std::string_view member) {
  return SelectPins(db_, ToAbsl(member));
}

absl::Status BatchTxn::PutPins(const MemberPins& pins) { return UpsertPins(db_, pins); }

namespace {

// A failed read inside a write: DATA_LOSS stays what it is (a row that does
// not parse), anything else is a write that stored nothing.
template <typename T>
absl::StatusOr<T> InWrite(absl::StatusOr<T> read) {
  if (!read.ok() && !absl::IsDataLoss(read.status())) return WriteFailed(read.status());
  return read;
}

// A failed read: DATA_LOSS stays what it is, anything else is worded as a
// failed read.
template <typename T>
absl::StatusOr<T> AsRead(absl::StatusOr<T> read) {
  if (!read.ok() && !absl::IsDataLoss(read.status())) return ReadFailed(read.status());
  return read;
}

// A timer looked up by id: NOT_FOUND if there is none.
absl::StatusOr<mayday::v1::SafetyTimer> TimerOrNotFound(
    absl::StatusOr<std::optional<mayday::v1::SafetyTimer>> found, std::string_view timer_id) {
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return absl::NotFoundError(absl::StrCat("timers/", ToAbsl(timer_id), " not found"));
  }
  return **std::move(found);
}

}  // namespace

absl::StatusOr<mayday::v1::SafetyTimer> BatchTxn::GetTimer(std::string_view timer_id) {
  return TimerOrNotFound(InWrite(SelectTimer(db_, ToAbsl(timer_id))), timer_id);
}

absl::StatusOr<std::optional<mayday::v1::SafetyTimer>> BatchTxn::FindTimer(
    std::string_view member, std::string_view request_id) {
  return InWrite(SelectTimerByRequest(db_, ToAbsl(member), ToAbsl(request_id)));
}

absl::StatusOr<std::optional<mayday::v1::SafetyTimer>> BatchTxn::RunningTimerOf(
    std::string_view member) {
  return InWrite(SelectRunningTimer(db_, ToAbsl(member)));
}

absl::Status BatchTxn::PutTimer(const mayday::v1::SafetyTimer& timer) {
  return UpsertTimer(db_, timer);
}

absl::StatusOr<std::optional<StoredProfile>> BatchTxn::GetProfile(std::string_view member) {
  return InWrite(SelectProfile(db_, ToAbsl(member)));
}

absl::Status BatchTxn::PutProfile(const StoredProfile& profile) {
  return UpsertProfile(db_, profile);
}

absl::StatusOr<bool> BatchTxn::DeleteProfile(std::string_view member) {
  return RemoveProfile(db_, ToAbsl(member));
}

absl::Status BatchTxn::AppendAudit(const AuditEntry& entry) { return InsertAudit(db_, entry); }

absl::Status BatchTxn::CheckDispatchLease(std::string_view region, std::string_view holder,
                                          int64_t epoch) {
  return CheckLease(db_, absl::string_view(region.data(), region.size()),
                    absl::string_view(holder.data(), holder.size()), epoch);
}

SqlStore::SqlStore(const StoreOptions& options)
    : clock_(options.clock != nullptr ? options.clock : base::SystemClock()),
      heads_interval_(options.history_heads_interval),
      on_heads_(options.on_history_heads),
      on_writable_(options.on_writable),
      on_batch_(options.on_batch),
      probe_interval_(options.probe_interval) {}

SqlStore::~SqlStore() { StopWriting(); }

void SqlStore::StartWriting() {
  {
    absl::MutexLock lock(&write_mu_);
    ReportHeads(/*always=*/true);
  }
  writer_thread_ = std::thread([this] { WriterLoop(); });
  completer_thread_ = std::thread([this] { CompleterLoop(); });
}

void SqlStore::StopWriting() {
  if (!writer_thread_.joinable()) return;
  {
    absl::MutexLock lock(&queue_mu_);
    stopping_ = true;
  }
  writer_thread_.join();
  {
    absl::MutexLock lock(&completions_mu_);
    writer_done_ = true;
  }
  completer_thread_.join();
  absl::MutexLock lock(&write_mu_);
  ReportHeads(/*always=*/true);
}

void SqlStore::ReportHeads(bool always) {
  const absl::Time now = clock_->Now();
  if (!always && now - last_heads_ < heads_interval_) return;
  last_heads_ = now;
  absl::StatusOr<Database*> db = Writer();
  absl::StatusOr<HistoryHeads> heads =
      db.ok() ? ReadHistoryHeads(**db) : absl::StatusOr<HistoryHeads>(db.status());
  if (!heads.ok()) {
    LogWarning("history_heads_unreadable", "cannot read the history heads: %s",
               heads.status().ToString().c_str());
    return;
  }
  if (on_heads_) {
    on_heads_(*heads);
    return;
  }
  // One line an outside record can keep, and `audit verify` takes back.
  std::string check;
  if (heads->audit_sequence > 0) {
    absl::StrAppend(&check, " --audit-head ", heads->audit_sequence, ":", heads->audit_hash);
  }
  if (heads->commit_sequence > 0) {
    absl::StrAppend(&check, " --case-head ", heads->commit_sequence, ":", heads->commit_hash);
  }
  const std::string line =
      check.empty() ? std::string(" none yet") : absl::StrCat(" maydayctl audit verify", check);
  LogInfo("history_heads", "history heads of %s:%s", HistoryName().c_str(), line.c_str());
}

void SqlStore::Submit(WriteJob job, WriteDone done) {
  absl::MutexLock lock(&queue_mu_);
  queue_.push_back(QueuedWrite{std::move(job), std::move(done)});
}

void SqlStore::SubmitBackground(WriteJob job, WriteDone done) {
  absl::MutexLock lock(&queue_mu_);
  if (background_.empty()) background_since_ = absl::Now();
  background_.push_back(QueuedWrite{std::move(job), std::move(done)});
}

absl::Status SqlStore::SubmitAndWait(WriteJob job) {
  absl::Notification finished;
  absl::Status outcome;
  Submit(std::move(job), [&](absl::Status status) {
    outcome = std::move(status);
    finished.Notify();
  });
  finished.WaitForNotification();
  return outcome;
}

void SqlStore::WriterLoop() {
  pthread_setname_np(pthread_self(), "mayday-writer");
  std::vector<QueuedWrite> batch;
  while (true) {
    bool probe = false;
    {
      absl::MutexLock lock(&queue_mu_);
      // Work: a job submitted, stopping, or a background job (at once when
      // the database is not taking writes; otherwise once it waited long
      // enough, or with the next batch).
      const absl::Condition any_work(
          +[](SqlStore* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->queue_mu_) {
            return !self->queue_.empty() || self->stopping_ || !self->background_.empty();
          },
          this);
      const absl::Condition work_due(
          +[](SqlStore* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->queue_mu_) {
            return !self->queue_.empty() || self->stopping_ ||
                   (!self->background_.empty() &&
                    absl::Now() >= self->background_since_ + kBackgroundWait);
          },
          this);
      if (writable_) {
        while (!work_due.Eval()) {
          if (background_.empty()) {
            queue_mu_.Await(any_work);
          } else {
            // Nothing wakes a waiter when a deadline passes: wait for it.
            queue_mu_.AwaitWithDeadline(work_due, background_since_ + kBackgroundWait);
          }
        }
      } else {
        // The database took no writes last time: try one when the probe is
        // due, whatever else came meanwhile (a batch that wrote nothing
        // tells nothing).
        probe = clock_->Now() >= next_probe_ ||
                !clock_->AwaitWithDeadline(&queue_mu_, any_work, next_probe_);
      }
      if (probe && stopping_) probe = false;
      if (!probe && queue_.empty() && background_.empty()) {
        return;  // stopping, and everything queued is done
      }
      if (!probe) {
        const size_t take = std::min(queue_.size(), kMaxBatch);
        std::move(queue_.begin(), queue_.begin() + take, std::back_inserter(batch));
        queue_.erase(queue_.begin(), queue_.begin() + take);
        // Background jobs go alone, or once overdue with the others.
        const bool alone = batch.empty();
        if (alone || absl::Now() >= background_since_ + kBackgroundOverdue) {
          const size_t extra = std::min(background_.size(), kMaxBatch);
          std::move(background_.begin(), background_.begin() + extra, std::back_inserter(batch));
          background_.erase(background_.begin(), background_.begin() + extra);
        }
      }
    }
    if (probe) {
      absl::Status probed;
      {
        absl::MutexLock lock(&write_mu_);
        probed = Probe();
      }
      NoteWritable({probed}, /*wrote=*/true);
      continue;
    }
    Completions done;
    done.results.resize(batch.size());
    {
      absl::MutexLock lock(&write_mu_);
      bool wrote = false;
      // Real time, whatever clock_ is: how long the disk took.
      const absl::Time start = on_batch_ ? absl::Now() : absl::InfinitePast();
      absl::StatusOr<Database*> db = Writer();
      if (db.ok()) {
        const int64_t changes = (*db)->total_changes();
        RunBatch(**db, batch, done.results);
        wrote = (*db)->total_changes() != changes;
      } else {
        for (absl::Status& result : done.results) result = WriteFailed(db.status());
      }
      if (on_batch_) {
        const bool failed = std::any_of(
            done.results.begin(), done.results.end(),
            [](const absl::Status& result) { return !WriteFailureReason(result).empty(); });
        on_batch_(batch.size(), absl::Now() - start, !failed);
      }
      NoteWritable(done.results, wrote);
      AfterBatch(wrote);
      ReportHeads(/*always=*/false);
    }
    done.callbacks.reserve(batch.size());
    for (QueuedWrite& write : batch) done.callbacks.push_back(std::move(write.done));
    batch.clear();
    absl::MutexLock lock(&completions_mu_);
    completions_.push_back(std::move(done));
  }
}

void SqlStore::CompleterLoop() {
  pthread_setname_np(pthread_self(), "mayday-complete");
  while (true) {
    std::vector<Completions> ready;
    {
      absl::MutexLock lock(&completions_mu_);
      completions_mu_.Await(absl::Condition(
          +[](SqlStore* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->completions_mu_) {
            return !self->completions_.empty() || self->writer_done_;
          },
          this));
      if (completions_.empty()) return;  // the writer stopped and all is told
      ready.swap(completions_);
    }
    for (Completions& batch : ready) {
      for (size_t i = 0; i < batch.callbacks.size(); ++i) {
        batch.callbacks[i](std::move(batch.results[i]));
      }
    }
  }
}

void SqlStore::RunBatch(Database& db, std::vector<QueuedWrite>& batch,
                        std::vector<absl::Status>& results) {
  if (!TryBatch(db, batch, results, /*savepoints=*/false)) {
    TryBatch(db, batch, results, /*savepoints=*/true);
  }
}

bool SqlStore::TryBatch(Database& db, std::vector<QueuedWrite>& batch,
                        std::vector<absl::Status>& results, bool savepoints) {
  absl::Status batch_failed;
  if (absl::Status begin = db.BeginWrite(); !begin.ok()) batch_failed = WriteFailed(begin);
  // The events this run of the batch writes, for its case_chain row.
  CommitChain chain;
  BatchTxn txn(db, chain);
  for (size_t i = 0; i < batch.size() && batch_failed.ok(); ++i) {
    const size_t chained_before = chain.size();
    absl::Status status = savepoints ? db.Run("SAVEPOINT job") : absl::OkStatus();
    const int64_t changes_before = db.total_changes();
    db.set_in_job(true);
    if (status.ok()) status = batch[i].job(txn);
    db.set_in_job(false);
    if (db.autocommit()) {
      // The engine rolled the whole transaction back (disk full, I/O error,
      // a lost connection): every earlier job of the batch is undone with
      // it.
      batch_failed =
          WriteFailed(status.ok() ? absl::UnavailableError("transaction rolled back") : status);
      break;
    }
    // A failed job's events are undone (or it wrote none).
    if (!status.ok()) chain.Truncate(chained_before);
    if (savepoints) {
      if (!status.ok()) db.Run("ROLLBACK TO job").IgnoreError();
      db.Run("RELEASE job").IgnoreError();
    } else if (!status.ok() && (db.total_changes() != changes_before || db.failed_transaction())) {
      // Failed after it wrote, or spoiled the transaction: without a
      // savepoint its writes cannot be undone alone. Undo the batch; it runs
      // again, carefully.
      db.Run("ROLLBACK").IgnoreError();
      return false;
    }
    results[i] = std::move(status);
  }
  if (batch_failed.ok()) {
    if (absl::Status chained = chain.Write(db, clock_->Now()); !chained.ok()) {
      batch_failed = WriteFailed(chained);
    }
  }
  if (batch_failed.ok()) {
    if (absl::Status told = BeforeCommit(db, chain.size() > 0); !told.ok()) {
      batch_failed = WriteFailed(told);
    }
  }
  if (batch_failed.ok()) {
    if (absl::Status commit = db.Run("COMMIT"); !commit.ok()) batch_failed = WriteFailed(commit);
  }
  if (!batch_failed.ok()) {
    if (!db.autocommit()) db.Run("ROLLBACK").IgnoreError();
    for (absl::Status& result : results) {
      // A job's own refusal (NOT_FOUND, FAILED_PRECONDITION ...) stands; the
      // rest stored nothing.
      if (result.ok() || absl::IsUnavailable(result)) result = batch_failed;
    }
  }
  return true;
}

void SqlStore::NoteWritable(const std::vector<absl::Status>& results, bool wrote) {
  absl::string_view failure;
  bool committed = false;
  for (const absl::Status& result : results) {
    if (result.ok()) committed = true;
    const absl::string_view reason = WriteFailureReason(result);
    if (!reason.empty()) failure = reason;
  }
  bool writable;
  if (!failure.empty()) {
    writable = false;
  } else if (committed && wrote) {
    writable = true;
  } else {
    return;  // nothing written: it tells nothing
  }
  if (!writable) next_probe_ = clock_->Now() + probe_interval_;
  if (writable == writable_) return;
  writable_ = writable;
  if (on_writable_) on_writable_(writable, writable ? absl::string_view() : failure);
}

absl::Status SqlStore::Probe() {
  absl::StatusOr<Database*> db = Writer();
  if (!db.ok()) return WriteFailed(db.status());
  absl::StatusOr<Transaction> txn = Transaction::Begin(**db);
  if (!txn.ok()) return WriteFailed(txn.status());
  absl::StatusOr<StatementLease> upsert = (*db)->Prepare(
      "INSERT INTO write_probe (id, probe_time_us) VALUES (1, ?1) "
      "ON CONFLICT (id) DO UPDATE SET probe_time_us = excluded.probe_time_us");
  if (!upsert.ok()) return WriteFailed(upsert.status());
  absl::Status status = (*upsert)->BindInt64(1, absl::ToUnixMicros(clock_->Now()));
  if (status.ok()) status = (*upsert)->Step().status();
  if (status.ok()) status = txn->Commit();
  return status.ok() ? status : WriteFailed(status);
}

absl::StatusOr<CreatedCase> SqlStore::CreateCase(const mayday::v1::Case& snapshot,
                                                 const mayday::v1::CaseEvent& first) {
  absl::StatusOr<CreatedCase> created = absl::UnknownError("not run");
  absl::Status status = SubmitAndWait([&](WriteTxn& txn) {
    created = txn.CreateCase(snapshot, first);
    return created.status();
  });
  if (!status.ok()) return status;
  return created;
}

absl::Status SqlStore::AppendEvent(const mayday::v1::Case& snapshot,
                                   const mayday::v1::CaseEvent& event) {
  return SubmitAndWait([&](WriteTxn& txn) { return txn.AppendEvent(snapshot, event); });
}

absl::StatusOr<mayday::v1::Case> SqlStore::GetCase(std::string_view case_id) {
  return Read<mayday::v1::Case>([&](Database& db) { return SelectCase(db, ToAbsl(case_id)); });
}

absl::StatusOr<std::optional<mayday::v1::Case>> SqlStore::FindPress(std::string_view member,
                                                                    std::string_view request_id) {
  return Read<std::optional<mayday::v1::Case>>(
      [&](Database& db) { return SelectPress(db, std::string(member), std::string(request_id)); });
}

absl::StatusOr<std::vector<mayday::v1::CaseEvent>> SqlStore::ListEvents(std::string_view case_id,
                                                                        int64_t after_sequence,
                                                                        int limit) {
  return Read<std::vector<mayday::v1::CaseEvent>>(
      [&](Database& db) { return SelectEvents(db, ToAbsl(case_id), after_sequence, limit); });
}

absl::StatusOr<CasePage> SqlStore::ListCases(const CaseFilter& filter, int page_size,
                                             std::string_view page_token) {
  return Read<CasePage>(
      [&](Database& db) { return SelectCases(db, filter, page_size, ToAbsl(page_token)); });
}

absl::StatusOr<std::vector<OpenCase>> SqlStore::ListOpenCases() {
  return Read<std::vector<OpenCase>>([](Database& db) { return SelectOpenCases(db); });
}

absl::StatusOr<std::vector<CommitRecord>> SqlStore::ReadCommits(int64_t after_sequence,
                                                                int max_commits) {
  return Read<std::vector<CommitRecord>>(
      [&](Database& db) { return SelectCommits(db, after_sequence, max_commits); });
}

absl::StatusOr<HistoryHeads> SqlStore::Heads() {
  return Read<HistoryHeads>([](Database& db) { return ReadHistoryHeads(db); });
}

absl::StatusOr<StoreFigures> SqlStore::Figures() {
  // On a connection of its own, as the verifiers: counting every open case
  // must not hold up the reads that serve members and crews (their tokens).
  absl::StatusOr<std::unique_ptr<Database>> db = OpenVerifier();
  if (!db.ok()) return db.status();
  auto open = CountOpenCases(**db);
  if (!open.ok()) return ReadFailed(open.status());
  auto escalated = SelectOldestEscalated(**db);
  if (!escalated.ok()) return ReadFailed(escalated.status());
  StoreFigures figures;
  figures.open_cases = *std::move(open);
  figures.oldest_escalated = *std::move(escalated);
  db->reset();
  if (absl::Status s = MeasureSize(figures); !s.ok()) return s;
  return figures;
}

absl::Status SqlStore::AddNote(const mayday::v1::CaseNote& note) {
  return SubmitAndWait([&](WriteTxn& txn) { return txn.AddNote(note); });
}

absl::StatusOr<std::vector<mayday::v1::CaseNote>> SqlStore::ListNotes(std::string_view case_id) {
  return Read<std::vector<mayday::v1::CaseNote>>(
      [&](Database& db) { return SelectNotes(db, ToAbsl(case_id)); });
}

absl::Status SqlStore::PutToken(const TokenRecord& token) {
  return SubmitAndWait([&](WriteTxn& txn) { return txn.PutToken(token); });
}

absl::StatusOr<TokenRecord> SqlStore::FindToken(std::string_view token_hash) {
  return Read<TokenRecord>([&](Database& db) { return SelectToken(db, ToAbsl(token_hash)); });
}

absl::Status SqlStore::SavePositions(const std::vector<PositionReport>& reports) {
  // Jobs run on the BatchTxn of TryBatch.
  return SubmitAndWait(
      [&](WriteTxn& txn) { return InsertPositions(static_cast<BatchTxn&>(txn).db(), reports); });
}

absl::StatusOr<std::vector<PositionReport>> SqlStore::ListTrack(std::string_view case_id) {
  return Read<std::vector<PositionReport>>(
      [&](Database& db) { return SelectTrack(db, ToAbsl(case_id)); });
}

absl::StatusOr<std::vector<PositionReport>> SqlStore::ListPositions() {
  return Read<std::vector<PositionReport>>([](Database& db) { return SelectPositions(db); });
}

absl::StatusOr<std::vector<TokenRecord>> SqlStore::ListTokens() {
  return Read<std::vector<TokenRecord>>([](Database& db) { return SelectTokens(db); });
}

absl::StatusOr<std::optional<MemberPins>> SqlStore::GetPins(std::string_view member) {
  return Read<std::optional<MemberPins>>(
      [&](Database& db) { return SelectPins(db, ToAbsl(member)); });
}

absl::StatusOr<std::optional<StoredProfile>> SqlStore::GetProfile(std::string_view member) {
  return Read<std::optional<StoredProfile>>(
      [&](Database& db) { return AsRead(SelectProfile(db, ToAbsl(member))); });
}

absl::StatusOr<std::vector<StoredProfile>> SqlStore::ListProfilesNotSealedWith(
    std::string_view key_id, int limit) {
  return Read<std::vector<StoredProfile>>(
      [&](Database& db) { return SelectProfilesNotSealedWith(db, ToAbsl(key_id), limit); });
}

absl::StatusOr<mayday::v1::SafetyTimer> SqlStore::GetTimer(std::string_view timer_id) {
  return TimerOrNotFound(Read<std::optional<mayday::v1::SafetyTimer>>([&](Database& db) {
                           return AsRead(SelectTimer(db, ToAbsl(timer_id)));
                         }),
                         timer_id);
}

absl::StatusOr<std::vector<mayday::v1::SafetyTimer>> SqlStore::ListTimers(bool running_only,
                                                                          int limit) {
  return Read<std::vector<mayday::v1::SafetyTimer>>(
      [&](Database& db) { return SelectTimers(db, running_only, limit); });
}

absl::StatusOr<TokenRecord> SqlStore::RevokeToken(std::string_view token_id) {
  absl::StatusOr<TokenRecord> revoked = absl::UnknownError("not run");
  absl::Status status = SubmitAndWait([&](WriteTxn& txn) {
    revoked = txn.RevokeToken(token_id);
    return revoked.status();
  });
  if (!status.ok()) return status;
  return revoked;
}

absl::StatusOr<std::vector<AuditRecord>> SqlStore::ListAudit(int64_t after_sequence, int limit) {
  return Read<std::vector<AuditRecord>>(
      [&](Database& db) { return SelectAudit(db, after_sequence, limit); });
}

absl::StatusOr<AuditVerdict> SqlStore::VerifyAudit() {
  absl::StatusOr<std::unique_ptr<Database>> db = OpenVerifier();
  if (!db.ok()) return db.status();
  return CheckAuditChain(**db);
}

absl::StatusOr<HistoryVerdict> SqlStore::VerifyHistory(const ChainAnchor& audit_anchor,
                                                       const ChainAnchor& commit_anchor) {
  // One read transaction (OpenVerifier's): both chains as of one commit.
  absl::StatusOr<std::unique_ptr<Database>> db = OpenVerifier();
  if (!db.ok()) return db.status();
  HistoryVerdict verdict;
  absl::StatusOr<AuditVerdict> audit = CheckAuditChain(**db, audit_anchor);
  if (!audit.ok()) return audit.status();
  verdict.audit = *std::move(audit);
  absl::StatusOr<CaseHistoryVerdict> cases = CheckCaseHistory(**db, commit_anchor);
  if (!cases.ok()) return cases.status();
  verdict.cases = *std::move(cases);
  return verdict;
}

}  // namespace mayday::server::store_internal

namespace mayday::server {

void MarkBackgroundThread() { store_internal::background_thread = true; }

}  // namespace mayday::server
