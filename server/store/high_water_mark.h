// The high-water mark: how far the history went that this file's writers
// acknowledged, kept in a small file beside the database ("mayday.db-mark")
// and outside its write-ahead log.
//
// SQLite keeps every commit since the last checkpoint only in mayday.db-wal.
// Someone who deletes that file after a crash (or restores mayday.db without
// it) loses acknowledged cases, and SQLite opens what is left without a
// word. The mark tells: after each commit the writer records the heads of
// the commit chain and of the audit trail (case_chain.h); on open, a file
// whose heads are behind the mark has lost acknowledged history.
//
// The mark is written after the commit's fsync returned, with a plain
// write and no fsync of its own (synced at checkpoints and at close): it
// never claims more than the database holds durably, so it cannot raise a
// false alarm; after a power cut it may be behind, and then it catches less.
// Two slots, written in turn, each with its own checksum: a torn write
// leaves the other. Not thread-safe: the writer's lock guards it.
#ifndef MAYDAY_SERVER_STORE_HIGH_WATER_MARK_H_
#define MAYDAY_SERVER_STORE_HIGH_WATER_MARK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "store/sqlite_database.h"

namespace mayday::server::store_internal {

// How far the history went: the last case_chain and audit_log sequences.
struct Mark {
  int64_t commit_sequence = 0;
  int64_t audit_sequence = 0;
  friend bool operator==(const Mark&, const Mark&) = default;
};

// "case commit 200, audit row 3".
std::string MarkText(const Mark& mark);

class MarkFile {
 public:
  // Opens (creating if missing, with no mark) "<db_path>-mark". UNAVAILABLE
  // with the system's reason if it cannot be opened for writing.
  static absl::StatusOr<std::unique_ptr<MarkFile>> Open(const std::string& db_path);
  ~MarkFile();
  MarkFile(const MarkFile&) = delete;
  MarkFile& operator=(const MarkFile&) = delete;

  const std::string& path() const { return path_; }

  // The mark as stored: the higher of the two slots' values, field by
  // field; {0, 0} for a new file. DATA_LOSS if the file holds bytes but no
  // slot with a valid checksum (overwritten by something else).
  absl::StatusOr<Mark> Read() const;
  // Records `mark` in the slot not written last (no fsync). Skips the write
  // if `mark` is what was written last.
  absl::Status Advance(const Mark& mark);
  // Writes `mark` into both slots and syncs: the mark after a loss was
  // accepted, lower than before.
  absl::Status Reset(const Mark& mark);
  // fdatasync: what Advance wrote survives a power cut.
  absl::Status Sync();

 private:
  MarkFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  absl::Status WriteSlot(int slot, const Mark& mark);

  const int fd_;
  const std::string path_;
  int next_slot_ = 0;
  Mark last_{-1, -1};  // nothing written yet by this process
};

// At open, before anything writes to `db` (a log put back later must still
// fit the file): compares the history `db` holds with `file`'s mark.
// Behind it (or a mark overwritten whole): DATA_LOSS, saying what is
// missing and what to do, unless `accept_data_loss`; then what was lost, in
// words, for RecordMark. nullopt if nothing is missing.
absl::StatusOr<std::optional<std::string>> CheckMark(SqliteDatabase& db, const MarkFile& file,
                                                     bool accept_data_loss);

// After the migrations: records an accepted `loss` in the audit trail (at
// `now`), then sets the mark to what `db` holds (lowered after a loss,
// made for a file from before the mark existed) and syncs it.
absl::Status RecordMark(SqliteDatabase& db, MarkFile& file, const std::optional<std::string>& loss,
                        absl::Time now);

// After a commit: records how far the history in `db` now goes (no sync).
absl::Status AdvanceMark(Database& db, MarkFile& file);

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_HIGH_WATER_MARK_H_
