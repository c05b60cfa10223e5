// A throw-away PostgreSQL cluster for tests, which CI does not run for us:
// a fresh folder under the temp directory with a copy of a data folder
// initdb made once (and kept there for the next tests), then the server
// started as a child of the test process, listening only on a Unix socket in
// that folder (no port to collide on). When the tests run as root the
// server runs as the `postgres` user, since PostgreSQL refuses root.
//
// The server is stopped (fast shutdown) and its folder removed when the
// object is destroyed; if the test process dies first, the kernel sends the
// server SIGQUIT (immediate shutdown), so a crashed test leaves no server
// behind. That signal comes when the thread that started the server ends:
// start it from the test's main thread.
#ifndef MAYDAY_TESTS_POSTGRES_TEST_POSTGRES_H_
#define MAYDAY_TESTS_POSTGRES_TEST_POSTGRES_H_

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace mayday::testing {

class TestPostgres {
 public:
  // initdb and start a new cluster, waiting (up to 60 s) until it accepts
  // connections. FAILED_PRECONDITION if PostgreSQL's programs are missing
  // (tools/dev installs them) or the postgres user is needed and missing;
  // INTERNAL with the tail of their log if initdb or the server fails.
  static absl::StatusOr<std::unique_ptr<TestPostgres>> Start();
  // The cluster the tests of this process share, started on first use and
  // stopped at exit. Each test takes a database of its own (NewDatabase).
  static absl::StatusOr<TestPostgres*> Shared();

  TestPostgres(const TestPostgres&) = delete;
  TestPostgres& operator=(const TestPostgres&) = delete;
  ~TestPostgres();

  // Creates an empty database with a new name and returns a libpq URI for
  // it ("postgresql://mayday@/mayday_test_3?host=/tmp/...&port=5432").
  absl::StatusOr<std::string> NewDatabase();

  // A URI for database `name` of this cluster.
  std::string Uri(const std::string& name) const;

  // The folder the cluster lives in (its socket is there too).
  const std::string& folder() const { return folder_; }
  // The postmaster's process id.
  pid_t pid() const { return pid_; }

 private:
  TestPostgres(std::string folder, pid_t pid) : folder_(std::move(folder)), pid_(pid) {}

  std::string folder_;
  pid_t pid_;
  std::atomic<int> databases_{0};
};

// A new database of the shared cluster, as a libpq URI; fails the Catch2
// test if there is none (and says why).
std::string NewTestDatabase();

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_POSTGRES_TEST_POSTGRES_H_
