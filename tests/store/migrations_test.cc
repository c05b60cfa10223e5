// Opening a file: a new one is migrated to the latest schema, an up-to-date
// one is left alone, one from a newer Mayday or not a database is refused.
#include "store/migrations.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using store_internal::LatestSchemaVersion;
using testing::QueryInt;
using testing::QueryText;

TEST_CASE("Open creates a file at the latest schema version",
          "[store][migrations]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  { testing::OpenStore(path); }

  CHECK(QueryInt(path, "SELECT max(version) FROM schema_migrations") ==
        LatestSchemaVersion());
  CHECK(QueryInt(path, "SELECT count(*) FROM schema_migrations") ==
        LatestSchemaVersion());
  CHECK(QueryText(path, "PRAGMA journal_mode") == "wal");
  for (const char* table : {"cases", "case_events", "tokens"}) {
    INFO("table " << table);
    CHECK(QueryInt(path, std::string("SELECT count(*) FROM sqlite_schema WHERE "
                                     "type = 'table' AND name = '") +
                             table + "'") == 1);
  }
  CHECK(testing::CheckIntegrity(path) == "ok");
}

TEST_CASE("Reopening an up-to-date file changes nothing",
          "[store][migrations]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  { testing::OpenStore(path); }
  const int64_t applied = QueryInt(
      path, "SELECT applied_time_us FROM schema_migrations WHERE version = 1");
  const int64_t schema_cookie = QueryInt(path, "PRAGMA schema_version");
  { testing::OpenStore(path); }
  CHECK(QueryInt(path, "SELECT count(*) FROM schema_migrations") ==
        LatestSchemaVersion());
  CHECK(QueryInt(path,
                 "SELECT applied_time_us FROM schema_migrations WHERE "
                 "version = 1") == applied);
  CHECK(QueryInt(path, "PRAGMA schema_version") == schema_cookie);
}

TEST_CASE("A file from a newer Mayday is refused and left alone",
          "[store][migrations]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  { testing::OpenStore(path); }
  const int future = LatestSchemaVersion() + 1;
  testing::Exec(path, "INSERT INTO schema_migrations VALUES (" +
                          std::to_string(future) + ", 'from the future', 0)");

  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(path);
  INFO(store.status().ToString());
  CHECK(store.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(QueryInt(path, "SELECT max(version) FROM schema_migrations") == future);
}

TEST_CASE("Open reports files it cannot use as UNAVAILABLE",
          "[store][migrations]") {
  testing::ScratchDir dir;
  SECTION("missing directory") {
    absl::StatusOr<std::unique_ptr<Store>> store =
        Store::Open(dir.File("no/such/dir/mayday.db"));
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

}  // namespace
}  // namespace mayday::server
