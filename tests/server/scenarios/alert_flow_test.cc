// One alert the whole way: an SDK client raises it, a crew accepts on its
// push stream and moves it along, and the SDK's watch sees every step, in
// order, numbered 1..n without gaps.
#include <catch2/catch.hpp>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "crew.h"
#include "mayday/sdk/client.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

using mayday::v1::CaseEvent;
using mayday::v1::CaseState;

// Collects what a watch delivers.
struct Seen {
  absl::Mutex mu;
  std::vector<CaseEvent> events ABSL_GUARDED_BY(mu);
  bool ended ABSL_GUARDED_BY(mu) = false;
  absl::Status end ABSL_GUARDED_BY(mu);

  bool WaitForState(CaseState state, absl::Duration timeout) {
    absl::MutexLock lock(&mu);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return ended || (!events.empty() && events.back().state() == state);
    };
    return mu.AwaitWithTimeout(absl::Condition(&reached), timeout) && !events.empty() &&
           events.back().state() == state;
  }
};

std::unique_ptr<sdk::Client> MemberClient(TestServer& server, const std::string& token) {
  sdk::ClientOptions options;
  options.server = server.address();
  options.token = token;
  auto client = sdk::Client::Create(options);
  REQUIRE(client.ok());
  return std::move(*client);
}

