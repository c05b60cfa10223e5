// SqlStore: what the two stores share, whichever engine is under them. All
// of the Store interface runs here, on the store's queries (queries.h):
//
//   - writes through one writer thread that commits queued jobs in batches
//     (group commit): one transaction per batch, told to their callers in
//     order on a completer thread once it committed; a job that fails after
//     writing makes the batch run again with a savepoint per job;
//   - the watch on whether the database takes writes (StoreOptions::
//     on_writable), with a write probe while it takes none;
//   - the history heads reported at intervals;
//   - reads on a reader connection the engine lends (WithReader).
//
// SqliteStore (sqlite_store.h) and PgStore (pg_store.h) give the
// connections, and what only their engine has: SQLite's checkpoints and
// high-water mark, PostgreSQL's reconnecting after a failover.
#ifndef MAYDAY_SERVER_STORE_SQL_STORE_H_
#define MAYDAY_SERVER_STORE_SQL_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "store/case_chain.h"
#include "store/database.h"
#include "store/store.h"

namespace mayday::server::store_internal {

// The writer connection as WriteTxn, for the jobs of one batch.
class BatchTxn final : public WriteTxn {
 public:
  BatchTxn(Database& db, CommitChain& chain) : db_(db), chain_(chain) {}
  absl::StatusOr<mayday::v1::Case> GetCase(std::string_view case_id) override;
  absl::StatusOr<CreatedCase> CreateCase(const mayday::v1::Case& snapshot,
                                         const mayday::v1::CaseEvent& first) override;
  absl::Status AppendEvent(const mayday::v1::Case& snapshot,
                           const mayday::v1::CaseEvent& event) override;
  absl::StatusOr<CreatedCase> OpenCase(const mayday::v1::Case& snapshot,
                                       const mayday::v1::CaseEvent& first) override;
  absl::Status AddNote(const mayday::v1::CaseNote& note) override;
  absl::Status PutToken(const TokenRecord& token) override;
  absl::StatusOr<TokenRecord> RevokeToken(std::string_view token_id) override;
  absl::StatusOr<std::optional<MemberPins>> GetPins(std::string_view member) override;
  absl::Status PutPins(const MemberPins& pins) override;
  absl::StatusOr<std::optional<StoredProfile>> GetProfile(std::string_view member) override;
  absl::Status PutProfile(const StoredProfile& profile) override;
  absl::StatusOr<bool> DeleteProfile(std::string_view member) override;
  absl::StatusOr<mayday::v1::SafetyTimer> GetTimer(std::string_view timer_id) override;
  absl::StatusOr<std::optional<mayday::v1::SafetyTimer>> FindTimer(
      std::string_view member, std::string_view request_id) override;
  absl::StatusOr<std::optional<mayday::v1::SafetyTimer>> RunningTimerOf(
      std::string_view member) override;
  absl::Status PutTimer(const mayday::v1::SafetyTimer& timer) override;
  absl::Status PutWebhook(const WebhookEndpoint& endpoint) override;
  absl::Status DeleteWebhook(std::string_view id) override;
  absl::Status SettleDeliveries(const DeliverySettlement& settled) override;
  absl::StatusOr<std::vector<std::string>> RecordAttempts(
      const std::vector<DeliveryAttempt>& attempts) override;
  absl::StatusOr<int64_t> Redeliver(std::string_view endpoint, std::string_view case_id,
                                    absl::Time now) override;
  absl::StatusOr<int64_t> PruneDeliveries(absl::Time before) override;
  absl::Status AppendAudit(const AuditEntry& entry) override;
  absl::Status CheckDispatchLease(std::string_view region, std::string_view holder,
                                  int64_t epoch) override;

  // The writer connection, for the store's own jobs (SavePositions).
  Database& db() { return db_; }

 private:
  Database& db_;
  CommitChain& chain_;
};

// Whether MarkBackgroundThread() was called on this thread.
bool OnBackgroundThread();

class SqlStore : public Store {
 public:
  // Runs what is queued, then stops: the engine's destructor calls
  // StopWriting first, while what the writer uses is still there.
  ~SqlStore() override;

  void Submit(WriteJob job, WriteDone done) override;
  void SubmitBackground(WriteJob job, WriteDone done) override;

