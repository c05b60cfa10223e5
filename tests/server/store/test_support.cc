// Shared fixtures of the store tests; see test_support.h.
#include "test_support.h"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <random>

#include "absl/synchronization/notification.h"
#include "store/migrations.h"
#include "store/pg_database.h"
#include "test_postgres.h"

namespace mayday::server::testing {
namespace {

// A connection that closes itself.
struct RawDb {
  explicit RawDb(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
  }
  ~RawDb() { sqlite3_close_v2(db); }
  sqlite3* db = nullptr;
};

}  // namespace

ScratchDir::ScratchDir() {
  static std::atomic<int> counter{0};
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() /
          ("mayday-store-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
           "-" + std::to_string(random()));
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ScratchDir::File(const std::string& name) const { return (path_ / name).string(); }

std::unique_ptr<Store> OpenStore(const std::string& path) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}

const char* EngineName(Engine engine) {
  return engine == Engine::kSqlite ? "SQLite" : "PostgreSQL";
}

StoreTarget::StoreTarget(Engine engine, const ScratchDir& dir, const std::string& file)
    : engine_(engine) {
  if (engine == Engine::kSqlite) {
    target_ = dir.File(file);
    return;
  }
  target_ = mayday::testing::NewTestDatabase();
}

std::unique_ptr<Store> StoreTarget::Open(const StoreOptions& options) const {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(target_, options);
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return *std::move(store);
}

std::unique_ptr<store_internal::Database> StoreTarget::Connect() const {
  if (engine_ == Engine::kSqlite) {
    auto db = store_internal::SqliteDatabase::Open(target_, SQLITE_OPEN_READWRITE, 5000);
    INFO(db.status().ToString());
    REQUIRE(db.ok());
    return *std::move(db);
  }
  auto db = store_internal::PgDatabase::Connect(target_, absl::Seconds(5));
  INFO(db.status().ToString());
  REQUIRE(db.ok());
  return *std::move(db);
}

template <typename T, typename Read>
T StoreTarget::FirstColumn(const std::string& sql, T none, Read read) const {
  std::unique_ptr<store_internal::Database> db = Connect();
  absl::StatusOr<store_internal::StatementLease> query = db->Prepare(sql);
  INFO(sql << ": " << query.status().ToString());
  REQUIRE(query.ok());
  absl::StatusOr<bool> row = (*query)->Step();
  INFO(row.status().ToString());
  REQUIRE(row.ok());
  return *row ? read(**query) : none;
}

int64_t StoreTarget::QueryInt(const std::string& sql) const {
  if (engine_ == Engine::kSqlite) return testing::QueryInt(target_, sql);
  return FirstColumn<int64_t>(
      sql, 0, [](const store_internal::Statement& row) { return row.ColumnInt64(0); });
}

std::string StoreTarget::QueryText(const std::string& sql) const {
  if (engine_ == Engine::kSqlite) return testing::QueryText(target_, sql);
  return FirstColumn<std::string>(
      sql, "", [](const store_internal::Statement& row) { return std::string(row.ColumnText(0)); });
}

void StoreTarget::Exec(const std::string& sql) const {
  if (engine_ == Engine::kSqlite) return testing::Exec(target_, sql);
  absl::Status status = Connect()->Exec(sql);
  INFO(sql << ": " << status.ToString());
  REQUIRE(status.ok());
}

std::string StoreTarget::CheckIntegrity() const {
  return engine_ == Engine::kSqlite ? testing::CheckIntegrity(target_) : "ok";
}

mayday::v1::Case NewCase(const std::string& id, const std::string& member,
                         const std::string& request_id, mayday::v1::CaseKind kind,
                         int64_t create_time_us) {
  mayday::v1::Case snapshot;
  snapshot.set_name("cases/" + id);
  snapshot.set_member(member);
  snapshot.set_request_id(request_id);
  snapshot.set_kind(kind);
  snapshot.set_state(mayday::v1::CASE_STATE_DISPATCHING);
  snapshot.set_note("blue car, hazard lights on");
  snapshot.mutable_location()->set_latitude(48.8566);
  snapshot.mutable_location()->set_longitude(2.3522);
  snapshot.mutable_create_time()->set_seconds(create_time_us / 1'000'000);
  snapshot.mutable_create_time()->set_nanos(create_time_us % 1'000'000 * 1'000);
  *snapshot.mutable_update_time() = snapshot.create_time();
  snapshot.set_last_sequence(1);
  return snapshot;
}

mayday::v1::CaseEvent RaisedEvent(const mayday::v1::Case& snapshot) {
  mayday::v1::CaseEvent event;
  event.set_case_(snapshot.name());
  event.set_sequence(1);
  *event.mutable_event_time() = snapshot.create_time();
  event.set_state(snapshot.state());
  event.set_actor(snapshot.member());
  event.mutable_raised()->set_kind(snapshot.kind());
  *event.mutable_raised()->mutable_location() = snapshot.location();
  event.mutable_raised()->set_note(snapshot.note());
  return event;
}

std::pair<mayday::v1::Case, mayday::v1::CaseEvent> NextStep(const mayday::v1::Case& current,
                                                            mayday::v1::CaseState state) {
  mayday::v1::Case next = current;
  next.set_state(state);
  next.set_last_sequence(current.last_sequence() + 1);
  next.mutable_update_time()->set_seconds(current.update_time().seconds() + 1);
  mayday::v1::CaseEvent event;
  event.set_case_(current.name());
  event.set_sequence(next.last_sequence());
  *event.mutable_event_time() = next.update_time();
  event.set_state(state);
  event.set_actor("dispatch");
  event.mutable_progressed()->set_responder("responders/r1");
  return {next, event};
}

int64_t QueryInt(const std::string& path, const std::string& sql) {
  RawDb raw(path);
  sqlite3_stmt* stmt = nullptr;
  INFO(sql);
  REQUIRE(sqlite3_prepare_v2(raw.db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  int64_t value = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  return value;
}

std::string QueryText(const std::string& path, const std::string& sql) {
  RawDb raw(path);
  sqlite3_stmt* stmt = nullptr;
  INFO(sql);
  REQUIRE(sqlite3_prepare_v2(raw.db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::string text;
  if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  return text;
}

void Exec(const std::string& path, const std::string& sql) {
  RawDb raw(path);
  char* error = nullptr;
  int rc = sqlite3_exec(raw.db, sql.c_str(), nullptr, nullptr, &error);
  INFO(sql << ": " << (error != nullptr ? error : ""));
  sqlite3_free(error);
  REQUIRE(rc == SQLITE_OK);
}

std::string CheckIntegrity(const std::string& path) {
  std::string integrity = QueryText(path, "PRAGMA integrity_check");
  if (integrity != "ok") return integrity;
  // foreign_key_check returns one row per violation, none when all is well.
  if (int64_t violations = QueryInt(path, "SELECT count(*) FROM pragma_foreign_key_check");
      violations != 0) {
    return std::to_string(violations) + " foreign key violations";
  }
  return "ok";
}

absl::Status Write(Store& store, WriteJob job) {
  absl::Notification done;
  absl::Status outcome;
  store.Submit(std::move(job), [&](absl::Status status) {
    outcome = status;
    done.Notify();
  });
  done.WaitForNotification();
  return outcome;
}

int RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return rc;
}

std::unique_ptr<store_internal::SqliteDatabase> WriteSchemaFile(const std::string& path,
                                                                int version) {
  auto db =
      store_internal::SqliteDatabase::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1000);
  REQUIRE(db.ok());
  REQUIRE((*db)->Exec("PRAGMA journal_mode = WAL").ok());
  REQUIRE((*db)
              ->Exec("CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, "
                     "description TEXT NOT NULL, applied_time_us INTEGER NOT NULL) STRICT")
              .ok());
  for (const auto& migration : store_internal::AllMigrations().subspan(0, version)) {
    REQUIRE((*db)->Exec(migration.sql).ok());
    if (migration.backfill != nullptr) REQUIRE(migration.backfill(**db).ok());
    REQUIRE((*db)
                ->Exec("INSERT INTO schema_migrations VALUES (" +
                       std::to_string(migration.version) + ", 'old', 0)")
                .ok());
  }
  return *std::move(db);
}

}  // namespace mayday::server::testing
