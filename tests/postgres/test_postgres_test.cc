// The test cluster itself: it starts, hands each test a database of its own,
// and leaves no server and no folder behind.
#include "test_postgres.h"

#include <signal.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>

#include "store/pg_connection.h"

namespace mayday::testing {
namespace {

using server::store_internal::PgConnection;
using server::store_internal::PgRows;

TEST_CASE("A test cluster gives each test a database of its own and leaves nothing behind") {
  absl::StatusOr<std::unique_ptr<TestPostgres>> cluster = TestPostgres::Start();
  REQUIRE(cluster.ok());
  const std::string folder = (*cluster)->folder();
  const pid_t pid = (*cluster)->pid();
  absl::StatusOr<std::string> first = (*cluster)->NewDatabase();
  absl::StatusOr<std::string> second = (*cluster)->NewDatabase();
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(*first != *second);

  auto one = PgConnection::Connect(*first, absl::Seconds(5));
  auto two = PgConnection::Connect(*second, absl::Seconds(5));
  REQUIRE(one.ok());
  REQUIRE(two.ok());
  REQUIRE((*one)->Exec("CREATE TABLE only_here (x bigint)").ok());
  CHECK((*one)->Exec("SELECT * FROM only_here").ok());
  absl::StatusOr<PgRows> elsewhere = (*two)->Exec("SELECT * FROM only_here");
  CHECK(elsewhere.status().code() == absl::StatusCode::kInternal);
  CHECK(server::store_internal::PgSqlState(elsewhere.status()) == "42P01");  // undefined table
  CHECK((*one)->server_version() >= 150000);

  one->reset();
  two->reset();
  cluster->reset();
  CHECK_FALSE(std::filesystem::exists(folder));
  CHECK(kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
}

}  // namespace
}  // namespace mayday::testing
