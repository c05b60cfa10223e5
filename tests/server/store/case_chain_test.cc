// The case history's hash chains (store/case_chain.h) on real files: every
// event chained to its case's head and covered by its commit's row, a
// tampered file found at the case and event (or the commit) where it was
// changed, history cut off the end found against the heads reported
// outside, the append-only triggers made again on every open, and the
// migration that chains a version 6 file's events.
#include "store/case_chain.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "mayday/base/clock.h"
#include "store/migrations.h"
#include "store/sqlite_database.h"
#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using testing::QueryInt;
using testing::QueryText;
using testing::RawExec;
using testing::Write;

constexpr char kDropTriggers[] =
    "DROP TRIGGER case_events_no_update; DROP TRIGGER case_events_no_delete; "
    "DROP TRIGGER case_chain_no_update; DROP TRIGGER case_chain_no_delete; "
    "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; ";

// A case with `steps` events (raised, then assigned, en route, on scene ...)
// written one commit per event.
void WriteCase(Store& store, const std::string& id, int steps) {
  mayday::v1::Case snapshot = testing::NewCase(id, "members/" + id, "r-" + id);
  REQUIRE(store.CreateCase(snapshot, testing::RaisedEvent(snapshot)).ok());
  const mayday::v1::CaseState states[] = {
      mayday::v1::CASE_STATE_ASSIGNED, mayday::v1::CASE_STATE_EN_ROUTE,
      mayday::v1::CASE_STATE_ON_SCENE, mayday::v1::CASE_STATE_RESOLVED};
  for (int i = 1; i < steps; ++i) {
    auto [next, event] = testing::NextStep(snapshot, states[i - 1]);
    REQUIRE(store.AppendEvent(next, event).ok());
    snapshot = next;
  }
}

// "X'..'": `bytes` as a SQL blob literal.
std::string Blob(const std::string& bytes) { return "X'" + absl::BytesToHexString(bytes) + "'"; }

// The stored event's bytes and hash.
std::string StoredEvent(const std::string& path, const std::string& id, int sequence) {
  return absl::HexStringToBytes(
      QueryText(path, "SELECT hex(event) FROM case_events WHERE case_id = '" + id +
                          "' AND sequence = " + std::to_string(sequence)));
}
std::string StoredHash(const std::string& path, const std::string& id, int sequence) {
  return absl::HexStringToBytes(
      QueryText(path, "SELECT hex(hash) FROM case_events WHERE case_id = '" + id +
                          "' AND sequence = " + std::to_string(sequence)));
}

HistoryVerdict Verify(Store& store, const ChainAnchor& audit = {}, const ChainAnchor& cases = {}) {
  auto verdict = store.VerifyHistory(audit, cases);
  INFO(verdict.status().ToString());
  REQUIRE(verdict.ok());
  return *verdict;
}

TEST_CASE("Each event is chained to its case's head and covered by its commit", "[store][chain]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  auto store = testing::OpenStore(path);
  WriteCase(*store, "a", 3);
  WriteCase(*store, "b", 2);

  std::string prev = store_internal::ChainGenesis();
  for (int sequence = 1; sequence <= 3; ++sequence) {
    INFO("event " << sequence);
    const std::string hash = StoredHash(path, "a", sequence);
    CHECK(hash ==
          store_internal::CaseEventHash(prev, "a", sequence, StoredEvent(path, "a", sequence)));
    prev = hash;
  }
  CHECK(QueryText(path, "SELECT hex(event_hash) FROM cases WHERE id = 'a'") ==
        absl::AsciiStrToUpper(absl::BytesToHexString(prev)));
  // One commit per write here: five events, five commits, each event
  // carrying its commit's sequence.
  CHECK(QueryInt(path, "SELECT count(*) FROM case_chain") == 5);
  CHECK(QueryInt(path, "SELECT count(DISTINCT chain_sequence) FROM case_events") == 5);

  const HistoryVerdict verdict = Verify(*store);
  CHECK(verdict.intact());
  CHECK(verdict.cases.cases == 2);
  CHECK(verdict.cases.events == 5);
  CHECK(verdict.cases.commits == 5);
  CHECK(verdict.cases.head_sequence == 5);
  CHECK(verdict.cases.head_hash.size() == 64);
}

