// The high-water mark beside the file ("mayday.db-mark"): a file that lost
// acknowledged history (its write-ahead log deleted after a crash, an older
// copy put back) is refused at open, with what is missing and what to do,
// until the loss is accepted; then the loss is in the audit trail.
#include "store/high_water_mark.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using testing::NewCase;
using testing::RaisedEvent;
using testing::Write;

void WriteCases(Store& store, const std::string& prefix, int count) {
  for (int i = 0; i < count; ++i) {
    const mayday::v1::Case c =
        NewCase(absl::StrCat(prefix, i), absl::StrCat("members/", prefix, i), "press");
    REQUIRE(Write(store, [c](WriteTxn& txn) {
              return txn.CreateCase(c, RaisedEvent(c)).status();
            }).ok());
  }
}

// What a crash leaves on disk (the page cache is the file), copied without
// the write-ahead log: the operator who deletes mayday.db-wal after it.
void CopyWithoutLog(const std::string& from, const std::string& to) {
  namespace fs = std::filesystem;
  fs::copy_file(from, to);
  fs::copy_file(from + "-mark", to + "-mark");
  REQUIRE_FALSE(fs::exists(to + "-wal"));
}

absl::StatusOr<std::unique_ptr<Store>> OpenAccepting(const std::string& path) {
  StoreOptions options;
  options.accept_data_loss = true;
  return Store::Open(path, options);
}

TEST_CASE("A file whose write-ahead log was deleted after a crash is refused until accepted",
          "[store][mark]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  const std::string copy = dir.File("copy.db");
  {
    std::unique_ptr<Store> store = testing::OpenStore(path);
    // Well under the log size that starts a checkpoint (1000 pages).
    WriteCases(*store, "a", 100);
    CopyWithoutLog(path, copy);  // while it runs: nothing checkpointed yet
  }
  CHECK(testing::QueryInt(path, "SELECT COUNT(*) FROM cases") == 100);

  absl::StatusOr<std::unique_ptr<Store>> refused = Store::Open(copy);
  REQUIRE(absl::IsDataLoss(refused.status()));
  const std::string message(refused.status().message());
  INFO(message);
  CHECK_THAT(message, Catch::Contains("acknowledged history is missing"));
  CHECK_THAT(message, Catch::Contains("acknowledged case commit 100, audit row 0"));
  CHECK_THAT(message, Catch::Contains("copy.db-wal deleted"));
  CHECK_THAT(message, Catch::Contains("--accept-data-loss"));
  // Refused before it wrote anything: putting the log back still works.
  CHECK_FALSE(std::filesystem::exists(copy + "-wal"));

  {
    absl::StatusOr<std::unique_ptr<Store>> accepted = OpenAccepting(copy);
    INFO(accepted.status());
    REQUIRE(accepted.ok());
    absl::StatusOr<std::vector<AuditRecord>> audit = (*accepted)->ListAudit(0, 10);
    REQUIRE(audit.ok());
    REQUIRE(audit->size() == 1);
    CHECK(audit->front().entry.action == "store.accept_data_loss");
    CHECK(audit->front().entry.actor == "maydayd");
    CHECK_THAT(audit->front().entry.detail,
               Catch::Contains("acknowledged had been case commit 100, audit row 0"));
    WriteCases(**accepted, "b", 3);
  }
  // Accepted once: the mark now follows what the file holds.
  absl::StatusOr<std::unique_ptr<Store>> again = Store::Open(copy);
  INFO(again.status());
  CHECK(again.ok());
}

TEST_CASE("An older copy of the file put back is refused, the copy taken with it is not",
          "[store][mark]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  {
    std::unique_ptr<Store> store = testing::OpenStore(path);
    WriteCases(*store, "a", 5);
  }
  // A backup of the stopped server: the file, its log and its mark.
  std::filesystem::copy_file(path, dir.File("backup.db"));
  std::filesystem::copy_file(path + "-mark", dir.File("backup.db-mark"));
  {
    std::unique_ptr<Store> store = testing::OpenStore(path);
    WriteCases(*store, "b", 5);
  }
  // The backup with its own mark opens.
  CHECK(Store::Open(dir.File("backup.db")).ok());
  // The backup put back over the file, the newer mark kept: refused.
  std::filesystem::copy_file(dir.File("backup.db"), path,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::remove(path + "-wal");
  absl::StatusOr<std::unique_ptr<Store>> refused = Store::Open(path);
  CHECK(absl::IsDataLoss(refused.status()));
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("holds case commit 5, audit row 0; this server acknowledged case "
                             "commit 10, audit row 0"));
}

TEST_CASE("The mark survives a torn slot, a mark overwritten whole is refused", "[store][mark]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  {
    std::unique_ptr<Store> store = testing::OpenStore(path);
    WriteCases(*store, "a", 3);
  }
  const auto overwrite = [&](std::streamoff offset, const std::string& bytes) {
    std::fstream file(path + "-mark", std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(offset);
    file.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  };
  // Slot 0 holds commit 3 (the writes went 1, 2, 3 into slots 0, 1, 0);
  // torn, slot 1's commit 2 is read: one commit behind, never ahead.
  overwrite(10, "torn");
  {
    absl::StatusOr<std::unique_ptr<store_internal::MarkFile>> mark =
        store_internal::MarkFile::Open(path);
    REQUIRE(mark.ok());
    absl::StatusOr<store_internal::Mark> read = (*mark)->Read();
    REQUIRE(read.ok());
    CHECK(read->commit_sequence == 2);
  }
  CHECK(Store::Open(path).ok());

  overwrite(0, std::string(1024, 'x'));
  absl::StatusOr<std::unique_ptr<Store>> refused = Store::Open(path);
  CHECK(absl::IsDataLoss(refused.status()));
  CHECK_THAT(std::string(refused.status().message()), Catch::Contains("holds no valid mark"));
  REQUIRE(OpenAccepting(path).ok());
  CHECK(Store::Open(path).ok());
}

TEST_CASE("A file from before the mark gets one at its first open", "[store][mark]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  {
    std::unique_ptr<Store> store = testing::OpenStore(path);
    WriteCases(*store, "a", 4);
  }
  std::filesystem::remove(path + "-mark");
  { testing::OpenStore(path); }
  absl::StatusOr<std::unique_ptr<store_internal::MarkFile>> mark =
      store_internal::MarkFile::Open(path);
  REQUIRE(mark.ok());
  absl::StatusOr<store_internal::Mark> read = (*mark)->Read();
  REQUIRE(read.ok());
  CHECK(read->commit_sequence == 4);
  CHECK(read->audit_sequence == 0);
}

}  // namespace
}  // namespace mayday::server
