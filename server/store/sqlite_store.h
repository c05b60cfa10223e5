// SqliteStore, the Store that Store::Open returns: one writer connection,
// owned by a writer thread that commits queued writes in batches (group
// commit) and hands their outcomes to a completer thread that tells the
// callers in order; one reader connection behind its own mutex; and one
// connection a checkpoint thread copies the write-ahead log back with. Writes are
// serialized in this process by the writer thread and across processes
// (maydayd token create) by SQLite's write lock; reads run on the reader
// connection and, in WAL mode, neither wait for a write's fsync nor see a
// write before it committed.
#ifndef MAYDAY_SERVER_STORE_SQLITE_STORE_H_
#define MAYDAY_SERVER_STORE_SQLITE_STORE_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "store/high_water_mark.h"
#include "store/sqlite_database.h"
#include "store/store.h"

namespace mayday::server::store_internal {

class SqliteStore final : public Store {
 public:
  // See Store::Open.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     const StoreOptions& options);
  // Runs what is queued, then stops the writer thread.
  ~SqliteStore() override;

  void Submit(WriteJob job, WriteDone done) override;

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
  absl::Status SavePositions(const std::vector<PositionReport>& reports) override;
  absl::StatusOr<std::vector<PositionReport>> ListTrack(std::string_view case_id) override;
  absl::StatusOr<std::vector<PositionReport>> ListPositions() override;
  absl::StatusOr<TokenRecord> RevokeToken(std::string_view token_id) override;
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after_sequence, int limit) override;
  absl::StatusOr<AuditVerdict> VerifyAudit() override;
  absl::StatusOr<HistoryVerdict> VerifyHistory(const ChainAnchor& audit_anchor,
                                               const ChainAnchor& commit_anchor) override;

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

  SqliteStore(std::unique_ptr<SqliteDatabase> writer, std::unique_ptr<SqliteDatabase> reader,
              std::unique_ptr<SqliteDatabase> checkpointer, std::unique_ptr<MarkFile> mark,
              const StoreOptions& options);

  // Submit, then wait for the outcome (the blocking write calls).
  absl::Status SubmitAndWait(WriteJob job);
  void WriterLoop();
  // One batch in one transaction; results[i] is job i's outcome. A job that
  // fails must leave nothing behind, which a savepoint per job ensures, but
  // a savepoint copies every page a job touches (a quarter of the writer's
  // time per alert). Jobs refuse before they write, so the batch first runs
  // without savepoints, and only if a job fails after writing is it undone
  // and run again, each job in a savepoint of its own (WriteJob: a job may
  // run more than once).
  void RunBatch(std::vector<QueuedWrite>& batch, std::vector<absl::Status>& results)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Whether the file took the batch's writes: false with the reason if a
  // job failed for storage, true if the batch wrote and committed, nullopt
  // if it tells nothing (it wrote nothing). Then tells on_writable_ of a
  // change. Writer thread only.
  void NoteWritable(const std::vector<absl::Status>& results, bool wrote);
  // The write probe: one row of write_probe, in a transaction of its own.
  absl::Status Probe() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // A read-only connection of its own, for the verifiers: reading a long
  // history must not hold up the reads that serve members and crews.
  absl::StatusOr<std::unique_ptr<SqliteDatabase>> OpenVerifier();
  // BEGIN, the jobs, COMMIT. Without savepoints: false, with the transaction
  // rolled back and nobody told, as soon as a job fails after writing.
  bool TryBatch(std::vector<QueuedWrite>& batch, std::vector<absl::Status>& results,
                bool savepoints) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Records how far the history now goes in the mark file, after a batch
  // committed (high_water_mark.h). A mark that cannot be written weakens
  // only the check at the next open: said once on stderr, not failed.
  void AdvanceMark() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Reports the history heads (StoreOptions::on_history_heads) if `always`
  // or once the interval has passed since the last report.
  void ReportHeads(bool always) ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Tells each batch's outcomes, in order, off the writer thread (answering
  // a gRPC call costs about as much as storing it).
  void CompleterLoop();
  // Copies the write-ahead log back into the file whenever it passes
  // kCheckpointPages, off the writer thread: the copy and its two fsyncs
  // took the writer ~11 ms every ~4 MiB of log, a stall every alert then
  // queued behind. Only the tail the writer appended meanwhile is copied
  // between two batches, so that the log can start over.
  void CheckpointLoop();

  absl::Mutex write_mu_;  // held by the writer thread while it runs a batch
  const std::unique_ptr<SqliteDatabase> writer_ ABSL_PT_GUARDED_BY(write_mu_);
  const base::Clock* const clock_;
  const absl::Duration heads_interval_;
  const std::function<void(const HistoryHeads&)> on_heads_;
  absl::Time last_heads_ ABSL_GUARDED_BY(write_mu_) = absl::InfinitePast();
  // Advanced by the writer under write_mu_; synced (Sync touches no state)
  // by the checkpoint thread and at close.
  const std::unique_ptr<MarkFile> mark_;
  bool mark_failing_ ABSL_GUARDED_BY(write_mu_) = false;
  absl::Mutex queue_mu_;
  std::vector<QueuedWrite> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool stopping_ ABSL_GUARDED_BY(queue_mu_) = false;
  absl::Mutex completions_mu_;
  std::vector<Completions> completions_ ABSL_GUARDED_BY(completions_mu_);
  bool writer_done_ ABSL_GUARDED_BY(completions_mu_) = false;
  std::thread writer_thread_;
  std::thread completer_thread_;
  absl::Mutex checkpoint_mu_;
  bool checkpoint_due_ ABSL_GUARDED_BY(checkpoint_mu_) = false;
  bool checkpoint_stopping_ ABSL_GUARDED_BY(checkpoint_mu_) = false;
  // Used by the checkpoint thread only.
  const std::unique_ptr<SqliteDatabase> checkpointer_;
  std::thread checkpoint_thread_;
  absl::Mutex read_mu_;
  const std::unique_ptr<SqliteDatabase> reader_ ABSL_PT_GUARDED_BY(read_mu_);
  const std::function<void(bool, absl::string_view)> on_writable_;
  const absl::Duration probe_interval_;
  // Writer thread only: whether the last batch that told took its writes,
  // and when to try a write of its own while it did not.
  bool writable_ = true;
  absl::Time next_probe_;
};

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_SQLITE_STORE_H_
