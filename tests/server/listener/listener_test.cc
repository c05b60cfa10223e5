// maydayd's own listener (server/listener/listener.*) on real loopback
// sockets, handing connections to the test instead of gRPC: the cap, running
// out of descriptors, and the probe that finds a listener that no longer
// accepts (on a manual clock).
#include "listener/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "log/log.h"
#include "mayday/base/clock.h"

namespace mayday::testing {
namespace {

using server::Listener;
using server::ListenerOptions;

// A plain TCP connection to 127.0.0.1:port; completes from the backlog.
int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  return fd;
}

// Whether the other end closed `fd` within `limit` (of real time).
bool ClosedByServer(int fd, absl::Duration limit) {
  pollfd polled{.fd = fd, .events = POLLIN, .revents = 0};
  if (poll(&polled, 1, static_cast<int>(absl::ToInt64Milliseconds(limit))) <= 0) return false;
  char byte;
  return recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

// Stands in for gRPC: keeps what it is handed; can hold up the accept
// thread on the next connection, as a stuck listener would be.
class Handed {
 public:
  ~Handed() {
    Release();
    for (int fd : fds_) close(fd);
  }
  Listener::Handoff Handoff() {
    return [this](int, int fd) {
      absl::MutexLock lock(&mu_);
      fds_.push_back(fd);
      if (!stall_) return;
      stalled_ = true;
      mu_.Await(absl::Condition(&released_));
    };
  }
  Listener::Lost OnLost() {
    return [this](const absl::Status& why) {
      absl::MutexLock lock(&mu_);
      lost_ = why;
    };
  }
  // Waits (up to 10 s) until `count` connections were handed over.
  bool Await(size_t count) {
    absl::MutexLock lock(&mu_);
    const auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return fds_.size() >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  }
  // The connection handed over as the i-th, closed as gRPC would close it.
  void CloseHanded(size_t i) {
    absl::MutexLock lock(&mu_);
    close(fds_.at(i));
    fds_.at(i) = -1;
  }
  void StallNext() {
    absl::MutexLock lock(&mu_);
    stall_ = true;
  }
  bool AwaitStalled() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&stalled_), absl::Seconds(10));
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    released_ = true;
  }
  absl::Status lost() {
    absl::MutexLock lock(&mu_);
    return lost_;
  }

 private:
  absl::Mutex mu_;
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
  bool stall_ ABSL_GUARDED_BY(mu_) = false;
  bool stalled_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status lost_ ABSL_GUARDED_BY(mu_);
};

TEST_CASE("Connections past the cap are closed at once, and a place freed is taken again") {
  auto listener = Listener::Open(
      "127.0.0.1:0", ListenerOptions{.max_connections = 3, .probe_interval = absl::ZeroDuration()});
  REQUIRE(listener.ok());
  Handed handed;
  (*listener)->Start(handed.Handoff(), handed.OnLost());
  std::vector<int> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(Connect((*listener)->port()));
  REQUIRE(handed.Await(3));
  // Accepted in the order they came: the last two are past the cap.
  CHECK(ClosedByServer(clients[3], absl::Seconds(5)));
  CHECK(ClosedByServer(clients[4], absl::Seconds(5)));
  for (int i = 0; i < 3; ++i) CHECK_FALSE(ClosedByServer(clients[i], absl::ZeroDuration()));
  CHECK((*listener)->refused_at_cap() == 2);
  CHECK((*listener)->open_connections() == 3);

  handed.CloseHanded(0);  // gRPC is done with one
  clients.push_back(Connect((*listener)->port()));
  REQUIRE(handed.Await(4));
  CHECK_FALSE(ClosedByServer(clients.back(), absl::ZeroDuration()));
  CHECK((*listener)->open_connections() == 3);
  CHECK((*listener)->refused_at_cap() == 2);
  CHECK(handed.lost().ok());
  (*listener)->Stop();
  for (int fd : clients) close(fd);
}

