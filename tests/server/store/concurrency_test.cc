// Many threads writing and reading one Store at once: every timeline stays
// 1..n without gaps, retries race to exactly one case, and readers never see
// a partial write. Catch2 assertions are not thread-safe, so threads record
// failures and the test thread checks them.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using ::mayday::v1::Case;
using ::mayday::v1::CaseEvent;
using testing::NewCase;
using testing::NextStep;
using testing::RaisedEvent;

// Failures seen by worker threads.
class Failures {
 public:
  void Add(const std::string& what) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_.push_back(what);
  }
  std::vector<std::string> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> failures_;
};

// "" if `events` are numbered 1..n, else what is wrong.
std::string CheckContiguous(const std::vector<CaseEvent>& events) {
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].sequence() != static_cast<int64_t>(i + 1)) {
      return "event " + std::to_string(i) + " has sequence " + std::to_string(events[i].sequence());
    }
  }
  return "";
}

TEST_CASE("Concurrent writers and readers keep every timeline whole", "[store][concurrency]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  constexpr int kWriters = 6;
  constexpr int kCasesPerWriter = 4;
  constexpr int kEventsPerCase = 15;
  Failures failures;
  std::atomic<bool> writing{true};

  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      std::vector<Case> cases;
      for (int i = 0; i < kCasesPerWriter; ++i) {
        std::string id = "w" + std::to_string(w) + "-" + std::to_string(i);
        Case snapshot = NewCase(id, "members/m" + std::to_string(w), id);
        absl::StatusOr<CreatedCase> created = store->CreateCase(snapshot, RaisedEvent(snapshot));
        if (!created.ok() || !created->created) {
          failures.Add("create " + id + ": " + created.status().ToString());
          return;
        }
        cases.push_back(snapshot);
      }
      for (int step = 1; step < kEventsPerCase; ++step) {
        for (Case& snapshot : cases) {
          auto [next, event] = NextStep(snapshot, mayday::v1::CASE_STATE_EN_ROUTE);
          if (absl::Status status = store->AppendEvent(next, event); !status.ok()) {
            failures.Add("append to " + snapshot.name() + ": " + status.ToString());
            return;
          }
          snapshot = next;
        }
      }
    });
  }
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (writing.load()) {
        absl::StatusOr<CasePage> page = store->ListCases({}, 50, "");
        if (!page.ok()) {
          failures.Add("list: " + page.status().ToString());
          return;
        }
        for (const Case& c : page->cases) {
          absl::StatusOr<std::vector<CaseEvent>> events =
              store->ListEvents(c.name().substr(6), 0, 1000);
          if (!events.ok()) {
            failures.Add("events: " + events.status().ToString());
            return;
          }
          // A snapshot is never ahead of the timeline it was read before.
          if (std::string gap = CheckContiguous(*events);
              !gap.empty() || static_cast<int64_t>(events->size()) < c.last_sequence()) {
            failures.Add(c.name() + ": " + gap);
            return;
          }
        }
      }
    });
  }
  for (std::thread& t : writers) t.join();
  writing = false;
  for (std::thread& t : readers) t.join();

  for (const std::string& failure : failures.Get()) FAIL_CHECK(failure);
  absl::StatusOr<CasePage> all = store->ListCases({}, 1000, "");
  REQUIRE(all.ok());
  REQUIRE(all->cases.size() == kWriters * kCasesPerWriter);
  for (const Case& c : all->cases) {
    INFO(c.name());
    std::vector<CaseEvent> events = *store->ListEvents(c.name().substr(6), 0, 1000);
    CHECK(events.size() == kEventsPerCase);
    CHECK(CheckContiguous(events).empty());
    CHECK(c.last_sequence() == kEventsPerCase);
  }
  CHECK(at.CheckIntegrity() == "ok");
}

TEST_CASE("Racing appends to one case each land exactly once", "[store][concurrency]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  Case shared = NewCase("shared", "members/m1", "req-1");
  REQUIRE(store->CreateCase(shared, RaisedEvent(shared)).ok());
  constexpr int64_t kLast = 41;
  Failures failures;
  std::atomic<int> appended{0};
  std::atomic<int> rejected{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (true) {
        absl::StatusOr<Case> current = store->GetCase("shared");
        if (!current.ok()) return failures.Add(current.status().ToString());
        if (current->last_sequence() >= kLast) return;
        auto [next, event] = NextStep(*current, mayday::v1::CASE_STATE_EN_ROUTE);
        absl::Status status = store->AppendEvent(next, event);
        if (status.ok()) {
          ++appended;
        } else if (status.code() == absl::StatusCode::kFailedPrecondition) {
          ++rejected;  // another thread got there first; read again
        } else {
          return failures.Add(status.ToString());
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& failure : failures.Get()) FAIL_CHECK(failure);
  CHECK(appended == kLast - 1);
  std::vector<CaseEvent> events = *store->ListEvents("shared", 0, 1000);
  CHECK(events.size() == kLast);
  CHECK(CheckContiguous(events).empty());
  CHECK(store->GetCase("shared")->last_sequence() == kLast);
}

TEST_CASE("Racing retries of one alert open one case", "[store][concurrency]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  std::vector<std::string> names(8);
  std::atomic<int> created{0};
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Case snapshot = NewCase("try" + std::to_string(t), "members/m1", "same-request");
      absl::StatusOr<CreatedCase> result = store->CreateCase(snapshot, RaisedEvent(snapshot));
      if (!result.ok()) {
        ++errors;
        return;
      }
      if (result->created) ++created;
      names[t] = result->snapshot.name();
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(errors == 0);
  CHECK(created == 1);
  for (const std::string& name : names) CHECK(name == names[0]);
  CHECK(at.QueryInt("SELECT count(*) FROM cases") == 1);
}

}  // namespace
}  // namespace mayday::server
