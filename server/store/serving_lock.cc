// The serving lock of a file, and of a PostgreSQL database; see
// serving_lock.h.
#include "store/serving_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "store/pg_connection.h"
#include "store/store.h"

namespace mayday::server {
namespace {

using store_internal::PgConnection;
using store_internal::PgParams;
using store_internal::PgRows;

// The advisory lock one serving maydayd holds ("MAYDAY" and 3 in hex).
constexpr int64_t kServingLockKey = 0x4D41'5944'4159'0003;
// How often the PostgreSQL lock's connection is checked.
constexpr absl::Duration kCheckInterval = absl::Seconds(1);

// flock on "<file>-lock"; released when the descriptor closes.
class FileLock final : public ServingLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {}
  ~FileLock() override { ::close(fd_); }

 private:
  const int fd_;
};

// An advisory lock of PostgreSQL, held by `connection_` until it ends; a
// thread checks every second that the connection is still there.
class DatabaseLock final : public ServingLock {
 public:
  DatabaseLock(std::unique_ptr<PgConnection> connection,
               std::function<void(const absl::Status&)> on_lost, const base::Clock* clock)
      : connection_(std::move(connection)), on_lost_(std::move(on_lost)), clock_(clock) {
    watcher_ = std::thread([this] { Watch(); });
  }
  ~DatabaseLock() override {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    watcher_.join();
  }

 private:
  void Watch() {
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        if (clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopping_),
                                      clock_->Now() + kCheckInterval)) {
          return;
        }
      }
      absl::StatusOr<PgRows> alive = connection_->Exec("SELECT 1");
      if (alive.ok()) continue;
      if (on_lost_) {
        on_lost_(absl::UnavailableError(absl::StrCat(
            "the connection that holds this maydayd's lock on the PostgreSQL database broke (",
            alive.status().message(), "); another maydayd may serve it now")));
      }
      return;
    }
  }

  const std::unique_ptr<PgConnection> connection_;
  const std::function<void(const absl::Status&)> on_lost_;
  const base::Clock* const clock_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread watcher_;
};

absl::StatusOr<std::unique_ptr<ServingLock>> TakeDatabaseLock(
    const std::string& target, std::function<void(const absl::Status&)> on_lost,
    const base::Clock* clock) {
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      PgConnection::Connect(target, absl::Seconds(5));
  if (!connection.ok()) return connection.status();
  PgConnection& db = **connection;
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  // Who holds it, for the refusal of the next one to name.
  const std::string holder = absl::StrCat("maydayd pid ", ::getpid(), " on ", host);
  absl::StatusOr<PgRows> named =
      db.Query("SELECT set_config('application_name', $1, false)", PgParams().Text(holder));
  if (!named.ok()) return named.status();
  absl::StatusOr<PgRows> taken =
      db.Query("SELECT pg_try_advisory_lock($1)", PgParams().Int64(kServingLockKey));
  if (!taken.ok()) return taken.status();
  if (*taken->Int64(0, 0) != 0) {
    return std::unique_ptr<ServingLock>(
        new DatabaseLock(*std::move(connection), std::move(on_lost), clock));
  }
  // A bigint key is held as classid (its high half) and objid (its low).
  absl::StatusOr<PgRows> other = db.Query(
      "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
      "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 "
      "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      PgParams().Int64(kServingLockKey >> 32).Int64(kServingLockKey & 0xFFFF'FFFF));
  std::string who = "another maydayd";
  if (other.ok() && other->size() > 0) {
    absl::StatusOr<absl::string_view> name = other->Text(0, 0);
    absl::string_view rest = name.ok() ? *name : absl::string_view();
    if (absl::ConsumePrefix(&rest, "maydayd ")) who = absl::StrCat("another maydayd (", rest, ")");
  }
  return absl::AlreadyExistsError(
      absl::StrCat(who, " serves the PostgreSQL database ", db.Describe(),
                   "; one maydayd per database until dispatch can hand over between replicas"));
}

absl::StatusOr<std::unique_ptr<ServingLock>> TakeFileLock(const std::string& db_path) {
  const std::string path = db_path + "-lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open the lock file ", path, ": ", std::strerror(errno)));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char text[32] = {};
    const ssize_t got = ::pread(fd, text, sizeof(text) - 1, 0);
    ::close(fd);
    if (error != EWOULDBLOCK) {
      return absl::UnavailableError(absl::StrCat("cannot lock ", path, ": ", std::strerror(error)));
    }
    int pid = 0;
    const bool known =
        got > 0 && absl::SimpleAtoi(absl::StripAsciiWhitespace(absl::string_view(text)), &pid);
    const std::string name = std::filesystem::path(db_path).filename().string();
    return absl::AlreadyExistsError(
        absl::StrCat("another maydayd ", known ? absl::StrCat("(pid ", pid, ") ") : std::string(),
                     "serves ", name, " (", db_path, "); one server per database file"));
  }
  const std::string pid = absl::StrCat(::getpid(), "\n");
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The lock holds without the pid; a refusal then names no process.
  }
  return std::unique_ptr<ServingLock>(new FileLock(fd));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServingLock>> ServingLock::Take(
    const std::string& target, std::function<void(const absl::Status&)> on_lost,
    const base::Clock* clock) {
  if (IsPostgresTarget(target)) {
    return TakeDatabaseLock(target, std::move(on_lost),
                            clock != nullptr ? clock : base::SystemClock());
  }
  absl::string_view path = target;
  absl::ConsumePrefix(&path, "sqlite:");
  return TakeFileLock(std::string(path));
}

}  // namespace mayday::server
