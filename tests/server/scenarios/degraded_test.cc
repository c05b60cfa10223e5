// Degraded mode: when dispatch stalls (its thread blocked while holding the
// engine) or its decisions fail to commit, alerts are still stored and
// acknowledged, and operators see them ESCALATED once the watchdog's
// patience (500 ms) has passed since the acknowledgement; once dispatch
// recovers, the escalated cases go back to matching and a crew gets the offer.
// The faults are decorators of what dispatch runs on (dispatch_faults.h), and
// time is a ManualClock: the watchdog acts when the clock says, not after a
// sleep.
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "crew.h"
#include "dispatch_faults.h"
#include "dispatcher/dispatch_watchdog.h"
#include "mayday/base/clock.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// The watchdog's patience (WatchdogOptions).
const absl::Duration kPatience = server::WatchdogOptions{}.patience;

struct Raised {
  std::string name;
  std::string member;  // the member's token
};

// A server on `clock` with dispatch's faults installed into `faults`.
std::unique_ptr<TestServer> FaultyServer(base::ManualClock& clock, DispatchFaults& faults) {
  return std::make_unique<TestServer>([&](server::ServerOptions& options) {
    options.clock = &clock;
    faults.Install(options);
  });
}

// Raises `count` road alerts, each from a member of its own (a member's
// second road alert would join the first), a millisecond of `clock` apart
// so that they have an order; every one must be acknowledged.
std::vector<Raised> RaiseAlerts(TestServer& server, base::ManualClock& clock, int count,
                                const std::string& prefix) {
  std::vector<Raised> out;
  for (int i = 0; i < count; ++i) {
    if (i > 0) clock.Advance(absl::Milliseconds(1));
    const std::string member = server.Token("member", prefix + std::to_string(i));
    v1::Case opened;
    const grpc::Status status =
        server.Alerts()->RaiseAlert(Call(member).get(), Alert(prefix + std::to_string(i)), &opened);
    REQUIRE(status.ok());
    CHECK(opened.state() == v1::CASE_STATE_DISPATCHING);
    out.push_back({opened.name(), member});
  }
  return out;
}

std::vector<v1::CaseEvent> Timeline(TestServer& server, const std::string& agent,
                                    const std::string& name) {
  v1::ListCaseEventsRequest request;
  request.set_parent(name);
  v1::ListCaseEventsResponse response;
  REQUIRE(server.Operators()->ListCaseEvents(Call(agent).get(), request, &response).ok());
  return {response.events().begin(), response.events().end()};
}

// Nothing happened to the cases yet: each has only its Raised event.
void CheckWaiting(TestServer& server, const std::string& agent, const std::vector<Raised>& cases) {
  for (const Raised& c : cases) {
    INFO(c.name);
    CHECK(Timeline(server, agent, c.name).size() == 1);
  }
}

// Every case's second event is the watchdog's escalation (read through the
// member's WatchCase, which replays and then waits for it).
void CheckEscalatedByWatchdog(TestServer& server, const std::vector<Raised>& cases) {
  for (const Raised& c : cases) {
    INFO(c.name);
    const auto events = WatchTimeline(server, c.member, c.name, 2);
    REQUIRE(events.size() == 2);
    CHECK(events[0].has_raised());
    CHECK(events[1].sequence() == 2);
    CHECK(events[1].state() == v1::CASE_STATE_ESCALATED);
    CHECK_THAT(events[1].escalated().reason(),
               Catch::Matchers::StartsWith("dispatch is not responding"));
  }
}

// The offered case went escalated -> redispatched -> offered, 1..4.
void CheckRedispatched(TestServer& server, const std::string& agent, const std::string& name) {
  const auto events = Timeline(server, agent, name);
  REQUIRE(events.size() == 4);
  for (size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].sequence() == static_cast<int64_t>(i + 1));
  }
  CHECK(events[1].has_escalated());
  CHECK(events[2].has_redispatched());
  CHECK(events[3].has_offered());
}

std::set<std::string> Names(const std::vector<Raised>& cases) {
  std::set<std::string> out;
  for (const Raised& c : cases) out.insert(c.name);
  return out;
}

TEST_CASE(
    "Dispatch stalled: alerts are acknowledged, escalated at the watchdog's patience, "
    "then dispatched") {
  base::ManualClock clock(absl::Now());
  DispatchFaults faults;
  auto server = FaultyServer(clock, faults);
  const std::string agent = server->Token("operator", "agent");
  Crew crew(*server, "tow");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.3680, 4.9040).ok());
  crew.Subscribe();

  faults.engine->Stall();
  const absl::Time first = clock.Now();
  const auto cases = RaiseAlerts(*server, clock, 3, "stalled-");
  REQUIRE(faults.engine->AwaitStalled());
  // A moment short of the first one's patience nothing is escalated; past
  // the last one's, all are.
  clock.Advance(first + kPatience - absl::Milliseconds(1) - clock.Now());
  CheckWaiting(*server, agent, cases);
  clock.Advance(absl::Milliseconds(3));
  CheckEscalatedByWatchdog(*server, cases);
  CHECK_FALSE(crew.NextOffer(absl::Milliseconds(100)).has_value());

  // Dispatch comes back: the oldest escalated case is matched again and
  // offered to the crew, who takes it.
  faults.engine->Resume();
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == cases[0].name);
  CheckRedispatched(*server, agent, offer->case_());
  v1::Case assigned;
  REQUIRE(crew.Accept(offer->case_(), &assigned).ok());
  CHECK(assigned.state() == v1::CASE_STATE_ASSIGNED);
}