  absl::StatusOr<CreatedCase> CreateCase(const mayday::v1::Case& snapshot,
                                         const mayday::v1::CaseEvent& first) override;
  absl::Status AppendEvent(const mayday::v1::Case& snapshot,
                           const mayday::v1::CaseEvent& event) override;
  absl::StatusOr<mayday::v1::Case> GetCase(std::string_view case_id) override;
  absl::StatusOr<std::optional<mayday::v1::Case>> FindPress(std::string_view member,
                                                            std::string_view request_id) override;
  absl::StatusOr<std::vector<mayday::v1::CaseEvent>> ListEvents(std::string_view case_id,
                                                                int64_t after_sequence,
                                                                int limit) override;
  absl::StatusOr<CasePage> ListCases(const CaseFilter& filter, int page_size,
                                     std::string_view page_token) override;
  absl::StatusOr<std::vector<OpenCase>> ListOpenCases() override;
  absl::Status AddNote(const mayday::v1::CaseNote& note) override;
  absl::StatusOr<std::vector<mayday::v1::CaseNote>> ListNotes(std::string_view case_id) override;
  absl::Status PutToken(const TokenRecord& token) override;
  absl::StatusOr<TokenRecord> FindToken(std::string_view token_hash) override;
  absl::StatusOr<std::vector<TokenRecord>> ListTokens() override;
  absl::StatusOr<std::optional<MemberPins>> GetPins(std::string_view member) override;
  absl::StatusOr<std::optional<StoredProfile>> GetProfile(std::string_view member) override;
  absl::StatusOr<std::vector<StoredProfile>> ListProfilesNotSealedWith(std::string_view key_id,
                                                                       int limit) override;
  absl::StatusOr<mayday::v1::SafetyTimer> GetTimer(std::string_view timer_id) override;
  absl::StatusOr<std::vector<mayday::v1::SafetyTimer>> ListTimers(bool running_only,
                                                                  int limit) override;
  absl::Status SavePositions(const std::vector<PositionReport>& reports) override;
  absl::StatusOr<std::vector<PositionReport>> ListTrack(std::string_view case_id) override;
  absl::StatusOr<std::vector<PositionReport>> ListPositions() override;
  absl::StatusOr<TokenRecord> RevokeToken(std::string_view token_id) override;
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after_sequence, int limit) override;
  absl::StatusOr<AuditVerdict> VerifyAudit() override;
  absl::StatusOr<HistoryVerdict> VerifyHistory(const ChainAnchor& audit_anchor,
                                               const ChainAnchor& commit_anchor) override;
  absl::StatusOr<std::vector<CommitRecord>> ReadCommits(int64_t after_sequence,
                                                        int max_commits) override;
  absl::StatusOr<HistoryHeads> Heads() override;
  absl::StatusOr<std::vector<WebhookEndpoint>> ListWebhooks(bool counts) override;
  absl::StatusOr<std::vector<WebhookDelivery>> ListWebhookDeliveries(
      const DeliveryQuery& query) override;
  absl::StatusOr<std::vector<std::string>> OpenWebhookCases(std::string_view endpoint) override;
  absl::StatusOr<DueDeliveries> DueWebhookDeliveries(std::string_view endpoint, absl::Time now,
                                                     int limit) override;
  absl::StatusOr<StoreFigures> Figures() override;

 protected:
  explicit SqlStore(const StoreOptions& options);

  // Starts the writer and completer threads: the engine's constructor calls
  // it last, once the hooks below can run.
  void StartWriting();
  // Runs what is queued, stops both threads, and reports the history heads
  // a last time. Idempotent.
  void StopWriting();

