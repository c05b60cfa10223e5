// ListCases (filters, keyset pagination, page tokens) and ListOpenCases.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using ::mayday::v1::Case;
using ::mayday::v1::CaseKind;
using ::mayday::v1::CaseState;
using testing::NewCase;
using testing::NextStep;
using testing::RaisedEvent;

constexpr CaseState kStates[] = {mayday::v1::CASE_STATE_DISPATCHING,
                                 mayday::v1::CASE_STATE_ASSIGNED, mayday::v1::CASE_STATE_RESOLVED,
                                 mayday::v1::CASE_STATE_CANCELLED,
                                 mayday::v1::CASE_STATE_ESCALATED};

// 40 cases over 3 members, both kinds and 5 states. Create times repeat
// (every 4th case shares its time with the one before) so that ties are
// broken by id.
std::vector<Case> Seed(Store& store) {
  std::vector<Case> cases;
  for (int i = 0; i < 40; ++i) {
    char id[8];
    std::snprintf(id, sizeof(id), "k%02d",
                  (i * 17) % 40);  // ids not in time order
    Case snapshot = NewCase(id, "members/m" + std::to_string(i % 3), "req-" + std::to_string(i),
                            i % 2 == 0 ? mayday::v1::CASE_KIND_ROAD : mayday::v1::CASE_KIND_MEDICAL,
                            1'700'000'000'000'000 + (i - i % 4 / 3) * 1000);
    REQUIRE(store.CreateCase(snapshot, RaisedEvent(snapshot)).ok());
    CaseState state = kStates[i % 5];
    if (state != snapshot.state()) {
      auto [next, event] = NextStep(snapshot, state);
      REQUIRE(store.AppendEvent(next, event).ok());
      snapshot = next;
    }
    cases.push_back(snapshot);
  }
  return cases;
}

int64_t Micros(const Case& c) {
  return c.create_time().seconds() * 1'000'000 + c.create_time().nanos() / 1000;
}

// What ListCases should return for `filter`, computed without the store.
std::vector<std::string> Expected(const std::vector<Case>& all, const CaseFilter& filter) {
  std::vector<Case> matching;
  for (const Case& c : all) {
    if (!filter.member.empty() && c.member() != filter.member) continue;
    if (filter.kind != mayday::v1::CASE_KIND_UNSPECIFIED && c.kind() != filter.kind) continue;
    if (!filter.states.empty() &&
        std::find(filter.states.begin(), filter.states.end(), c.state()) == filter.states.end()) {
      continue;
    }
    matching.push_back(c);
  }
  std::sort(matching.begin(), matching.end(), [](const Case& a, const Case& b) {
    return std::make_tuple(Micros(a), a.name()) > std::make_tuple(Micros(b), b.name());
  });
  std::vector<std::string> names;
  for (const Case& c : matching) names.push_back(c.name());
  return names;
}

TEST_CASE("ListCases pages through the cases a filter matches, newest first", "[store][list]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  const std::vector<Case> all = Seed(*store);

  struct Row {
    const char* what;
    CaseFilter filter;
  };
  const Row rows[] = {
      {"everything", {}},
      {"one member", {.member = "members/m1"}},
      {"medical", {.kind = mayday::v1::CASE_KIND_MEDICAL}},
      {"two states (one repeated)",
       {.states = {mayday::v1::CASE_STATE_ESCALATED, mayday::v1::CASE_STATE_DISPATCHING,
                   mayday::v1::CASE_STATE_ESCALATED}}},
      {"member, state and kind",
       {.member = "members/m2",
        .states = {mayday::v1::CASE_STATE_RESOLVED, mayday::v1::CASE_STATE_ASSIGNED},
        .kind = mayday::v1::CASE_KIND_ROAD}},
      {"unknown member", {.member = "members/nobody"}},
  };
  for (const Row& row : rows) {
    const std::vector<std::string> expected = Expected(all, row.filter);
    for (int page_size : {1, 3, 7, 1000}) {
      INFO("row: " << row.what << ", page_size " << page_size);
      std::vector<std::string> listed;
      std::string token;
      int pages = 0;
      do {
        absl::StatusOr<CasePage> page = store->ListCases(row.filter, page_size, token);
        INFO(page.status().ToString());
        REQUIRE(page.ok());
        REQUIRE(page->cases.size() <= static_cast<size_t>(page_size));
        // Only the last page may be short; no page after it is empty.
        if (!page->next_page_token.empty()) {
          CHECK(page->cases.size() == static_cast<size_t>(page_size));
        }
        for (const Case& c : page->cases) listed.push_back(c.name());
        token = page->next_page_token;
        REQUIRE(++pages <= 41);
      } while (!token.empty());
      CHECK(listed == expected);
    }
  }
}

TEST_CASE("Cases created between pages do not disturb a listing", "[store][list]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  const std::vector<Case> all = Seed(*store);
  absl::StatusOr<CasePage> first = store->ListCases({}, 10, "");
  REQUIRE(first.ok());
  Case newer =
      NewCase("newest", "members/m1", "req-new", mayday::v1::CASE_KIND_ROAD, 1'800'000'000'000'000);
  REQUIRE(store->CreateCase(newer, RaisedEvent(newer)).ok());
  absl::StatusOr<CasePage> second = store->ListCases({}, 1000, first->next_page_token);
  REQUIRE(second.ok());
  CHECK(first->cases.size() + second->cases.size() == all.size());
  for (const Case& c : second->cases) CHECK(c.name() != "cases/newest");
}

TEST_CASE("ListCases rejects malformed page tokens and page sizes", "[store][list]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  Seed(*store);
  for (const char* token : {"garbage!", "Zm9v", /* "foo" */ "YzE6MTIz", /* "c1:123" */
                            "YzE6MTIzOg", /* "c1:123:" */ "YzE6eDpr",   /* "c1:x:k" */
                            "YzI6MTIzOms" /* "c2:123:k" */}) {
    INFO("token " << token);
    absl::StatusOr<CasePage> page = store->ListCases({}, 10, token);
    CHECK(page.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(page.status().message() ==
          "page_token is malformed; pass a next_page_token from a previous call "
          "with the same filter");
  }
  for (int page_size : {0, -1, 1001}) {
    INFO("page_size " << page_size);
    CHECK(store->ListCases({}, page_size, "").status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("ListOpenCases returns the open cases, oldest first", "[store][list]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  const std::vector<Case> all = Seed(*store);
  std::vector<std::string> expected = Expected(all, {});
  std::reverse(expected.begin(), expected.end());
  expected.erase(std::remove_if(expected.begin(), expected.end(),
                                [&](const std::string& name) {
                                  CaseState state = store->GetCase(name.substr(6))->state();
                                  return state == mayday::v1::CASE_STATE_RESOLVED ||
                                         state == mayday::v1::CASE_STATE_CANCELLED;
                                }),
                 expected.end());
  absl::StatusOr<std::vector<OpenCase>> open = store->ListOpenCases();
  REQUIRE(open.ok());
  std::vector<std::string> listed;
  for (const OpenCase& c : *open) listed.push_back(c.snapshot.name());
  CHECK(listed == expected);
  CHECK(listed.size() == 24);
  // Only the cases waiting for a responder carry their later events: here
  // the escalated ones, whose one later event is the escalation.
  for (const OpenCase& c : *open) {
    INFO(c.snapshot.name() << " " << c.snapshot.state());
    if (c.snapshot.state() == mayday::v1::CASE_STATE_ESCALATED) {
      REQUIRE(c.events.size() == 1);
      CHECK(c.events[0].case_() == c.snapshot.name());
      CHECK(c.events[0].sequence() == 2);
      CHECK(c.events[0].state() == mayday::v1::CASE_STATE_ESCALATED);
    } else {
      CHECK(c.events.empty());
    }
  }
}

}  // namespace
}  // namespace mayday::server
