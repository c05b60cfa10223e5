// Opening the store's SQLite file and running each call on the right
// connection under the right lock; see sqlite_store.h.
#include "store/sqlite_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "log/log.h"
#include "store/audit.h"
#include "store/case_chain.h"
#include "store/codec.h"
#include "store/migrations.h"
#include "store/queries.h"

namespace mayday::server {
namespace store_internal {
namespace {

// Long enough for `maydayd token create` to finish its write; short enough
// that a stuck lock surfaces as UNAVAILABLE instead of a hung alert.
constexpr int kBusyTimeoutMs = 5000;
// NOMUTEX: each connection is used by one thread at a time (the writer thread,
// or a reader under read_mu_), so SQLite's own per-call mutex is not needed.
constexpr int kOpenFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
// The write-ahead log's size (pages of 4 KiB) past which the checkpoint
// thread copies it back into the file (SQLite's own default), and past which
// the writer does so itself.
constexpr int kCheckpointPages = 1000;
constexpr int kWriterCheckpointPages = 10000;

absl::Status OpenFailed(const std::string& path, const absl::Status& cause) {
  return absl::Status(cause.code(),
                      absl::StrCat("cannot open the store at ", path, ": ", cause.message()));
}

// How much of the file the start-up scan of open cases maps (SQLite caps it
// at its own compile-time limit, 2 GiB by default).
constexpr int64_t kRestoreMmapBytes = int64_t{1} << 31;

// Runs `pragma` and checks that it reports `expected`.
absl::Status SetPragma(Database& db, absl::string_view pragma, absl::string_view expected) {
  absl::StatusOr<StatementLease> stmt = db.Prepare(pragma);
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  if (!expected.empty() && (!*row || (*stmt)->ColumnText(0) != expected)) {
    return absl::UnavailableError(absl::StrCat(pragma, " did not take effect (got \"",
                                               *row ? (*stmt)->ColumnText(0) : "", "\")"));
  }
  return absl::OkStatus();
}

// Settings every connection needs; they are not stored in the file.
absl::Status Configure(Database& db, StoreOptions::Sync sync) {
  absl::Status status = SetPragma(db, "PRAGMA foreign_keys = ON", "");
  // FULL: every commit fsyncs the WAL, so an OK write survives power loss
  // (tests/server/store/power_loss_test.cc shows that NORMAL loses acknowledged
  // commits).
  if (sync == StoreOptions::Sync::kFull) {
    if (status.ok()) status = SetPragma(db, "PRAGMA synchronous = FULL", "");
    if (status.ok()) status = SetPragma(db, "PRAGMA synchronous", "2");
  } else {
    if (status.ok()) status = SetPragma(db, "PRAGMA synchronous = NORMAL", "");
    if (status.ok()) status = SetPragma(db, "PRAGMA synchronous", "1");
  }
  // 64 MiB of page cache per connection (SQLite's default is 2 MiB): the
  // indexes of a busy day's cases stay in memory instead of being re-read
  // from the OS on every insert.
  if (status.ok()) status = SetPragma(db, "PRAGMA cache_size = -65536", "");
  // Savepoint and statement journals (the original of every page a job or
  // statement touches: ~40 KiB per alert when a batch runs with a savepoint
  // per job, see RunBatch) stay in memory; past 64 KiB they would spill to a
  // temporary file, a write system call per page. They live only until the
  // batch commits.
  if (status.ok()) status = SetPragma(db, "PRAGMA temp_store = MEMORY", "");
  // A deleted or replaced row's bytes are overwritten with zeros, not left
  // in free space: a member's deleted medical profile (sealed, but still)
  // leaves the file at the next checkpoint. Measured with mayday-seed
  // writing 50,000 case histories (every event rewrites its case's row):
  // time with / without, median of 5 pairs, 0.94 (0.84 to 1.17), i.e. noise.
  if (status.ok()) status = SetPragma(db, "PRAGMA secure_delete = ON", "1");
  return status;
}

// Why `path` cannot be written, as the system says (permissions, an
// immutable file, a read-only file system), for a file SQLite opened
// read-only.
absl::Status ReadOnlyFile(const std::string& path) {
  std::string cause = "SQLite could only open it read-only";
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
  } else {
    cause = std::strerror(errno);
  }
  return absl::FailedPreconditionError(
      absl::StrCat("the file is not writable (", cause,
                   "); maydayd must write every alert it acknowledges: fix the file's permissions, "
                   "attributes or file system, then start again"));
}

// Makes the file's directory entry durable: SQLite syncs the directory when
// it creates a journal, not when it creates the database file itself.
absl::Status SyncDirectoryOf(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open directory ", dir.string(), ": ", std::strerror(errno)));
  }
  int rc = ::fsync(fd);
  int error = errno;
  ::close(fd);
  // Some file systems cannot fsync a directory; they do not need to.
  if (rc != 0 && error != EINVAL && error != EROFS) {
    return absl::UnavailableError(
        absl::StrCat("cannot sync directory ", dir.string(), ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> SqliteStore::Open(const std::string& path,
                                                         const StoreOptions& options) {
  absl::StatusOr<std::unique_ptr<SqliteDatabase>> writer =
      SqliteDatabase::Open(path, kOpenFlags | SQLITE_OPEN_CREATE, kBusyTimeoutMs, options.vfs);
  if (!writer.ok()) return OpenFailed(path, writer.status());
  if ((*writer)->read_only()) return OpenFailed(path, ReadOnlyFile(path));
  absl::Status status = SetPragma(**writer, "PRAGMA journal_mode = WAL", "wal");
  if (status.ok()) status = Configure(**writer, options.synchronous);
  const base::Clock* clock = options.clock != nullptr ? options.clock : base::SystemClock();
  // Before anything writes: is the history all there?
  absl::StatusOr<std::unique_ptr<MarkFile>> mark = MarkFile::Open(path);
  if (!mark.ok()) return OpenFailed(path, mark.status());
  std::optional<std::string> loss;
  if (status.ok()) {
    absl::StatusOr<std::optional<std::string>> checked =
        CheckMark(**writer, **mark, options.accept_data_loss);
    if (checked.ok()) loss = *checked;
    status = checked.status();
  }
  if (status.ok()) status = Migrate(**writer, clock->Now());
  if (status.ok()) status = RecordMark(**writer, **mark, loss, clock->Now());
  if (status.ok()) status = SyncDirectoryOf(path);
  if (!status.ok()) return OpenFailed(path, status);
  // Triggers dropped or replaced by hand are made again on every start, and
  // said so: only someone with the file can have done it.
  absl::StatusOr<std::vector<std::string>> remade = ProtectHistory(**writer);
  if (!remade.ok()) return OpenFailed(path, remade.status());
  for (const std::string& trigger : *remade) {
    LogWarning("migration_repaired",
               "%s: trigger %s was missing or changed; made again (check the "
               "history with maydayctl audit verify)",
               path.c_str(), trigger.c_str());
  }

  // Opened after the writer made the file exist and use WAL.
  absl::StatusOr<std::unique_ptr<SqliteDatabase>> reader =
      SqliteDatabase::Open(path, kOpenFlags, kBusyTimeoutMs, options.vfs);
  if (!reader.ok()) return OpenFailed(path, reader.status());
  status = Configure(**reader, options.synchronous);
  if (status.ok()) status = SetPragma(**reader, "PRAGMA query_only = ON", "");
  if (!status.ok()) return OpenFailed(path, status);
  // Syncs as the writer does: a checkpoint fsyncs the log before it copies
  // and the file after.
  absl::StatusOr<std::unique_ptr<SqliteDatabase>> checkpointer =
      SqliteDatabase::Open(path, kOpenFlags, kBusyTimeoutMs, options.vfs);
  if (!checkpointer.ok()) return OpenFailed(path, checkpointer.status());
  status = Configure(**checkpointer, options.synchronous);
  if (!status.ok()) return OpenFailed(path, status);
  StoreOptions resolved = options;
  resolved.clock = clock;
  return std::unique_ptr<Store>(new SqliteStore(*std::move(writer), *std::move(reader),
                                                *std::move(checkpointer), *std::move(mark),
                                                resolved));
}

SqliteStore::SqliteStore(std::unique_ptr<SqliteDatabase> writer,
                         std::unique_ptr<SqliteDatabase> reader,
                         std::unique_ptr<SqliteDatabase> checkpointer,
                         std::unique_ptr<MarkFile> mark, const StoreOptions& options)
    : SqlStore(options),
      writer_(std::move(writer)),
      mark_(std::move(mark)),
      checkpointer_(std::move(checkpointer)),
      reader_(std::move(reader)),
      path_(writer_->path()),
      vfs_(options.vfs),
      synchronous_(options.synchronous) {
  // Runs inside the writer's COMMIT, write_mu_ held.
  writer_->SetWalHook([this](int pages) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (pages < kCheckpointPages) return;
    if (pages >= kWriterCheckpointPages) {
      // The checkpoint thread is not keeping up (or cannot write): the
      // writer copies, as SQLite would, rather than let the log grow.
      writer_->CheckpointPassive().IgnoreError();
      return;
    }
    absl::MutexLock lock(&checkpoint_mu_);
    checkpoint_due_ = true;
  });
  StartWriting();
  checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
}

SqliteStore::~SqliteStore() {
  {
    absl::MutexLock lock(&checkpoint_mu_);
    checkpoint_stopping_ = true;
  }
  checkpoint_thread_.join();
  StopWriting();
  mark_->Sync().IgnoreError();  // what the writer wrote last is in the file
}

absl::StatusOr<Database*> SqliteStore::Writer() { return writer_.get(); }

void SqliteStore::AfterBatch(bool wrote) {
  if (wrote) AdvanceMark();
}

std::string SqliteStore::HistoryName() const { return path_; }

absl::Status SqliteStore::MeasureSize(StoreFigures& figures) {
  struct stat file;
  if (::stat(path_.c_str(), &file) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot stat ", path_, ": ", std::strerror(errno)));
  }
  figures.bytes = file.st_size;
  struct stat wal;
  if (::stat((path_ + "-wal").c_str(), &wal) == 0) figures.bytes += wal.st_size;
  struct statvfs disk;
  if (::statvfs(path_.c_str(), &disk) == 0) {
    figures.disk_free_bytes = static_cast<int64_t>(disk.f_bavail) * disk.f_frsize;
    figures.disk_size_bytes = static_cast<int64_t>(disk.f_blocks) * disk.f_frsize;
  }
  return absl::OkStatus();
}

absl::Status SqliteStore::WithReader(absl::FunctionRef<void(Database&)> read) {
  if (OnBackgroundThread()) {
    absl::MutexLock lock(&background_mu_);
    if (background_reader_ == nullptr) {
      absl::StatusOr<std::unique_ptr<SqliteDatabase>> opened =
          SqliteDatabase::Open(path_, kOpenFlags, kBusyTimeoutMs, vfs_);
      if (!opened.ok()) return ReadFailed(opened.status());
      absl::Status status = Configure(**opened, synchronous_);
      if (status.ok()) status = SetPragma(**opened, "PRAGMA query_only = ON", "");
      if (!status.ok()) return ReadFailed(status);
      background_reader_ = *std::move(opened);
    }
    read(*background_reader_);
    return absl::OkStatus();
  }
  absl::MutexLock lock(&read_mu_);
  read(*reader_);
  return absl::OkStatus();
}

void SqliteStore::AdvanceMark() {
  const absl::Status status = store_internal::AdvanceMark(*writer_, *mark_);
  if (status.ok() == !mark_failing_) return;
  mark_failing_ = !status.ok();
  if (mark_failing_) {
    LogWarning("high_water_mark",
               "cannot record the high-water mark (%s); a write-ahead log lost from "
               "now on may go unnoticed at the next start",
               status.ToString().c_str());
  } else {
    LogInfo("high_water_mark", "the high-water mark %s is recorded again", mark_->path().c_str());
  }
}

void SqliteStore::CheckpointLoop() {
  pthread_setname_np(pthread_self(), "mayday-ckpt");
  while (true) {
    {
      absl::MutexLock lock(&checkpoint_mu_);
      checkpoint_mu_.Await(absl::Condition(
          +[](SqliteStore* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->checkpoint_mu_) {
            return self->checkpoint_due_ || self->checkpoint_stopping_;
          },
          this));
      if (checkpoint_stopping_) return;
    }
    // Errors are left for the next round (as SQLite's own checkpoints do);
    // if the log keeps growing, the writer checkpoints itself.
    checkpointer_->CheckpointPassive().IgnoreError();
    {
      absl::MutexLock lock(&write_mu_);
      checkpointer_->CheckpointPassive().IgnoreError();
    }
    // Off the writer's lock: a power cut loses no more of the mark than
    // the writes since the last checkpoint.
    mark_->Sync().IgnoreError();
    absl::MutexLock lock(&checkpoint_mu_);
    checkpoint_due_ = false;
  }
}

absl::StatusOr<std::vector<OpenCase>> SqliteStore::ListOpenCases() {
  absl::MutexLock lock(&read_mu_);
  // The open cases of a long history lie scattered over the whole file: the
  // scan maps the file into memory rather than read() it page by page (half
  // the time at 100,000 open cases among 1,000,000), then unmaps it, so that
  // serving never reads through a mapping (an I/O error there would be a
  // SIGBUS, not a status). A SQLite built without mmap just reads.
  (void)SetPragma(*reader_, absl::StrCat("PRAGMA mmap_size = ", kRestoreMmapBytes), "");
  absl::StatusOr<std::vector<OpenCase>> open = SelectOpenCases(*reader_);
  if (auto s = SetPragma(*reader_, "PRAGMA mmap_size = 0", "0"); !s.ok()) return s;
  return open;
}

absl::StatusOr<std::unique_ptr<Database>> SqliteStore::OpenVerifier() {
  absl::StatusOr<std::unique_ptr<SqliteDatabase>> db =
      SqliteDatabase::Open(path_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, kBusyTimeoutMs);
  if (!db.ok()) return ReadFailed(db.status());
  if (absl::Status begin = (*db)->Exec("BEGIN"); !begin.ok()) return ReadFailed(begin);
  return std::unique_ptr<Database>(*std::move(db));
}

}  // namespace store_internal

}  // namespace mayday::server
