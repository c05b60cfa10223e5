// The audit trail in the store: rows appended in the writer's transactions
// (and undone with them), chained by SHA-256, refused UPDATE and DELETE by
// triggers, and every kind of tampering found by VerifyAudit at the row
// where it happened. Plus the migration that adds the table to a version 3
// file.
#include "store/audit.h"

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <string>

#include "absl/synchronization/notification.h"
#include "store/migrations.h"
#include "store/sqlite_database.h"
#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using testing::QueryInt;
using testing::RawExec;
using testing::Write;

AuditEntry Entry(const std::string& action, const std::string& target) {
  AuditEntry entry;
  entry.time = absl::FromUnixMicros(1'700'000'000'000'000);
  entry.actor_role = Role::kOperator;
  entry.actor = "operators/olga";
  entry.action = action;
  entry.target = target;
  entry.detail = "detail of " + action;
  return entry;
}

TEST_CASE("Audit rows chain from 64 zeros, one SHA-256 over the previous hash and the row",
          "[store][audit]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  auto store = at.Open();
  for (int i = 1; i <= 3; ++i) {
    REQUIRE(Write(*store, [i](WriteTxn& txn) {
              return txn.AppendAudit(Entry("case.get", "cases/c" + std::to_string(i)));
            }).ok());
  }
  auto rows = store->ListAudit(0, 10);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 3);
  std::string prev(store_internal::kAuditGenesisHash);
  for (int i = 0; i < 3; ++i) {
    const AuditRecord& row = (*rows)[i];
    INFO("row " << row.sequence);
    CHECK(row.sequence == i + 1);
    CHECK(row.prev_hash == prev);
    CHECK(row.hash == store_internal::AuditRowHash(prev, row.sequence, row.entry));
    CHECK(row.entry.target == "cases/c" + std::to_string(i + 1));
    CHECK(row.entry.actor == "operators/olga");
    prev = row.hash;
  }
  // Paging: after sequence 2 only row 3.
  auto tail = store->ListAudit(2, 10);
  REQUIRE(tail.ok());
  REQUIRE(tail->size() == 1);
  CHECK(tail->front().sequence == 3);
  CHECK(store->ListAudit(0, 0).status().code() == absl::StatusCode::kInvalidArgument);

  auto verdict = store->VerifyAudit();
  REQUIRE(verdict.ok());
  CHECK(verdict->intact());
  CHECK(verdict->checked == 3);
  CHECK(verdict->last_hash == prev);
}

