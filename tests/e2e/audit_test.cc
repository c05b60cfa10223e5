// The audit trail on the real binaries: maydayd as a process, a care agent's
// reads and actions over gRPC, then `maydayctl audit list` and `maydayctl
// audit verify` as an admin would run them; then a row of the file is
// edited behind the server's back (the append-only triggers dropped first,
// as an intruder with the file would) and `audit verify` must fail naming
// that row. Then a member's message is forged in the file while maydayd is
// stopped, and `audit verify` must name the case and the event.
#include <sqlite3.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "../sdk_faults/child_process.h"
#include "daemon.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

struct Ran {
  int exit_code = -1;
  std::string out;  // stdout
};

// Runs maydayctl to the end (at most 30 s).
Ran Ctl(const std::string& address, const std::string& token, std::vector<std::string> args) {
  args.insert(args.begin(), {MAYDAYCTL_BINARY, "--server", address, "--token", token});
  ChildProcess child(args);
  Ran ran;
  while (auto line = child.ReadLine(absl::Seconds(30))) ran.out += *line + "\n";
  auto status = child.Wait(absl::Seconds(30));
  REQUIRE(status.has_value());
  ran.exit_code = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  return ran;
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

// Runs `sql` on a connection of its own to the live file.
void Tamper(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  INFO((error != nullptr ? error : ""));
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
}

// A medical alert in Amsterdam, press `request_id`.
v1::RaiseAlertRequest MedicalAlert(const std::string& request_id) {
  v1::RaiseAlertRequest raise;
  raise.set_request_id(request_id);
  raise.set_kind(v1::CASE_KIND_MEDICAL);
  raise.mutable_location()->set_latitude(52.37);
  raise.mutable_location()->set_longitude(4.90);
  return raise;
}

TEST_CASE("maydayctl audit verify finds the row edited in the file") {
  std::random_device random;
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("mayday-audit-" + std::to_string(random()) + std::to_string(random()));
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "mayday.db").string();
  {
    Daemon daemon(MAYDAYD_BINARY, db);
    const std::string admin = CreateToken(MAYDAYD_BINARY, db, "admin", "ada");
    const std::string agent = CreateToken(MAYDAYD_BINARY, db, "operator", "olga");
    const std::string member = CreateToken(MAYDAYD_BINARY, db, "member", "alice");
    auto channel = grpc::CreateChannel(daemon.address(), grpc::InsecureChannelCredentials());
    auto alerts = v1::AlertService::NewStub(channel);
    auto operators = v1::OperatorService::NewStub(channel);

    // A member's case (not audited), then an agent reads it, notes it and
    // cancels it (three entries), then an admin issues a token (a fourth).
    v1::Case opened;
    REQUIRE(alerts->RaiseAlert(Context(member).get(), MedicalAlert("press-1"), &opened).ok());
    v1::GetCaseRequest get;
    get.set_name(opened.name());
    v1::Case read;
    REQUIRE(operators->GetCase(Context(agent).get(), get, &read).ok());
    v1::CreateCaseNoteRequest note;
    note.set_parent(opened.name());
    note.set_text("called the member back");
    v1::CaseNote noted;
    REQUIRE(operators->CreateCaseNote(Context(agent).get(), note, &noted).ok());
    v1::CancelCaseRequest cancel;
    cancel.set_name(opened.name());
    cancel.set_reason("member is fine");
    cancel.set_false_alarm(true);
    v1::Case cancelled;
    REQUIRE(operators->CancelCase(Context(agent).get(), cancel, &cancelled).ok());
    v1::CreateTokenRequest issue;
    issue.set_role(v1::ROLE_RESPONDER);
    issue.set_subject("unit-9");
    v1::CreateTokenResponse issued;
    REQUIRE(operators->CreateToken(Context(admin).get(), issue, &issued).ok());

    const Ran listed = Ctl(daemon.address(), admin, {"audit", "list"});
    INFO(listed.out);
    CHECK(listed.exit_code == 0);
    for (const char* action : {"case.get", "case.note", "case.cancel", "token.create"}) {
      CHECK_THAT(listed.out, Catch::Contains(action));
    }
    CHECK_THAT(listed.out, Catch::Contains("operators/olga"));
    CHECK_THAT(listed.out, Catch::Contains(opened.name()));
    CHECK_THAT(listed.out, Catch::Contains(issued.token().name()));

    const Ran intact = Ctl(daemon.address(), admin, {"audit", "verify"});
    INFO(intact.out);
    CHECK(intact.exit_code == 0);
    CHECK_THAT(intact.out, Catch::Contains("audit trail intact: 4 entries"));
    // Only admins may read or check the trail.
    CHECK(Ctl(daemon.address(), agent, {"audit", "verify"}).exit_code == 1);

    // The cancellation (entry 3) rewritten to look like a resolution.
    Tamper(db,
           "DROP TRIGGER audit_log_no_update; "
           "UPDATE audit_log SET action = 'case.resolve' WHERE sequence = 3");
    const Ran broken = Ctl(daemon.address(), admin, {"audit", "verify"});
    INFO(broken.out);
    CHECK(broken.exit_code == 1);
    CHECK_THAT(broken.out, Catch::Contains("BROKEN at entry 3"));

    // The same with --output json, for scripts.
    const Ran json = Ctl(daemon.address(), admin, {"audit", "verify", "--output", "json"});
    INFO(json.out);
    CHECK(json.exit_code == 1);
    CHECK_THAT(json.out, Catch::Contains("\"first_broken_sequence\":\"3\""));
    daemon.Stop(SIGTERM);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

// Rewrites the text of message event `sequence` of case `case_id` in the
// file, as someone with the file and maydayd stopped could: the triggers
// dropped, the event parsed, changed and stored back.
void ForgeMessage(const std::string& path, const std::string& case_id, int64_t sequence,
                  const std::string& text) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "DROP TRIGGER case_events_no_update", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_stmt* read = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT event FROM case_events WHERE case_id = ?1 AND sequence = ?2",
                             -1, &read, nullptr) == SQLITE_OK);
  sqlite3_bind_text(read, 1, case_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(read, 2, sequence);
  REQUIRE(sqlite3_step(read) == SQLITE_ROW);
  v1::CaseEvent event;
  REQUIRE(event.ParseFromArray(sqlite3_column_blob(read, 0), sqlite3_column_bytes(read, 0)));
  sqlite3_finalize(read);
  REQUIRE(event.has_message_posted());
  event.mutable_message_posted()->set_text(text);
  const std::string forged = event.SerializeAsString();
  sqlite3_stmt* write = nullptr;
  REQUIRE(sqlite3_prepare_v2(
              db, "UPDATE case_events SET event = ?3 WHERE case_id = ?1 AND sequence = ?2", -1,
              &write, nullptr) == SQLITE_OK);
  sqlite3_bind_text(write, 1, case_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(write, 2, sequence);
  sqlite3_bind_blob(write, 3, forged.data(), static_cast<int>(forged.size()), SQLITE_TRANSIENT);
  REQUIRE(sqlite3_step(write) == SQLITE_DONE);
  sqlite3_finalize(write);
  sqlite3_close(db);
}

TEST_CASE("maydayctl audit verify finds a member's message forged in the stopped server's file") {
  Scratch scratch("mayday-forged");
  const std::string db = (scratch.dir / "mayday.db").string();
  const std::string admin = CreateToken(MAYDAYD_BINARY, db, "admin", "ada");
  const std::string agent = CreateToken(MAYDAYD_BINARY, db, "operator", "olga");
  const std::string member = CreateToken(MAYDAYD_BINARY, db, "member", "alice");
  std::string case_name;
  int64_t message_sequence = 0;
  std::string head;  // "--case-head" as the intact verify printed it
  {
    Daemon daemon(MAYDAYD_BINARY, db);
    auto channel = grpc::CreateChannel(daemon.address(), grpc::InsecureChannelCredentials());
    auto alerts = v1::AlertService::NewStub(channel);
    v1::Case opened;
    REQUIRE(alerts->RaiseAlert(Context(member).get(), MedicalAlert("press-1"), &opened).ok());
    case_name = opened.name();
    v1::PostMessageRequest post;
    post.set_case_(case_name);
    post.set_text("chest pain, can't breathe");
    v1::CaseEvent posted;
    REQUIRE(alerts->PostMessage(Context(member).get(), post, &posted).ok());
    message_sequence = posted.sequence();

    const Ran intact = Ctl(daemon.address(), admin, {"audit", "verify"});
    INFO(intact.out);
    CHECK(intact.exit_code == 0);
    CHECK_THAT(intact.out, Catch::Contains("case history intact: 1 cases"));
    const size_t at = intact.out.find("--case-head ");
    REQUIRE(at != std::string::npos);
    head = intact.out.substr(at + 12, intact.out.find('\n', at) - at - 12);
    daemon.Stop(SIGTERM);
  }

  ForgeMessage(db, case_name.substr(6), message_sequence, "all fine, false alarm");
  Daemon daemon(MAYDAYD_BINARY, db);
  // Care agents would read the forged text; verify says where it is.
  auto operators = v1::OperatorService::NewStub(
      grpc::CreateChannel(daemon.address(), grpc::InsecureChannelCredentials()));
  v1::ListCaseEventsRequest list;
  list.set_parent(case_name);
  v1::ListCaseEventsResponse events;
  REQUIRE(operators->ListCaseEvents(Context(agent).get(), list, &events).ok());
  const Ran broken = Ctl(daemon.address(), admin, {"audit", "verify", "--case-head", head});
  INFO(broken.out);
  CHECK(broken.exit_code == 1);
  CHECK_THAT(broken.out, Catch::Contains("case history BROKEN at " + case_name + " event " +
                                         std::to_string(message_sequence)));
  // The trigger dropped for the forgery was made again at start.
  sqlite3* file = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &file) == SQLITE_OK);
  sqlite3_busy_timeout(file, 5000);
  CHECK(sqlite3_exec(file, "UPDATE case_events SET event = x'00'", nullptr, nullptr, nullptr) ==
        SQLITE_CONSTRAINT);
  sqlite3_close(file);
  // A malformed head is a usage error: nothing is sent.
  CHECK(Ctl(daemon.address(), admin, {"audit", "verify", "--case-head", "seven"}).exit_code == 2);
  daemon.Stop(SIGTERM);
}

}  // namespace
}  // namespace mayday::testing
