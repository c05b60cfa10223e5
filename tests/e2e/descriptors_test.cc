// maydayd out of file descriptors, on the real binary (issue 18, item 1):
// under a low open-file limit, plain TCP connections (no token, no TLS)
// opened until the descriptors run out and then closed must not leave it
// deaf. gRPC 1.51's own listener stopped accepting for good after one
// "Failed accept4: Too many open files", while the clients already connected
// went on working. Also: the soft limit is raised to the hard one at start,
// and connections past the cap are closed at once instead of taking the
// descriptors that everything else needs.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "daemon.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace mayday::testing {
namespace {

// Plain TCP connections to 127.0.0.1:port that send nothing; closed on
// destruction.
class Connections {
 public:
  Connections(int port, int count) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < count; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      REQUIRE(fd >= 0);
      fds_.push_back(fd);
      // The kernel completes it from the listen backlog, whether or not the
      // server ever accepts it.
      REQUIRE(connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    }
  }
  ~Connections() {
    for (int fd : fds_) close(fd);
  }

  // Waits (at most `limit`) until the server has answered each connection:
  // with bytes (gRPC's HTTP/2 settings: served) or by closing it (refused).
  // Counts both; what is left had no answer.
  struct Answers {
    int served = 0;
    int refused = 0;
    int silent = 0;
  };
  Answers Await(absl::Duration limit) {
    Answers answers;
    std::vector<int> waiting = fds_;
    const absl::Time deadline = absl::Now() + limit;
    while (!waiting.empty() && absl::Now() < deadline) {
      std::vector<pollfd> polled;
      for (int fd : waiting) polled.push_back({.fd = fd, .events = POLLIN, .revents = 0});
      const int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
      if (poll(polled.data(), polled.size(), std::max(ms, 1)) <= 0) continue;
      waiting.clear();
      for (const pollfd& p : polled) {
        if (p.revents == 0) {
          waiting.push_back(p.fd);
          continue;
        }
        char byte;
        const ssize_t n = recv(p.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) {
          ++answers.served;
        } else if (n == 0 || errno != EAGAIN) {
          ++answers.refused;
        } else {
          waiting.push_back(p.fd);
        }
      }
    }
    answers.silent = static_cast<int>(waiting.size());
    return answers;
  }

 private:
  std::vector<int> fds_;
};

