// mayday-sim's crews survive a maydayd restart: a restarted server keeps no
// duty and no positions, so a crew app must go on duty again and report
// where it is when its stream breaks, or it stays invisible to dispatch. The
// real binaries: maydayd is SIGKILLed and started again on the same port and
// database while `mayday-sim responders` runs; the crew must be back on duty
// with a position, and take the next alert. Also three replicas on one
// PostgreSQL, mayday-sim and maydayctl given every address: the dispatch
// holder is SIGKILLed, the crews come back through the replicas left, and
// maydayctl still answers with the dead address in its list.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../sdk_faults/child_process.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "daemon.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "test_postgres.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  return context;
}

// Runs mayday-sim, keeping what it prints (read while waiting, so that its
// pipe never fills).
class Sim {
 public:
  explicit Sim(const std::vector<std::string>& argv) : process_(argv) {}

  // Polls `done` every 100 ms, reading the sim's lines meanwhile, until it
  // holds or `timeout` passes.
  bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!done()) {
      if (absl::Now() >= deadline) return false;
      if (auto line = process_.ReadLine(absl::Milliseconds(100)); line.has_value()) {
        lines_.push_back(*line);
      }
    }
    return true;
  }
  std::string Log() const { return absl::StrJoin(lines_, "\n"); }

 private:
  ChildProcess process_;
  std::vector<std::string> lines_;
};

// The responder `name` as the desk sees it, if listed.
std::optional<v1::Responder> Listed(const std::string& address, const std::string& agent,
                                    const std::string& name) {
  auto operators = v1::OperatorService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::ListRespondersResponse list;
  if (!operators->ListResponders(Context(agent).get(), {}, &list).ok()) return std::nullopt;
  for (const v1::Responder& responder : list.responders()) {
    if (responder.name() == name) return responder;
  }
  return std::nullopt;
}

bool OnDutyWithPosition(const std::string& address, const std::string& agent) {
  const auto crew = Listed(address, agent, "responders/unit-1");
  return crew.has_value() && crew->status() == v1::Responder::STATUS_AVAILABLE &&
         crew->has_location();
}

// Raises a road alert near the crews through `address` as `member`, then
// waits (reading the sim's lines, up to 15 s) until `done` holds for the
// case as read back; *now is the case as last read.
bool RaiseAndFollow(Sim& sim, const std::string& address, const std::string& member,
                    const std::string& request_id, v1::Case* now,
                    const std::function<bool(const v1::Case&)>& done) {
  auto alerts =
      v1::AlertService::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  v1::RaiseAlertRequest request;
  request.set_request_id(request_id);
  request.set_kind(v1::CASE_KIND_ROAD);
  request.mutable_location()->set_latitude(52.3680);
  request.mutable_location()->set_longitude(4.9050);
  v1::Case opened;
  REQUIRE(alerts->RaiseAlert(Context(member).get(), request, &opened).ok());
  return sim.WaitFor(
      [&] {
        v1::GetCaseRequest get;
        get.set_name(opened.name());
        return alerts->GetCase(Context(member).get(), get, now).ok() && done(*now);
      },
      absl::Seconds(15));
}

TEST_CASE("mayday-sim's crew goes back on duty after maydayd restarts and takes the next alert") {
  Scratch scratch;
  const std::string db = (scratch.dir / "mayday.db").string();
  auto first = std::make_unique<Daemon>(MAYDAYD_BINARY, db);
  const std::string address = first->address();
  const std::string agent = CreateToken(MAYDAYD_BINARY, db, "operator", "desk-1");
  const std::string member = CreateToken(MAYDAYD_BINARY, db, "member", "alice");
  const std::string tokens = (scratch.dir / "crew.tokens").string();
  std::ofstream(tokens) << CreateToken(MAYDAYD_BINARY, db, "responder", "unit-1") << "\n";
  Sim sim({MAYDAY_SIM_BINARY, "responders", "--server", address, "--token-file", tokens, "--center",
           "52.3676,4.9041", "--radius-m", "500", "--fleet", "tow:1", "--accept-delay-ms", "0",
           "--duration-s", "60"});
  REQUIRE(sim.WaitFor([&] { return OnDutyWithPosition(address, agent); }, absl::Seconds(15)));

  // A crash and a restart on the same port and database.
  first->Stop(SIGKILL);
  first.reset();
  const absl::Time restarted_at = absl::Now();
  Daemon second(MAYDAYD_BINARY, db, {}, address);
  // A crew that does not call SetDuty again is never listed: the restarted
  // server knows only the responders of cases it took back.
  const bool back =
      sim.WaitFor([&] { return OnDutyWithPosition(address, agent); }, absl::Seconds(20));
  INFO("mayday-sim printed:\n" << sim.Log());
  REQUIRE(back);
  const absl::Duration took = absl::Now() - restarted_at;
  std::cout << "mayday-sim's crew back on duty with a position " << absl::FormatDuration(took)
            << " after maydayd restarted" << std::endl;

  // The next alert is offered to it, and it takes it.
  v1::Case now;
  const bool taken =
      RaiseAndFollow(sim, address, member, "after-restart-1", &now,
                     [](const v1::Case& c) { return c.responder() == "responders/unit-1"; });
  INFO("mayday-sim printed:\n" << sim.Log() << "\ncase: " << now.ShortDebugString());
  CHECK(taken);
}

