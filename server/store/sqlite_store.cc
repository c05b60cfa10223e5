// Opening the store's SQLite file and running each call on the right
// connection under the right lock; see sqlite_store.h.
#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "store/codec.h"
#include "store/migrations.h"
#include "store/queries.h"

namespace mayday::server {
namespace store_internal {
namespace {

// Long enough for `maydayd token create` to finish its write; short enough
// that a stuck lock surfaces as UNAVAILABLE instead of a hung alert.
constexpr int kBusyTimeoutMs = 5000;
constexpr int kOpenFlags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX;

absl::Status OpenFailed(const std::string& path, const absl::Status& cause) {
  return absl::Status(cause.code(), absl::StrCat("cannot open the store at ",
                                                 path, ": ", cause.message()));
}

// Runs `pragma` and checks that it reports `expected`.
absl::Status SetPragma(Database& db, absl::string_view pragma,
                       absl::string_view expected) {
  absl::StatusOr<StatementLease> stmt = db.Prepare(pragma);
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  if (!expected.empty() && (!*row || (*stmt)->ColumnText(0) != expected)) {
    return absl::UnavailableError(
        absl::StrCat(pragma, " did not take effect (got \"",
                     *row ? (*stmt)->ColumnText(0) : "", "\")"));
  }
  return absl::OkStatus();
}

// Settings every connection needs; they are not stored in the file.
absl::Status Configure(Database& db) {
  absl::Status status = SetPragma(db, "PRAGMA foreign_keys = ON", "");
  // FULL: every commit fsyncs the WAL, so an OK write survives power loss.
  if (status.ok()) status = SetPragma(db, "PRAGMA synchronous = FULL", "");
  if (status.ok()) status = SetPragma(db, "PRAGMA synchronous", "2");
  return status;
}

// Makes the file's directory entry durable: SQLite syncs the directory when
// it creates a journal, not when it creates the database file itself.
absl::Status SyncDirectoryOf(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot open directory ", dir.string(), ": ", std::strerror(errno)));
  }
  int rc = ::fsync(fd);
  int error = errno;
  ::close(fd);
  // Some file systems cannot fsync a directory; they do not need to.
  if (rc != 0 && error != EINVAL && error != EROFS) {
    return absl::UnavailableError(absl::StrCat(
        "cannot sync directory ", dir.string(), ": ", std::strerror(error)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> SqliteStore::Open(
    const std::string& path) {
  absl::StatusOr<std::unique_ptr<Database>> writer =
      Database::Open(path, kOpenFlags | SQLITE_OPEN_CREATE, kBusyTimeoutMs);
  if (!writer.ok()) return OpenFailed(path, writer.status());
  absl::Status status = SetPragma(**writer, "PRAGMA journal_mode = WAL", "wal");
  if (status.ok()) status = Configure(**writer);
  if (status.ok()) status = Migrate(**writer);
  if (status.ok()) status = SyncDirectoryOf(path);
  if (!status.ok()) return OpenFailed(path, status);

  // Opened after the writer made the file exist and use WAL.
  absl::StatusOr<std::unique_ptr<Database>> reader =
      Database::Open(path, kOpenFlags, kBusyTimeoutMs);
  if (!reader.ok()) return OpenFailed(path, reader.status());
  status = Configure(**reader);
  if (status.ok()) status = SetPragma(**reader, "PRAGMA query_only = ON", "");
  if (!status.ok()) return OpenFailed(path, status);
  return std::unique_ptr<Store>(
      new SqliteStore(*std::move(writer), *std::move(reader)));
}

absl::StatusOr<CreatedCase> SqliteStore::CreateCase(
    const mayday::v1::Case& snapshot, const mayday::v1::CaseEvent& first) {
  absl::MutexLock lock(&write_mu_);
  return InsertCase(*writer_, snapshot, first);
}

absl::Status SqliteStore::AppendEvent(const mayday::v1::Case& snapshot,
                                      const mayday::v1::CaseEvent& event) {
  absl::MutexLock lock(&write_mu_);
  return InsertEvent(*writer_, snapshot, event);
}

absl::StatusOr<mayday::v1::Case> SqliteStore::GetCase(
    std::string_view case_id) {
  absl::MutexLock lock(&read_mu_);
  return SelectCase(*reader_, ToAbsl(case_id));
}

absl::StatusOr<std::vector<mayday::v1::CaseEvent>> SqliteStore::ListEvents(
    std::string_view case_id, int64_t after_sequence, int limit) {
  absl::MutexLock lock(&read_mu_);
  return SelectEvents(*reader_, ToAbsl(case_id), after_sequence, limit);
}

absl::StatusOr<CasePage> SqliteStore::ListCases(const CaseFilter& filter,
                                                int page_size,
                                                std::string_view page_token) {
  absl::MutexLock lock(&read_mu_);
  return SelectCases(*reader_, filter, page_size, ToAbsl(page_token));
}

absl::StatusOr<std::vector<mayday::v1::Case>> SqliteStore::ListOpenCases() {
  absl::MutexLock lock(&read_mu_);
  return SelectOpenCases(*reader_);
}

absl::Status SqliteStore::AddNote(const mayday::v1::CaseNote& note) {
  absl::MutexLock lock(&write_mu_);
  return InsertNote(*writer_, note);
}

absl::StatusOr<std::vector<mayday::v1::CaseNote>> SqliteStore::ListNotes(
    std::string_view case_id) {
  absl::MutexLock lock(&read_mu_);
  return SelectNotes(*reader_, ToAbsl(case_id));
}

absl::Status SqliteStore::PutToken(const TokenRecord& token) {
  absl::MutexLock lock(&write_mu_);
  return InsertToken(*writer_, token);
}

absl::StatusOr<TokenRecord> SqliteStore::FindToken(
    std::string_view token_hash) {
  absl::MutexLock lock(&read_mu_);
  return SelectToken(*reader_, ToAbsl(token_hash));
}

absl::Status SqliteStore::SavePositions(const std::vector<PositionReport>& reports) {
  absl::MutexLock lock(&write_mu_);
  return InsertPositions(*writer_, reports);
}

absl::StatusOr<std::vector<PositionReport>> SqliteStore::ListTrack(std::string_view case_id) {
  absl::MutexLock lock(&read_mu_);
  return SelectTrack(*reader_, ToAbsl(case_id));
}

absl::StatusOr<std::vector<PositionReport>> SqliteStore::ListPositions() {
  absl::MutexLock lock(&read_mu_);
  return SelectPositions(*reader_);
}

absl::StatusOr<std::vector<TokenRecord>> SqliteStore::ListTokens() {
  absl::MutexLock lock(&read_mu_);
  return SelectTokens(*reader_);
}

absl::StatusOr<TokenRecord> SqliteStore::RevokeToken(std::string_view token_id) {
  absl::MutexLock lock(&write_mu_);
  return UpdateTokenRevoked(*writer_, ToAbsl(token_id));
}

}  // namespace store_internal

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  return store_internal::SqliteStore::Open(path);
}

}  // namespace mayday::server
