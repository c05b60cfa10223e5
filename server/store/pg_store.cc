// Opening the store on PostgreSQL, and its connections; see pg_store.h.
#include "store/pg_store.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "log/log.h"
#include "store/codec.h"
#include "store/pg_migrations.h"

namespace mayday::server::store_internal {
namespace {

// How long a connection attempt may take before the call it serves fails.
constexpr absl::Duration kConnectTimeout = absl::Seconds(5);
// Reader connections kept for reuse; more are made (and closed after use)
// when more reads run at once.
constexpr size_t kMaxIdleReaders = 8;

absl::Status OpenFailed(const std::string& what, const absl::Status& cause) {
  return absl::Status(cause.code(), absl::StrCat("cannot open the store on PostgreSQL (", what,
                                                 "): ", cause.message()));
}

// A writer stopped inside its transaction must not hold every replica's
// writes (pg_database.h).
absl::Status LimitIdleInTransaction(PgDatabase& writer) {
  return writer.Run(kLimitIdleInTransaction);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> PgStore::Open(const std::string& conninfo,
                                                     const StoreOptions& options) {
  if (!options.vfs.empty()) {
    return absl::InvalidArgumentError("a SQLite VFS was named for a PostgreSQL store");
  }
  absl::StatusOr<std::unique_ptr<PgDatabase>> writer =
      PgDatabase::Connect(conninfo, kConnectTimeout);
  if (!writer.ok()) return OpenFailed("connecting", writer.status());
  const std::string description = (*writer)->connection().Describe();
  const base::Clock* clock = options.clock != nullptr ? options.clock : base::SystemClock();
  absl::StatusOr<std::vector<std::string>> remade = PgMigrate(**writer, clock->Now());
  if (!remade.ok()) return OpenFailed(description, remade.status());
  for (const std::string& made : *remade) {
    LogWarning("migration_repaired",
               "%s: %s was missing, disabled or changed; made again (check the "
               "history with maydayctl audit verify)",
               description.c_str(), made.c_str());
  }
  if (absl::Status limited = LimitIdleInTransaction(**writer); !limited.ok()) {
    return OpenFailed(description, limited);
  }
  return std::unique_ptr<Store>(new PgStore(conninfo, *std::move(writer), options));
}

PgStore::PgStore(std::string conninfo, std::unique_ptr<PgDatabase> writer,
                 const StoreOptions& options)
    : SqlStore(options),
      conninfo_(std::move(conninfo)),
      description_(writer->connection().Describe()) {
  {
    absl::MutexLock lock(&write_mu_);
    writer_ = std::move(writer);
  }
  StartWriting();
}

PgStore::~PgStore() { StopWriting(); }

absl::StatusOr<std::unique_ptr<PgDatabase>> PgStore::Connect() const {
  return PgDatabase::Connect(conninfo_, kConnectTimeout);
}

absl::StatusOr<Database*> PgStore::Writer() {
  if (writer_ == nullptr || !writer_->StillOpen()) {
    writer_.reset();
    absl::StatusOr<std::unique_ptr<PgDatabase>> connected = Connect();
    if (!connected.ok()) return connected.status();
    if (absl::Status limited = LimitIdleInTransaction(**connected); !limited.ok()) return limited;
    writer_ = *std::move(connected);
  }
  return writer_.get();
}

absl::Status PgStore::BeforeCommit(Database& db, bool wrote_events) {
  if (!wrote_events) return absl::OkStatus();
  return db.Run(absl::StrCat("NOTIFY ", kCommitChannel));
}

absl::Status PgStore::MeasureSize(StoreFigures& figures) {
  auto bytes = Read<int64_t>([](Database& db) -> absl::StatusOr<int64_t> {
    auto stmt = db.Prepare("SELECT pg_database_size(current_database())");
    if (!stmt.ok()) return stmt.status();
    absl::StatusOr<bool> row = (*stmt)->Step();
    if (!row.ok()) return row.status();
    if (!*row) return absl::UnavailableError("pg_database_size() returned no row");
    return (*stmt)->ColumnInt64(0);
  });
  if (!bytes.ok()) return bytes.status();
  figures.bytes = *bytes;
  return absl::OkStatus();
}

absl::Status PgStore::WithReader(absl::FunctionRef<void(Database&)> read) {
  std::unique_ptr<PgDatabase> reader;
  {
    absl::MutexLock lock(&readers_mu_);
    // One the server ended while it sat idle (a restart, a failover) is
    // dropped here rather than failing this read.
    while (reader == nullptr && !idle_readers_.empty()) {
      reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      if (!reader->StillOpen()) reader.reset();
    }
  }
  if (reader == nullptr) {
    absl::StatusOr<std::unique_ptr<PgDatabase>> connected = Connect();
    if (!connected.ok()) return ReadFailed(connected.status());
    reader = *std::move(connected);
  }
  read(*reader);
  // A broken one is dropped: the next read connects anew.
  if (!reader->healthy() || !reader->autocommit()) return absl::OkStatus();
  absl::MutexLock lock(&readers_mu_);
  if (idle_readers_.size() < kMaxIdleReaders) idle_readers_.push_back(std::move(reader));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Database>> PgStore::OpenVerifier() {
  absl::StatusOr<std::unique_ptr<PgDatabase>> db = Connect();
  if (!db.ok()) return ReadFailed(db.status());
  if (absl::Status begin = (*db)->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      !begin.ok()) {
    return ReadFailed(begin);
  }
  return std::unique_ptr<Database>(*std::move(db));
}

}  // namespace mayday::server::store_internal