TEST_CASE("Events of a job that failed after writing leave no trace in the chains",
          "[store][chain]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  auto store = at.Open();
  mayday::v1::Case a = testing::NewCase("a", "members/a", "r-a");
  mayday::v1::Case b = testing::NewCase("b", "members/b", "r-b");
  // Three jobs in one batch: the middle one writes its case, then fails, so
  // the batch runs again with a savepoint per job.
  absl::Notification queued;
  std::vector<absl::Status> outcomes(3);
  absl::Notification all_done;
  int left = 3;
  absl::Mutex mu;
  const auto done = [&](int i) {
    return [&, i](absl::Status status) {
      outcomes[i] = status;
      absl::MutexLock lock(&mu);
      if (--left == 0) all_done.Notify();
    };
  };
  store->Submit(
      [&](WriteTxn&) {
        queued.WaitForNotification();
        return absl::OkStatus();
      },
      done(0));
  store->Submit(
      [&](WriteTxn& txn) -> absl::Status {
        if (auto created = txn.CreateCase(a, testing::RaisedEvent(a)); !created.ok()) {
          return created.status();
        }
        return absl::FailedPreconditionError("refused after writing");
      },
      done(1));
  store->Submit([&](WriteTxn& txn) { return txn.CreateCase(b, testing::RaisedEvent(b)).status(); },
                done(2));
  queued.Notify();
  all_done.WaitForNotification();
  CHECK(outcomes[1].code() == absl::StatusCode::kFailedPrecondition);
  CHECK(outcomes[2].ok());
  CHECK(at.QueryInt("SELECT count(*) FROM case_events") == 1);
  CHECK(at.QueryInt("SELECT event_count FROM case_chain ORDER BY sequence DESC LIMIT 1") == 1);
  CHECK(Verify(*store).intact());
}

TEST_CASE("VerifyHistory names the case and event, or the commit, that was tampered with",
          "[store][chain]") {
  struct Tamper {
    const char* what;
    // The SQL, run with the triggers dropped, given the stored file.
    std::string (*sql)(const std::string& path);
    const char* broken_case;  // empty: the break is in the commit chain
    int64_t broken_sequence;
    int64_t broken_commit;
    const char* problem;  // part of the verdict's words
  };
  const Tamper rows[] = {
      {"an event's text edited",
       [](const std::string& path) {
         std::string event = StoredEvent(path, "a", 2);
         event.back() ^= 1;
         return "UPDATE case_events SET event = " + Blob(event) +
                " WHERE case_id = 'a' AND sequence = 2";
       },
       "cases/a", 2, 0, "event 2 does not match its hash"},
      {"an event edited and its hash made again",
       [](const std::string& path) {
         std::string event = StoredEvent(path, "a", 2);
         event.back() ^= 1;
         return "UPDATE case_events SET event = " + Blob(event) + ", hash = " +
                Blob(store_internal::CaseEventHash(StoredHash(path, "a", 1), "a", 2, event)) +
                " WHERE case_id = 'a' AND sequence = 2";
       },
       "cases/a", 3, 0, "over event 2's"},
      {"an event in the middle deleted",
       [](const std::string&) -> std::string {
         return "DELETE FROM case_events WHERE case_id = 'a' AND sequence = 2";
       },
       "cases/a", 2, 0, "event 2 is missing"},
      {"the last event deleted",
       [](const std::string&) -> std::string {
         return "DELETE FROM case_events WHERE case_id = 'a' AND sequence = 3";
       },
       "cases/a", 3, 0, "are missing"},
      {"the case's head rewritten",
       [](const std::string&) -> std::string {
         return "UPDATE cases SET event_hash = zeroblob(32) WHERE id = 'a'";
       },
       "cases/a", 3, 0, "head hash"},
      {"the last event deleted and its case rewound",
       [](const std::string& path) {
         return "DELETE FROM case_events WHERE case_id = 'a' AND sequence = 3; "
                "UPDATE cases SET last_sequence = 2, event_hash = " +
                Blob(StoredHash(path, "a", 2)) + " WHERE id = 'a'";
       },
       "", 0, 3, "events were removed or added"},
      {"an event added by hand, its chain and case made to fit",
       [](const std::string& path) {
         const std::string event = StoredEvent(path, "a", 3);
         const std::string hash =
             store_internal::CaseEventHash(StoredHash(path, "a", 3), "a", 4, event);
         return "INSERT INTO case_events (case_id, sequence, event, hash) VALUES ('a', 4, " +
                Blob(event) + ", " + Blob(hash) +
                "); UPDATE cases SET last_sequence = 4, event_hash = " + Blob(hash) +
                " WHERE id = 'a'";
       },
       "cases/a", 4, 1, "belongs to no commit"},
  };
  for (const Tamper& tamper : rows) {
    INFO("tampering: " << tamper.what);
    testing::ScratchDir dir;
    const std::string path = dir.File("mayday.db");
    auto store = testing::OpenStore(path);
    WriteCase(*store, "a", 3);  // commits 1 to 3
    WriteCase(*store, "b", 2);  // commits 4 and 5
    REQUIRE(Verify(*store).intact());
    REQUIRE(RawExec(path, kDropTriggers + tamper.sql(path)) == SQLITE_OK);
    const CaseHistoryVerdict verdict = Verify(*store).cases;
    CHECK_FALSE(verdict.intact());
    CHECK(verdict.broken_case == tamper.broken_case);
    CHECK(verdict.broken_sequence == tamper.broken_sequence);
    CHECK(verdict.broken_commit == tamper.broken_commit);
    CHECK_THAT(verdict.problem, Catch::Contains(tamper.problem));
  }
}

