// The alert outbox: the SQLite store keeps pending alerts across reopen, and
// Raise reports queued -> sending -> acknowledged / failed against the
// scripted AlertService.
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
    auto store = internal::OutboxStore::Open(dir.path());
    REQUIRE(store.ok());
    REQUIRE((*store)->Insert(Request("a")).ok());
    REQUIRE((*store)->Insert(Request("b")).ok());
    REQUIRE((*store)->Insert(Request("c")).ok());
    REQUIRE((*store)->MarkAcknowledged("b", "cases/b").ok());
    REQUIRE((*store)->MarkFailed("c", "bad").ok());
  }
  auto store = internal::OutboxStore::Open(dir.path());
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
  auto store = internal::OutboxStore::Open("/nonexistent/mayday/dir");
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
    auto store = internal::OutboxStore::Open(dir.path());
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
