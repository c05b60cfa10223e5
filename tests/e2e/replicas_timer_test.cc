// A safety timer on three maydayd sharing one PostgreSQL: started through
// one replica, which is SIGKILLed before the deadline; the two left both
// keep the timers, and the alert is raised once, by whichever gets there
// first (issue 23: "even if the replica that took the timer died").
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "daemon.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "member_calls.h"
#include "test_postgres.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

TEST_CASE("Replicas: a safety timer fires once after the replica that took it dies") {
  const std::string uri = NewTestDatabase();
  std::vector<std::unique_ptr<Daemon>> replicas = StartReplicas(MAYDAYD_BINARY, uri, 3);
  const std::vector<std::string> addresses = Addresses(replicas);
  const std::string member = CreateToken(MAYDAYD_BINARY, uri, "member", "hiker");
  const std::string agent = CreateToken(MAYDAYD_BINARY, uri, "operator", "desk");

  v1::SafetyTimer timer;
  {
    auto stub = v1::AlertService::NewStub(
        grpc::CreateChannel(addresses[0], grpc::InsecureChannelCredentials()));
    v1::StartSafetyTimerRequest request;
    request.set_request_id("ridge");
    request.set_kind(v1::CASE_KIND_MEDICAL);
    request.mutable_location()->set_latitude(46.5);
    request.mutable_location()->set_longitude(8.1);
    request.set_note("north ridge");
    // 12 whole seconds: at least the 10 s allowed when the server gets it.
    request.mutable_deadline()->set_seconds(absl::ToUnixSeconds(absl::Now()) + 12);
    const grpc::Status started = stub->StartSafetyTimer(As(member).get(), request, &timer);
    INFO(started.error_message());
    REQUIRE(started.ok());
  }
  REQUIRE(WIFSIGNALED(replicas[0]->Stop(SIGKILL)));

  // Raised once the deadline passed, seen from both replicas left.
  std::vector<std::string> listed;
  const absl::Time give_up = absl::FromUnixSeconds(timer.deadline().seconds()) + absl::Seconds(15);
  while (listed.empty() && absl::Now() < give_up) {
    REQUIRE(ListOwnCases(addresses[1], member, &listed).ok());
    if (listed.empty()) absl::SleepFor(absl::Milliseconds(100));
  }
  REQUIRE(listed.size() == 1);
  // Give the other replica its chance to fire it a second time: it must not.
  absl::SleepFor(absl::Seconds(2));
  for (const std::string& address : {addresses[1], addresses[2]}) {
    std::vector<std::string> seen;
    REQUIRE(ListOwnCases(address, member, &seen).ok());
    CHECK(seen == listed);
  }
  auto operators = v1::OperatorService::NewStub(
      grpc::CreateChannel(addresses[2], grpc::InsecureChannelCredentials()));
  v1::ListSafetyTimersResponse timers;
  REQUIRE(
      operators->ListSafetyTimers(As(agent).get(), v1::ListSafetyTimersRequest(), &timers).ok());
  REQUIRE(timers.timers_size() == 1);
  CHECK(timers.timers(0).state() == v1::SafetyTimer::STATE_FIRED);
  CHECK(timers.timers(0).case_() == listed[0]);
}

}  // namespace
}  // namespace mayday::testing
