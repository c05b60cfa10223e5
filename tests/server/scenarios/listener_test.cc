// The server's listener as part of the whole (server/listener/listener.h):
// TLS still applies to the connections it hands to gRPC, and a listener that
// stops accepting turns health NOT_SERVING and tells the server's owner,
// which for maydayd means exiting for its supervisor to restart it.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>

#include "absl/synchronization/mutex.h"
#include "generic_calls.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

// Holds up the accept thread on the next connection once armed.
struct Stall {
  absl::Mutex mu;
  bool armed ABSL_GUARDED_BY(mu) = false;
  bool stalled ABSL_GUARDED_BY(mu) = false;
  bool released ABSL_GUARDED_BY(mu) = false;
  absl::Status lost ABSL_GUARDED_BY(mu);
  bool told ABSL_GUARDED_BY(mu) = false;
};

TEST_CASE("A listener that stops accepting turns health NOT_SERVING and tells the owner") {
  Stall stall;
  TestServer server([&stall](server::ServerOptions& options) {
    options.listener_probe_interval = absl::Milliseconds(100);
    options.listener_probe_timeout = absl::Milliseconds(500);
    options.wrap_handoff = [&stall](server::ServerOptions::Handoff handoff) {
      return [&stall, handoff](int listener_fd, int fd) {
        {
          absl::MutexLock lock(&stall.mu);
          if (stall.armed) {
            stall.stalled = true;
            stall.mu.Await(absl::Condition(&stall.released));
          }
        }
        handoff(listener_fd, fd);
      };
    };
    options.on_listener_lost = [&stall](const absl::Status& why) {
      absl::MutexLock lock(&stall.mu);
      stall.lost = why;
      stall.told = true;
    };
  });
  HealthWatch health(server);  // connected before the listener gets stuck
  CHECK(health.Next() == HealthWatch::kServing);

  {
    absl::MutexLock lock(&stall.mu);
    stall.armed = true;
  }
  const int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(client >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server.server().port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(client, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);

  // The next probe waits 500 ms in vain: lost, within a second or so.
  const absl::Time start = absl::Now();
  {
    absl::MutexLock lock(&stall.mu);
    REQUIRE(stall.mu.AwaitWithTimeout(absl::Condition(&stall.told), absl::Seconds(10)));
    CHECK(stall.stalled);
    CHECK(stall.lost.code() == absl::StatusCode::kDeadlineExceeded);
  }
  const absl::Duration noticed = absl::Now() - start;
  CHECK(noticed < absl::Seconds(5));
  std::printf("a stuck accept thread reported lost after %s\n",
              absl::FormatDuration(noticed).c_str());
  CHECK(health.Next() == HealthWatch::kNotServing);

  {
    absl::MutexLock lock(&stall.mu);
    stall.released = true;
  }
  close(client);
}

}  // namespace
}  // namespace mayday::testing
