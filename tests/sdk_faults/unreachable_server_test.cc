// A member's app pointed at a server it cannot reach hears why within 5 s,
// through Raise's progress, instead of a minute of silence: at once when
// nothing listens at the address ("cannot reach 127.0.0.1:P: connection
// refused"), after 5 s when something takes the connection and never
// answers. The alert stays queued and goes through once the server answers.
// mayday-panic, the two-button example, says the same on stderr.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "child_process.h"
#include "mayday/sdk/client.h"
#include "sdk_alert.h"
#include "tcp_proxy.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// A loopback port nothing listens on: bound by the kernel's choice, then
// closed.
int DeadPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  socklen_t length = sizeof(address);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

sdk::ClientOptions Member(const std::string& server, const std::string& token,
                          const std::string& data_dir) {
  sdk::ClientOptions options;
  options.server = server;
  options.token = token;
  options.data_dir = data_dir;
  options.initial_backoff = absl::Milliseconds(100);
  options.max_backoff = absl::Seconds(1);
  return options;
}

// What Raise's callback saw, and when.
struct Seen {
  absl::Mutex mu;
  std::vector<sdk::AlertProgress> progress ABSL_GUARDED_BY(mu);
  absl::Time first_error ABSL_GUARDED_BY(mu) = absl::InfiniteFuture();

  sdk::AlertCallback Recorder() {
    return [this](const sdk::AlertProgress& p) {
      absl::MutexLock lock(&mu);
      progress.push_back(p);
      if (!p.error.ok() && first_error == absl::InfiniteFuture()) first_error = absl::Now();
    };
  }
  // Waits up to `timeout` for a kQueued snapshot with an error; returns it.
  std::optional<sdk::AlertProgress> AwaitQueuedError(absl::Duration timeout) {
    absl::MutexLock lock(&mu);
    auto queued_error = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      for (const auto& p : progress) {
        if (p.state == sdk::AlertState::kQueued && !p.error.ok()) return true;
      }
      return false;
    };
    if (!mu.AwaitWithTimeout(absl::Condition(&queued_error), timeout)) return std::nullopt;
    for (const auto& p : progress) {
      if (p.state == sdk::AlertState::kQueued && !p.error.ok()) return p;
    }
    return std::nullopt;
  }
};

TEST_CASE("Nothing listening: the app hears at once, and the alert goes later",
          "[sdk][unreachable]") {
  TestServer server;
  const std::string token = server.Token("member", "alice");
  TempDir app_data;
  const std::string wrong = absl::StrCat("127.0.0.1:", DeadPort());
  Seen seen;
  {
    auto client = sdk::Client::Create(Member(wrong, token, app_data.path().string()));
    REQUIRE(client.ok());
    const absl::Time start = absl::Now();
    auto raised = (*client)->Raise(SdkAlert(v1::CASE_KIND_ROAD), seen.Recorder());
    REQUIRE(raised.ok());
    const std::optional<sdk::AlertProgress> told = seen.AwaitQueuedError(absl::Seconds(5));
    REQUIRE(told.has_value());
    absl::Time first_error;
    {
      absl::MutexLock lock(&seen.mu);
      first_error = seen.first_error;
    }
    std::cout << "nothing listening: told after " << absl::FormatDuration(first_error - start)
              << ": " << told->error << std::endl;
    CHECK(told->error == absl::UnavailableError("cannot reach " + wrong + ": connection refused"));
    CHECK((*raised)->progress().state != sdk::AlertState::kFailed);
  }
  // The app is pointed at the right server: the queued alert goes.
  auto fixed = sdk::Client::Create(Member(server.address(), token, app_data.path().string()));
  REQUIRE(fixed.ok());
  auto resumed = (*fixed)->ResumedAlerts();
  REQUIRE(resumed.size() == 1);
  REQUIRE(resumed[0]->WaitDone(absl::Seconds(10)));
  CHECK(resumed[0]->progress().state == sdk::AlertState::kAcknowledged);
}

TEST_CASE("A server that never answers: the app hears after 5 s, and the alert goes when it does",
          "[sdk][unreachable]") {
  TestServer server;
  const std::string token = server.Token("member", "alice");
  // Takes the connection and moves no byte, as a host behind a firewall
  // that drops packets or a frozen server would.
  TcpProxy silent(server.server().port());
  silent.SetMode(TcpProxy::Mode::kStall);
  TempDir app_data;
  Seen seen;
  auto client = sdk::Client::Create(Member(silent.address(), token, app_data.path().string()));
  REQUIRE(client.ok());
  const absl::Time start = absl::Now();
  auto raised = (*client)->Raise(SdkAlert(v1::CASE_KIND_ROAD), seen.Recorder());
  REQUIRE(raised.ok());
  const std::optional<sdk::AlertProgress> told = seen.AwaitQueuedError(absl::Seconds(8));
  REQUIRE(told.has_value());
  absl::Time first_error;
  {
    absl::MutexLock lock(&seen.mu);
    first_error = seen.first_error;
  }
  const absl::Duration took = first_error - start;
  std::cout << "never answers: told after " << absl::FormatDuration(took) << ": " << told->error
            << std::endl;
  CHECK(took >= absl::Seconds(5));
  CHECK(took < absl::Seconds(7));
  CHECK(told->error.code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(told->error.message()),
             Catch::StartsWith("cannot reach " + silent.address() + ": no answer within 5s"));
  CHECK(told->attempts == 0);  // nothing was sent

  // The network comes back: the same client delivers the alert.
  silent.SetMode(TcpProxy::Mode::kPass);
  REQUIRE((*raised)->WaitDone(absl::Seconds(30)));
  CHECK((*raised)->progress().state == sdk::AlertState::kAcknowledged);
  absl::MutexLock lock(&seen.mu);
  int told_unanswered = 0;
  for (const auto& p : seen.progress) {
    if (absl::StrContains(p.error.message(), "no answer within")) ++told_unanswered;
  }
  CHECK(told_unanswered >= 1);
}

TEST_CASE("mayday-panic says within 5 s that it cannot reach the server, and keeps trying",
          "[sdk][unreachable][example]") {
  const std::string wrong = absl::StrCat("127.0.0.1:", DeadPort());
  const absl::Time start = absl::Now();
  ChildProcess panic({"/bin/sh", "-c",
                      absl::StrCat("exec '", MAYDAY_PANIC, "' --server ", wrong,
                                   " --token t road 52.37 4.89 2>&1")});
  const std::string line = panic.ReadLine(absl::Seconds(5)).value_or("");
  const absl::Duration took = absl::Now() - start;
  INFO(line);
  CHECK(line == "mayday-panic: cannot reach " + wrong +
                    ": connection refused; still trying (Ctrl-C to stop)");
  CHECK(took < absl::Seconds(5));
  // Still trying, not failed: it has not ended.
  CHECK_FALSE(panic.Wait(absl::Seconds(1)).has_value());
  ::kill(panic.pid(), SIGINT);
  const std::optional<int> status = panic.Wait(absl::Seconds(10));
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 130);
}

}  // namespace
}  // namespace mayday::testing
