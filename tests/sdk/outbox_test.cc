// The alert outbox: the SQLite store keeps pending alerts across reopen, and
// Raise reports queued -> sending -> acknowledged / failed against the
// scripted AlertService.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "fake_alert_service.h"
#include "mayday/sdk/client.h"
#include "outbox_store.h"
#include "request_id.h"

namespace mayday::sdk {
namespace {

// A fresh directory, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    std::random_device random;
    path_ = (std::filesystem::temp_directory_path() /
             absl::StrCat("mayday-sdk-outbox-", random(), random()))
                .string();
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The member of the clients below that use the token "t".
const std::string kMember = internal::MemberKey("t");

mayday::v1::RaiseAlertRequest Request(const std::string& id) {
  mayday::v1::RaiseAlertRequest request;
  request.set_request_id(id);
  request.set_kind(mayday::v1::CASE_KIND_MEDICAL);
  request.mutable_location()->set_latitude(1);
  return request;
}

TEST_CASE("OutboxStore keeps pending alerts across reopen", "[sdk][outbox]") {
  ScratchDir dir;
  {
    auto store = internal::OutboxStore::Open(dir.path(), kMember);
    REQUIRE(store.ok());
    REQUIRE((*store)->Insert(Request("a")).ok());
    REQUIRE((*store)->Insert(Request("b")).ok());
    REQUIRE((*store)->Insert(Request("c")).ok());
    REQUIRE((*store)->MarkAcknowledged("b", "cases/b").ok());
    REQUIRE((*store)->MarkFailed("c", "bad").ok());
  }
  auto store = internal::OutboxStore::Open(dir.path(), kMember);
  REQUIRE(store.ok());
  auto pending = (*store)->LoadPending();
  REQUIRE(pending.ok());
  REQUIRE(pending->size() == 1);
  CHECK((*pending)[0].request_id() == "a");
  CHECK((*pending)[0].kind() == mayday::v1::CASE_KIND_MEDICAL);
  CHECK((*store)->AcknowledgedCase("b") == "cases/b");
  CHECK((*store)->AcknowledgedCase("a").empty());
}

TEST_CASE("OutboxStore refuses a data_dir that does not exist", "[sdk][outbox]") {
  auto store = internal::OutboxStore::Open("/nonexistent/mayday/dir", kMember);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == absl::StatusCode::kFailedPrecondition);
  ClientOptions options;
  options.server = "127.0.0.1:1";
  options.token = "t";
  options.data_dir = "/nonexistent/mayday/dir";
  CHECK(Client::Create(options).status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("Create resends what the outbox holds, with its request_id", "[sdk][outbox]") {
  ScratchDir dir;
  {
    auto store = internal::OutboxStore::Open(dir.path(), kMember);
    REQUIRE(store.ok());
    REQUIRE((*store)->Insert(Request("left-by-a-killed-app")).ok());
  }
  testing::FakeServer server;
  testing::CaseReply reply;
  reply.result.set_name("cases/c-9");
  reply.result.set_request_id("left-by-a-killed-app");
  server.service().AddRaiseReply(reply);
  ClientOptions options;
  options.server = server.address();
  options.token = "t";
  options.data_dir = dir.path();
  auto client = Client::Create(options);
  REQUIRE(client.ok());
  auto resumed = (*client)->ResumedAlerts();
  REQUIRE(resumed.size() == 1);
  CHECK(resumed[0]->request_id() == "left-by-a-killed-app");
  REQUIRE(resumed[0]->WaitDone(absl::Seconds(10)));
  CHECK(resumed[0]->progress().opened.name() == "cases/c-9");
  const auto requests = server.service().raise_requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].request_id() == "left-by-a-killed-app");
  CHECK(requests[0].kind() == mayday::v1::CASE_KIND_MEDICAL);
}

TEST_CASE("Members sharing a data directory each keep their own queued alerts", "[sdk][outbox]") {
  ScratchDir dir;
  const std::string alice = internal::MemberKey("alice-token");
  const std::string bob = internal::MemberKey("bob-token");
  CHECK(alice != bob);
  CHECK(alice.size() == 32);
  CHECK(alice.find("alice") == std::string::npos);
  {
    auto alices = internal::OutboxStore::Open(dir.path(), alice);
    auto bobs = internal::OutboxStore::Open(dir.path(), bob);
    REQUIRE(alices.ok());
    REQUIRE(bobs.ok());
    // The same key chosen by two members' apps: two alerts, not one.
    REQUIRE((*alices)->Insert(Request("press-1")).ok());
    REQUIRE((*bobs)->Insert(Request("press-1")).ok());
    REQUIRE((*bobs)->MarkAcknowledged("press-1", "cases/bob").ok());
    CHECK((*alices)->LoadPending()->size() == 1);
    CHECK((*bobs)->LoadPending()->empty());
    CHECK((*alices)->AcknowledgedCase("press-1").empty());
    CHECK((*bobs)->AcknowledgedCase("press-1") == "cases/bob");
    const auto waiting = (*bobs)->WaitingForOthers();
    REQUIRE(waiting.ok());
    REQUIRE(waiting->size() == 1);
    CHECK((*waiting)[0].request_id == "press-1");
    CHECK((*alices)->WaitingForOthers()->empty());
  }
}

TEST_CASE("An alert queued by one member is never sent under another's token", "[sdk][outbox]") {
  // A shared family phone: Alice raised an alert while offline and logged
  // out; Bob logs in on the same app (the same data directory).
  ScratchDir dir;
  {
    auto store = internal::OutboxStore::Open(dir.path(), internal::MemberKey("alice-token"));
    REQUIRE(store.ok());
    REQUIRE((*store)->Insert(Request("alice-press")).ok());
  }
  testing::FakeServer server;
  ClientOptions options;
  options.server = server.address();
  options.data_dir = dir.path();
  {
    testing::CaseReply reply;
    reply.result.set_name("cases/bob-1");
    server.service().AddRaiseReply(reply);
    options.token = "bob-token";
    auto bob = Client::Create(options);
    REQUIRE(bob.ok());
    CHECK((*bob)->ResumedAlerts().empty());
    const std::vector<QueuedForAnotherMember> waiting = (*bob)->AlertsQueuedForOtherMembers();
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].request_id == "alice-press");
    CHECK(waiting[0].kind == mayday::v1::CASE_KIND_MEDICAL);
    CHECK(absl::Now() - waiting[0].raised < absl::Minutes(5));
    Alert own;
    own.kind = mayday::v1::CASE_KIND_ROAD;
    own.latitude = 52.37;
    own.longitude = 4.90;
    own.request_id = "bob-press";
    auto raised = (*bob)->Raise(own);
    REQUIRE(raised.ok());
    REQUIRE((*raised)->WaitDone(absl::Seconds(10)));
  }
  {
    testing::CaseReply reply;
    reply.result.set_name("cases/alice-1");
    server.service().AddRaiseReply(reply);
    options.token = "alice-token";
    auto alice = Client::Create(options);
    REQUIRE(alice.ok());
    CHECK((*alice)->AlertsQueuedForOtherMembers().empty());
    const auto resumed = (*alice)->ResumedAlerts();
    REQUIRE(resumed.size() == 1);
    CHECK(resumed[0]->request_id() == "alice-press");
    REQUIRE(resumed[0]->WaitDone(absl::Seconds(10)));
    CHECK(resumed[0]->progress().opened.name() == "cases/alice-1");
  }
  // Each alert went once, under its own member's token.
  const auto requests = server.service().raise_requests();
  const auto tokens = server.service().authorizations();
  REQUIRE(requests.size() == 2);
  REQUIRE(tokens.size() == 2);
  CHECK(requests[0].request_id() == "bob-press");
  CHECK(tokens[0] == "Bearer bob-token");
  CHECK(requests[1].request_id() == "alice-press");
  CHECK(tokens[1] == "Bearer alice-token");
  options.token = "bob-token";
  auto bob = Client::Create(options);
  REQUIRE(bob.ok());
  CHECK((*bob)->AlertsQueuedForOtherMembers().empty());
}