TEST_CASE("An audit row is undone with the job that wrote it", "[store][audit]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  auto store = at.Open();
  REQUIRE(Write(*store, [](WriteTxn& txn) {
            return txn.AppendAudit(Entry("case.take", "cases/a"));
          }).ok());
  // The change after the audit row fails: neither is stored.
  CHECK(Write(*store, [](WriteTxn& txn) -> absl::Status {
          if (auto s = txn.AppendAudit(Entry("case.take", "cases/b")); !s.ok()) return s;
          return absl::FailedPreconditionError("the change was refused");
        }).code() == absl::StatusCode::kFailedPrecondition);
  // A note on an unknown case fails with its audit row.
  mayday::v1::CaseNote note;
  note.set_case_("cases/nope");
  note.set_text("x");
  CHECK(Write(*store, [&](WriteTxn& txn) -> absl::Status {
          if (auto s = txn.AddNote(note); !s.ok()) return s;
          return txn.AppendAudit(Entry("case.note", "cases/nope"));
        }).code() == absl::StatusCode::kNotFound);
  REQUIRE(Write(*store, [](WriteTxn& txn) {
            return txn.AppendAudit(Entry("case.release", "cases/a"));
          }).ok());
  auto rows = store->ListAudit(0, 10);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].entry.action == "case.take");
  CHECK((*rows)[1].entry.action == "case.release");
  CHECK((*rows)[1].sequence == 2);
  CHECK(store->VerifyAudit()->intact());
  CHECK(Write(*store, [](WriteTxn& txn) {
          AuditEntry nobody = Entry("case.get", "cases/a");
          nobody.actor.clear();
          return txn.AppendAudit(nobody);
        }).code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("The audit table refuses UPDATE and DELETE", "[store][audit]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  auto store = testing::OpenStore(path);
  REQUIRE(Write(*store, [](WriteTxn& txn) {
            return txn.AppendAudit(Entry("token.create", "tokens/0123456789abcdef"));
          }).ok());
  CHECK(RawExec(path, "UPDATE audit_log SET detail = 'nothing happened'") == SQLITE_CONSTRAINT);
  CHECK(RawExec(path, "DELETE FROM audit_log") == SQLITE_CONSTRAINT);
  CHECK(QueryInt(path, "SELECT count(*) FROM audit_log") == 1);
  CHECK(store->VerifyAudit()->intact());
}

TEST_CASE("VerifyAudit names the first row that was tampered with", "[store][audit]") {
  struct Tamper {
    const char* what;
    std::string sql;  // run with the triggers dropped
    int64_t first_broken;
    const char* problem;  // part of the verdict's words
  };
  const Tamper rows[] = {
      {"a field edited", "UPDATE audit_log SET target = 'cases/other' WHERE sequence = 3", 3,
       "do not match its hash"},
      {"a field and its hash edited",
       "UPDATE audit_log SET detail = 'x', hash = '" + std::string(64, 'f') +
           "' WHERE sequence = 2",
       2, "do not match its hash"},
      {"a row deleted", "DELETE FROM audit_log WHERE sequence = 2", 3, "are missing"},
      {"the actor's role changed", "UPDATE audit_log SET actor_role = 'admin' WHERE sequence = 4",
       4, "do not match its hash"},
      {"a row appended by hand",
       "INSERT INTO audit_log VALUES (6, 1, 'admin', 'operators/x', 'case.get', 'cases/a', '', '" +
           std::string(64, '0') + "', '" + std::string(64, '0') + "')",
       6, "is not the hash of row 5"},
  };
  for (const Tamper& tamper : rows) {
    INFO("tampering: " << tamper.what);
    testing::ScratchDir dir;
    const std::string path = dir.File("mayday.db");
    auto store = testing::OpenStore(path);
    for (int i = 1; i <= 5; ++i) {
      REQUIRE(Write(*store, [i](WriteTxn& txn) {
                return txn.AppendAudit(Entry("case.get", "cases/c" + std::to_string(i)));
              }).ok());
    }
    REQUIRE(store->VerifyAudit()->intact());
    REQUIRE(RawExec(path, std::string("DROP TRIGGER audit_log_no_update; "
                                      "DROP TRIGGER audit_log_no_delete; ") +
                              tamper.sql) == SQLITE_OK);
    auto verdict = store->VerifyAudit();
    REQUIRE(verdict.ok());
    CHECK_FALSE(verdict->intact());
    CHECK(verdict->first_broken == tamper.first_broken);
    CHECK_THAT(verdict->problem, Catch::Contains(tamper.problem));
  }
}

TEST_CASE("A version 3 file gains the audit trail, its rows kept", "[store][audit][migrations]") {
  testing::ScratchDir dir;
  const std::string path = dir.File("mayday.db");
  {
    std::unique_ptr<store_internal::SqliteDatabase> db = testing::WriteSchemaFile(path, 3);
    REQUIRE(db->Exec("INSERT INTO tokens VALUES ('" + std::string(64, 'a') +
                     "', 'admin', 'root', 1, 0)")
                .ok());
  }
  REQUIRE(QueryInt(path, "SELECT max(version) FROM schema_migrations") == 3);

  auto store = testing::OpenStore(path);
  CHECK(QueryInt(path, "SELECT max(version) FROM schema_migrations") ==
        store_internal::LatestSchemaVersion());
  CHECK(store->FindToken(std::string(64, 'a'))->subject == "root");
  CHECK(QueryInt(path,
                 "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND "
                 "tbl_name = 'audit_log'") == 2);
  auto empty = store->VerifyAudit();
  REQUIRE(empty.ok());
  CHECK(empty->intact());
  CHECK(empty->checked == 0);
  REQUIRE(Write(*store, [](WriteTxn& txn) {
            return txn.AppendAudit(Entry("tokens.list", "tokens"));
          }).ok());
  CHECK(store->VerifyAudit()->checked == 1);
  CHECK(testing::CheckIntegrity(path) == "ok");
}

}  // namespace
}  // namespace mayday::server
