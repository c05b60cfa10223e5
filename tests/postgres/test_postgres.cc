// TestPostgres; see test_postgres.h.
#include "test_postgres.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "store/pg_connection.h"

namespace mayday::testing {
namespace {

namespace fs = std::filesystem;

// The port only names the socket file in the cluster's own folder.
constexpr int kPort = 5432;

// Who the server runs as: the postgres user when we are root.
struct RunAs {
  uid_t uid;
  gid_t gid;
};

// The folder with initdb and postgres: $MAYDAY_PG_BINDIR, else Debian's
// newest /usr/lib/postgresql/N/bin.
std::optional<fs::path> BinDir() {
  if (const char* dir = std::getenv("MAYDAY_PG_BINDIR"); dir != nullptr && *dir != '\0') {
    return fs::path(dir);
  }
  std::optional<fs::path> best;
  int best_major = 0;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator("/usr/lib/postgresql", error)) {
    int major = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &major)) continue;
    if (major > best_major && fs::exists(entry.path() / "bin" / "postgres") &&
        fs::exists(entry.path() / "bin" / "initdb")) {
      best_major = major;
      best = entry.path() / "bin";
    }
  }
  return best;
}

// The last lines of `path`, for a failure's message.
std::string Tail(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  if (all.size() > 2000) all = all.substr(all.size() - 2000);
  return all;
}

// Starts `argv` with stdout and stderr into `log`, as `run_as` if set, and
// sent SIGQUIT if this thread ends before it.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const fs::path& log,
                            const std::optional<RunAs>& run_as) {
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::InternalError(absl::StrCat("cannot open ", log.string()));
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    // A session of its own: a Ctrl-C meant for the tests is not its.
    setsid();
    if (run_as.has_value()) {
      if (setgroups(0, nullptr) != 0 || setgid(run_as->gid) != 0 || setuid(run_as->uid) != 0) {
        _exit(126);
      }
    }
    // After setuid, which clears it.
    prctl(PR_SET_PDEATHSIG, SIGQUIT);
    if (getppid() != parent) _exit(125);
    execv(args[0], args.data());
    _exit(127);
  }
  close(log_fd);
  return pid;
}

// Waits up to `limit` for `pid` to exit; its exit status, or nullopt.
std::optional<int> WaitExit(pid_t pid, absl::Duration limit) {
  const absl::Time deadline = absl::Now() + limit;
  while (true) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) return -1;
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

// Runs `argv` (as Spawn) to its end, up to `limit`; an error with `what`
// if it fails or takes longer.
absl::Status RunToEnd(const std::vector<std::string>& argv, const fs::path& log,
                      const std::optional<RunAs>& run_as, absl::Duration limit,
                      absl::string_view what) {
  absl::StatusOr<pid_t> pid = Spawn(argv, log, run_as);
  if (!pid.ok()) return pid.status();
  std::optional<int> exit = WaitExit(*pid, limit);
  if (!exit.has_value()) {
    kill(*pid, SIGKILL);
    WaitExit(*pid, absl::Seconds(5));
    return absl::InternalError(
        absl::StrCat(what, " did not finish within ", absl::FormatDuration(limit)));
  }
  if (!WIFEXITED(*exit) || WEXITSTATUS(*exit) != 0) {
    return absl::InternalError(absl::StrCat(what, " failed"));
  }
  return absl::OkStatus();
}