TEST_CASE("History cut off the end shows against the heads reported outside", "[store][chain]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  base::ManualClock clock;
  std::vector<HistoryHeads> reported;
  absl::Mutex mu;
  StoreOptions options;
  options.clock = &clock;
  options.history_heads_interval = absl::Minutes(1);
  options.on_history_heads = [&](const HistoryHeads& heads) {
    absl::MutexLock lock(&mu);
    reported.push_back(heads);
  };
  const auto reports = [&] {
    absl::MutexLock lock(&mu);
    return reported;
  };
  {
    auto store = Store::Open(path, options);
    REQUIRE(store.ok());
    REQUIRE(reports().size() == 1);  // at open: nothing yet
    CHECK(reports()[0].commit_sequence == 0);
    WriteCase(**store, "a", 2);
    AuditEntry entry;
    entry.time = clock.Now();
    entry.actor = "operators/olga";
    entry.action = "case.get";
    entry.target = "cases/a";
    REQUIRE(Write(**store, [&](WriteTxn& txn) { return txn.AppendAudit(entry); }).ok());
    CHECK(reports().size() == 1);  // within the interval: not again
    clock.Advance(absl::Minutes(1));
    WriteCase(**store, "b", 1);
    REQUIRE(reports().size() == 2);  // after the interval, with the next commit
    CHECK(reports()[1].commit_sequence == 3);
    CHECK(reports()[1].audit_sequence == 1);
  }
  const std::vector<HistoryHeads> before_cut = reports();
  REQUIRE(before_cut.size() == 3);  // and at close
  const HistoryHeads kept = before_cut.back();
  CHECK(kept.commit_sequence == 3);
  CHECK(kept.commit_hash.size() == 64);
  CHECK(kept.audit_hash.size() == 64);

  // Someone with the file removes case b (the last commit) and the audit
  // entry, consistently: each chain is intact on its own.
  REQUIRE(RawExec(path, std::string(kDropTriggers) + "DELETE FROM case_events WHERE case_id = 'b'; "
                                                     "DELETE FROM cases WHERE id = 'b'; "
                                                     "DELETE FROM case_chain WHERE sequence = 3; "
                                                     "DELETE FROM audit_log WHERE sequence = 1") ==
          SQLITE_OK);
  // The high-water mark beside the file tells at once; whoever cut the
  // history can remove it too.
  absl::StatusOr<std::unique_ptr<Store>> refused = Store::Open(path);
  CHECK(absl::IsDataLoss(refused.status()));
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("holds case commit 2, audit row 0") &&
                 Catch::Contains("acknowledged case commit 3, audit row 1"));
  REQUIRE(std::filesystem::remove(path + "-mark"));
  auto store = testing::OpenStore(path);
  CHECK(Verify(*store).intact());
  const ChainAnchor audit_head{kept.audit_sequence, kept.audit_hash};
  const ChainAnchor case_head{kept.commit_sequence, kept.commit_hash};
  const HistoryVerdict cut = Verify(*store, audit_head, case_head);
  CHECK_FALSE(cut.audit.intact());
  CHECK(cut.audit.first_broken == 1);
  CHECK_THAT(cut.audit.problem, Catch::Contains("cut off the end"));
  CHECK_FALSE(cut.cases.intact());
  CHECK(cut.cases.broken_commit == 3);
  CHECK_THAT(cut.cases.problem, Catch::Contains("cut off the end"));
  // A head the cut left in place still matches; a wrong hash for it does
  // not.
  const HistoryVerdict now = Verify(*store);
  REQUIRE(now.cases.head_sequence == 2);
  CHECK(Verify(*store, {}, ChainAnchor{2, now.cases.head_hash}).intact());
  const HistoryVerdict rewritten = Verify(*store, {}, ChainAnchor{2, std::string(64, 'f')});
  CHECK(rewritten.cases.broken_commit == 2);
  CHECK_THAT(rewritten.cases.problem, Catch::Contains("rewritten"));
}

