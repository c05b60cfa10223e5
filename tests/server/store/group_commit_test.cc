// Group commit (Store::Submit): jobs queued together run in order on the
// writer, each seeing the ones before it; a job that fails undoes only its
// own writes; callers hear of a job only once its batch is on disk, in the
// order the jobs were queued.
#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using testing::NewCase;
using testing::NextStep;
using testing::QueryInt;
using testing::RaisedEvent;

TEST_CASE("Queued jobs see each other, and a failed job undoes only itself",
          "[store][group_commit]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();

  const mayday::v1::Case a = NewCase("a", "members/m", "r-a");
  const mayday::v1::Case b = NewCase("b", "members/m", "r-b");
  absl::Mutex mu;
  std::vector<std::pair<std::string, absl::Status>> told;  // in the order told
  absl::Notification all_told;
  auto tell = [&](std::string what) {
    return [&, what](absl::Status status) {
      absl::MutexLock lock(&mu);
      told.emplace_back(what, status);
      if (told.size() == 4) all_told.Notify();
    };
  };

  // 1: case a. 2: case b, then a refusal: b must not be stored. 3: an event
  // on a, which job 1 wrote and nobody has committed yet. 4: the same
  // request_id as job 1: a retry, found through job 1's uncommitted row.
  store->Submit([&](WriteTxn& txn) { return txn.CreateCase(a, RaisedEvent(a)).status(); },
                tell("create a"));
  store->Submit(
      [&](WriteTxn& txn) {
        if (auto s = txn.CreateCase(b, RaisedEvent(b)).status(); !s.ok()) return s;
        return absl::FailedPreconditionError("changed my mind");
      },
      tell("create b, then refuse"));
  store->Submit(
      [&](WriteTxn& txn) {
        auto current = txn.GetCase("a");
        if (!current.ok()) return current.status();
        auto [next, event] = NextStep(*current, mayday::v1::CASE_STATE_ESCALATED);
        return txn.AppendEvent(next, event);
      },
      tell("append to a"));
  bool retry_seen = false;
  store->Submit(
      [&](WriteTxn& txn) {
        mayday::v1::Case again = NewCase("a2", "members/m", "r-a");
        auto created = txn.CreateCase(again, RaisedEvent(again));
        if (!created.ok()) return created.status();
        retry_seen = !created->created && created->snapshot.name() == "cases/a";
        return absl::OkStatus();
      },
      tell("retry a"));
  REQUIRE(all_told.WaitForNotificationWithTimeout(absl::Seconds(10)));

  absl::MutexLock lock(&mu);
  REQUIRE(told.size() == 4);
  CHECK(told[0].first == "create a");
  CHECK(told[0].second.ok());
  CHECK(told[1].first == "create b, then refuse");
  CHECK(told[1].second.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(told[2].first == "append to a");
  CHECK(told[2].second.ok());
  CHECK(told[3].first == "retry a");
  CHECK(told[3].second.ok());
  CHECK(retry_seen);

  CHECK(store->GetCase("a")->last_sequence() == 2);
  CHECK(store->GetCase("b").status().code() == absl::StatusCode::kNotFound);
  CHECK(at.QueryInt("SELECT count(*) FROM cases") == 1);
  CHECK(at.QueryInt("SELECT count(*) FROM case_events") == 2);
  CHECK(at.CheckIntegrity() == "ok");
}

TEST_CASE("Many writers share commits and every one of them is told", "[store][group_commit]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  constexpr int kCases = 500;
  absl::Mutex mu;
  int ok = 0;
  absl::Notification done;
  for (int i = 0; i < kCases; ++i) {
    const mayday::v1::Case c = NewCase("c" + std::to_string(i), "members/m" + std::to_string(i % 7),
                                       "r" + std::to_string(i));
    store->Submit([c](WriteTxn& txn) { return txn.CreateCase(c, RaisedEvent(c)).status(); },
                  [&](absl::Status status) {
                    absl::MutexLock lock(&mu);
                    if (status.ok()) ++ok;
                    if (ok == kCases) done.Notify();
                  });
  }
  REQUIRE(done.WaitForNotificationWithTimeout(absl::Seconds(30)));
  CHECK(at.QueryInt("SELECT count(*) FROM cases") == kCases);
  CHECK(at.QueryInt("SELECT count(*) FROM case_events") == kCases);
}

// A batch runs without a savepoint per job; a job that fails after it wrote
// has its batch undone and run again, each job in its own savepoint. The
// other jobs then run twice, and what they stored is stored once.
TEST_CASE("A job that fails after writing: its batch runs again and keeps the others' writes",
          "[store][group_commit]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();

  // Holds the writer so that the jobs after it are queued as one batch.
  absl::Notification queued;
  absl::Mutex mu;
  int told = 0;
  std::vector<absl::Status> outcomes(4);
  auto tell = [&](int i) {
    return [&, i](absl::Status status) {
      absl::MutexLock lock(&mu);
      outcomes[i] = std::move(status);
      ++told;
    };
  };
  store->Submit(
      [&](WriteTxn&) {
        queued.WaitForNotification();
        return absl::OkStatus();
      },
      tell(0));
  const mayday::v1::Case a = NewCase("a", "members/a", "r-a");
  const mayday::v1::Case b = NewCase("b", "members/b", "r-b");
  const mayday::v1::Case c = NewCase("c", "members/c", "r-c");
  std::atomic<int> runs_a = 0, runs_c = 0;
  store->Submit(
      [&](WriteTxn& txn) {
        ++runs_a;
        return txn.CreateCase(a, RaisedEvent(a)).status();
      },
      tell(1));
  store->Submit(
      [&](WriteTxn& txn) {
        if (auto s = txn.CreateCase(b, RaisedEvent(b)).status(); !s.ok()) return s;
        return absl::FailedPreconditionError("changed my mind");
      },
      tell(2));
  store->Submit(
      [&](WriteTxn& txn) {
        ++runs_c;
        return txn.CreateCase(c, RaisedEvent(c)).status();
      },
      tell(3));
  queued.Notify();
  {
    absl::MutexLock lock(&mu);
    REQUIRE(mu.AwaitWithTimeout(absl::Condition(
                                    +[](int* n) { return *n == 4; }, &told),
                                absl::Seconds(10)));
  }
  CHECK(outcomes[1].ok());
  CHECK(outcomes[2].code() == absl::StatusCode::kFailedPrecondition);
  CHECK(outcomes[3].ok());
  // a ran before the failure, then again; c only in the second run.
  CHECK(runs_a == 2);
  CHECK(runs_c == 1);
  CHECK(at.QueryInt("SELECT count(*) FROM cases") == 2);
  CHECK(at.QueryInt("SELECT count(*) FROM cases WHERE id IN ('a', 'c')") == 2);
  CHECK(at.QueryInt("SELECT count(*) FROM case_events") == 2);
  CHECK(at.CheckIntegrity() == "ok");
}

// SQLite's own checkpoint (copying the write-ahead log back into the file)
// is replaced by the store's checkpoint thread: the file must still take in
// the log while the store runs, and the log must start over instead of
// growing with every write.
TEST_CASE("The write-ahead log is copied back and starts over while the store runs",
          "[store][group_commit]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  std::unique_ptr<Store> store = testing::OpenStore(path);
  const std::string wal = path + "-wal";
  const auto file_size = [](const std::string& file) {
    std::error_code error;
    const auto size = std::filesystem::file_size(file, error);
    return error ? uintmax_t{0} : size;
  };
  const uintmax_t empty_file = file_size(path);

  // About 12 MiB of cases in batches of 200: some 3,000 pages of log, three
  // times what starts a checkpoint.
  const std::string note(2000, 'n');
  auto write_cases = [&](const std::string& prefix) {
    for (int batch = 0; batch < 15; ++batch) {
      absl::Mutex mu;
      int told = 0;
      for (int i = 0; i < 200; ++i) {
        mayday::v1::Case c = NewCase(absl::StrCat(prefix, batch, "-", i), "members/m",
                                     absl::StrCat(prefix, batch, "-", i));
        c.set_note(note);
        store->Submit([c](WriteTxn& txn) { return txn.CreateCase(c, RaisedEvent(c)).status(); },
                      [&](absl::Status status) {
                        CHECK(status.ok());
                        absl::MutexLock lock(&mu);
                        ++told;
                      });
      }
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(
          +[](int* n) { return *n == 200; }, &told));
    }
  };
  write_cases("a");
  // The checkpoint thread copies in the background: wait for it, boundedly.
  for (int i = 0; i < 200 && file_size(path) < empty_file + (8u << 20); ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  CHECK(file_size(path) >= empty_file + (8u << 20));
  // As much again: had the log not started over, it would hold both.
  const uintmax_t wal_after_first = file_size(wal);
  write_cases("b");
  CHECK(file_size(wal) <= std::max<uintmax_t>(wal_after_first, 16u << 20));
  CHECK(QueryInt(path, "SELECT count(*) FROM cases") == 6000);
  CHECK(testing::CheckIntegrity(path) == "ok");
}

}  // namespace
}  // namespace mayday::server
