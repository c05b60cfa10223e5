// The audit trail on the real binaries: maydayd as a process, a care agent's
// reads and actions over gRPC, then `maydayctl audit list` and `maydayctl
// audit verify` as an admin would run them; then a row of the file is
// edited behind the server's back (the append-only triggers dropped first,
// as an intruder with the file would) and `audit verify` must fail naming
// that row.
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
    v1::RaiseAlertRequest raise;
    raise.set_request_id("press-1");
    raise.set_kind(v1::CASE_KIND_MEDICAL);
    raise.mutable_location()->set_latitude(52.37);
    raise.mutable_location()->set_longitude(4.90);
    v1::Case opened;
    REQUIRE(alerts->RaiseAlert(Context(member).get(), raise, &opened).ok());
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

}  // namespace
}  // namespace mayday::testing