// A data folder initdb made, kept under the temp directory for every
// cluster of this user and this PostgreSQL to start from a copy of (initdb
// takes 2 s, a copy 0.5): made once, by whichever test gets there first
// (made aside, then renamed into place, so that no test copies half of
// one).
absl::StatusOr<fs::path> Template(const fs::path& bin, const std::optional<RunAs>& run_as) {
  std::error_code ignored;
  const auto built = fs::last_write_time(bin / "postgres", ignored).time_since_epoch().count();
  const fs::path path =
      fs::temp_directory_path() /
      absl::StrCat("mayday-pg-template-", geteuid(), "-",
                   std::hash<std::string>()(absl::StrCat(bin.string(), ":", built)));
  if (fs::exists(path / "data" / "PG_VERSION")) return path;
  std::string pattern = (fs::temp_directory_path() / "mayday-pg-making-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  const fs::path making(pattern);
  if (run_as.has_value() && chown(making.c_str(), run_as->uid, run_as->gid) != 0) {
    fs::remove_all(making, ignored);
    return absl::InternalError(absl::StrCat("chown ", making.string(), ": ", std::strerror(errno)));
  }
  const fs::path log = making / "initdb.log";
  absl::Status made =
      RunToEnd({(bin / "initdb").string(), "-D", (making / "data").string(), "-U", "mayday", "-A",
                "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
               log, run_as, absl::Seconds(120), "initdb");
  if (!made.ok()) {
    const std::string message = absl::StrCat(made.message(), "; its log:\n", Tail(log));
    fs::remove_all(making, ignored);
    return absl::InternalError(message);
  }
  // Another test may have made it meanwhile: then its stays, ours goes.
  if (rename(making.c_str(), path.c_str()) != 0) fs::remove_all(making, ignored);
  if (!fs::exists(path / "data" / "PG_VERSION")) {
    return absl::InternalError(absl::StrCat("no cluster template at ", path.string()));
  }
  return path;
}

std::string KeyValues(const std::string& folder, const std::string& database) {
  return absl::StrCat("host=", folder, " port=", kPort, " user=mayday dbname=", database,
                      " connect_timeout=5");
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestPostgres>> TestPostgres::Start() {
  std::optional<fs::path> bin = BinDir();
  if (!bin.has_value()) {
    return absl::FailedPreconditionError(
        "PostgreSQL's server programs are not installed (Debian package postgresql; "
        "tools/dev installs it), or set MAYDAY_PG_BINDIR to the folder with initdb and postgres");
  }
  std::optional<RunAs> run_as;
  if (geteuid() == 0) {
    const passwd* user = getpwnam("postgres");
    if (user == nullptr) {
      return absl::FailedPreconditionError(
          "the tests run as root and PostgreSQL refuses to: a postgres user is needed (Debian's "
          "postgresql package makes one)");
    }
    run_as = RunAs{user->pw_uid, user->pw_gid};
  }
  std::string pattern = (fs::temp_directory_path() / "mayday-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  const fs::path folder(pattern);
  if (run_as.has_value() && chown(folder.c_str(), run_as->uid, run_as->gid) != 0) {
    fs::remove_all(folder);
    return absl::InternalError(absl::StrCat("chown ", folder.string(), ": ", std::strerror(errno)));
  }
  const fs::path data = folder / "data";
  const fs::path log = folder / "postgres.log";
  const auto fail = [&](absl::string_view what) {
    std::string message = absl::StrCat(what, "; its log:\n", Tail(log));
    fs::remove_all(folder);
    return absl::InternalError(message);
  };

  absl::StatusOr<fs::path> made = Template(*bin, run_as);
  if (!made.ok()) return fail(made.status().message());
  if (absl::Status copied = RunToEnd({"/bin/cp", "-a", (*made / "data").string(), data.string()},
                                     log, run_as, absl::Seconds(60), "copying the template");
      !copied.ok()) {
    return fail(copied.message());
  }

  // Durable as in production (fsync, full page writes); small, since a
  // test's database is.
  absl::StatusOr<pid_t> server =
      Spawn({(*bin / "postgres").string(), "-D", data.string(), "-k", folder.string(), "-p",
             absl::StrCat(kPort), "-c", "listen_addresses=", "-c", "max_connections=200", "-c",
             "shared_buffers=32MB", "-c", "log_min_messages=warning"},
            log, run_as);
  if (!server.ok()) return fail(server.status().message());
  std::unique_ptr<TestPostgres> cluster(new TestPostgres(folder.string(), *server));
  const std::string ping = KeyValues(folder.string(), "postgres");
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (PQping(ping.c_str()) != PQPING_OK) {
    int status = 0;
    if (waitpid(*server, &status, WNOHANG) == *server) {
      cluster->pid_ = -1;
      return fail("the PostgreSQL server exited while starting");
    }
    if (absl::Now() >= deadline) return fail("the PostgreSQL server did not start within 60 s");
    absl::SleepFor(absl::Milliseconds(50));
  }
  return cluster;
}

absl::StatusOr<TestPostgres*> TestPostgres::Shared() {
  // Destroyed at exit, which stops the server.
  static absl::StatusOr<std::unique_ptr<TestPostgres>> shared = Start();
  if (!shared.ok()) return shared.status();
  return shared->get();
}

TestPostgres::~TestPostgres() {
  if (pid_ > 0) {
    kill(pid_, SIGINT);  // fast shutdown
    if (!WaitExit(pid_, absl::Seconds(30)).has_value()) {
      kill(pid_, SIGKILL);
      WaitExit(pid_, absl::Seconds(5));
    }
  }
  std::error_code ignored;
  fs::remove_all(folder_, ignored);
}

std::string TestPostgres::Uri(const std::string& name) const {
  return absl::StrCat("postgresql://mayday@/", name, "?host=", folder_, "&port=", kPort);
}

absl::StatusOr<std::string> TestPostgres::NewDatabase() {
  const std::string name = absl::StrCat("mayday_test_", ++databases_);
  absl::StatusOr<std::unique_ptr<server::store_internal::PgConnection>> admin =
      server::store_internal::PgConnection::Connect(KeyValues(folder_, "postgres"),
                                                    absl::Seconds(10));
  if (!admin.ok()) return admin.status();
  absl::StatusOr<server::store_internal::PgRows> created =
      (*admin)->Exec(absl::StrCat("CREATE DATABASE ", name));
  if (!created.ok()) return created.status();
  return Uri(name);
}

std::string NewTestDatabase() {
  absl::StatusOr<TestPostgres*> cluster = TestPostgres::Shared();
  INFO(cluster.status().ToString());
  REQUIRE(cluster.ok());
  absl::StatusOr<std::string> database = (*cluster)->NewDatabase();
  INFO(database.status().ToString());
  REQUIRE(database.ok());
  return *database;
}

}  // namespace mayday::testing