TEST_CASE("An outbox from before members is given to the first member who opens it",
          "[sdk][outbox]") {
  ScratchDir dir;
  {
    // The table as SDK 0.1 wrote it, with one pending alert.
    auto store = internal::OutboxStore::Open(dir.path(), kMember);
    REQUIRE(store.ok());
  }
  const std::string file = dir.path() + "/" + internal::OutboxStore::kFileName;
  std::filesystem::remove(file);
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    const std::string blob = Request("old-press").SerializeAsString();
    std::string hex;
    for (unsigned char c : blob) absl::StrAppend(&hex, absl::Hex(c, absl::kZeroPad2));
    const std::string sql = absl::StrCat(
        "CREATE TABLE alerts (request_id TEXT PRIMARY KEY, request BLOB NOT NULL,"
        " state INTEGER NOT NULL, case_name TEXT NOT NULL DEFAULT '',"
        " error TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL);"
        "INSERT INTO alerts VALUES ('old-press', x'",
        hex, "', 0, '', '', strftime('%s','now'));");
    CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto first = internal::OutboxStore::Open(dir.path(), kMember);
  REQUIRE(first.ok());
  const auto pending = (*first)->LoadPending();
  REQUIRE(pending.ok());
  REQUIRE(pending->size() == 1);
  CHECK((*pending)[0].request_id() == "old-press");
  auto second = internal::OutboxStore::Open(dir.path(), internal::MemberKey("other"));
  REQUIRE(second.ok());
  CHECK((*second)->LoadPending()->empty());
  CHECK((*second)->WaitingForOthers()->size() == 1);
}