  // The engine's hooks. The writer connection for the next batch or probe
  // (an engine may connect anew here); an error fails the batch.
  virtual absl::StatusOr<Database*> Writer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) = 0;
  // Last in a batch's transaction, before its COMMIT: `wrote_events` if it
  // wrote case events (a commit row). An error fails the batch.
  virtual absl::Status BeforeCommit(Database& /*db*/, bool /*wrote_events*/)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    return absl::OkStatus();
  }
  // After a batch, on the writer thread: whether it wrote and committed.
  virtual void AfterBatch(bool wrote) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) = 0;
  // What the heads are of, for the line on stderr ("/var/lib/mayday.db").
  virtual std::string HistoryName() const = 0;
  // The bytes stored and free, for Figures().
  virtual absl::Status MeasureSize(StoreFigures& figures) = 0;
  // Runs `read` on a reader connection; UNAVAILABLE if none can be had
  // (then `read` did not run).
  virtual absl::Status WithReader(absl::FunctionRef<void(Database&)> read) = 0;
  // A connection of its own for the verifiers (a long read must not hold
  // up the reads that serve members and crews), in a read transaction that
  // sees one commit throughout.
  virtual absl::StatusOr<std::unique_ptr<Database>> OpenVerifier() = 0;

  // WithReader, returning what `read` returned.
  template <typename T>
  absl::StatusOr<T> Read(absl::FunctionRef<absl::StatusOr<T>(Database&)> read) {
    absl::StatusOr<T> result = absl::UnknownError("not read");
    if (absl::Status status = WithReader([&](Database& db) { result = read(db); }); !status.ok()) {
      return status;
    }
    return result;
  }

  // Held by the writer thread while it runs a batch or a probe.
  absl::Mutex write_mu_;
  const base::Clock* const clock_;

 private:
  struct QueuedWrite {
    WriteJob job;
    WriteDone done;
  };
  // A committed (or failed) batch's outcomes, waiting to be told.
  struct Completions {
    std::vector<WriteDone> callbacks;
    std::vector<absl::Status> results;
  };

  // Submit, then wait for the outcome (the blocking write calls).
  absl::Status SubmitAndWait(WriteJob job);
  void WriterLoop();
  // One batch in one transaction; results[i] is job i's outcome. A job that
  // fails must leave nothing behind, which a savepoint per job ensures, but
  // a savepoint copies every page a job touches (a quarter of SQLite's
  // writer's time per alert). Jobs refuse before they write, so the batch
  // first runs without savepoints, and only if a job fails after writing
  // (or, on PostgreSQL, a statement of it failed, which spoils the
  // transaction) is it undone and run again, each job in a savepoint of its
  // own (WriteJob: a job may run more than once).
  void RunBatch(Database& db, std::vector<QueuedWrite>& batch, std::vector<absl::Status>& results)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // BEGIN, the jobs, COMMIT. Without savepoints: false, with the
  // transaction rolled back and nobody told, as soon as a job fails after
  // writing.
  bool TryBatch(Database& db, std::vector<QueuedWrite>& batch, std::vector<absl::Status>& results,
                bool savepoints) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Whether the database took the batch's writes: false with the reason if
  // a job failed for storage, true if the batch wrote and committed,
  // nothing if it tells nothing (it wrote nothing). Then tells on_writable_
  // of a change. Writer thread only.
  void NoteWritable(const std::vector<absl::Status>& results, bool wrote);
  // The write probe: one row of write_probe, in a transaction of its own.
  absl::Status Probe() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Reports the history heads (StoreOptions::on_history_heads) if `always`
  // or once the interval has passed since the last report.
  void ReportHeads(bool always) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Tells each batch's outcomes, in order, off the writer thread (answering
  // a gRPC call costs about as much as storing it).
  void CompleterLoop();

  const absl::Duration heads_interval_;
  const std::function<void(const HistoryHeads&)> on_heads_;
  absl::Time last_heads_ ABSL_GUARDED_BY(write_mu_) = absl::InfinitePast();
  absl::Mutex queue_mu_;
  std::vector<QueuedWrite> queue_ ABSL_GUARDED_BY(queue_mu_);
  // SubmitBackground's jobs, and when the oldest was queued (real time).
  std::vector<QueuedWrite> background_ ABSL_GUARDED_BY(queue_mu_);
  absl::Time background_since_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  absl::Mutex completions_mu_;
  std::vector<Completions> completions_ ABSL_GUARDED_BY(completions_mu_);
  bool writer_done_ ABSL_GUARDED_BY(completions_mu_) = false;
  std::thread writer_thread_;
  std::thread completer_thread_;
  const std::function<void(bool, absl::string_view)> on_writable_;
  const std::function<void(size_t, absl::Duration, bool)> on_batch_;
  const absl::Duration probe_interval_;
  // Writer thread only: whether the last batch that told took its writes,
  // and when to try a write of its own while it did not.
  bool writable_ = true;
  absl::Time next_probe_;
};

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_SQL_STORE_H_
