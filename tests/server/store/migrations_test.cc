// Opening a file: a new one is migrated to the latest schema, an up-to-date
// one is left alone, one from a newer Mayday or not a database is refused.
#include "store/migrations.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "store/sqlite_database.h"
#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using store_internal::LatestSchemaVersion;
using testing::QueryInt;
using testing::QueryText;

TEST_CASE("Open creates a file at the latest schema version", "[store][migrations]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  { testing::OpenStore(path); }

  CHECK(QueryInt(path, "SELECT max(version) FROM schema_migrations") == LatestSchemaVersion());
  CHECK(QueryInt(path, "SELECT count(*) FROM schema_migrations") == LatestSchemaVersion());
  CHECK(QueryText(path, "PRAGMA journal_mode") == "wal");
  for (const char* table : {"cases", "case_events", "tokens"}) {
    INFO("table " << table);
    CHECK(QueryInt(path, std::string("SELECT count(*) FROM sqlite_schema WHERE "
                                     "type = 'table' AND name = '") +
                             table + "'") == 1);
  }
  CHECK(testing::CheckIntegrity(path) == "ok");
}

TEST_CASE("Reopening an up-to-date file changes nothing", "[store][migrations]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  { testing::OpenStore(path); }
  const int64_t applied =
      QueryInt(path, "SELECT applied_time_us FROM schema_migrations WHERE version = 1");
  const int64_t schema_cookie = QueryInt(path, "PRAGMA schema_version");
  { testing::OpenStore(path); }
  CHECK(QueryInt(path, "SELECT count(*) FROM schema_migrations") == LatestSchemaVersion());
  CHECK(QueryInt(path,
                 "SELECT applied_time_us FROM schema_migrations WHERE "
                 "version = 1") == applied);
  CHECK(QueryInt(path, "PRAGMA schema_version") == schema_cookie);
}