// grpc.health.v1.Health/Check for the whole server on a connection of its
// own, with a deadline of `timeout`. Debian ships no C++ stub for it: the
// request (service "") is empty on the wire, SERVING is "\x08\x01".
grpc::Status CheckHealth(const std::string& address, absl::Duration timeout,
                         std::string* response_bytes = nullptr) {
  grpc::ChannelArguments args;
  // A fresh connection, not one shared with an earlier channel's attempts.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  grpc::GenericStub stub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) { done.set_value(s); });
  grpc::Status status = done.get_future().get();
  if (status.ok() && response_bytes != nullptr) {
    std::vector<grpc::Slice> slices;
    REQUIRE(response.Dump(&slices).ok());
    response_bytes->clear();
    for (const auto& s : slices)
      response_bytes->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return status;
}

// How long until a new client's health check is answered SERVING, trying
// with a new connection every half second; nullopt if not within `limit`.
std::optional<absl::Duration> TimeUntilServed(const std::string& address, absl::Duration limit) {
  const absl::Time start = absl::Now();
  while (absl::Now() - start < limit) {
    const absl::Duration left = limit - (absl::Now() - start);
    std::string response;
    if (CheckHealth(address, std::min(left, absl::Milliseconds(500)), &response).ok()) {
      if (response == std::string("\x08\x01", 2)) return absl::Now() - start;
    }
  }
  return std::nullopt;
}

// The "serving up to N connections" that maydayd logs when it starts.
int ConnectionCap(const Daemon& daemon) {
  for (const std::string& line : daemon.startup_log()) {
    const auto at = line.find("serving up to ");
    int cap = 0;
    if (at != std::string::npos && std::sscanf(line.c_str() + at, "serving up to %d", &cap) == 1) {
      return cap;
    }
  }
  FAIL("no \"serving up to N connections\" line in maydayd's log");
  return 0;
}

// The soft and hard "Max open files" of a running process.
std::pair<unsigned long long, unsigned long long> OpenFileLimits(pid_t pid) {
  std::ifstream limits("/proc/" + std::to_string(pid) + "/limits");
  std::string line;
  while (std::getline(limits, line)) {
    unsigned long long soft = 0, hard = 0;
    if (std::sscanf(line.c_str(), "Max open files %llu %llu", &soft, &hard) == 2) {
      return {soft, hard};
    }
  }
  FAIL("no \"Max open files\" in /proc/" << pid << "/limits");
  return {0, 0};
}

TEST_CASE("Out of descriptors, maydayd serves a new client within 5 s of the flood closing") {
  const auto [count, limit] = GENERATE(table<int, rlim_t>({{300, 256}, {1100, 1024}}));
  INFO(count << " connections under a limit of " << limit);
  Scratch scratch;
  Daemon daemon(MAYDAYD_BINARY, (scratch.dir / "mayday.db").string(), {}, "127.0.0.1:0",
                DescriptorLimits{limit, limit});
  {
    Connections flood(daemon.port(), count);
    // Held until the server has dealt with every one (it runs out of
    // descriptors on the way), or for 2 s.
    flood.Await(absl::Seconds(2));
  }
  const std::optional<absl::Duration> served = TimeUntilServed(daemon.address(), absl::Seconds(5));
  REQUIRE(served.has_value());
  std::printf("%d connections under a limit of %llu closed; a new client served after %s\n", count,
              static_cast<unsigned long long>(limit), absl::FormatDuration(*served).c_str());
}

TEST_CASE("Connections past maydayd's cap are closed at once, and it serves again once they go") {
  Scratch scratch;
  Daemon daemon(MAYDAYD_BINARY, (scratch.dir / "mayday.db").string(), {}, "127.0.0.1:0",
                DescriptorLimits{256, 256});
  const int cap = ConnectionCap(daemon);
  CHECK(cap == 256 - 64);
  {
    const absl::Time opened = absl::Now();
    Connections held(daemon.port(), 300);
    const Connections::Answers answers = held.Await(absl::Seconds(5));
    std::printf(
        "300 connections over a cap of %d: %d served, %d refused, %s from the first connect\n", cap,
        answers.served, answers.refused, absl::FormatDuration(absl::Now() - opened).c_str());
    CHECK(answers.served == cap);
    CHECK(answers.refused == 300 - cap);
    CHECK(answers.silent == 0);
    // A phone calling now is told at once (UNAVAILABLE: its SDK retries),
    // not left waiting for its deadline.
    const absl::Time start = absl::Now();
    const grpc::Status refused = CheckHealth(daemon.address(), absl::Seconds(5));
    const absl::Duration answered = absl::Now() - start;
    CHECK(refused.error_code() == grpc::StatusCode::UNAVAILABLE);
    CHECK(answered < absl::Seconds(1));
    std::printf("a health check at the cap: status %d (%s) after %s\n",
                static_cast<int>(refused.error_code()), refused.error_message().c_str(),
                absl::FormatDuration(answered).c_str());
  }
  const std::optional<absl::Duration> served = TimeUntilServed(daemon.address(), absl::Seconds(5));
  REQUIRE(served.has_value());
  std::printf("the cap's %d connections closed; a new client served after %s\n", cap,
              absl::FormatDuration(*served).c_str());
}

TEST_CASE("maydayd raises its soft open-file limit to the hard one") {
  Scratch scratch;
  Daemon daemon(MAYDAYD_BINARY, (scratch.dir / "mayday.db").string(), {}, "127.0.0.1:0",
                DescriptorLimits{256, 4096});
  const auto [soft, hard] = OpenFileLimits(daemon.pid());
  CHECK(soft == 4096);
  CHECK(hard == 4096);
  CHECK(ConnectionCap(daemon) == 4096 - 64);
  bool said = false;
  for (const std::string& line : daemon.startup_log()) {
    said = said || absl::StrContains(line, "open-file limit 4096 (raised from 256)");
  }
  CHECK(said);
}

}  // namespace
}  // namespace mayday::testing
