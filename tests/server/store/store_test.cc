// Store: creating, retrying, appending to and reading back cases, across
// reopening the file, with bad input and failed writes changing nothing.
#include "store/store.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::mayday::v1::Case;
using ::mayday::v1::CaseEvent;
using testing::CheckIntegrity;
using testing::NewCase;
using testing::NextStep;
using testing::QueryInt;
using testing::RaisedEvent;

std::vector<CaseEvent> AllEvents(Store& store, const std::string& id) {
  absl::StatusOr<std::vector<CaseEvent>> events = store.ListEvents(id, 0, 1000);
  REQUIRE(events.ok());
  return *events;
}

// Appends n - 1 events to a new case, so it ends at last_sequence n.
Case AdvanceTo(Store& store, Case snapshot, int64_t n) {
  while (snapshot.last_sequence() < n) {
    auto [next, event] = NextStep(snapshot, mayday::v1::CASE_STATE_ASSIGNED);
    absl::Status status = store.AppendEvent(next, event);
    INFO(status.ToString());
    REQUIRE(status.ok());
    snapshot = next;
  }
  return snapshot;
}

TEST_CASE("CreateCase stores the case and its first event", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  Case snapshot = NewCase("c1", "members/m1", "req-1");

  absl::StatusOr<CreatedCase> created = store->CreateCase(snapshot, RaisedEvent(snapshot));
  REQUIRE(created.ok());
  CHECK(created->created);
  CHECK(MessageDifferencer::Equals(created->snapshot, snapshot));

  absl::StatusOr<Case> got = store->GetCase("c1");
  REQUIRE(got.ok());
  CHECK(MessageDifferencer::Equals(*got, snapshot));
  std::vector<CaseEvent> events = AllEvents(*store, "c1");
  REQUIRE(events.size() == 1);
  CHECK(MessageDifferencer::Equals(events[0], RaisedEvent(snapshot)));

  CHECK(store->GetCase("nope").status().code() == absl::StatusCode::kNotFound);
  CHECK(AllEvents(*store, "nope").empty());
  CHECK(at.CheckIntegrity() == "ok");
}

TEST_CASE("A reopened store holds everything that was written", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::vector<Case> written;
  {
    std::unique_ptr<Store> store = at.Open();
    for (int i = 0; i < 5; ++i) {
      Case snapshot = NewCase("c" + std::to_string(i), "members/m1", "req-" + std::to_string(i));
      REQUIRE(store->CreateCase(snapshot, RaisedEvent(snapshot)).ok());
      written.push_back(AdvanceTo(*store, snapshot, i + 1));
    }
  }
  std::unique_ptr<Store> store = at.Open();
  for (const Case& expected : written) {
    std::string id = expected.name().substr(6);
    absl::StatusOr<Case> got = store->GetCase(id);
    REQUIRE(got.ok());
    CHECK(MessageDifferencer::Equals(*got, expected));
    std::vector<CaseEvent> events = AllEvents(*store, id);
    REQUIRE(static_cast<int64_t>(events.size()) == expected.last_sequence());
    for (size_t i = 0; i < events.size(); ++i) CHECK(events[i].sequence() == int64_t(i + 1));
  }
  CHECK(at.CheckIntegrity() == "ok");
}

TEST_CASE("A retried CreateCase returns the first case and stores nothing", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  Case first = NewCase("c1", "members/m1", "req-1");
  REQUIRE(store->CreateCase(first, RaisedEvent(first)).ok());
  Case advanced = AdvanceTo(*store, first, 3);

  // The retry carries a new id, as a server generating one per call would.
  Case retry = NewCase("c2", "members/m1", "req-1", mayday::v1::CASE_KIND_MEDICAL);
  absl::StatusOr<CreatedCase> again = store->CreateCase(retry, RaisedEvent(retry));
  REQUIRE(again.ok());
  CHECK_FALSE(again->created);
  CHECK(MessageDifferencer::Equals(again->snapshot, advanced));
  CHECK(at.QueryInt("SELECT count(*) FROM cases") == 1);
  CHECK(at.QueryInt("SELECT count(*) FROM case_events") == 3);

  SECTION("another member with the same request_id gets a case of their own") {
    Case other = NewCase("c3", "members/m2", "req-1");
    absl::StatusOr<CreatedCase> created = store->CreateCase(other, RaisedEvent(other));
    REQUIRE(created.ok());
    CHECK(created->created);
    CHECK(created->snapshot.name() == "cases/c3");
    CHECK(at.QueryInt("SELECT count(*) FROM cases") == 2);
  }
  SECTION("alerts without a request_id are never retries of each other") {
    for (const char* id : {"n1", "n2"}) {
      Case bare = NewCase(id, "members/m1", "");
      absl::StatusOr<CreatedCase> created = store->CreateCase(bare, RaisedEvent(bare));
      REQUIRE(created.ok());
      CHECK(created->created);
    }
    CHECK(at.QueryInt("SELECT count(*) FROM cases") == 3);
    Case bare = *store->GetCase("n1");
    CHECK(store
              ->AppendEvent(NextStep(bare, mayday::v1::CASE_STATE_ASSIGNED).first,
                            NextStep(bare, mayday::v1::CASE_STATE_ASSIGNED).second)
              .ok());
  }
  CHECK(at.CheckIntegrity() == "ok");
}

