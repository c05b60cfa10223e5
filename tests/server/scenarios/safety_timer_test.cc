// Safety timers through the public API of a real maydayd on a ManualClock:
// a timer fires once at its deadline, from the member's last location with
// its note, also when its deadline passed while the server was down; the
// member ends it with its PIN, or seems to with the duress PIN while the
// desk gets the alert; every bad request is refused and changes nothing.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/proto_time.h"
#include "mayday/base/clock.h"
#include "member_cases.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

using mayday::v1::Case;
using mayday::v1::SafetyTimer;

constexpr char kCancelPin[] = "73915204";
constexpr char kDuressPin[] = "58204613";

std::unique_ptr<TestServer> ServerOn(base::ManualClock& clock) {
  return std::make_unique<TestServer>(
      [&clock](server::ServerOptions& options) { options.clock = &clock; });
}

mayday::v1::StartSafetyTimerRequest Start(const std::string& request_id, absl::Time deadline) {
  mayday::v1::StartSafetyTimerRequest request;
  request.set_request_id(request_id);
  request.set_kind(mayday::v1::CASE_KIND_MEDICAL);
  *request.mutable_location() = Alert("x").location();
  request.set_note("hiking the north ridge with Sam, back by 18:00");
  *request.mutable_deadline() = server::ToProtoTime(deadline);
  return request;
}

SafetyTimer Started(TestServer& server, const std::string& token,
                    const mayday::v1::StartSafetyTimerRequest& request) {
  SafetyTimer timer;
  const grpc::Status status = server.Alerts()->StartSafetyTimer(Call(token).get(), request, &timer);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return timer;
}

grpc::Status End(TestServer& server, const std::string& token, const std::string& name,
                 const std::string& pin, SafetyTimer* out = nullptr) {
  mayday::v1::EndSafetyTimerRequest request;
  request.set_name(name);
  request.set_pin(pin);
  SafetyTimer timer;
  return server.Alerts()->EndSafetyTimer(Call(token).get(), request, out ? out : &timer);
}

SafetyTimer Get(TestServer& server, const std::string& token, const std::string& name) {
  mayday::v1::GetSafetyTimerRequest request;
  request.set_name(name);
  SafetyTimer timer;
  const grpc::Status status = server.Alerts()->GetSafetyTimer(Call(token).get(), request, &timer);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return timer;
}

