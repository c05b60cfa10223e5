// The serving lock of a SQLite file; see serving_lock.h.
#include "store/serving_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "store/store.h"

namespace mayday::server {
namespace {

// flock on "<file>-lock"; released when the descriptor closes.
class FileLock final : public ServingLock {
 public:
  explicit FileLock(int fd) : fd_(fd) {}
  ~FileLock() override { ::close(fd_); }

 private:
  const int fd_;
};

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

absl::StatusOr<std::unique_ptr<ServingLock>> ServingLock::Take(const std::string& target) {
  if (IsPostgresTarget(target)) {
    return absl::InvalidArgumentError(
        "replicas share a PostgreSQL database: no serving lock (store/dispatch_lease.h)");
  }
  absl::string_view path = target;
  absl::ConsumePrefix(&path, "sqlite:");
  if (absl::Status s = CheckDatabaseFolder(std::string(path)); !s.ok()) return s;
  return TakeFileLock(std::string(path));
}

}  // namespace mayday::server
