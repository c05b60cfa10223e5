// WatchCase against the scripted AlertService: resuming after a dropped
// stream, duplicate dropping, non-retryable errors, prompt cancellation.
// Every wait is bounded.
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "fake_alert_service.h"
#include "mayday/sdk/client.h"

namespace mayday::sdk {
namespace {

using mayday::v1::CaseEvent;
using testing::FakeServer;
using testing::MakeEvent;
using testing::WatchScript;

constexpr char kCase[] = "cases/c-1";
const absl::Duration kPatience = absl::Seconds(10);

// Records what a watch's callbacks see, including callback misuse.
class Recorder {
 public:
  std::function<void(const CaseEvent&)> OnEvent() {
    return [this](const CaseEvent& event) {
      absl::MutexLock lock(&mu_);
      if (ended_) ++events_after_end_;
      sequences_.push_back(event.sequence());
      if (!first_event_.HasBeenNotified()) first_event_.Notify();
    };
  }
  std::function<void(const absl::Status&)> OnEnd() {
    return [this](const absl::Status& status) {
      absl::MutexLock lock(&mu_);
      ++end_calls_;
      ended_ = true;
      end_ = status;
    };
  }
  bool WaitForFirstEvent() { return first_event_.WaitForNotificationWithTimeout(kPatience); }
  std::vector<int64_t> sequences() const {
    absl::MutexLock lock(&mu_);
    return sequences_;
  }
  absl::Status end() const {
    absl::MutexLock lock(&mu_);
    return end_;
  }
  int end_calls() const {
    absl::MutexLock lock(&mu_);
    return end_calls_;
  }
  int events_after_end() const {
    absl::MutexLock lock(&mu_);
    return events_after_end_;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<int64_t> sequences_ ABSL_GUARDED_BY(mu_);
  absl::Status end_ ABSL_GUARDED_BY(mu_) = absl::UnknownError("not ended");
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  int end_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int events_after_end_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Notification first_event_;
};

std::unique_ptr<Client> MakeClient(const std::string& address) {
  ClientOptions options;
  options.server = address;
  options.token = "member-token-1";
  options.initial_backoff = absl::Milliseconds(10);
  options.max_backoff = absl::Milliseconds(50);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  REQUIRE(client.ok());
  return std::move(*client);
}

std::vector<CaseEvent> Events(int64_t first, int64_t last, mayday::v1::CaseState last_state) {
  std::vector<CaseEvent> events;
  for (int64_t s = first; s <= last; ++s) {
    events.push_back(MakeEvent(kCase, s, s == last ? last_state : mayday::v1::CASE_STATE_ASSIGNED));
  }
  return events;
}

TEST_CASE("WatchCase resumes after a dropped stream without duplicates", "[sdk][watch]") {
  FakeServer server;
  server.service().AddWatchScript(
      {Events(1, 3, mayday::v1::CASE_STATE_ASSIGNED),
       grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection reset")});
  server.service().AddWatchScript(
      {Events(3, 5, mayday::v1::CASE_STATE_RESOLVED), grpc::Status::OK});
  std::unique_ptr<Client> client = MakeClient(server.address());
  Recorder recorder;

  auto watch = client->WatchCase(kCase, 0, recorder.OnEvent(), recorder.OnEnd());
  REQUIRE(watch.ok());
  REQUIRE((*watch)->WaitDone(kPatience));

  CHECK(recorder.sequences() == std::vector<int64_t>{1, 2, 3, 4, 5});
  CHECK(recorder.end().ok());
  CHECK(recorder.end_calls() == 1);
  CHECK((*watch)->last_sequence() == 5);
  const auto requests = server.service().watch_requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].name() == kCase);
  CHECK(requests[0].after_sequence() == 0);
  CHECK(requests[1].after_sequence() == 3);
  for (const std::string& auth : server.service().authorizations()) {
    CHECK(auth == "Bearer member-token-1");
  }
}

TEST_CASE("WatchCase starts after after_sequence and ends on CANCELLED state", "[sdk][watch]") {
  FakeServer server;
  server.service().AddWatchScript(
      {Events(5, 7, mayday::v1::CASE_STATE_CANCELLED), grpc::Status::OK});
  std::unique_ptr<Client> client = MakeClient(server.address());
  Recorder recorder;

  auto watch = client->WatchCase(kCase, 5, recorder.OnEvent(), recorder.OnEnd());
  REQUIRE(watch.ok());
  REQUIRE((*watch)->WaitDone(kPatience));

  CHECK(recorder.sequences() == std::vector<int64_t>{6, 7});  // 5 dropped
  CHECK(recorder.end().ok());
  CHECK(server.service().watch_requests().at(0).after_sequence() == 5);
}

TEST_CASE("A watch outlives its Client", "[sdk][watch]") {
  FakeServer server;
  server.service().AddWatchScript(
      {Events(1, 2, mayday::v1::CASE_STATE_RESOLVED), grpc::Status::OK});
  std::unique_ptr<Client> client = MakeClient(server.address());
  Recorder recorder;

  auto watch = client->WatchCase(kCase, 0, recorder.OnEvent(), recorder.OnEnd());
  client.reset();
  REQUIRE(watch.ok());
  REQUIRE((*watch)->WaitDone(kPatience));

  CHECK(recorder.sequences() == std::vector<int64_t>{1, 2});
  CHECK(recorder.end().ok());
}

TEST_CASE("WatchCase ends on a non-retryable error with that status", "[sdk][watch]") {
  const grpc::StatusCode code =
      GENERATE(grpc::StatusCode::NOT_FOUND, grpc::StatusCode::PERMISSION_DENIED,
               grpc::StatusCode::UNAUTHENTICATED, grpc::StatusCode::INVALID_ARGUMENT);
  CAPTURE(static_cast<int>(code));
  FakeServer server;
  server.service().AddWatchScript({{}, grpc::Status(code, "no such case")});
  server.service().AddWatchScript(
      {Events(1, 1, mayday::v1::CASE_STATE_RESOLVED), grpc::Status::OK});
  std::unique_ptr<Client> client = MakeClient(server.address());
  Recorder recorder;

  auto watch = client->WatchCase(kCase, 0, recorder.OnEvent(), recorder.OnEnd());
  REQUIRE(watch.ok());
  REQUIRE((*watch)->WaitDone(kPatience));

  CHECK(static_cast<int>(recorder.end().code()) == static_cast<int>(code));
  CHECK(recorder.end().message() == "no such case");
  CHECK(recorder.sequences().empty());
  CHECK(server.service().watch_requests().size() == 1);  // no reconnect
}

TEST_CASE("Cancel stops a watch promptly", "[sdk][watch]") {
  FakeServer server;
  WatchScript held;
  held.events = Events(1, 2, mayday::v1::CASE_STATE_DISPATCHING);
  held.hold_open = true;
  server.service().AddWatchScript(held);
  std::unique_ptr<Client> client = MakeClient(server.address());
  Recorder recorder;

  auto watch = client->WatchCase(kCase, 0, recorder.OnEvent(), recorder.OnEnd());
  REQUIRE(watch.ok());
  REQUIRE(recorder.WaitForFirstEvent());
  CHECK_FALSE((*watch)->WaitDone(absl::Milliseconds(50)));  // still open

  const absl::Time start = absl::Now();
  (*watch)->Cancel();
  REQUIRE((*watch)->WaitDone(absl::Seconds(2)));
  CHECK(absl::Now() - start < absl::Seconds(1));

  CHECK(recorder.end().code() == absl::StatusCode::kCancelled);
  CHECK(recorder.end_calls() == 1);
  CHECK(recorder.events_after_end() == 0);
  (*watch)->Cancel();  // idempotent
  CHECK(recorder.end_calls() == 1);
  CHECK(server.service().watch_requests().size() == 1);
}

TEST_CASE("Destroying a watch cancels and joins it", "[sdk][watch]") {
  FakeServer server;
  WatchScript held;
  held.events = Events(1, 1, mayday::v1::CASE_STATE_DISPATCHING);
  held.hold_open = true;
  server.service().AddWatchScript(held);
  std::unique_ptr<Client> client = MakeClient(server.address());
  Recorder recorder;

  auto watch = client->WatchCase(kCase, 0, recorder.OnEvent(), recorder.OnEnd());
  REQUIRE(watch.ok());
  REQUIRE(recorder.WaitForFirstEvent());
  const absl::Time start = absl::Now();
  watch->reset();  // the Client stays; the Watch goes
  CHECK(absl::Now() - start < absl::Seconds(1));
  CHECK(recorder.end().code() == absl::StatusCode::kCancelled);
}

TEST_CASE("Cancel interrupts the reconnect backoff", "[sdk][watch]") {
  FakeServer server;
  server.service().AddWatchScript({{}, grpc::Status(grpc::StatusCode::UNAVAILABLE, "down")});
  ClientOptions options;
  options.server = server.address();
  options.token = "member-token-1";
  options.initial_backoff = absl::Seconds(30);
  options.max_backoff = absl::Seconds(30);
  auto client = Client::Create(options);
  REQUIRE(client.ok());
  Recorder recorder;

  auto watch = (*client)->WatchCase(kCase, 0, recorder.OnEvent(), recorder.OnEnd());
  REQUIRE(watch.ok());
  REQUIRE(server.service().WaitForWatchCalls(1, kPatience));
  const absl::Time start = absl::Now();
  (*watch)->Cancel();
  REQUIRE((*watch)->WaitDone(absl::Seconds(2)));
  CHECK(absl::Now() - start < absl::Seconds(1));
  CHECK(recorder.end().code() == absl::StatusCode::kCancelled);
}

TEST_CASE("WatchCase rejects bad arguments without starting", "[sdk][watch]") {
  std::unique_ptr<Client> client = MakeClient("dns:///mayday.invalid");
  Recorder recorder;
  CHECK(client->WatchCase("", 0, recorder.OnEvent(), recorder.OnEnd()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(client->WatchCase(kCase, -1, recorder.OnEvent(), recorder.OnEnd()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(client->WatchCase(kCase, 0, nullptr, recorder.OnEnd()).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(recorder.end_calls() == 0);
}

}  // namespace
}  // namespace mayday::sdk
