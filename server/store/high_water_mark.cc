// The mark file's two slots; see high_water_mark.h.
#include "store/high_water_mark.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "store/audit.h"
#include "store/case_chain.h"

namespace mayday::server::store_internal {
namespace {

// Each slot starts a 512-byte sector of its own, so that a write torn at a
// sector boundary spoils one slot at most:
//   bytes 0..7    "MAYDAYM1"
//   bytes 8..15   commit_sequence, little-endian
//   bytes 16..23  audit_sequence, little-endian
//   bytes 24..31  the first 8 bytes of the SHA-256 of bytes 0..23
constexpr size_t kSlotStride = 512;
constexpr size_t kSlotBytes = 32;
constexpr char kMagic[] = "MAYDAYM1";
using Slot = std::array<unsigned char, kSlotBytes>;

void PutLittleEndian(int64_t value, unsigned char* out) {
  const auto bits = static_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(bits >> (8 * i));
}

int64_t GetLittleEndian(const unsigned char* in) {
  uint64_t bits = 0;
  for (int i = 0; i < 8; ++i) bits |= uint64_t{in[i]} << (8 * i);
  return static_cast<int64_t>(bits);
}

void Checksum(const Slot& slot, unsigned char* out) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest;
  SHA256(slot.data(), 24, digest.data());
  std::memcpy(out, digest.data(), 8);
}

Slot Encode(const Mark& mark) {
  Slot slot{};
  std::memcpy(slot.data(), kMagic, 8);
  PutLittleEndian(mark.commit_sequence, slot.data() + 8);
  PutLittleEndian(mark.audit_sequence, slot.data() + 16);
  Checksum(slot, slot.data() + 24);
  return slot;
}

bool Decode(const Slot& slot, Mark& mark) {
  unsigned char sum[8];
  Checksum(slot, sum);
  if (std::memcmp(slot.data(), kMagic, 8) != 0 || std::memcmp(slot.data() + 24, sum, 8) != 0) {
    return false;
  }
  mark.commit_sequence = GetLittleEndian(slot.data() + 8);
  mark.audit_sequence = GetLittleEndian(slot.data() + 16);
  return true;
}

absl::Status Failed(const std::string& what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(errno)));
}

}  // namespace

std::string MarkText(const Mark& mark) {
  return absl::StrCat("case commit ", mark.commit_sequence, ", audit row ", mark.audit_sequence);
}

absl::StatusOr<std::unique_ptr<MarkFile>> MarkFile::Open(const std::string& db_path) {
  std::string path = db_path + "-mark";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Failed("open", path);
  return std::unique_ptr<MarkFile>(new MarkFile(fd, std::move(path)));
}

MarkFile::~MarkFile() { ::close(fd_); }

absl::StatusOr<Mark> MarkFile::Read() const {
  Mark mark;
  bool any_bytes = false, any_valid = false;
  for (int i = 0; i < 2; ++i) {
    Slot slot{};
    const ssize_t got = ::pread(fd_, slot.data(), slot.size(), static_cast<off_t>(i * kSlotStride));
    if (got < 0) return Failed("read", path_);
    if (got == 0) continue;
    any_bytes = true;
    Mark found;
    if (got != static_cast<ssize_t>(slot.size()) || !Decode(slot, found)) continue;
    any_valid = true;
    mark.commit_sequence = std::max(mark.commit_sequence, found.commit_sequence);
    mark.audit_sequence = std::max(mark.audit_sequence, found.audit_sequence);
  }
  if (any_bytes && !any_valid) {
    return absl::DataLossError(absl::StrCat(
        path_,
        " holds no valid mark (overwritten?); it belongs with the database and its -wal "
        "file: put back the three files of one backup together"));
  }
  return mark;
}

absl::Status MarkFile::WriteSlot(int slot, const Mark& mark) {
  const Slot bytes = Encode(mark);
  const ssize_t wrote =
      ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(slot * kSlotStride));
  if (wrote != static_cast<ssize_t>(bytes.size())) {
    if (wrote >= 0) errno = ENOSPC;
    return Failed("write", path_);
  }
  return absl::OkStatus();
}

absl::Status MarkFile::Advance(const Mark& mark) {
  if (mark == last_) return absl::OkStatus();
  if (absl::Status status = WriteSlot(next_slot_, mark); !status.ok()) return status;
  next_slot_ = 1 - next_slot_;
  last_ = mark;
  return absl::OkStatus();
}

