// PgStore, the Store that Store::Open returns for a PostgreSQL database
// ("postgresql://..."): the SqlStore (sql_store.h) on PostgreSQL, so that
// several maydayd can share one database. One writer connection for the
// group commit; its batches are serialized with every other replica's by
// the write lock (pg_database.h), so that the store's promises (events 1..n
// without gaps, one chain of commits, a request_id stored once) hold across
// replicas as across SQLite's connections. Reads take a connection of a
// small pool, so that they run side by side and never wait for a commit.
//
// A connection that breaks (the server restarted, the primary moved) is
// replaced at the next use: the writer's batch that broke fails UNAVAILABLE
// and the store's write probe finds the database again (StoreOptions::
// on_writable). A batch whose COMMIT broke may have committed: its callers
// are told UNAVAILABLE, and their retries, by request_id or by sequence,
// find what was stored.
#ifndef MAYDAY_SERVER_STORE_PG_STORE_H_
#define MAYDAY_SERVER_STORE_PG_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "store/pg_database.h"
#include "store/sql_store.h"

namespace mayday::server::store_internal {

// The channel a commit that wrote case events is announced on (NOTIFY,
// no payload); replicas LISTEN (CommitSignal) to read it at once.
inline constexpr char kCommitChannel[] = "mayday_commits";

class PgStore final : public SqlStore {
 public:
  // Connects to `conninfo` (a libpq URI or key=value string), migrates the
  // database to the current schema (pg_migrations.h) and starts the writer.
  // UNAVAILABLE if PostgreSQL cannot be reached; FAILED_PRECONDITION if the
  // database was written by a newer maydayd; INVALID_ARGUMENT if
  // `conninfo` does not parse or `options` asks for what only SQLite has.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& conninfo,
                                                     const StoreOptions& options);
  // Runs what is queued, then stops the writer.
  ~PgStore() override;

 private:
  PgStore(std::string conninfo, std::unique_ptr<PgDatabase> writer, const StoreOptions& options);

  // The writer connection, connected anew if it broke.
  absl::StatusOr<Database*> Writer() override ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  // A commit that wrote case events wakes every replica's follower
  // (kCommitChannel), when it commits: NOTIFY is transactional.
  absl::Status BeforeCommit(Database& db, bool wrote_events) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void AfterBatch(bool) override ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {}
  std::string HistoryName() const override { return description_; }
  // pg_database_size() of the database.
  absl::Status MeasureSize(StoreFigures& figures) override;
  absl::Status WithReader(absl::FunctionRef<void(Database&)> read) override;
  // A connection of its own in a read-only, repeatable-read transaction.
  absl::StatusOr<std::unique_ptr<Database>> OpenVerifier() override;
  absl::StatusOr<std::unique_ptr<PgDatabase>> Connect() const;

  const std::string conninfo_;
  const std::string description_;
  std::unique_ptr<PgDatabase> writer_ ABSL_GUARDED_BY(write_mu_);
  // Reader connections not in use; more are made when all are.
  absl::Mutex readers_mu_;
  std::vector<std::unique_ptr<PgDatabase>> idle_readers_ ABSL_GUARDED_BY(readers_mu_);
};

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_PG_STORE_H_