// The process's soft open-file limit lowered for one test, then put back.
class LowerDescriptorLimit {
 public:
  explicit LowerDescriptorLimit(rlim_t soft) {
    REQUIRE(getrlimit(RLIMIT_NOFILE, &before_) == 0);
    rlimit lowered = before_;
    lowered.rlim_cur = soft;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  }
  ~LowerDescriptorLimit() { setrlimit(RLIMIT_NOFILE, &before_); }

 private:
  rlimit before_{};
};

TEST_CASE("Out of descriptors, a waiting connection is closed at once and accepting goes on") {
  // As in maydayd, the log has written before the listener's first refusal
  // ("serving on port N"): the refusal's log line is then written with no
  // descriptor free. Here the test writes that first line; otherwise the
  // log would be built with none free, where UBSan's vptr check of types it
  // has not seen yet cannot run (it opens a pipe) and reports spdlog's
  // objects as having an invalid vptr.
  server::LogInfo("test", "out of descriptors: the log is ready");
  auto listener = Listener::Open(
      "127.0.0.1:0",
      ListenerOptions{.max_connections = 100, .probe_interval = absl::ZeroDuration()});
  REQUIRE(listener.ok());
  Handed handed;
  (*listener)->Start(handed.Handoff(), handed.OnLost());
  const int port = (*listener)->port();
  std::vector<int> fillers;
  int client = -1;
  {
    // Something else takes every descriptor but one, which the client uses.
    LowerDescriptorLimit limit(256);
    for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) fillers.push_back(fd);
    REQUIRE(errno == EMFILE);
    close(fillers.back());
    fillers.pop_back();
    client = Connect(port);
    // accept() says EMFILE: the listener frees its spare for it, and refuses.
    // Checked once descriptors are free again: with none free, the
    // sanitizers' own checks, which open a pipe, would fail.
    const bool closed = ClosedByServer(client, absl::Seconds(5));
    const int64_t refused = (*listener)->refused_out_of_descriptors();
    close(client);
    for (int fd : fillers) close(fd);
    CHECK(closed);
    CHECK(refused == 1);
  }
  // Descriptors free again: served as ever.
  client = Connect(port);
  REQUIRE(handed.Await(1));
  CHECK_FALSE(ClosedByServer(client, absl::ZeroDuration()));
  CHECK(handed.lost().ok());
  (*listener)->Stop();
  close(client);
}

TEST_CASE("The probe finds a listener that accepts, and reports one that no longer does") {
  base::ManualClock clock;
  const absl::Time start = clock.Now();
  auto listener = Listener::Open("127.0.0.1:0", ListenerOptions{.max_connections = 100,
                                                                .probe_interval = absl::Seconds(5),
                                                                .probe_timeout = absl::Seconds(2),
                                                                .clock = &clock});
  REQUIRE(listener.ok());
  Handed handed;
  (*listener)->Start(handed.Handoff(), handed.OnLost());

  // The first probe is accepted (and not handed over): the next is due 5 s on.
  REQUIRE(clock.AwaitWaiter(start + absl::Seconds(5)));
  clock.Advance(absl::Seconds(5));
  REQUIRE(clock.AwaitWaiter(start + absl::Seconds(10)));
  CHECK((*listener)->probes_answered() == 1);
  CHECK(handed.lost().ok());

  // The accept thread gets stuck handing a connection over.
  handed.StallNext();
  const int client = Connect((*listener)->port());
  REQUIRE(handed.AwaitStalled());
  clock.Advance(absl::Seconds(5));
  REQUIRE(clock.AwaitWaiter(start + absl::Seconds(12)));  // the probe waits to be accepted
  CHECK(handed.lost().ok());
  clock.Advance(absl::Seconds(2));
  for (int i = 0; i < 1000 && handed.lost().ok(); ++i) absl::SleepFor(absl::Milliseconds(10));
  const absl::Status lost = handed.lost();
  CHECK(lost.code() == absl::StatusCode::kDeadlineExceeded);
  CHECK_THAT(std::string(lost.message()),
             Catch::Contains("accepted no connection in 2s, its own probe connection included"));
  CHECK((*listener)->probes_answered() == 1);
  handed.Release();
  (*listener)->Stop();
  close(client);
}

}  // namespace
}  // namespace mayday::testing