absl::Status MarkFile::Reset(const Mark& mark) {
  for (int slot = 0; slot < 2; ++slot) {
    if (absl::Status status = WriteSlot(slot, mark); !status.ok()) return status;
  }
  last_ = mark;
  return Sync();
}

absl::Status MarkFile::Sync() {
  if (::fdatasync(fd_) != 0) return Failed("sync", path_);
  return absl::OkStatus();
}

namespace {

// The last sequence of `table`; 0 if it has no rows or (a file not yet
// migrated) does not exist.
absl::StatusOr<int64_t> LastSequence(Database& db, absl::string_view table) {
  absl::StatusOr<StatementLease> exists = db.Prepare(
      absl::StrCat("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '", table, "'"));
  if (!exists.ok()) return exists.status();
  absl::StatusOr<bool> found = (*exists)->Step();
  if (!found.ok()) return found.status();
  if (!*found) return 0;
  absl::StatusOr<StatementLease> last =
      db.Prepare(absl::StrCat("SELECT COALESCE(MAX(sequence), 0) FROM ", table));
  if (!last.ok()) return last.status();
  absl::StatusOr<bool> row = (*last)->Step();
  if (!row.ok()) return row.status();
  return *row ? (*last)->ColumnInt64(0) : 0;
}

absl::StatusOr<Mark> HeldMark(Database& db) {
  absl::StatusOr<int64_t> commit = LastSequence(db, "case_chain");
  if (!commit.ok()) return commit.status();
  absl::StatusOr<int64_t> audit = LastSequence(db, "audit_log");
  if (!audit.ok()) return audit.status();
  return Mark{*commit, *audit};
}

}  // namespace

absl::StatusOr<std::optional<std::string>> CheckMark(SqliteDatabase& db, const MarkFile& file,
                                                     bool accept_data_loss) {
  absl::StatusOr<Mark> held = HeldMark(db);
  if (!held.ok()) return held.status();
  absl::StatusOr<Mark> acknowledged = file.Read();
  if (!acknowledged.ok()) {
    if (accept_data_loss && absl::IsDataLoss(acknowledged.status())) {
      return std::string(acknowledged.status().message());
    }
    return acknowledged.status();
  }
  if (held->commit_sequence >= acknowledged->commit_sequence &&
      held->audit_sequence >= acknowledged->audit_sequence) {
    return std::nullopt;
  }
  if (accept_data_loss) {
    return absl::StrCat("the file held ", MarkText(*held), "; acknowledged had been ",
                        MarkText(*acknowledged));
  }
  const std::string db_name = std::filesystem::path(db.path()).filename().string();
  return absl::DataLossError(absl::StrCat(
      "acknowledged history is missing: the file holds ", MarkText(*held),
      "; this server acknowledged ", MarkText(*acknowledged), " (", db_name, "-mark). Was ",
      db_name,
      "-wal deleted, or an older copy of the file put back? Put back the -wal file that belongs "
      "with it (",
      db_name,
      ", -wal and -mark: one backup) and start again, or start once with --accept-data-loss to "
      "serve what is left (recorded in the audit trail)"));
}

absl::Status RecordMark(SqliteDatabase& db, MarkFile& file, const std::optional<std::string>& loss,
                        absl::Time now) {
  if (loss.has_value()) {
    AuditEntry entry;
    entry.time = now;
    entry.actor_role = Role::kAdmin;
    entry.actor = "maydayd";
    entry.action = "store.accept_data_loss";
    entry.target = "store";
    entry.detail = absl::StrCat("started with --accept-data-loss: ", *loss);
    absl::Status status = db.Run("BEGIN IMMEDIATE");
    if (status.ok()) status = InsertAudit(db, entry);
    if (status.ok()) status = db.Run("COMMIT");
    if (!status.ok()) {
      if (!db.autocommit()) db.Run("ROLLBACK").IgnoreError();
      return status;
    }
  }
  absl::StatusOr<Mark> held = HeldMark(db);
  if (!held.ok()) return held.status();
  return file.Reset(*held);
}

absl::Status AdvanceMark(Database& db, MarkFile& file) {
  absl::StatusOr<HistoryHeads> heads = ReadHistoryHeads(db);
  if (!heads.ok()) return heads.status();
  return file.Advance(Mark{heads->commit_sequence, heads->audit_sequence});
}

}  // namespace mayday::server::store_internal
