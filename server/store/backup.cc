// maydayd backup; see backup.h.
#include "store/backup.h"

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "store/store.h"

namespace mayday::server {
namespace {

// Pages copied per step: small enough that a step seldom meets a commit.
constexpr int kPagesPerStep = 1024;
// How often a step may start again before the copy gives up (maydayd
// committing all the time on a slow disk).
constexpr int kMaxBusySteps = 10'000;

struct Closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, Closer>;

absl::StatusOr<Connection> OpenFile(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  Connection owned(db);
  if (rc != SQLITE_OK) {
    return absl::UnavailableError(absl::StrCat(
        "cannot open ", path, ": ", db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db, 5000);
  return owned;
}

absl::StatusOr<int64_t> Scalar(sqlite3* db, const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    return absl::UnavailableError(sqlite3_errmsg(db));
  }
  const int rc = sqlite3_step(stmt);
  const int64_t value = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return absl::UnavailableError(sqlite3_errmsg(db));
  return value;
}

absl::StatusOr<BackupResult> Copy(const std::string& from, const std::string& to) {
  auto source = OpenFile(from, SQLITE_OPEN_READONLY);
  if (!source.ok()) return source.status();
  auto copy = OpenFile(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!copy.ok()) return copy.status();
  sqlite3_backup* backup = sqlite3_backup_init(copy->get(), "main", source->get(), "main");
  if (backup == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot start the copy: ", sqlite3_errmsg(copy->get())));
  }
  int rc = SQLITE_OK;
  for (int busy = 0; busy < kMaxBusySteps;) {
    rc = sqlite3_backup_step(backup, kPagesPerStep);
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      ++busy;
      ::usleep(1000);
      continue;
    }
    if (rc != SQLITE_OK) break;
  }
  BackupResult result;
  result.pages = sqlite3_backup_pagecount(backup);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    return absl::UnavailableError(absl::StrCat("the copy stopped: ", sqlite3_errstr(rc), " (",
                                               sqlite3_errmsg(copy->get()), ")"));
  }
  sqlite3_stmt* check = nullptr;
  std::string verdict = "no answer";
  if (sqlite3_prepare_v2(copy->get(), "PRAGMA integrity_check", -1, &check, nullptr) == SQLITE_OK &&
      sqlite3_step(check) == SQLITE_ROW) {
    verdict = reinterpret_cast<const char*>(sqlite3_column_text(check, 0));
  }
  sqlite3_finalize(check);
  if (verdict != "ok") {
    return absl::DataLossError(absl::StrCat("the copy ", to, " fails its check: ", verdict));
  }
  auto cases = Scalar(copy->get(), "SELECT COUNT(*) FROM cases");
  if (!cases.ok()) return cases.status();
  result.cases = *cases;
  result.bytes = static_cast<int64_t>(std::filesystem::file_size(to));
  return result;
}

}  // namespace

absl::StatusOr<BackupResult> BackupStore(const std::string& from, const std::string& to) {
  if (IsPostgresTarget(from)) {
    return absl::InvalidArgumentError(
        "maydayd backup copies a SQLite file; back up a PostgreSQL store with pg_dump or "
        "pg_basebackup (docs/operations.md)");
  }
  const std::string path =
      absl::StartsWith(from, "sqlite:") ? from.substr(sizeof("sqlite:") - 1) : from;
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return absl::NotFoundError(absl::StrCat("no database at ", path));
  }
  if (std::filesystem::exists(to, error)) {
    return absl::AlreadyExistsError(
        absl::StrCat(to, " exists; a backup never overwrites: give a new file"));
  }
  absl::StatusOr<BackupResult> result = Copy(path, to);
  if (!result.ok()) std::filesystem::remove(to, error);
  return result;
}

}  // namespace mayday::server
