// An online copy of a SQLite store while maydayd serves it: SQLite's backup
// API copies the file page by page from a read transaction of its own, so
// that the copy is the database as of one commit and maydayd's writes go on
// meanwhile (a commit during a step makes that step start again, bounded).
// PostgreSQL stores are backed up with PostgreSQL's own tools (pg_dump,
// pg_basebackup): see docs/operations.md.
#ifndef MAYDAY_SERVER_STORE_BACKUP_H_
#define MAYDAY_SERVER_STORE_BACKUP_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace mayday::server {

struct BackupResult {
  int64_t pages = 0;
  int64_t bytes = 0;
  int64_t cases = 0;  // cases in the copy
};

// Copies the SQLite store at `from` ("sqlite:FILE" or a path) to a new file
// `to`, checks the copy (PRAGMA integrity_check) and returns what it holds.
// INVALID_ARGUMENT for a PostgreSQL target; NOT_FOUND if `from` does not
// exist; ALREADY_EXISTS if `to` does (a backup never overwrites);
// UNAVAILABLE if either file cannot be read or written (the partial copy is
// removed); DATA_LOSS if the copy fails its check.
absl::StatusOr<BackupResult> BackupStore(const std::string& from, const std::string& to);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_STORE_BACKUP_H_