// A token made on the PostgreSQL database `uri`.
std::string StoreToken(const std::string& uri, const std::string& role,
                       const std::string& subject) {
  const Output made = Run(
      {MAYDAYD_BINARY, "token", "create", "--store", uri, "--role", role, "--subject", subject});
  INFO(made.text());
  REQUIRE(made.exit_code == 0);
  REQUIRE_FALSE(made.lines.empty());
  return made.lines.back();
}

TEST_CASE("mayday-sim and maydayctl given every replica carry on when the holder dies") {
  const std::string uri = NewTestDatabase();
  std::vector<std::unique_ptr<Daemon>> replicas = StartReplicas(MAYDAYD_BINARY, uri, 3);
  const std::vector<std::string> addresses = Addresses(replicas);
  const std::string every = "ipv4:" + absl::StrJoin(addresses, ",");
  const std::string agent = StoreToken(uri, "operator", "desk-1");
  const std::string member = StoreToken(uri, "member", "alice");
  Scratch scratch;
  const std::string tokens = (scratch.dir / "crews.tokens").string();
  {
    std::ofstream out(tokens);
    for (int i = 1; i <= 3; ++i)
      out << StoreToken(uri, "responder", absl::StrCat("unit-", i)) << "\n";
  }
  // Three crews, spread over the replicas: the standbys relay their calls.
  Sim sim({MAYDAY_SIM_BINARY, "responders", "--server", every, "--token-file", tokens, "--center",
           "52.3676,4.9041", "--radius-m", "500", "--fleet", "tow:3", "--accept-delay-ms", "0",
           "--duration-s", "90"});
  const auto all_on_duty = [&](const std::string& through) {
    for (int i = 1; i <= 3; ++i) {
      const auto crew = Listed(through, agent, absl::StrCat("responders/unit-", i));
      if (!crew.has_value() || crew->status() != v1::Responder::STATUS_AVAILABLE ||
          !crew->has_location()) {
        return false;
      }
    }
    return true;
  };
  REQUIRE(sim.WaitFor([&] { return all_on_duty(addresses[0]); }, absl::Seconds(20)));

  int holder = -1;
  for (int i = 0; i < 3; ++i) {
    if (HealthServing(addresses[i], "mayday.dispatch")) holder = i;
  }
  REQUIRE(holder >= 0);
  replicas[holder]->Stop(SIGKILL);
  const std::string survivor = addresses[(holder + 1) % 3];
  const bool back = sim.WaitFor([&] { return all_on_duty(survivor); }, absl::Seconds(30));
  INFO("mayday-sim printed:\n" << sim.Log());
  REQUIRE(back);

  // maydayctl with every address, the dead one included, lists them and
  // takes and assigns a case through whichever replica it reaches.
  const auto ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {MAYDAYCTL_BINARY, "--server", every, "--token", agent});
    return Run(args);
  };
  const Output listed = ctl({"responders", "list"});
  INFO(listed.text());
  REQUIRE(listed.exit_code == 0);
  CHECK(absl::StrContains(listed.text(), "unit-3"));
  v1::Case now;
  const bool taken =
      RaiseAndFollow(sim, survivor, member, "after-kill", &now,
                     [](const v1::Case& c) { return c.state() != v1::CASE_STATE_DISPATCHING; });
  INFO("case: " << now.ShortDebugString());
  CHECK(taken);
  CHECK(absl::StartsWith(now.responder(), "responders/unit-"));
  for (int i = 0; i < 5; ++i) {
    const Output cases = ctl({"cases", "list"});
    INFO(cases.text());
    CHECK(cases.exit_code == 0);
  }
}

}  // namespace
}  // namespace mayday::testing
