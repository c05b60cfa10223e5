// A member who presses again and again while help is on its way: every press
// is answered at once with the member's one open case of that kind; nothing
// is refused, no second case is opened, dispatch is not asked twice, and
// other members are served as before.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "crew.h"
#include "member_cases.h"
#include "test_server.h"
#include "test_support.h"

namespace mayday::testing {
namespace {

namespace v1 = mayday::v1;

TEST_CASE("A member hammering RaiseAlert gets their one open case back, never an error") {
  TestServer server;
  Crew crew(server, "tow-1");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.368, 4.904).ok());
  crew.Subscribe();
  const std::string alice = server.Token("member", "alice");
  const std::string bob = server.Token("member", "bob");

  v1::Case first;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("first"), &first).ok());
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == first.name());

  // 8 threads x 4 presses, each with a request_id of its own (as an app
  // that makes one per press does), all at once: they take turns
  // (ServerOptions::alert_spacing apart), none is refused.
  constexpr int kThreads = 8;
  constexpr int kPresses = 4;
  absl::Mutex mu;
  std::set<std::string> answered;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto alerts = server.Alerts();
      for (int i = 0; i < kPresses; ++i) {
        v1::Case got;
        const grpc::Status status =
            alerts->RaiseAlert(Call(alice).get(), Alert(absl::StrCat("press-", t, "-", i)), &got);
        absl::MutexLock lock(&mu);
        if (!status.ok()) {
          errors.push_back(absl::StrCat(status.error_code(), ": ", status.error_message()));
        } else {
          answered.insert(got.name());
        }
      }
    });
  }
  // Meanwhile another member's alert is a case of its own.
  v1::Case bobs;
  REQUIRE(server.Alerts()->RaiseAlert(Call(bob).get(), Alert("bob-1"), &bobs).ok());
  CHECK(bobs.name() != first.name());
  for (auto& thread : threads) thread.join();

  INFO("first error: " << (errors.empty() ? "" : errors.front()));
  CHECK(errors.empty());
  CHECK(answered == std::set<std::string>{first.name()});
  const std::vector<v1::Case> cases = MemberCases(server, alice);
  REQUIRE(cases.size() == 1);
  CHECK(cases[0].name() == first.name());
  CHECK(cases[0].request_id() == "first");
  // Every press is remembered for its retries (up to a case's first
  // kMaxRememberedPresses: tests/server/store/open_case_test.cc), and the timeline
  // has no event per press: raised, offered, nothing else.
  CHECK(server::testing::QueryInt(server.db_path(),
                                  "SELECT count(*) FROM case_presses WHERE member = "
                                  "'members/alice'") == kThreads * kPresses);
  const std::string remembered = server::testing::QueryText(
      server.db_path(), "SELECT request_id FROM case_presses WHERE member = 'members/alice'");
  server.server().SettleDispatch();
  CHECK(cases[0].last_sequence() == 2);

  // A retry of one of those presses returns the same case; a medical alert
  // is a case of its own; and once the road case is closed a press opens a
  // new one.
  v1::Case got;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("press-3-7"), &got).ok());
  CHECK(got.name() == first.name());
  v1::Case medical;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(alice).get(), Alert("medical", v1::CASE_KIND_MEDICAL), &medical)
              .ok());
  CHECK(medical.name() != first.name());
  v1::CancelCaseRequest cancel;
  cancel.set_name(first.name());
  cancel.set_reason("false alarm");
  v1::Case cancelled;
  REQUIRE(server.Alerts()->CancelCase(Call(alice).get(), cancel, &cancelled).ok());
  v1::Case next;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("after"), &next).ok());
  CHECK(next.name() != first.name());
  CHECK(next.state() == v1::CASE_STATE_DISPATCHING);
  // The retry of a press that joined the cancelled case still names it.
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert(remembered), &got).ok());
  CHECK(got.name() == first.name());
  CHECK(got.state() == v1::CASE_STATE_CANCELLED);
  CHECK(MemberCases(server, alice).size() == 3);
}

}  // namespace
}  // namespace mayday::testing
