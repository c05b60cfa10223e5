// mayday-seed, the restart benchmark's history, as the benchmark runs it:
// the file it writes must hold the cases asked for, open (of every shape)
// and closed, in the order they were created (ids and time-ordered indexes
// then grow at their end, as in service), and maydayd must start on it, or
// the restart figure measures another file.
#include <sqlite3.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "../sdk_faults/child_process.h"
#include "absl/time/clock.h"
#include "daemon.h"

namespace mayday::testing {
namespace {

// The one integer `sql` selects from the file at `path`.
int64_t Select(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  const int prepared = sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr);
  INFO(sql << ": " << sqlite3_errmsg(db));
  REQUIRE(prepared == SQLITE_OK);
  REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
  const int64_t value = sqlite3_column_int64(statement, 0);
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return value;
}

TEST_CASE("mayday-seed writes a year of cases in the order they happened") {
  Scratch scratch;
  const std::string db = (scratch.dir / "seed.db").string();
  ChildProcess seed({MAYDAY_SEED_BINARY, "--db", db, "--cases", "20000", "--open", "2000"});
  const std::string line = seed.ReadLine(absl::Seconds(60)).value_or("");
  CHECK(line.find("\"cases\":20000,\"open\":2000") != std::string::npos);
  const auto status = seed.Wait(absl::Seconds(30));
  REQUIRE(status.has_value());
  REQUIRE(WIFEXITED(*status));
  REQUIRE(WEXITSTATUS(*status) == 0);

  CHECK(Select(db, "SELECT count(*) FROM cases") == 20000);
  CHECK(Select(db, "SELECT count(*) FROM cases WHERE closed = 0") == 2000);
  // The open ones dispatching, escalated and assigned; the rest resolved or
  // cancelled.
  CHECK(Select(db, "SELECT count(DISTINCT state) FROM cases WHERE closed = 0") == 3);
  CHECK(Select(db, "SELECT count(DISTINCT state) FROM cases WHERE closed = 1") == 2);
  // Written in creation order, each id starting with its creation time.
  CHECK(Select(db,
               "SELECT count(*) FROM cases a JOIN cases b ON b.rowid = a.rowid + 1 "
               "WHERE b.create_time_us < a.create_time_us") == 0);
  CHECK(Select(db,
               "SELECT count(*) FROM cases "
               "WHERE substr(id, 1, 14) != printf('%014x', create_time_us)") == 0);
  // Over the year before now.
  const int64_t now_us = absl::ToUnixMicros(absl::Now());
  const int64_t year_us = int64_t{365} * 86400 * 1'000'000;
  CHECK(Select(db, "SELECT min(create_time_us) FROM cases") >= now_us - year_us - 60'000'000);
  CHECK(Select(db, "SELECT max(create_time_us) FROM cases") < now_us);
  CHECK(Select(db, "SELECT max(create_time_us) - min(create_time_us) FROM cases") >
        year_us * 9 / 10);
  // Each open case assigned to a crew of its own: maydayd takes them back
  // and serves (two open cases on one crew, it refuses to start).
  CHECK(Select(db,
               "SELECT count(*) - count(DISTINCT responder) FROM cases "
               "WHERE closed = 0 AND responder IS NOT NULL") == 0);
  CHECK_NOTHROW(Daemon(MAYDAYD_BINARY, db));
}

}  // namespace
}  // namespace mayday::testing
