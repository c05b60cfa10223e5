// The store's Database interface (server/store/database.h) holds the same on
// both engines: every case runs once on a SQLite file and once on a
// PostgreSQL database of the test cluster, with the same SQL (?N
// parameters), as the store's queries do.
#include "store/database.h"

#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "store/pg_database.h"
#include "store/sqlite_database.h"
#include "test_postgres.h"

namespace mayday::testing {
namespace {

using server::store_internal::Database;
using server::store_internal::PgDatabase;
using server::store_internal::SqliteDatabase;
using server::store_internal::StatementLease;
using server::store_internal::Transaction;
using server::store_internal::Violation;
using server::store_internal::ViolationOf;

enum class Engine { kSqlite, kPostgres };

// One database of the engine with the test's two tables, and further
// connections to it.
class Fixture {
 public:
  explicit Fixture(Engine engine) : engine_(engine) {
    if (engine == Engine::kSqlite) {
      std::string pattern = (std::filesystem::temp_directory_path() / "mayday-db-XXXXXX").string();
      REQUIRE(mkdtemp(pattern.data()) != nullptr);
      folder_ = pattern;
      target_ = folder_ + "/test.db";
    } else {
      target_ = NewTestDatabase();
    }
    db = Connect();
    const bool sqlite = engine == Engine::kSqlite;
    REQUIRE(db->Exec(sqlite ? "CREATE TABLE parents (id TEXT NOT NULL PRIMARY KEY, n INTEGER NOT "
                              "NULL, code TEXT UNIQUE, data BLOB) STRICT;"
                              "CREATE TABLE children (parent TEXT NOT NULL REFERENCES parents "
                              "(id), note TEXT NOT NULL) STRICT"
                            : "CREATE TABLE parents (id text NOT NULL PRIMARY KEY, n bigint NOT "
                              "NULL, code text UNIQUE, data bytea);"
                              "CREATE TABLE children (parent text NOT NULL REFERENCES parents "
                              "(id), note text NOT NULL)")
                .ok());
  }
  ~Fixture() {
    db.reset();
    if (!folder_.empty()) std::filesystem::remove_all(folder_);
  }