TEST_CASE("The append-only triggers dropped or replaced by hand are made again on open",
          "[store][chain]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  {
    auto store = testing::OpenStore(path);
    WriteCase(*store, "a", 2);
    AuditEntry entry;
    entry.time = absl::FromUnixMicros(1);
    entry.actor = "operators/olga";
    entry.action = "case.get";
    entry.target = "cases/a";
    REQUIRE(Write(*store, [&](WriteTxn& txn) { return txn.AppendAudit(entry); }).ok());
  }
  REQUIRE(RawExec(path, std::string(kDropTriggers) +
                            "CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events "
                            "BEGIN SELECT 1; END;") == SQLITE_OK);
  CHECK(RawExec(path, "UPDATE case_events SET event = x'00' WHERE sequence = 2") == SQLITE_OK);
  auto store = testing::OpenStore(path);
  CHECK(QueryInt(path, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'") == 6);
  for (const char* sql : {"UPDATE case_events SET event = x'00'", "DELETE FROM case_events",
                          "UPDATE case_chain SET time_us = 0", "DELETE FROM case_chain",
                          "UPDATE audit_log SET detail = ''", "DELETE FROM audit_log"}) {
    INFO(sql);
    CHECK(RawExec(path, sql) == SQLITE_CONSTRAINT);
  }
  // The edit made while they were gone is still found.
  const CaseHistoryVerdict verdict = Verify(*store).cases;
  CHECK(verdict.broken_case == "cases/a");
  CHECK(verdict.broken_sequence == 2);
  // Open again with them in place: nothing is written.
  const int64_t cookie = QueryInt(path, "PRAGMA schema_version");
  store.reset();
  store = testing::OpenStore(path);
  CHECK(QueryInt(path, "PRAGMA schema_version") == cookie);
}

TEST_CASE("A version 6 file's events are chained by the migration", "[store][chain][migrations]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  {
    std::unique_ptr<store_internal::SqliteDatabase> db = testing::WriteSchemaFile(path, 6);
    // Two cases as version 6 stored them: b with 1 event, a with 2.
    for (const auto& [id, events] : {std::pair<std::string, int>{"b", 1}, {"a", 2}}) {
      mayday::v1::Case snapshot = testing::NewCase(id, "members/" + id, "r-" + id);
      std::vector<mayday::v1::CaseEvent> timeline = {testing::RaisedEvent(snapshot)};
      if (events == 2) {
        auto [next, event] = testing::NextStep(snapshot, mayday::v1::CASE_STATE_CANCELLED);
        snapshot = next;
        timeline.push_back(event);
      }
      REQUIRE(db->Exec("INSERT INTO cases (id, member, request_id, kind, state, create_time_us, "
                       "last_sequence, snapshot) VALUES ('" +
                       id + "', 'members/" + id + "', 'r-" + id + "', 1, " +
                       std::to_string(snapshot.state()) + ", 1, " + std::to_string(events) + ", " +
                       Blob(snapshot.SerializeAsString()) + ")")
                  .ok());
      for (const auto& event : timeline) {
        REQUIRE(db->Exec("INSERT INTO case_events (case_id, sequence, event) VALUES ('" + id +
                         "', " + std::to_string(event.sequence()) + ", " +
                         Blob(event.SerializeAsString()) + ")")
                    .ok());
      }
    }
  }
  auto store = testing::OpenStore(path);
  CHECK(QueryInt(path, "SELECT max(version) FROM schema_migrations") ==
        store_internal::LatestSchemaVersion());
  CHECK(QueryInt(path, "SELECT count(*) FROM case_events WHERE chain_sequence = 1") == 3);
  CHECK(QueryInt(path, "SELECT event_count FROM case_chain WHERE sequence = 1") == 3);
  CHECK(StoredHash(path, "a", 2) ==
        store_internal::CaseEventHash(StoredHash(path, "a", 1), "a", 2, StoredEvent(path, "a", 2)));
  const HistoryVerdict migrated = Verify(*store);
  CHECK(migrated.intact());
  CHECK(migrated.cases.events == 3);
  // New events chain on from the migrated heads.
  mayday::v1::Case c = testing::NewCase("c", "members/c", "r-c");
  REQUIRE(store->CreateCase(c, testing::RaisedEvent(c)).ok());
  const HistoryVerdict after = Verify(*store);
  CHECK(after.intact());
  CHECK(after.cases.head_sequence == 2);
  CHECK(testing::CheckIntegrity(path) == "ok");
}

}  // namespace
}  // namespace mayday::server