TEST_CASE("Raise reports each state change in order", "[sdk][outbox]") {
  using testing::CaseReply;
  // Each row: the server's replies, then the states the callback must see.
  struct Row {
    const char* name;
    std::vector<grpc::StatusCode> failures;  // before the final reply
    bool refused;                            // final reply INVALID_ARGUMENT
    std::vector<AlertState> states;
  };
  const Row rows[] = {
      {"acknowledged at once", {}, false, {AlertState::kSending, AlertState::kAcknowledged}},
      {"two retries",
       {grpc::StatusCode::UNAVAILABLE, grpc::StatusCode::DEADLINE_EXCEEDED},
       false,
       {AlertState::kSending, AlertState::kQueued, AlertState::kSending, AlertState::kQueued,
        AlertState::kSending, AlertState::kAcknowledged}},
      {"refused",
       {grpc::StatusCode::UNAVAILABLE},
       true,
       {AlertState::kSending, AlertState::kQueued, AlertState::kSending, AlertState::kFailed}},
  };
  for (const Row& row : rows) {
    INFO(row.name);
    testing::FakeServer server;
    for (grpc::StatusCode code : row.failures) {
      server.service().AddRaiseReply(CaseReply{grpc::Status(code, "x"), {}});
    }
    CaseReply last;
    if (row.refused) {
      last.status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no");
    } else {
      last.result.set_name("cases/c-1");
    }
    server.service().AddRaiseReply(last);
    ScratchDir dir;
    ClientOptions options;
    options.server = server.address();
    options.token = "t";
    options.data_dir = dir.path();
    options.initial_backoff = absl::Milliseconds(10);
    options.max_backoff = absl::Milliseconds(20);
    auto client = Client::Create(options);
    REQUIRE(client.ok());
    absl::Mutex mu;
    std::vector<AlertState> seen;
    Alert alert;
    alert.kind = mayday::v1::CASE_KIND_ROAD;
    auto raised = (*client)->Raise(alert, [&](const AlertProgress& progress) {
      absl::MutexLock lock(&mu);
      seen.push_back(progress.state);
    });
    REQUIRE(raised.ok());
    REQUIRE((*raised)->WaitDone(absl::Seconds(10)));
    const AlertProgress progress = (*raised)->progress();
    CHECK(progress.attempts == static_cast<int>(row.failures.size()) + 1);
    if (row.refused) {
      CHECK(progress.error.code() == absl::StatusCode::kInvalidArgument);
    } else {
      CHECK(progress.opened.name() == "cases/c-1");
    }
    client->reset();  // joins the sender: every callback has run
    CHECK(seen == row.states);
    // Finished either way: nothing is resent by the next client.
    auto next = Client::Create(options);
    REQUIRE(next.ok());
    CHECK((*next)->ResumedAlerts().empty());
  }
}

}  // namespace
}  // namespace mayday::sdk