  std::unique_ptr<Database> Connect() {
    if (engine_ == Engine::kSqlite) {
      auto opened = SqliteDatabase::Open(target_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                         /*busy_timeout_ms=*/10'000);
      REQUIRE(opened.ok());
      REQUIRE((*opened)->Exec("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL").ok());
      return *std::move(opened);
    }
    auto connected = PgDatabase::Connect(target_, absl::Seconds(5));
    INFO(connected.status().ToString());
    REQUIRE(connected.ok());
    return *std::move(connected);
  }

  // Runs `sql` with the text parameters given, ?1 first.
  absl::Status Run(const std::string& sql, std::initializer_list<const char*> texts) {
    return Run(*db, sql, texts);
  }
  static absl::Status Run(Database& on, const std::string& sql,
                          std::initializer_list<const char*> texts) {
    absl::StatusOr<StatementLease> stmt = on.Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    int i = 0;
    for (const char* text : texts) {
      absl::Status bound = text == nullptr ? (*stmt)->BindNull(++i) : (*stmt)->BindText(++i, text);
      if (!bound.ok()) return bound;
    }
    return (*stmt)->Step().status();
  }

  int64_t Count(const std::string& table) {
    absl::StatusOr<StatementLease> stmt = db->Prepare("SELECT count(*) FROM " + table);
    REQUIRE(stmt.ok());
    REQUIRE(*(*stmt)->Step());
    return (*stmt)->ColumnInt64(0);
  }

  std::unique_ptr<Database> db;

 private:
  Engine engine_;
  std::string folder_;
  std::string target_;
};

Engine AnEngine() { return GENERATE(Engine::kSqlite, Engine::kPostgres); }

const char* NameOf(Engine engine) { return engine == Engine::kSqlite ? "SQLite" : "PostgreSQL"; }

TEST_CASE("SQLite's ?N parameters become PostgreSQL's $k, outside quotes and comments") {
  const auto [sql, pg, slots] = GENERATE(table<std::string, std::string, std::vector<int>>({
      {"SELECT 1", "SELECT 1", {0}},
      {"a = ?1 AND b = ?2", "a = $1 AND b = $2", {0, 1, 2}},
      // Numbered in order of first use; ?2 unused; ?1 twice.
      {"SET n = ?3 WHERE id = ?1 OR x = ?1", "SET n = $1 WHERE id = $2 OR x = $2", {0, 2, 0, 1}},
      {"?12", "$1", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
      {"'?1' || ?1", "'?1' || $1", {0, 1}},
      {"'it''s ?1' = ?1", "'it''s ?1' = $1", {0, 1}},
      {"\"odd?1\" = ?1", "\"odd?1\" = $1", {0, 1}},
      {"-- ?1 here\n?2", "-- ?1 here\n$1", {0, 0, 1}},
      {"/* ?1 */ ?2 /* ?3", "/* ?1 */ $1 /* ?3", {0, 0, 1}},
      {"a ? b", "a ? b", {0}},
  }));
  INFO(sql);
  const server::store_internal::PgSql translated = server::store_internal::ToPgSql(sql);
  CHECK(translated.text == pg);
  CHECK(translated.slot == slots);
  CHECK(translated.parameters == *std::max_element(slots.begin(), slots.end()));
}

TEST_CASE("The store's SQL binds, steps and reads the same on SQLite and PostgreSQL") {
  const Engine engine = AnEngine();
  INFO(NameOf(engine));
  Fixture f(engine);
  const std::string bytes("\0\x01\xfe snapshot", 12);
  {
    absl::StatusOr<StatementLease> insert =
        f.db->Prepare("INSERT INTO parents (id, n, code, data) VALUES (?1, ?2, ?3, ?4)");
    REQUIRE(insert.ok());
    REQUIRE((*insert)->BindText(1, "a").ok());
    REQUIRE((*insert)->BindInt64(2, -5'000'000'000).ok());
    REQUIRE((*insert)->BindNull(3).ok());
    REQUIRE((*insert)->BindBlob(4, bytes).ok());
    REQUIRE_FALSE(*(*insert)->Step());
    CHECK(f.db->changes() == 1);
  }
  {
    // Prepared once, run again through a new lease.
    absl::StatusOr<StatementLease> insert =
        f.db->Prepare("INSERT INTO parents (id, n, code, data) VALUES (?1, ?2, ?3, ?4)");
    REQUIRE(insert.ok());
    REQUIRE((*insert)->BindText(1, "b").ok());
    REQUIRE((*insert)->BindInt64(2, 7).ok());
    REQUIRE((*insert)->BindText(3, "B").ok());
    REQUIRE((*insert)->BindBlob(4, "").ok());
    REQUIRE_FALSE(*(*insert)->Step());
  }
  REQUIRE(f.Run("INSERT INTO parents (id, n, code, data) VALUES (?1, ?2, ?3, ?4)",
                {"c", "8", "C", nullptr})
              .ok());

  // ?1 twice; ?2 bound but not in the SQL, below the highest (?3): ignored.
  {
    absl::StatusOr<StatementLease> update =
        f.db->Prepare("UPDATE parents SET n = ?3 WHERE id = ?1 OR code = upper(?1)");
    REQUIRE(update.ok());
    REQUIRE((*update)->BindText(1, "b").ok());
    REQUIRE((*update)->BindInt64(2, 99).ok());
    REQUIRE((*update)->BindInt64(3, 70).ok());
    CHECK_FALSE((*update)->BindInt64(4, 1).ok());  // past the highest
    REQUIRE_FALSE(*(*update)->Step());
    CHECK(f.db->changes() == 1);
  }
  absl::StatusOr<StatementLease> rows =
      f.db->Prepare("SELECT id, n, code, data FROM parents WHERE n < ?1 ORDER BY id");
  REQUIRE(rows.ok());
  REQUIRE((*rows)->BindInt64(1, 100).ok());
  REQUIRE(*(*rows)->Step());
  CHECK((*rows)->ColumnText(0) == "a");
  CHECK((*rows)->ColumnInt64(1) == -5'000'000'000);
  CHECK((*rows)->ColumnIsNull(2));
  CHECK((*rows)->ColumnBlob(3) == bytes);
  REQUIRE(*(*rows)->Step());
  CHECK((*rows)->ColumnText(0) == "b");
  CHECK((*rows)->ColumnInt64(1) == 70);
  CHECK((*rows)->ColumnText(2) == "B");
  CHECK((*rows)->ColumnBlob(3).empty());
  CHECK_FALSE((*rows)->ColumnIsNull(3));  // an empty blob is not NULL
  REQUIRE(*(*rows)->Step());
  CHECK((*rows)->ColumnIsNull(3));
  CHECK_FALSE(*(*rows)->Step());
}

TEST_CASE("A refused write says which constraint, the same on both engines, and stores nothing") {
  const Engine engine = AnEngine();
  INFO(NameOf(engine));
  Fixture f(engine);
  const std::string insert = "INSERT INTO parents (id, n, code) VALUES (?1, ?2, ?3)";
  REQUIRE(f.Run(insert, {"a", "1", "A"}).ok());
  const auto [sql, values, violation] =
      GENERATE_COPY(table<std::string, std::vector<const char*>, Violation>({
          {insert, {"a", "2", "other"}, Violation::kPrimaryKey},
          {insert, {"b", "2", "A"}, Violation::kUnique},
          {insert, {"b", nullptr, "B"}, Violation::kOther},
          {"INSERT INTO children (parent, note) VALUES (?1, ?2)",
           {"nobody", "x"},
           Violation::kForeignKey},
      }));
  {
    absl::StatusOr<StatementLease> stmt = f.db->Prepare(sql);
    REQUIRE(stmt.ok());
    int i = 0;
    for (const char* value : values) {
      REQUIRE((value == nullptr ? (*stmt)->BindNull(++i) : (*stmt)->BindText(++i, value)).ok());
    }
    absl::Status refused = (*stmt)->Step().status();
    INFO(refused.ToString());
    CHECK_FALSE(refused.ok());
    CHECK(ViolationOf(refused) == violation);
  }
  CHECK(f.Count("parents") == 1);
  CHECK(f.Count("children") == 0);
}

TEST_CASE("Transactions commit, roll back, and nest as savepoints on both engines") {
  const Engine engine = AnEngine();
  INFO(NameOf(engine));
  Fixture f(engine);
  const std::string insert = "INSERT INTO parents (id, n) VALUES (?1, ?2)";
  {
    absl::StatusOr<Transaction> dropped = Transaction::Begin(*f.db);
    REQUIRE(dropped.ok());
    REQUIRE(f.Run(insert, {"dropped", "1"}).ok());
    CHECK_FALSE(f.db->autocommit());
  }
  CHECK(f.db->autocommit());
  CHECK(f.Count("parents") == 0);

  absl::StatusOr<Transaction> outer = Transaction::Begin(*f.db);
  REQUIRE(outer.ok());
  REQUIRE(f.Run(insert, {"kept", "1"}).ok());
  {
    absl::StatusOr<Transaction> inner = Transaction::Begin(*f.db);
    REQUIRE(inner.ok());
    REQUIRE(f.Run(insert, {"undone", "2"}).ok());
    // A refused write inside: on PostgreSQL it spoils the transaction up to
    // the savepoint, which rolling the inner one back mends.
    CHECK(ViolationOf(f.Run(insert, {"kept", "3"})) == Violation::kPrimaryKey);
  }
  {
    absl::StatusOr<Transaction> inner = Transaction::Begin(*f.db);
    REQUIRE(inner.ok());
    REQUIRE(f.Run(insert, {"released", "4"}).ok());
    REQUIRE(inner->Commit().ok());
  }
  REQUIRE(outer->Commit().ok());
  CHECK(f.db->autocommit());
  CHECK(f.Count("parents") == 2);
  absl::StatusOr<StatementLease> ids = f.db->Prepare("SELECT id FROM parents ORDER BY id");
  REQUIRE(ids.ok());
  REQUIRE(*(*ids)->Step());
  CHECK((*ids)->ColumnText(0) == "kept");
  REQUIRE(*(*ids)->Step());
  CHECK((*ids)->ColumnText(0) == "released");
}

TEST_CASE("A write transaction holds off another connection's until it ends, on both engines") {
  const Engine engine = AnEngine();
  INFO(NameOf(engine));
  Fixture f(engine);
  std::unique_ptr<Database> other = f.Connect();
  absl::StatusOr<Transaction> first = Transaction::Begin(*f.db);
  REQUIRE(first.ok());
  REQUIRE(f.Run("INSERT INTO parents (id, n) VALUES (?1, ?2)", {"first", "1"}).ok());

  std::atomic<bool> second_began{false};
  absl::Notification second_done;
  int64_t seen_by_second = -1;
  std::thread second([&] {
    absl::StatusOr<Transaction> txn = Transaction::Begin(*other);
    second_began = txn.ok();
    if (txn.ok()) {
      {
        // It reads what the first committed: the lock came after it.
        absl::StatusOr<StatementLease> count = other->Prepare("SELECT count(*) FROM parents");
        if (count.ok() && (*count)->Step().value_or(false)) {
          seen_by_second = (*count)->ColumnInt64(0);
        }
      }
      txn->Commit().IgnoreError();
    }
    second_done.Notify();
  });
  // Still waiting while the first is open.
  CHECK_FALSE(second_done.WaitForNotificationWithTimeout(absl::Milliseconds(300)));
  CHECK_FALSE(second_began);
  REQUIRE(first->Commit().ok());
  CHECK(second_done.WaitForNotificationWithTimeout(absl::Seconds(10)));
  second.join();
  CHECK(second_began);
  CHECK(seen_by_second == 1);
}

}  // namespace
}  // namespace mayday::testing