TEST_CASE("CreateCase rejects malformed input and stores nothing", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  Case taken = NewCase("taken", "members/m9", "req-9");
  REQUIRE(store->CreateCase(taken, RaisedEvent(taken)).ok());

  struct Row {
    const char* what;
    void (*mutate)(Case&, CaseEvent&);
    absl::StatusCode code;
  };
  const Row rows[] = {
      {"name without cases/",
       [](Case& c, CaseEvent& e) {
         c.set_name("c1");
         e.set_case_("c1");
       },
       absl::StatusCode::kInvalidArgument},
      {"empty id",
       [](Case& c, CaseEvent& e) {
         c.set_name("cases/");
         e.set_case_("cases/");
       },
       absl::StatusCode::kInvalidArgument},
      {"no member", [](Case& c, CaseEvent&) { c.clear_member(); },
       absl::StatusCode::kInvalidArgument},
      {"no create_time", [](Case& c, CaseEvent&) { c.clear_create_time(); },
       absl::StatusCode::kInvalidArgument},
      {"last_sequence 2", [](Case& c, CaseEvent&) { c.set_last_sequence(2); },
       absl::StatusCode::kInvalidArgument},
      {"event sequence 2", [](Case&, CaseEvent& e) { e.set_sequence(2); },
       absl::StatusCode::kInvalidArgument},
      {"event of another case", [](Case&, CaseEvent& e) { e.set_case_("cases/other"); },
       absl::StatusCode::kInvalidArgument},
      {"id of another case",
       [](Case& c, CaseEvent& e) {
         c.set_name("cases/taken");
         e.set_case_("cases/taken");
       },
       absl::StatusCode::kAlreadyExists},
  };
  for (const Row& row : rows) {
    INFO("row: " << row.what);
    Case snapshot = NewCase("c1", "members/m1", "req-1");
    CaseEvent event = RaisedEvent(snapshot);
    row.mutate(snapshot, event);
    absl::StatusOr<CreatedCase> created = store->CreateCase(snapshot, event);
    INFO(created.status().ToString());
    CHECK(created.status().code() == row.code);
    CHECK(at.QueryInt("SELECT count(*) FROM cases") == 1);
    CHECK(at.QueryInt("SELECT count(*) FROM case_events") == 1);
  }
}

TEST_CASE("AppendEvent extends the timeline one sequence at a time", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  Case snapshot = NewCase("c1", "members/m1", "req-1");
  REQUIRE(store->CreateCase(snapshot, RaisedEvent(snapshot)).ok());
  const Case current = AdvanceTo(*store, snapshot, 5);

  std::vector<CaseEvent> events = AllEvents(*store, "c1");
  REQUIRE(events.size() == 5);
  for (int i = 0; i < 5; ++i) CHECK(events[i].sequence() == i + 1);
  CHECK(at.QueryInt("SELECT state FROM cases WHERE id = 'c1'") == mayday::v1::CASE_STATE_ASSIGNED);

  struct Row {
    const char* what;
    void (*mutate)(Case&, CaseEvent&);
    absl::StatusCode code;
  };
  const Row rows[] = {
      {"duplicate sequence",
       [](Case& c, CaseEvent& e) {
         c.set_last_sequence(5);
         e.set_sequence(5);
       },
       absl::StatusCode::kFailedPrecondition},
      {"gap",
       [](Case& c, CaseEvent& e) {
         c.set_last_sequence(7);
         e.set_sequence(7);
       },
       absl::StatusCode::kFailedPrecondition},
      {"snapshot and event disagree", [](Case& c, CaseEvent&) { c.set_last_sequence(7); },
       absl::StatusCode::kFailedPrecondition},
      {"unknown case",
       [](Case& c, CaseEvent& e) {
         c.set_name("cases/zz");
         e.set_case_("cases/zz");
       },
       absl::StatusCode::kNotFound},
      {"event of another case", [](Case&, CaseEvent& e) { e.set_case_("cases/zz"); },
       absl::StatusCode::kInvalidArgument},
      {"member changed", [](Case& c, CaseEvent&) { c.set_member("members/thief"); },
       absl::StatusCode::kInvalidArgument},
      {"kind changed", [](Case& c, CaseEvent&) { c.set_kind(mayday::v1::CASE_KIND_MEDICAL); },
       absl::StatusCode::kInvalidArgument},
  };
  for (const Row& row : rows) {
    INFO("row: " << row.what);
    auto [next, event] = NextStep(current, mayday::v1::CASE_STATE_EN_ROUTE);
    row.mutate(next, event);
    absl::Status status = store->AppendEvent(next, event);
    INFO(status.ToString());
    CHECK(status.code() == row.code);
    CHECK(MessageDifferencer::Equals(*store->GetCase("c1"), current));
    CHECK(AllEvents(*store, "c1").size() == 5);
  }
  CHECK(at.CheckIntegrity() == "ok");
}

