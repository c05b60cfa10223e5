// Degraded mode: when dispatch stalls (its thread blocked while holding the
// engine) or its decisions fail to commit, alerts are still stored and
// acknowledged, and operators see them ESCALATED within a second of the
// acknowledgement (the DispatchWatchdog); once dispatch recovers, the
// escalated cases go back to matching and a crew gets the offer.
#include <catch2/catch.hpp>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "crew.h"
#include "dispatcher/dispatcher.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// How long the test waits for the escalations: far above the 1 s promise, so
// that a loaded machine does not fail it; the figure measured is printed.
constexpr absl::Duration kWaitForEscalation = absl::Seconds(5);

struct Acknowledged {
  std::string name;
  absl::Time time;  // when RaiseAlert returned
};

// Raises `count` road alerts, each from a member of its own (a member's
// second road alert would join the first); every one must be acknowledged.
std::vector<Acknowledged> RaiseAlerts(TestServer& server, int count, const std::string& prefix) {
  std::vector<Acknowledged> out;
  for (int i = 0; i < count; ++i) {
    const std::string member = server.Token("member", prefix + std::to_string(i));
    v1::Case opened;
    const grpc::Status status =
        server.Alerts()->RaiseAlert(Call(member).get(), Alert(prefix + std::to_string(i)), &opened);
    REQUIRE(status.ok());
    CHECK(opened.state() == v1::CASE_STATE_DISPATCHING);
    out.push_back({opened.name(), absl::Now()});
  }
  return out;
}

