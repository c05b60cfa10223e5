// SqliteStore, the Store that Store::Open returns for a file: one writer
// connection for SqlStore's group commit (sql_store.h); one reader
// connection behind its own mutex; and one connection a checkpoint thread
// copies the write-ahead log back with. Writes are
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
#include "store/sql_store.h"
#include "store/sqlite_database.h"

namespace mayday::server::store_internal {

class SqliteStore final : public SqlStore {
 public:
  // See Store::Open.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& path,
                                                     const StoreOptions& options);
  // Runs what is queued, then stops the writer and checkpoint threads.
  ~SqliteStore() override;

  // The open cases of a long history, read through a memory map.
  absl::StatusOr<std::vector<OpenCase>> ListOpenCases() override;

 private:
  SqliteStore(std::unique_ptr<SqliteDatabase> writer, std::unique_ptr<SqliteDatabase> reader,
              std::unique_ptr<SqliteDatabase> checkpointer, std::unique_ptr<MarkFile> mark,
              const StoreOptions& options);

  absl::StatusOr<Database*> Writer() override ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Advances the high-water mark after a batch that wrote.
  void AfterBatch(bool wrote) override ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  std::string HistoryName() const override;
  // The file's and its -wal's sizes; the space free on their disk.
  absl::Status MeasureSize(StoreFigures& figures) override;
  absl::Status WithReader(absl::FunctionRef<void(Database&)> read) override;
  // A read-only connection of the file's own, in a read transaction.
  absl::StatusOr<std::unique_ptr<Database>> OpenVerifier() override;

  // Records how far the history now goes in the mark file, after a batch
  // committed (high_water_mark.h). A mark that cannot be written weakens
  // only the check at the next open: said once on stderr, not failed.
  void AdvanceMark() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // Copies the write-ahead log back into the file whenever it passes
  // kCheckpointPages, off the writer thread: the copy and its two fsyncs
  // took the writer ~11 ms every ~4 MiB of log, a stall every alert then
  // queued behind. Only the tail the writer appended meanwhile is copied
  // between two batches, so that the log can start over.
  void CheckpointLoop();

  const std::unique_ptr<SqliteDatabase> writer_ ABSL_PT_GUARDED_BY(write_mu_);
  // Advanced by the writer under write_mu_; synced (Sync touches no state)
  // by the checkpoint thread and at close.
  const std::unique_ptr<MarkFile> mark_;
  bool mark_failing_ ABSL_GUARDED_BY(write_mu_) = false;
  absl::Mutex checkpoint_mu_;
  bool checkpoint_due_ ABSL_GUARDED_BY(checkpoint_mu_) = false;
  bool checkpoint_stopping_ ABSL_GUARDED_BY(checkpoint_mu_) = false;
  // Used by the checkpoint thread only.
  const std::unique_ptr<SqliteDatabase> checkpointer_;
  std::thread checkpoint_thread_;
  absl::Mutex read_mu_;
  const std::unique_ptr<SqliteDatabase> reader_ ABSL_PT_GUARDED_BY(read_mu_);
  const std::string path_;
  // The reader of background threads (MarkBackgroundThread), opened on
  // their first read, as reader_ was.
  const std::string vfs_;
  const StoreOptions::Sync synchronous_;
  absl::Mutex background_mu_;
  std::unique_ptr<SqliteDatabase> background_reader_ ABSL_GUARDED_BY(background_mu_);
};

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_SQLITE_STORE_H_