TEST_CASE("ListEvents pages through a timeline", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  Case snapshot = NewCase("c1", "members/m1", "req-1");
  REQUIRE(store->CreateCase(snapshot, RaisedEvent(snapshot)).ok());
  AdvanceTo(*store, snapshot, 10);

  absl::StatusOr<std::vector<CaseEvent>> events = store->ListEvents("c1", 3, 4);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 4);
  CHECK(events->front().sequence() == 4);
  CHECK(events->back().sequence() == 7);
  CHECK(store->ListEvents("c1", 10, 5)->empty());
  CHECK(store->ListEvents("c1", 0, 0).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("A failed write is UNAVAILABLE and leaves nothing behind", "[store]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  std::unique_ptr<Store> store = testing::OpenStore(path);
  Case snapshot = NewCase("c1", "members/m1", "req-1");
  REQUIRE(store->CreateCase(snapshot, RaisedEvent(snapshot)).ok());
  // Fault injection: the second statement of each write fails.
  testing::Exec(path,
                "CREATE TRIGGER fail_events BEFORE INSERT ON case_events "
                "WHEN NEW.sequence <> 1 OR NEW.case_id = 'c2' "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");

  Case second = NewCase("c2", "members/m1", "req-2");
  absl::StatusOr<CreatedCase> created = store->CreateCase(second, RaisedEvent(second));
  CHECK(created.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(created.status().message()),
             Catch::Matchers::StartsWith("storage write failed (storage error): ") &&
                 Catch::Matchers::EndsWith("; nothing was stored"));
  CHECK(WriteFailureReason(created.status()) == "storage error");
  CHECK(WriteFailureReason(absl::UnavailableError("not from a write")).empty());
  CHECK(store->GetCase("c2").status().code() == absl::StatusCode::kNotFound);

  auto [next, event] = NextStep(snapshot, mayday::v1::CASE_STATE_ASSIGNED);
  CHECK(store->AppendEvent(next, event).code() == absl::StatusCode::kUnavailable);
  CHECK(MessageDifferencer::Equals(*store->GetCase("c1"), snapshot));

  // The store is still usable once the fault is gone.
  testing::Exec(path, "DROP TRIGGER fail_events");
  CHECK(store->AppendEvent(next, event).ok());
  CHECK(store->CreateCase(second, RaisedEvent(second)).ok());
  CHECK(CheckIntegrity(path) == "ok");
}

TEST_CASE("ReadCommits returns every commit's events in commit order", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  std::unique_ptr<Store> store = at.Open();
  absl::StatusOr<HistoryHeads> empty = store->Heads();
  REQUIRE(empty.ok());
  CHECK(empty->commit_sequence == 0);
  CHECK(store->ReadCommits(0, 10)->empty());

  // Three cases, each written in its own commit, then moved along: every
  // blocking write is a commit of its own.
  std::vector<Case> cases;
  for (int i = 0; i < 3; ++i) {
    Case snapshot = NewCase("c" + std::to_string(i), "members/m1", "req-" + std::to_string(i));
    REQUIRE(store->CreateCase(snapshot, RaisedEvent(snapshot)).ok());
    cases.push_back(snapshot);
  }
  AdvanceTo(*store, cases[1], 3);
  absl::StatusOr<HistoryHeads> heads = store->Heads();
  REQUIRE(heads.ok());
  REQUIRE(heads->commit_sequence == 5);

  absl::StatusOr<std::vector<CommitRecord>> all = store->ReadCommits(0, 100);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 5);
  const std::vector<std::pair<std::string, int64_t>> expected = {
      {"cases/c0", 1}, {"cases/c1", 1}, {"cases/c2", 1}, {"cases/c1", 2}, {"cases/c1", 3}};
  for (size_t i = 0; i < all->size(); ++i) {
    const CommitRecord& commit = (*all)[i];
    CHECK(commit.sequence == static_cast<int64_t>(i + 1));
    REQUIRE(commit.events.size() == 1);
    CHECK(commit.events[0].case_() == expected[i].first);
    CHECK(commit.events[0].sequence() == expected[i].second);
  }
  // Paged by commit: after 2, at most 2.
  absl::StatusOr<std::vector<CommitRecord>> page = store->ReadCommits(2, 2);
  REQUIRE(page.ok());
  REQUIRE(page->size() == 2);
  CHECK((*page)[0].sequence == 3);
  CHECK((*page)[1].sequence == 4);
  CHECK(store->ReadCommits(5, 10)->empty());
  CHECK(store->ReadCommits(0, 0).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mayday::server
