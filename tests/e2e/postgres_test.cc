// maydayd serving from PostgreSQL (--store postgresql://...), as an operator
// runs it, on a throw-away cluster: a case acknowledged just before SIGKILL
// is there after the restart and its retry returns it; tokens are made with
// `token create --store`; two maydayd share a database, one dispatching
// (grpc.health.v1 "mayday.dispatch"), and the other takes dispatch over
// when the first is killed, or stopped past its lease (which then exits 3
// when it wakes).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "daemon.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "member_calls.h"
#include "test_postgres.h"

namespace mayday::testing {
namespace {

std::string MemberToken(const std::string& uri, const std::string& subject) {
  const Output made = Run({MAYDAYD_BINARY, "token", "create", "--store", uri, "--role", "member",
                           "--subject", subject});
  INFO(made.text());
  REQUIRE(made.exit_code == 0);
  REQUIRE_FALSE(made.lines.empty());
  return made.lines.back();
}

TEST_CASE("maydayd on PostgreSQL keeps a case acknowledged just before SIGKILL") {
  const std::string uri = NewTestDatabase();
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    const std::string token = MemberToken(uri, "member-" + std::to_string(round));
    const std::string request_id = "press-" + std::to_string(round);
    mayday::v1::Case acknowledged;
    {
      Daemon daemon(MAYDAYD_BINARY, uri, {});
      REQUIRE(Raise(daemon.address(), token, request_id, &acknowledged).ok());
      REQUIRE(WIFSIGNALED(daemon.Stop(SIGKILL)));
    }
    Daemon restarted(MAYDAYD_BINARY, uri);
    mayday::v1::Case retried;
    REQUIRE(Raise(restarted.address(), token, request_id, &retried).ok());
    CHECK(retried.name() == acknowledged.name());
    std::vector<std::string> listed;
    REQUIRE(ListOwnCases(restarted.address(), token, &listed).ok());
    CHECK(listed == std::vector<std::string>{acknowledged.name()});
  }
}

// Waits (real time, up to `timeout`) until `daemon` says it dispatches;
// how long that took, or nullopt.
std::optional<absl::Duration> AwaitDispatching(const Daemon& daemon, absl::Duration timeout) {
  const absl::Time start = absl::Now();
  while (absl::Now() - start < timeout) {
    if (HealthServing(daemon.address(), "mayday.dispatch")) return absl::Now() - start;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return std::nullopt;
}

TEST_CASE("Two maydayd on one PostgreSQL: one dispatches, the other takes over when it dies") {
  const std::string uri = NewTestDatabase();
  auto first = std::make_unique<Daemon>(MAYDAYD_BINARY, uri);
  REQUIRE(AwaitDispatching(*first, absl::Seconds(10)).has_value());
  Daemon second(MAYDAYD_BINARY, uri);
  // Both serve members (the server's own health); one dispatches.
  CHECK(HealthServing(second.address(), ""));
  CHECK_FALSE(HealthServing(second.address(), "mayday.dispatch"));
  // Writing a token beside the servers is allowed, and both accept it.
  const std::string token = MemberToken(uri, "alice");
  mayday::v1::Case raised;
  REQUIRE(Raise(second.address(), token, "press-1", &raised).ok());

  SECTION("SIGKILL: the standby dispatches once the lease runs out") {
    REQUIRE(WIFSIGNALED(first->Stop(SIGKILL)));
    const std::optional<absl::Duration> took = AwaitDispatching(second, absl::Seconds(10));
    REQUIRE(took.has_value());
    INFO("taken over after " << *took);
    CHECK(*took < absl::Seconds(5));  // the lease (2 s) and one try
  }

  SECTION("SIGSTOP past the lease: the standby takes over, the woken holder exits 3") {
    const pid_t paused = first->pid();
    REQUIRE(::kill(paused, SIGSTOP) == 0);
    REQUIRE(AwaitDispatching(second, absl::Seconds(10)).has_value());
    REQUIRE(::kill(paused, SIGCONT) == 0);
    // Its next renewal finds the lease taken: it stops serving, for good.
    const int status = first->Stop(0);  // waits, sending nothing
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 3);
    CHECK(HealthServing(second.address(), "mayday.dispatch"));
  }
}

}  // namespace
}  // namespace mayday::testing