// Every case of every member, as the desk lists them.
std::vector<Case> DeskCases(TestServer& server) {
  const std::string agent = server.Token("operator", "desk");
  mayday::v1::ListAllCasesRequest request;
  request.set_page_size(100);
  mayday::v1::ListCasesResponse response;
  const grpc::Status status = server.Operators()->ListCases(Call(agent).get(), request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return {response.cases().begin(), response.cases().end()};
}

// Waits (in real time, a few seconds at most) until the desk lists `count`
// cases: the keeper fires on its own thread.
std::vector<Case> AwaitDeskCases(TestServer& server, size_t count) {
  std::vector<Case> cases;
  for (int i = 0; i < 200; ++i) {
    cases = DeskCases(server);
    if (cases.size() >= count) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return cases;
}

TEST_CASE("A safety timer fires once at its deadline, from the last location, with the note") {
  base::ManualClock clock(absl::Now());
  auto server = ServerOn(clock);
  const std::string token = server->Token("member", "hiker");
  const SafetyTimer timer = Started(*server, token, Start("trip-1", clock.Now() + absl::Hours(2)));
  CHECK(timer.state() == SafetyTimer::STATE_RUNNING);
  CHECK(absl::StartsWith(timer.name(), "timers/"));
  // A retry of the start gets the same timer; a second start is refused.
  CHECK(Started(*server, token, Start("trip-1", clock.Now() + absl::Hours(2))).name() ==
        timer.name());
  SafetyTimer other;
  const grpc::Status second = server->Alerts()->StartSafetyTimer(
      Call(token).get(), Start("trip-2", clock.Now() + absl::Hours(3)), &other);
  CHECK(second.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(second.error_message(), Catch::Contains(timer.name()));

  // The member reports where they are, and moves the deadline sooner.
  mayday::v1::UpdateSafetyTimerRequest update;
  update.set_name(timer.name());
  update.mutable_location()->set_latitude(46.5);
  update.mutable_location()->set_longitude(8.1);
  update.mutable_location()->set_horizontal_accuracy_meters(30);
  *update.mutable_deadline() = server::ToProtoTime(clock.Now() + absl::Minutes(30));
  SafetyTimer moved;
  REQUIRE(server->Alerts()->UpdateSafetyTimer(Call(token).get(), update, &moved).ok());
  CHECK(moved.location().latitude() == 46.5);

  clock.Advance(absl::Minutes(29));
  absl::SleepFor(absl::Milliseconds(300));
  CHECK(DeskCases(*server).empty());
  CHECK(Get(*server, token, timer.name()).state() == SafetyTimer::STATE_RUNNING);

  clock.Advance(absl::Minutes(2));
  std::vector<Case> cases = AwaitDeskCases(*server, 1);
  REQUIRE(cases.size() == 1);
  const Case& raised = cases[0];
  CHECK(raised.member() == "members/hiker");
  CHECK(raised.kind() == mayday::v1::CASE_KIND_MEDICAL);
  CHECK(raised.location().latitude() == 46.5);
  CHECK(raised.location().longitude() == 8.1);
  CHECK_THAT(raised.note(), Catch::StartsWith("Safety timer ran out at ") &&
                                Catch::Contains("hiking the north ridge with Sam"));
  const SafetyTimer fired = Get(*server, token, timer.name());
  CHECK(fired.state() == SafetyTimer::STATE_FIRED);
  CHECK(fired.case_() == raised.name());
  // The member sees the case like any alert of theirs.
  REQUIRE(MemberCases(*server, token).size() == 1);

  // Ending it now is too late; time passing fires nothing more.
  CHECK(End(*server, token, timer.name(), "").error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
  clock.Advance(absl::Hours(5));
  absl::SleepFor(absl::Milliseconds(300));
  CHECK(DeskCases(*server).size() == 1);
}

TEST_CASE("A timer due while maydayd was stopped fires once when it is back") {
  base::ManualClock clock(absl::Now());
  auto server = ServerOn(clock);
  const std::string token = server->Token("member", "walker");
  const SafetyTimer timer = Started(*server, token, Start("walk", clock.Now() + absl::Minutes(10)));
  server->Restart([&] { clock.Advance(absl::Hours(1)); });
  std::vector<Case> cases = AwaitDeskCases(*server, 1);
  REQUIRE(cases.size() == 1);
  CHECK(Get(*server, token, timer.name()).case_() == cases[0].name());
  server->Restart();
  absl::SleepFor(absl::Milliseconds(300));
  CHECK(DeskCases(*server).size() == 1);
}

TEST_CASE("Ending a timer takes the PIN, and the duress PIN seems to end it and raises the alert") {
  base::ManualClock clock(absl::Now());
  auto server = ServerOn(clock);
  const std::string token = server->Token("member", "runner");
  mayday::v1::SetCancelPinsRequest pins;
  pins.set_cancel_pin(kCancelPin);
  pins.set_duress_pin(kDuressPin);
  mayday::v1::CancelPinSettings settings;
  REQUIRE(server->Alerts()->SetCancelPins(Call(token).get(), pins, &settings).ok());

  // Without the PIN, with a wrong one: refused; then the right one ends it.
  const SafetyTimer first = Started(*server, token, Start("run-1", clock.Now() + absl::Hours(1)));
  CHECK(End(*server, token, first.name(), "").error_code() ==
        grpc::StatusCode::FAILED_PRECONDITION);
  const grpc::Status wrong = End(*server, token, first.name(), "11112222");
  CHECK(wrong.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(wrong.error_message() == "wrong PIN; 4 attempts left on this timer");
  SafetyTimer ended;
  REQUIRE(End(*server, token, first.name(), kCancelPin, &ended).ok());
  CHECK(ended.state() == SafetyTimer::STATE_ENDED);
  clock.Advance(absl::Hours(2));
  absl::SleepFor(absl::Milliseconds(300));
  CHECK(DeskCases(*server).empty());

  // The duress PIN: the same answer, field by field but for ids and times.
  const SafetyTimer second = Started(*server, token, Start("run-2", clock.Now() + absl::Hours(1)));
  REQUIRE(End(*server, token, second.name(), "11112222").error_code() ==
          grpc::StatusCode::PERMISSION_DENIED);
  SafetyTimer shown;
  REQUIRE(End(*server, token, second.name(), kDuressPin, &shown).ok());
  auto comparable = [](SafetyTimer timer) {
    timer.clear_name();
    timer.clear_request_id();
    timer.clear_create_time();
    timer.clear_update_time();
    timer.clear_deadline();
    timer.mutable_location()->clear_fix_time();
    return timer.DebugString();
  };
  CHECK(comparable(shown) == comparable(ended));
  CHECK(comparable(Get(*server, token, second.name())) == comparable(ended));
  // The member reads no case; the desk has one, marked DURESS.
  CHECK(MemberCases(*server, token).empty());
  std::vector<Case> cases = AwaitDeskCases(*server, 1);
  REQUIRE(cases.size() == 1);
  CHECK(cases[0].has_duress());
  CHECK(cases[0].member() == "members/runner");
  CHECK_THAT(cases[0].note(), Catch::StartsWith("DURESS: the member ended the safety timer"));
  mayday::v1::GetCaseRequest get;
  get.set_name(cases[0].name());
  Case hidden;
  CHECK(server->Alerts()->GetCase(Call(token).get(), get, &hidden).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  mayday::v1::WatchCaseRequest watch;
  watch.set_name(cases[0].name());
  auto context = Call(token, absl::Seconds(2));
  auto reader = server->Alerts()->WatchCase(context.get(), watch);
  mayday::v1::CaseEvent event;
  CHECK_FALSE(reader->Read(&event));
  CHECK(reader->Finish().error_code() == grpc::StatusCode::NOT_FOUND);
  // The member's next press opens a case of its own.
  Case pressed;
  REQUIRE(
      server->Alerts()
          ->RaiseAlert(Call(token).get(), Alert("press", mayday::v1::CASE_KIND_MEDICAL), &pressed)
          .ok());
  CHECK(pressed.name() != cases[0].name());

  // The desk sees the timer fired, with the case.
  const std::string agent = server->Token("operator", "desk");
  mayday::v1::ListSafetyTimersRequest list;
  mayday::v1::ListSafetyTimersResponse timers;
  REQUIRE(server->Operators()->ListSafetyTimers(Call(agent).get(), list, &timers).ok());
  bool seen = false;
  for (const SafetyTimer& t : timers.timers()) {
    if (t.name() != second.name()) continue;
    seen = true;
    CHECK(t.state() == SafetyTimer::STATE_FIRED);
    CHECK(t.case_() == cases[0].name());
    CHECK(t.member_view().state() == SafetyTimer::STATE_ENDED);
  }
  CHECK(seen);

  // Five wrong PINs fire the timer.
  const SafetyTimer third = Started(*server, token, Start("run-3", clock.Now() + absl::Hours(1)));
  grpc::Status status;
  for (int i = 0; i < 5; ++i) status = End(*server, token, third.name(), "99990000");
  CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK_THAT(status.error_message(), Catch::Contains("the timer fired"));
  const SafetyTimer locked = Get(*server, token, third.name());
  CHECK(locked.state() == SafetyTimer::STATE_FIRED);
  CHECK(locked.failed_end_attempts() == 5);
}

TEST_CASE("Safety timers: every bad request is refused and changes nothing") {
  base::ManualClock clock(absl::Now());
  auto server = ServerOn(clock);
  const std::string token = server->Token("member", "careful");
  const std::string other = server->Token("member", "stranger");
  struct Row {
    const char* what;
    std::function<void(mayday::v1::StartSafetyTimerRequest&)> spoil;
    const char* says;
  };
  const Row rows[] = {
      {"no request_id", [](auto& r) { r.clear_request_id(); }, "request_id"},
      {"no kind", [](auto& r) { r.set_kind(mayday::v1::CASE_KIND_UNSPECIFIED); }, "kind"},
      {"no location", [](auto& r) { r.clear_location(); }, "location"},
      {"latitude out of range", [](auto& r) { r.mutable_location()->set_latitude(91); },
       "latitude"},
      {"long note", [](auto& r) { r.set_note(std::string(1001, 'x')); }, "note"},
      {"no deadline", [](auto& r) { r.clear_deadline(); }, "deadline is required"},
      {"deadline too soon",
       [&](auto& r) {
         *r.mutable_deadline() = server::ToProtoTime(clock.Now() + absl::Seconds(5));
       },
       "deadline must be 10s to 7 days from now"},
      {"deadline in the past",
       [&](auto& r) { *r.mutable_deadline() = server::ToProtoTime(clock.Now() - absl::Hours(1)); },
       "deadline must be"},
      {"deadline too far",
       [&](auto& r) {
         *r.mutable_deadline() = server::ToProtoTime(clock.Now() + absl::Hours(200));
       },
       "deadline must be"},
      {"deadline nanos out of range", [](auto& r) { r.mutable_deadline()->set_nanos(-1); },
       "deadline"},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    auto request = Start("bad", clock.Now() + absl::Hours(1));
    row.spoil(request);
    SafetyTimer timer;
    const grpc::Status status =
        server->Alerts()->StartSafetyTimer(Call(token).get(), request, &timer);
    CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
    CHECK_THAT(status.error_message(), Catch::Contains(row.says));
  }
  const SafetyTimer timer = Started(*server, token, Start("ok", clock.Now() + absl::Hours(1)));

  // Names, and another member's timer.
  mayday::v1::GetSafetyTimerRequest get;
  SafetyTimer got;
  get.set_name("timers/nope");
  CHECK(server->Alerts()->GetSafetyTimer(Call(token).get(), get, &got).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  get.set_name(timer.name());
  CHECK(server->Alerts()->GetSafetyTimer(Call(other).get(), get, &got).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  CHECK(End(*server, other, timer.name(), "").error_code() == grpc::StatusCode::NOT_FOUND);
  mayday::v1::UpdateSafetyTimerRequest update;
  update.set_name(timer.name());
  SafetyTimer moved;
  CHECK(server->Alerts()->UpdateSafetyTimer(Call(token).get(), update, &moved).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  *update.mutable_deadline() = server::ToProtoTime(clock.Now() + absl::Seconds(1));
  CHECK(server->Alerts()->UpdateSafetyTimer(Call(token).get(), update, &moved).error_code() ==
        grpc::StatusCode::INVALID_ARGUMENT);
  *update.mutable_deadline() = server::ToProtoTime(clock.Now() + absl::Hours(2));
  CHECK(server->Alerts()->UpdateSafetyTimer(Call(other).get(), update, &moved).error_code() ==
        grpc::StatusCode::NOT_FOUND);
  // Nothing of that changed the timer.
  const SafetyTimer after = Get(*server, token, timer.name());
  CHECK(after.deadline().seconds() == timer.deadline().seconds());
  CHECK(after.state() == SafetyTimer::STATE_RUNNING);

  // Ended once; a second end is refused.
  REQUIRE(End(*server, token, timer.name(), "").ok());
  const grpc::Status twice = End(*server, token, timer.name(), "");
  CHECK(twice.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK_THAT(twice.error_message(), Catch::Contains("already ENDED"));
  // Only members have timers.
  const std::string agent = server->Token("operator", "desk");
  SafetyTimer refused;
  CHECK(
      server->Alerts()
          ->StartSafetyTimer(Call(agent).get(), Start("x", clock.Now() + absl::Hours(1)), &refused)
          .error_code() == grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace mayday::testing