TEST_CASE("An SDK alert reaches a crew and every step streams back in order") {
  TestServer server;
  Crew crew(server, "tow-1");
  REQUIRE(crew.GoOnDuty(mayday::v1::CAPABILITY_TOW, 52.36, 4.88).ok());
  crew.Subscribe();
  auto client = MemberClient(server, server.Token("member", "alice"));

  sdk::Alert alert;
  alert.kind = mayday::v1::CASE_KIND_ROAD;
  alert.latitude = 52.3676;
  alert.longitude = 4.9041;
  alert.horizontal_accuracy_meters = 8;
  alert.note = "flat tyre on the ring road";
  auto opened = client->RaiseAlert(alert);
  REQUIRE(opened.ok());
  CHECK(opened->state() == mayday::v1::CASE_STATE_DISPATCHING);
  CHECK(opened->last_sequence() == 1);

  Seen seen;
  auto watch = client->WatchCase(
      opened->name(), 0,
      [&](const CaseEvent& e) {
        absl::MutexLock lock(&seen.mu);
        seen.events.push_back(e);
      },
      [&](const absl::Status& s) {
        absl::MutexLock lock(&seen.mu);
        seen.ended = true;
        seen.end = s;
      });
  REQUIRE(watch.ok());

  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == opened->name());
  CHECK(offer->distance_meters() > 0);
  CHECK(offer->distance_meters() < 5000);
  REQUIRE(crew.Accept(offer->case_()).ok());
  REQUIRE(seen.WaitForState(mayday::v1::CASE_STATE_ASSIGNED, absl::Seconds(10)));
  // The member writes to the crew through the SDK; the message is an event
  // of the case like any other.
  auto message = client->PostMessage(opened->name(), "I'm at the exit, blue car");
  REQUIRE(message.ok());
  CHECK(message->message_posted().author() == "members/alice");
  CHECK(client->PostMessage(opened->name(), "").status().code() ==
        absl::StatusCode::kInvalidArgument);
  REQUIRE(crew.Progress(offer->case_(), mayday::v1::CASE_STATE_EN_ROUTE).ok());
  REQUIRE(crew.Progress(offer->case_(), mayday::v1::CASE_STATE_ON_SCENE).ok());
  REQUIRE(crew.Progress(offer->case_(), mayday::v1::CASE_STATE_RESOLVED).ok());
  REQUIRE((*watch)->WaitDone(absl::Seconds(10)));

  absl::MutexLock lock(&seen.mu);
  CHECK(seen.end.ok());
  std::vector<CaseState> states;
  for (size_t i = 0; i < seen.events.size(); ++i) {
    INFO("event " << i << ": " << seen.events[i].ShortDebugString());
    CHECK(seen.events[i].sequence() == static_cast<int64_t>(i + 1));
    CHECK(seen.events[i].case_() == opened->name());
    if (states.empty() || states.back() != seen.events[i].state()) {
      states.push_back(seen.events[i].state());
    }
  }
  const std::vector<CaseState> expected = {
      mayday::v1::CASE_STATE_DISPATCHING, mayday::v1::CASE_STATE_ASSIGNED,
      mayday::v1::CASE_STATE_EN_ROUTE, mayday::v1::CASE_STATE_ON_SCENE,
      mayday::v1::CASE_STATE_RESOLVED};
  CHECK(states == expected);
  REQUIRE(seen.events.size() >= 2);
  CHECK(seen.events[0].has_raised());
  CHECK(seen.events[1].has_offered());
  CHECK(seen.events[1].offered().responder() == crew.name());

  // A resolved case can no longer be cancelled, and the refusal adds nothing.
  auto cancelled = client->CancelCase(opened->name(), "too late");
  CHECK(cancelled.status().code() == absl::StatusCode::kFailedPrecondition);
  auto final_case = client->GetCase(opened->name());
  REQUIRE(final_case.ok());
  CHECK(final_case->state() == mayday::v1::CASE_STATE_RESOLVED);
  CHECK(final_case->last_sequence() == static_cast<int64_t>(seen.events.size()));
  bool message_seen = false;
  for (const auto& e : seen.events) message_seen |= e.has_message_posted();
  CHECK(message_seen);

  // Closed: no more messages, and one rating.
  CHECK(client->PostMessage(opened->name(), "thanks").status().code() ==
        absl::StatusCode::kFailedPrecondition);
  auto rated = client->RateCase(opened->name(), 5, "fast and kind");
  REQUIRE(rated.ok());
  CHECK(rated->rating().stars() == 5);
  CHECK(client->RateCase(opened->name(), 4, "").status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("Watching from a sequence replays only what came after it") {
  TestServer server;
  const std::string token = server.Token("member", "alice");
  auto alerts = server.Alerts();
  mayday::v1::Case opened;
  REQUIRE(alerts->RaiseAlert(Call(token).get(), Alert("p1"), &opened).ok());
  mayday::v1::UpdateCaseLocationRequest move;
  move.set_name(opened.name());
  *move.mutable_location() = Alert("x").location();
  mayday::v1::Case moved;
  // No responder is on duty, so dispatch escalates; then the member moves twice.
  REQUIRE(alerts->UpdateCaseLocation(Call(token).get(), move, &moved).ok());
  REQUIRE(alerts->UpdateCaseLocation(Call(token).get(), move, &moved).ok());
  const int64_t last = moved.last_sequence();
  REQUIRE(last >= 3);

  mayday::v1::WatchCaseRequest watch;
  watch.set_name(opened.name());
  watch.set_after_sequence(last - 1);
  auto context = Call(token, absl::Seconds(2));
  auto reader = alerts->WatchCase(context.get(), watch);
  mayday::v1::CaseEvent event;
  REQUIRE(reader->Read(&event));
  CHECK(event.sequence() == last);
  CHECK(event.has_location_updated());
  // Then live: cancelling sends the terminal event and ends the stream.
  mayday::v1::CancelCaseRequest cancel;
  cancel.set_name(opened.name());
  cancel.set_reason("false alarm");
  mayday::v1::Case cancelled;
  REQUIRE(alerts->CancelCase(Call(token).get(), cancel, &cancelled).ok());
  REQUIRE(reader->Read(&event));
  CHECK(event.sequence() == last + 1);
  CHECK(event.state() == mayday::v1::CASE_STATE_CANCELLED);
  CHECK(event.cancelled().reason() == "false alarm");
  CHECK_FALSE(reader->Read(&event));
  CHECK(reader->Finish().ok());
}

}  // namespace
}  // namespace mayday::testing