// Calls that need the engine (a crew's SetDuty, a Subscribe stream's
// opening) wait while dispatch is stalled; they wait on the server's call
// threads, not on gRPC's two, so alerts and position reports are still
// answered beside them.
TEST_CASE("Calls waiting for a stalled dispatch leave alerts and position reports answered") {
  base::ManualClock clock(absl::Now());
  DispatchFaults faults;
  auto owned = FaultyServer(clock, faults);
  TestServer& server = *owned;
  Crew reporting(server, "reporting");
  REQUIRE(reporting.GoOnDuty(v1::CAPABILITY_TOW, 52.3680, 4.9040).ok());
  constexpr int kWaiting = 8;  // four times gRPC's callback threads here
  std::vector<std::unique_ptr<Crew>> crews;
  for (int i = 0; i < kWaiting; ++i) {
    crews.push_back(std::make_unique<Crew>(server, "waiting-" + std::to_string(i)));
  }

  faults.engine->Stall();
  struct Pending {
    std::unique_ptr<grpc::ClientContext> context;
    v1::SetDutyRequest request;
    v1::Responder reply;
    grpc::Status status;
    absl::Notification done;
  };
  std::vector<std::unique_ptr<Pending>> pending;
  for (int i = 0; i < kWaiting; ++i) {
    auto p = std::make_unique<Pending>();
    p->context = Call(crews[i]->token(), absl::Seconds(30));
    p->request.set_on_duty(true);
    p->request.add_capabilities(v1::CAPABILITY_TOW);
    Pending* raw = p.get();
    crews[i]->stub().async()->SetDuty(raw->context.get(), &raw->request, &raw->reply,
                                      [raw](grpc::Status status) {
                                        raw->status = std::move(status);
                                        raw->done.Notify();
                                      });
    pending.push_back(std::move(p));
  }
  for (int i = 0; i < kWaiting; ++i) crews[i]->SubscribeInBackground();
  // The first SetDuty to reach the engine is stuck in its Step(), holding
  // the engine's lock; the others wait for the lock.
  REQUIRE(faults.engine->AwaitStalled());
  for (const auto& p : pending) CHECK_FALSE(p->done.HasBeenNotified());

  // Alerts: each acknowledged (RaiseAlerts requires it, within Call's 10 s).
  const absl::Time start = absl::Now();
  const auto cases = RaiseAlerts(server, clock, 3, "beside-stall-");
  std::cout << "3 alerts beside " << kWaiting << " calls waiting for a stalled dispatch: "
            << absl::FormatDuration(absl::Now() - start) << "\n";
  // A crew's reports are taken without the engine.
  CHECK(reporting.Report({{52.3681, 4.9040}, {52.40, 4.9040}}).ok());

  faults.engine->Resume();
  for (auto& p : pending) {
    REQUIRE(p->done.WaitForNotificationWithTimeout(absl::Seconds(20)));
    CHECK(p->status.ok());
    CHECK(p->reply.status() == v1::Responder::STATUS_AVAILABLE);
  }
}

TEST_CASE(
    "Dispatch commits failing: alerts are escalated at the watchdog's patience, matched "
    "on recovery") {
  base::ManualClock clock(absl::Now());
  DispatchFaults faults;
  auto server = FaultyServer(clock, faults);
  const std::string agent = server->Token("operator", "agent");

  faults.writer->Fail(true);
  const auto cases = RaiseAlerts(*server, clock, 3, "failing-");
  // A failed decision is escalated at once.
  CheckEscalatedByWatchdog(*server, cases);

  // Commits work again; a crew comes on duty and is offered one of them.
  faults.writer->Fail(false);
  Crew crew(*server, "tow");
  crew.Subscribe();
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.3680, 4.9040).ok());
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(Names(cases).contains(offer->case_()));
  CheckRedispatched(*server, agent, offer->case_());
}

TEST_CASE("A healthy dispatch is never overruled by the watchdog") {
  base::ManualClock clock(absl::Now());
  DispatchFaults faults;
  auto server = FaultyServer(clock, faults);
  const std::string agent = server->Token("operator", "agent");
  Crew crew(*server, "tow");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.3680, 4.9040).ok());
  crew.Subscribe();
  const auto cases = RaiseAlerts(*server, clock, 2, "healthy-");
  // One is offered to the crew; the other waits for it or is escalated by
  // dispatch itself (nobody else can serve it). Past the watchdog's
  // patience, it added nothing to either.
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  server->server().SettleDispatch();
  // Past the patience the watchdog has looked (if it was still watching
  // the cases) and sleeps with nothing left to watch, the only thread of
  // the server that waits without a deadline.
  clock.Advance(2 * kPatience);
  REQUIRE(clock.AwaitWaiter(absl::InfiniteFuture()));
  // Whatever it might have queued is committed before a write queued after.
  RaiseAlerts(*server, clock, 1, "barrier-");
  for (const Raised& c : cases) {
    INFO(c.name);
    const auto events = Timeline(*server, agent, c.name);
    REQUIRE_FALSE(events.empty());
    if (c.name == offer->case_()) {
      REQUIRE(events.size() == 2);
      CHECK(events[1].has_offered());
    }
    for (const v1::CaseEvent& e : events) {
      CHECK_THAT(e.escalated().reason(),
                 !Catch::Matchers::StartsWith("dispatch is not responding"));
    }
  }
}

}  // namespace
}  // namespace mayday::testing