// Case `c` ("cases/{id}") as a row of an old file: the columns of schema 1.
void InsertOldCase(store_internal::Database& db, const mayday::v1::Case& c) {
  std::string blob;
  REQUIRE(c.SerializeToString(&blob));
  auto insert = db.Prepare(
      "INSERT INTO cases (id, member, request_id, kind, state, create_time_us, "
      "last_sequence, snapshot) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  REQUIRE(insert.ok());
  REQUIRE((*insert)->BindText(1, c.name().substr(std::string("cases/").size())).ok());
  REQUIRE((*insert)->BindText(2, c.member()).ok());
  REQUIRE((*insert)->BindText(3, c.request_id()).ok());
  REQUIRE((*insert)->BindInt64(4, c.kind()).ok());
  REQUIRE((*insert)->BindInt64(5, c.state()).ok());
  REQUIRE((*insert)
              ->BindInt64(6, c.create_time().seconds() * 1'000'000 + c.create_time().nanos() / 1000)
              .ok());
  REQUIRE((*insert)->BindInt64(7, c.last_sequence()).ok());
  REQUIRE((*insert)->BindBlob(8, blob).ok());
  REQUIRE((*insert)->Step().ok());
}

// A file as Mayday left it at schema version 2 (before admin tokens and the
// responder column): an operator token and an assigned case.
void WriteVersion2File(const std::string& path, const mayday::v1::Case& assigned) {
  std::unique_ptr<store_internal::SqliteDatabase> db = testing::WriteSchemaFile(path, 2);
  REQUIRE(db->Exec("INSERT INTO tokens VALUES ('" + std::string(64, 'a') +
                   "', 'operator', 'desk-1', 1, 0)")
              .ok());
  InsertOldCase(*db, assigned);
}

TEST_CASE("A version 2 file gains admin tokens and the responder column", "[store][migrations]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  mayday::v1::Case assigned = testing::NewCase("c1", "members/m", "r");
  assigned.set_state(mayday::v1::CASE_STATE_ASSIGNED);
  assigned.set_responder("responders/tow-1");
  WriteVersion2File(path, assigned);

  std::unique_ptr<Store> store = testing::OpenStore(path);
  CHECK(QueryInt(path, "SELECT max(version) FROM schema_migrations") == LatestSchemaVersion());
  // The token kept, the case's responder filled in from its snapshot.
  CHECK(store->FindToken(std::string(64, 'a'))->subject == "desk-1");
  CHECK(QueryText(path, "SELECT responder FROM cases WHERE id = 'c1'") == "responders/tow-1");
  CaseFilter by_responder;
  by_responder.responder = "responders/tow-1";
  CHECK(store->ListCases(by_responder, 10, "")->cases.size() == 1);
  // Admin tokens are accepted now.
  TokenRecord admin;
  admin.token_hash = std::string(64, 'b');
  admin.role = Role::kAdmin;
  admin.subject = "root";
  CHECK(store->PutToken(admin).ok());
  CHECK(testing::CheckIntegrity(path) == "ok");
}

TEST_CASE("A version 5 file's cases are marked open or closed, and stay so",
          "[store][migrations]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  {
    std::unique_ptr<store_internal::SqliteDatabase> db = testing::WriteSchemaFile(path, 5);
    // state: 1 dispatching, 2 assigned, 5 resolved, 6 cancelled, 7 escalated.
    for (const auto& [id, state] : std::vector<std::pair<std::string, int>>{
             {"c1", 1}, {"c2", 2}, {"c3", 5}, {"c4", 6}, {"c5", 7}}) {
      mayday::v1::Case c = testing::NewCase(id, "members/m-" + id, "r");
      c.set_state(static_cast<mayday::v1::CaseState>(state));
      InsertOldCase(*db, c);
    }
  }
  std::unique_ptr<Store> store = testing::OpenStore(path);
  CHECK(QueryText(path,
                  "SELECT group_concat(id) FROM (SELECT id FROM cases WHERE closed = 1 "
                  "ORDER BY id)") == "c3,c4");
  auto open = store->ListOpenCases();
  REQUIRE(open.ok());
  std::vector<std::string> names;
  for (const OpenCase& c : *open) names.push_back(c.snapshot.name());
  CHECK(names == std::vector<std::string>{"cases/c1", "cases/c2", "cases/c5"});

  // Later steps keep the column right: resolving closes, other steps do not.
  auto [escalated, escalation] =
      testing::NextStep(*store->GetCase("c1"), mayday::v1::CASE_STATE_ESCALATED);
  REQUIRE(store->AppendEvent(escalated, escalation).ok());
  CHECK(QueryInt(path, "SELECT closed FROM cases WHERE id = 'c1'") == 0);
  CHECK(QueryInt(path, "SELECT state FROM cases WHERE id = 'c1'") == 7);
  auto [resolved, resolution] = testing::NextStep(escalated, mayday::v1::CASE_STATE_RESOLVED);
  REQUIRE(store->AppendEvent(resolved, resolution).ok());
  CHECK(QueryInt(path, "SELECT closed FROM cases WHERE id = 'c1'") == 1);
  CHECK(store->ListOpenCases()->size() == 2);
  CHECK(testing::CheckIntegrity(path) == "ok");
}

TEST_CASE("A file from a newer Mayday is refused and left alone", "[store][migrations]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  { testing::OpenStore(path); }
  const int future = LatestSchemaVersion() + 1;
  testing::Exec(path, "INSERT INTO schema_migrations VALUES (" + std::to_string(future) +
                          ", 'from the future', 0)");

  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
  INFO(store.status().ToString());
  CHECK(store.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(QueryInt(path, "SELECT max(version) FROM schema_migrations") == future);
}

TEST_CASE("Open reports files it cannot use as UNAVAILABLE", "[store][migrations]") {
  testing::ScratchDir dir;
  SECTION("missing directory") {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.File("no/such/dir/mayday.db"));
    INFO(store.status().ToString());
    CHECK(store.status().code() == absl::StatusCode::kUnavailable);
  }
  SECTION("not a database") {
    const std::string path = dir.File("notes.txt");
    std::ofstream(path) << std::string(4096, 'x');
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
    INFO(store.status().ToString());
    CHECK(store.status().code() == absl::StatusCode::kUnavailable);
  }
}

TEST_CASE("Open refuses a VFS that is not registered", "[store][migrations]") {
  testing::ScratchDir dir;
  StoreOptions options;
  options.vfs = "no-such-vfs";
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir.File("mayday.db"), options);
  INFO(store.status().ToString());
  CHECK(store.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(store.status().message()),
             Catch::Matchers::Contains("no SQLite VFS is registered as \"no-such-vfs\""));
}

}  // namespace
}  // namespace mayday::server