// Polls the operator's ListCases (ESCALATED only) every 10 ms until every
// case in `cases` is listed or the wait ends; returns how long after its
// acknowledgement each was first seen.
std::map<std::string, absl::Duration> SeenEscalated(TestServer& server, const std::string& agent,
                                                    const std::vector<Acknowledged>& cases) {
  std::map<std::string, absl::Duration> seen;
  const absl::Time give_up = absl::Now() + kWaitForEscalation;
  while (seen.size() < cases.size() && absl::Now() < give_up) {
    v1::ListAllCasesRequest request;
    request.add_states(v1::CASE_STATE_ESCALATED);
    request.set_page_size(100);
    v1::ListCasesResponse page;
    REQUIRE(server.Operators()->ListCases(Call(agent).get(), request, &page).ok());
    const absl::Time now = absl::Now();
    for (const v1::Case& c : page.cases()) {
      for (const Acknowledged& a : cases) {
        if (a.name == c.name() && !seen.contains(a.name)) seen[a.name] = now - a.time;
      }
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return seen;
}

std::vector<v1::CaseEvent> Timeline(TestServer& server, const std::string& agent,
                                    const std::string& name) {
  v1::ListCaseEventsRequest request;
  request.set_parent(name);
  v1::ListCaseEventsResponse response;
  REQUIRE(server.Operators()->ListCaseEvents(Call(agent).get(), request, &response).ok());
  return {response.events().begin(), response.events().end()};
}

// Every case was seen escalated in time, by the watchdog (its reason), right
// after being raised.
void CheckEscalatedByWatchdog(TestServer& server, const std::string& agent,
                              const std::vector<Acknowledged>& cases, const char* what) {
  const auto seen = SeenEscalated(server, agent, cases);
  REQUIRE(seen.size() == cases.size());
  absl::Duration worst;
  for (const auto& [name, latency] : seen) worst = std::max(worst, latency);
  std::cout << "degraded mode (" << what << "): " << cases.size()
            << " acknowledged alerts seen ESCALATED by an operator at most "
            << absl::ToInt64Milliseconds(worst) << " ms after acknowledgement\n";
  CHECK(worst < kWaitForEscalation);
  for (const Acknowledged& a : cases) {
    INFO(a.name);
    const auto events = Timeline(server, agent, a.name);
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

std::set<std::string> Names(const std::vector<Acknowledged>& cases) {
  std::set<std::string> out;
  for (const Acknowledged& a : cases) out.insert(a.name);
  return out;
}

TEST_CASE("Dispatch stalled: alerts are acknowledged, escalated within a second, then dispatched") {
  TestServer server;
  const std::string agent = server.Token("operator", "agent");
  Crew crew(server, "tow");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.3680, 4.9040).ok());
  crew.Subscribe();

  server.server().dispatcher().StallForTesting();
  const auto cases = RaiseAlerts(server, 3, "stalled-");
  CheckEscalatedByWatchdog(server, agent, cases, "dispatch thread stalled");
  CHECK_FALSE(crew.NextOffer(absl::Milliseconds(100)).has_value());

  // Dispatch comes back: the oldest escalated case is matched again and
  // offered to the crew, who takes it.
  server.server().dispatcher().ResumeForTesting();
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == cases[0].name);
  CheckRedispatched(server, agent, offer->case_());
  v1::Case assigned;
  REQUIRE(crew.Accept(offer->case_(), &assigned).ok());
  CHECK(assigned.state() == v1::CASE_STATE_ASSIGNED);
}

// Calls that need the engine (a crew's SetDuty, a Subscribe stream's
// opening) wait while dispatch is stalled; they wait on the server's call
// threads, not on gRPC's two, so alerts and position reports are still
// answered beside them.
TEST_CASE("Calls waiting for a stalled dispatch leave alerts and position reports answered") {
  TestServer server;
  Crew reporting(server, "reporting");
  REQUIRE(reporting.GoOnDuty(v1::CAPABILITY_TOW, 52.3680, 4.9040).ok());
  constexpr int kWaiting = 8;  // four times gRPC's callback threads here
  std::vector<std::unique_ptr<Crew>> crews;
  for (int i = 0; i < kWaiting; ++i) {
    crews.push_back(std::make_unique<Crew>(server, "waiting-" + std::to_string(i)));
  }

  server.server().dispatcher().StallForTesting();
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
  for (int i = 0; i < kWaiting; ++i) crews[i]->Subscribe();
  // Give the calls time to reach the server and wait there.
  absl::SleepFor(absl::Milliseconds(300));
  CHECK_FALSE(pending[0]->done.HasBeenNotified());

  // Alerts: each acknowledged (RaiseAlerts requires it, within Call's 10 s).
  const absl::Time start = absl::Now();
  const auto cases = RaiseAlerts(server, 3, "beside-stall-");
  std::cout << "3 alerts beside " << kWaiting << " calls waiting for a stalled dispatch: "
            << absl::FormatDuration(absl::Now() - start) << "\n";
  // A crew's reports are taken without the engine.
  CHECK(reporting.Report({{52.3681, 4.9040}, {52.40, 4.9040}}).ok());

  server.server().dispatcher().ResumeForTesting();
  for (auto& p : pending) {
    REQUIRE(p->done.WaitForNotificationWithTimeout(absl::Seconds(20)));
    CHECK(p->status.ok());
    CHECK(p->reply.status() == v1::Responder::STATUS_AVAILABLE);
  }
}

TEST_CASE("Dispatch commits failing: alerts are escalated within a second, matched on recovery") {
  TestServer server;
  const std::string agent = server.Token("operator", "agent");

  server.server().dispatcher().FailCommitsForTesting(true);
  const auto cases = RaiseAlerts(server, 3, "failing-");
  CheckEscalatedByWatchdog(server, agent, cases, "dispatch commits failing");

  // Commits work again; a crew comes on duty and is offered one of them.
  server.server().dispatcher().FailCommitsForTesting(false);
  Crew crew(server, "tow");
  crew.Subscribe();
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.3680, 4.9040).ok());
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(Names(cases).contains(offer->case_()));
  CheckRedispatched(server, agent, offer->case_());
}

TEST_CASE("A healthy dispatch is never overruled by the watchdog") {
  TestServer server;
  const std::string agent = server.Token("operator", "agent");
  Crew crew(server, "tow");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.3680, 4.9040).ok());
  crew.Subscribe();
  const auto cases = RaiseAlerts(server, 2, "healthy-");
  // One is offered to the crew; the other waits for it or is escalated by
  // dispatch itself (nobody else can serve it). Past the watchdog's
  // patience, it added nothing to either.
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  absl::SleepFor(absl::Seconds(1));
  for (const Acknowledged& a : cases) {
    INFO(a.name);
    const auto events = Timeline(server, agent, a.name);
    REQUIRE_FALSE(events.empty());
    if (a.name == offer->case_()) {
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
