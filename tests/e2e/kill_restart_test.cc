// The durability promise on the real binary: maydayd is SIGKILLed right after
// RaiseAlert answered; the restarted server has the case, and a retry with
// the same request_id returns it instead of opening another. Also: SIGTERM
// shuts down cleanly.
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "daemon.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "member_calls.h"

namespace mayday::testing {
namespace {

struct TempDb {
  std::filesystem::path dir;
  TempDb() {
    std::random_device random;
    dir = std::filesystem::temp_directory_path() /
          ("mayday-e2e-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(dir);
  }
  ~TempDb() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::string path() const { return (dir / "mayday.db").string(); }
};

TEST_CASE("A case acknowledged just before SIGKILL survives, and its retry returns it") {
  TempDb db;
  for (int round = 0; round < 5; ++round) {
    INFO("round " << round);
    // A member of its own each round: a second alert of the same member
    // would join the first, still open.
    const std::string token =
        CreateToken(MAYDAYD_BINARY, db.path(), "member", "member-" + std::to_string(round));
    const std::string request_id = "press-" + std::to_string(round);
    mayday::v1::Case acknowledged;
    {
      Daemon daemon(MAYDAYD_BINARY, db.path());
      REQUIRE(Raise(daemon.address(), token, request_id, &acknowledged).ok());
      const int status = daemon.Stop(SIGKILL);
      REQUIRE(WIFSIGNALED(status));
      CHECK(WTERMSIG(status) == SIGKILL);
    }
    Daemon restarted(MAYDAYD_BINARY, db.path());
    mayday::v1::Case retried;
    REQUIRE(Raise(restarted.address(), token, request_id, &retried).ok());
    CHECK(retried.name() == acknowledged.name());
    CHECK(retried.create_time().seconds() == acknowledged.create_time().seconds());
    std::vector<std::string> listed;
    REQUIRE(ListOwnCases(restarted.address(), token, &listed).ok());
    CHECK(listed == std::vector<std::string>{acknowledged.name()});
  }
}

// The first column of the first row of `sql` on the stopped server's file.
int64_t Count(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  int64_t count = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    count = sqlite3_column_int64(stmt, 0);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return count;
}

TEST_CASE("A safety timer whose deadline passes while maydayd is killed fires once when back") {
  TempDb db;
  const std::string token = CreateToken(MAYDAYD_BINARY, db.path(), "member", "hiker");
  mayday::v1::SafetyTimer timer;
  {
    Daemon daemon(MAYDAYD_BINARY, db.path());
    auto stub = mayday::v1::AlertService::NewStub(
        grpc::CreateChannel(daemon.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    mayday::v1::StartSafetyTimerRequest request;
    request.set_request_id("trip");
    request.set_kind(mayday::v1::CASE_KIND_MEDICAL);
    request.mutable_location()->set_latitude(46.5);
    request.mutable_location()->set_longitude(8.1);
    request.set_note("north ridge, back by six");
    // Near the soonest deadline allowed, 10 s from when the server gets the
    // call: 12 whole seconds from now, as the seconds are cut off here and a
    // busy machine may take a while to carry the call (with 11, a start a
    // little after the top of a second was refused).
    request.mutable_deadline()->set_seconds(absl::ToUnixSeconds(absl::Now()) + 12);
    const grpc::Status started = stub->StartSafetyTimer(&context, request, &timer);
    INFO(started.error_message());
    REQUIRE(started.ok());
    REQUIRE(WIFSIGNALED(daemon.Stop(SIGKILL)));
  }
  // Down over the deadline.
  absl::SleepFor(absl::FromUnixSeconds(timer.deadline().seconds()) + absl::Seconds(1) -
                 absl::Now());
  for (int round = 0; round < 2; ++round) {
    INFO("round " << round);
    Daemon back(MAYDAYD_BINARY, db.path());
    std::vector<std::string> listed;
    for (int i = 0; i < 100 && listed.empty(); ++i) {
      REQUIRE(ListOwnCases(back.address(), token, &listed).ok());
      if (listed.empty()) absl::SleepFor(absl::Milliseconds(50));
    }
    CHECK(listed.size() == 1);
    // Killed again right away: nothing fires twice.
    REQUIRE(WIFSIGNALED(back.Stop(SIGKILL)));
  }
  CHECK(Count(db.path(), "SELECT COUNT(*) FROM cases") == 1);
  CHECK(Count(db.path(), "SELECT COUNT(*) FROM safety_timers WHERE state = 3") == 1);
}

TEST_CASE("maydayd refuses a database whose write-ahead log was deleted after a crash") {
  // The outside report: 200 alerts acknowledged, SIGKILL, mayday.db-wal
  // deleted by hand; the server used to start without a word, 11 cases gone.
  // Here fewer, so that the log stays under the size that starts a
  // checkpoint (1000 pages): one that copied every commit into the file
  // before the kill would leave nothing to miss.
  constexpr int kAlerts = 100;
  TempDb db;
  const Output issued = Run({MAYDAYD_BINARY, "token", "create", "--db", db.path(), "--role",
                             "member", "--subject", "member", "--count", std::to_string(kAlerts)});
  REQUIRE(issued.exit_code == 0);
  std::vector<std::string> tokens;  // the lines that are not maydayd's own on stderr
  for (const std::string& line : issued.lines) {
    if (line.rfind("mdy_", 0) == 0) tokens.push_back(line);
  }
  REQUIRE(tokens.size() == static_cast<size_t>(kAlerts));
  {
    Daemon daemon(MAYDAYD_BINARY, db.path());
    auto stub = mayday::v1::AlertService::NewStub(
        grpc::CreateChannel(daemon.address(), grpc::InsecureChannelCredentials()));
    for (int i = 0; i < kAlerts; ++i) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + tokens[i]);
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      mayday::v1::RaiseAlertRequest request;
      request.set_request_id("press-" + std::to_string(i));
      request.set_kind(i % 2 == 0 ? mayday::v1::CASE_KIND_MEDICAL : mayday::v1::CASE_KIND_ROAD);
      request.mutable_location()->set_latitude(48.8566);
      request.mutable_location()->set_longitude(2.3522);
      mayday::v1::Case raised;
      REQUIRE(stub->RaiseAlert(&context, request, &raised).ok());
    }
    REQUIRE(WIFSIGNALED(daemon.Stop(SIGKILL)));
  }
  REQUIRE(std::filesystem::remove(db.path() + "-wal"));

  // Refused, with one line that says what is missing and what to do.
  const Output refused = Run({MAYDAYD_BINARY, "--listen", "127.0.0.1:0", "--db", db.path()});
  INFO(refused.text());
  CHECK(refused.exit_code == 1);
  REQUIRE(refused.lines.size() == 1);
  CHECK_THAT(refused.messages()[0], Catch::StartsWith("maydayd: DATA_LOSS: ") &&
                                        Catch::Contains("acknowledged history is missing") &&
                                        Catch::Contains("mayday.db-wal deleted") &&
                                        Catch::Contains("--accept-data-loss"));

  // Accepted once: it serves what is left and says so in the audit trail;
  // after that it starts as usual.
  {
    Daemon accepted(MAYDAYD_BINARY, db.path(), {"--accept-data-loss"});
    REQUIRE(WIFEXITED(accepted.Stop(SIGTERM)));
  }
  const int64_t kept = Count(db.path(), "SELECT COUNT(*) FROM cases");
  WARN("after the log was deleted: " << kept << " of " << kAlerts << " acknowledged cases left");
  CHECK(kept < kAlerts);
  CHECK(Count(db.path(),
              "SELECT COUNT(*) FROM audit_log WHERE action = 'store.accept_data_loss' AND detail "
              "LIKE '%acknowledged had been case commit %'") == 1);
  Daemon again(MAYDAYD_BINARY, db.path());
  CHECK(again.port() > 0);
}

TEST_CASE(
    "A second maydayd on a served database file exits 2 naming the first, even after kill -9") {
  TempDb db;
  const auto second_refused = [&](const Daemon& first) {
    const Output second = Run({MAYDAYD_BINARY, "--listen", "127.0.0.1:0", "--db", db.path()});
    INFO(second.text());
    CHECK(second.exit_code == 2);
    REQUIRE(second.lines.size() == 1);
    CHECK(second.messages()[0] == "maydayd: another maydayd (pid " + std::to_string(first.pid()) +
                                      ") serves mayday.db (" + db.path() +
                                      "); one server per database file");
  };
  {
    Daemon first(MAYDAYD_BINARY, db.path());
    second_refused(first);
    // Writing a token beside the server is still allowed.
    const Output token = Run({MAYDAYD_BINARY, "token", "create", "--db", db.path(), "--role",
                              "member", "--subject", "alice"});
    CHECK(token.exit_code == 0);
    REQUIRE(WIFSIGNALED(first.Stop(SIGKILL)));
  }
  // The lock died with the process: no clean-up by hand.
  Daemon restarted(MAYDAYD_BINARY, db.path());
  second_refused(restarted);
}

TEST_CASE("A second maydayd on a busy port exits 2 naming the port, even after kill -9") {
  TempDb db, other;
  const auto second_refused = [&](const Daemon& first) {
    const std::string address = "127.0.0.1:" + std::to_string(first.port());
    const Output second = Run({MAYDAYD_BINARY, "--listen", address, "--db", other.path()});
    INFO(second.text());
    CHECK(second.exit_code == 2);
    REQUIRE_FALSE(second.lines.empty());
    CHECK_THAT(second.messages().back(), Catch::StartsWith("maydayd: ") &&
                                             Catch::Contains("cannot listen on " + address) &&
                                             Catch::Contains("in use"));
  };
  int port = 0;
  {
    Daemon first(MAYDAYD_BINARY, db.path());
    port = first.port();
    second_refused(first);
    REQUIRE(WIFSIGNALED(first.Stop(SIGKILL)));
  }
  // The port is free again once the first is gone.
  Daemon restarted(MAYDAYD_BINARY, db.path(), {}, "127.0.0.1:" + std::to_string(port));
  second_refused(restarted);
}

TEST_CASE("SIGTERM stops maydayd cleanly") {
  TempDb db;
  Daemon daemon(MAYDAYD_BINARY, db.path());
  const int status = daemon.Stop(SIGTERM);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace mayday::testing
