// The C ABI (mayday/mayday.h) against a real maydayd: raise, watch to the
// end with events 1..n in order, read cases, message and rate, errors as
// codes plus a message, and the C example mayday-panic-c run as a program.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "child_process.h"
#include "crew.h"
#include "mayday/mayday.h"
#include "member_cases.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

// What the C callbacks saw; `user` points at one.
struct Seen {
  absl::Mutex mu;
  std::vector<int64_t> sequences;
  std::vector<mayday_case_state> states;
  std::vector<std::string> descriptions;
  // What an app that words events itself reads.
  struct Change {
    mayday_event_change change;
    std::string responder;
    double distance_meters;
    int32_t eta_seconds;
    std::string text;
  };
  std::vector<Change> changes;
  mayday_status end = MAYDAY_UNKNOWN;
  int ends = 0;
};

extern "C" void RecordEvent(const mayday_event* event, void* user) {
  auto* seen = static_cast<Seen*>(user);
  absl::MutexLock lock(&seen->mu);
  seen->sequences.push_back(event->sequence);
  seen->states.push_back(event->state);
  seen->descriptions.push_back(event->description);
  seen->changes.push_back(
      {event->change, event->responder, event->distance_meters, event->eta_seconds, event->text});
}

extern "C" void RecordEnd(mayday_status status, const char*, void* user) {
  auto* seen = static_cast<Seen*>(user);
  absl::MutexLock lock(&seen->mu);
  seen->end = status;
  ++seen->ends;
}

mayday_client* MakeClient(const std::string& address, const std::string& token,
                          const std::string& data_dir = "") {
  mayday_client_options options;
  mayday_client_options_init(&options);
  options.server = address.c_str();
  options.token = token.c_str();
  if (!data_dir.empty()) options.data_dir = data_dir.c_str();
  options.initial_backoff_ms = 50;
  options.max_backoff_ms = 500;
  mayday_client* client = nullptr;
  REQUIRE(mayday_client_create(&options, &client) == MAYDAY_OK);
  return client;
}

TEST_CASE("C ABI: raise and watch a case to RESOLVED", "[sdk][c_abi]") {
  TestServer server;
  Crew crew(server, "tow-1");
  REQUIRE(crew.GoOnDuty(mayday::v1::CAPABILITY_TOW, 52.3680, 4.9040).ok());
  crew.Subscribe();
  mayday_client* client = MakeClient(server.address(), server.Token("member", "c-member"));

  char case_name[64];
  REQUIRE(mayday_raise(client, MAYDAY_KIND_ROAD, 52.3676, 4.9041, 10, "flat tyre", case_name,
                       sizeof(case_name)) == MAYDAY_OK);
  CHECK(std::string(case_name).rfind("cases/", 0) == 0);

  Seen seen;
  mayday_watch* watch = nullptr;
  REQUIRE(mayday_watch_start(client, case_name, 0, RecordEvent, RecordEnd, &seen, &watch) ==
          MAYDAY_OK);
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  REQUIRE(crew.Accept(case_name).ok());
  for (auto state : {mayday::v1::CASE_STATE_EN_ROUTE, mayday::v1::CASE_STATE_ON_SCENE,
                     mayday::v1::CASE_STATE_RESOLVED}) {
    REQUIRE(crew.Progress(case_name, state).ok());
  }
  REQUIRE(mayday_watch_wait(watch, 10000) == 1);
  mayday_watch_destroy(watch);
  mayday_client_destroy(client);

  absl::MutexLock lock(&seen.mu);
  CHECK(seen.end == MAYDAY_OK);
  CHECK(seen.ends == 1);
  REQUIRE(seen.sequences.size() >= 5);
  for (size_t i = 0; i < seen.sequences.size(); ++i) {
    CHECK(seen.sequences[i] == static_cast<int64_t>(i + 1));
  }
  CHECK(seen.states.front() == MAYDAY_CASE_STATE_DISPATCHING);
  CHECK(seen.states.back() == MAYDAY_CASE_STATE_RESOLVED);
  CHECK(seen.descriptions.front().find("flat tyre") != std::string::npos);

  // The parts of each event, for an app that words them in its own language.
  REQUIRE(seen.changes.size() == seen.sequences.size());
  CHECK(seen.changes.front().change == MAYDAY_CHANGE_RAISED);
  CHECK(seen.changes.front().text == "flat tyre");
  CHECK(seen.changes.front().responder.empty());
  bool offered = false;
  bool assigned = false;
  for (const Seen::Change& change : seen.changes) {
    INFO("change " << change.change);
    if (change.change == MAYDAY_CHANGE_OFFERED || change.change == MAYDAY_CHANGE_ASSIGNED) {
      (change.change == MAYDAY_CHANGE_OFFERED ? offered : assigned) = true;
      CHECK(change.responder == "responders/tow-1");
      CHECK(change.distance_meters > 0);
      CHECK(change.distance_meters < 100);  // 45 m: 0.0004 degrees of latitude
      CHECK(change.eta_seconds > 0);
      CHECK(change.text.empty());
    }
    if (change.change == MAYDAY_CHANGE_PROGRESSED) CHECK(change.responder == "responders/tow-1");
  }
  CHECK(offered);
  CHECK(assigned);
  CHECK(seen.changes.back().change == MAYDAY_CHANGE_PROGRESSED);
}

TEST_CASE("C ABI: an alert another member queued is told, not sent", "[sdk][c_abi]") {
  TestServer server;
  const std::string dir = server.db_path() + "-outbox";
  std::filesystem::create_directories(dir);
  const std::string alice = server.Token("member", "c-alice");
  const std::string bob = server.Token("member", "c-bob");
  char request_id[64] = {};
  {
    // Alice raises with no network; her app is closed before it goes.
    mayday_client* offline = MakeClient("127.0.0.1:1", alice, dir);
    REQUIRE(mayday_raise_async(offline, MAYDAY_KIND_MEDICAL, 52.37, 4.90, 10, "fell", nullptr,
                               nullptr, request_id, sizeof(request_id)) == MAYDAY_OK);
    mayday_client_destroy(offline);
  }
  mayday_client* bobs = MakeClient(server.address(), bob, dir);
  CHECK(mayday_alerts_queued_for_others(nullptr, nullptr, 0) == -1);
  CHECK(mayday_alerts_queued_for_others(bobs, nullptr, 0) == 1);
  mayday_queued_alert queued[2] = {};
  REQUIRE(mayday_alerts_queued_for_others(bobs, queued, 2) == 1);
  CHECK(std::string(queued[0].request_id) == request_id);
  CHECK(queued[0].kind == MAYDAY_KIND_MEDICAL);
  CHECK(queued[0].raised_unix_seconds > 0);
  CHECK(mayday_resumed_alerts(bobs, nullptr, 0) == 0);  // not his to resend
  // Alice signs in again: her alert goes, as hers, and her app can tell
  // her so.
  mayday_client* alices = MakeClient(server.address(), alice, dir);
  CHECK(mayday_resumed_alerts(nullptr, nullptr, 0) == -1);
  REQUIRE(mayday_resumed_alerts(alices, nullptr, 0) == 1);
  mayday_resumed_alert resumed[2] = {};
  bool delivered = false;
  for (int i = 0; i < 200 && !delivered; ++i) {
    REQUIRE(mayday_resumed_alerts(alices, resumed, 2) == 1);
    delivered = resumed[0].state == MAYDAY_ALERT_ACKNOWLEDGED &&
                mayday_alerts_queued_for_others(bobs, nullptr, 0) == 0;
    if (!delivered) absl::SleepFor(absl::Milliseconds(50));
  }
  CHECK(delivered);
  CHECK(std::string(resumed[0].request_id) == request_id);
  CHECK(resumed[0].error == MAYDAY_OK);
  const std::vector<mayday::v1::Case> hers = MemberCases(server, alice);
  REQUIRE(hers.size() == 1);
  CHECK(std::string(resumed[0].case_name) == hers[0].name());
  CHECK(MemberCases(server, bob).empty());
  mayday_client_destroy(alices);
  mayday_client_destroy(bobs);
}

TEST_CASE("C ABI: errors are a code and a message", "[sdk][c_abi]") {
  TestServer server;
  mayday_client_options options;
  mayday_client_options_init(&options);
  mayday_client* client = nullptr;
  options.server = "127.0.0.1:1";
  CHECK(mayday_client_create(&options, &client) == MAYDAY_INVALID_ARGUMENT);
  CHECK(client == nullptr);
  CHECK(std::string(mayday_last_error_message()).find("token") != std::string::npos);
  CHECK(std::string(mayday_status_name(MAYDAY_UNAVAILABLE)) == "UNAVAILABLE");

  mayday_client* stranger = MakeClient(server.address(), "not-a-token");
  char case_name[64];
  CHECK(mayday_raise(stranger, MAYDAY_KIND_ROAD, 52.37, 4.90, 0, nullptr, case_name,
                     sizeof(case_name)) == MAYDAY_UNAUTHENTICATED);
  CHECK(std::string(mayday_last_error_message()).size() > 0);
  mayday_client_destroy(stranger);

  mayday_client* member = MakeClient(server.address(), server.Token("member", "c-errors"));
  CHECK(mayday_raise(member, static_cast<mayday_kind>(0), 52.37, 4.90, 0, nullptr, case_name,
                     sizeof(case_name)) == MAYDAY_INVALID_ARGUMENT);
  char tiny[4];
  CHECK(mayday_raise(member, MAYDAY_KIND_MEDICAL, 52.37, 4.90, 0, nullptr, tiny, sizeof(tiny)) ==
        MAYDAY_BUFFER_TOO_SMALL);
  CHECK(tiny[0] == '\0');
  mayday_watch* watch = nullptr;
  CHECK(mayday_watch_start(member, "cases/x", 0, nullptr, RecordEnd, nullptr, &watch) ==
        MAYDAY_INVALID_ARGUMENT);
  // Another member's case does not exist for this one.
  mayday_client* other = MakeClient(server.address(), server.Token("member", "c-other"));
  REQUIRE(mayday_raise(other, MAYDAY_KIND_ROAD, 52.37, 4.90, 0, nullptr, case_name,
                       sizeof(case_name)) == MAYDAY_OK);
  CHECK(mayday_cancel_case(member, case_name, "x") == MAYDAY_NOT_FOUND);
  CHECK(mayday_cancel_case(other, case_name, "x") == MAYDAY_OK);
  CHECK(mayday_cancel_case(other, case_name, "x") == MAYDAY_FAILED_PRECONDITION);
  mayday_client_destroy(other);
  mayday_client_destroy(member);
}

// What the C++ API gives a member app besides raising and watching, the C
// ABI gives too: the case, the member's cases page by page, a message on
// an open case, a rating of a closed one.
TEST_CASE("C ABI: read a case and the member's cases, write a message, rate it", "[sdk][c_abi]") {
  TestServer server;
  mayday_client* member = MakeClient(server.address(), server.Token("member", "c-reader"));
  char road[64];
  char medical[64];
  REQUIRE(mayday_raise(member, MAYDAY_KIND_ROAD, 52.3676, 4.9041, 12, "blue car", road,
                       sizeof(road)) == MAYDAY_OK);
  REQUIRE(mayday_raise(member, MAYDAY_KIND_MEDICAL, 52.3600, 4.8800, 0, nullptr, medical,
                       sizeof(medical)) == MAYDAY_OK);

  mayday_case* got = nullptr;
  REQUIRE(mayday_get_case(member, road, &got) == MAYDAY_OK);
  REQUIRE(got != nullptr);
  CHECK(got->struct_size == sizeof(mayday_case));
  CHECK(std::string(got->name) == road);
  CHECK(got->kind == MAYDAY_KIND_ROAD);
  CHECK(std::string(got->note) == "blue car");
  CHECK(got->latitude == Approx(52.3676));
  CHECK(got->accuracy_meters == Approx(12));
  CHECK(std::string(got->responder).empty());
  CHECK(got->rating_stars == 0);
  CHECK(got->create_time_unix_ms > 0);
  const int64_t before = got->last_sequence;
  mayday_case_free(got);

  int64_t sequence = 0;
  REQUIRE(mayday_post_message(member, road, "I am behind the barrier", &sequence) == MAYDAY_OK);
  CHECK(sequence > before);
  CHECK(mayday_post_message(member, road, "", nullptr) == MAYDAY_INVALID_ARGUMENT);

  // Two pages of one, newest first, then none.
  mayday_case_page* page = nullptr;
  REQUIRE(mayday_list_cases(member, 1, nullptr, &page) == MAYDAY_OK);
  REQUIRE(page->count == 1);
  CHECK(std::string(page->cases[0].name) == medical);
  CHECK(page->cases[0].kind == MAYDAY_KIND_MEDICAL);
  const std::string next = page->next_page_token;
  REQUIRE_FALSE(next.empty());
  mayday_case_page_free(page);
  REQUIRE(mayday_list_cases(member, 1, next.c_str(), &page) == MAYDAY_OK);
  REQUIRE(page->count == 1);
  CHECK(std::string(page->cases[0].name) == road);
  CHECK(page->cases[0].last_sequence >= sequence);
  mayday_case_page_free(page);

  // A rating only once the case is closed, then once.
  CHECK(mayday_rate_case(member, road, 5, "quick") == MAYDAY_FAILED_PRECONDITION);
  REQUIRE(mayday_cancel_case(member, road, "help came") == MAYDAY_OK);
  CHECK(mayday_rate_case(member, road, 6, nullptr) == MAYDAY_INVALID_ARGUMENT);
  REQUIRE(mayday_rate_case(member, road, 5, "quick") == MAYDAY_OK);
  CHECK(mayday_rate_case(member, road, 4, nullptr) == MAYDAY_FAILED_PRECONDITION);
  REQUIRE(mayday_get_case(member, road, &got) == MAYDAY_OK);
  CHECK(got->state == MAYDAY_CASE_STATE_CANCELLED);
  CHECK(std::string(got->cancel_reason) == "help came");
  CHECK(got->rating_stars == 5);
  CHECK(std::string(got->rating_comment) == "quick");
  mayday_case_free(got);

  // Another member's case is not there; bad arguments are refused.
  mayday_client* other = MakeClient(server.address(), server.Token("member", "c-stranger"));
  got = reinterpret_cast<mayday_case*>(&sequence);
  CHECK(mayday_get_case(other, medical, &got) == MAYDAY_NOT_FOUND);
  CHECK(got == nullptr);
  CHECK(mayday_post_message(other, medical, "hello", nullptr) == MAYDAY_NOT_FOUND);
  CHECK(mayday_get_case(other, medical, nullptr) == MAYDAY_INVALID_ARGUMENT);
  CHECK(mayday_list_cases(other, -1, nullptr, &page) == MAYDAY_INVALID_ARGUMENT);
  mayday_case_free(nullptr);
  mayday_case_page_free(nullptr);
  mayday_client_destroy(other);
  mayday_client_destroy(member);
}

TEST_CASE("mayday-panic-c raises, prints the case and follows it to the end",
          "[sdk][c_abi][example]") {
  // Linked with the static libraries, and with libmayday.so.
  const char* binary = GENERATE(MAYDAY_PANIC_C, MAYDAY_PANIC_C_SHARED);
  INFO(binary);
  TestServer server;
  const std::string token = server.Token("member", "c-example");
  ChildProcess panic({binary, server.address(), token, "medical", "52.3676", "4.9041"});
  const std::string case_name = panic.ReadLine(absl::Seconds(20)).value_or("");
  REQUIRE(case_name.rfind("cases/", 0) == 0);
  const std::string first = panic.ReadLine(absl::Seconds(10)).value_or("");
  CHECK(first.rfind("#1 DISPATCHING", 0) == 0);

  mayday::v1::CancelCaseRequest cancel;
  cancel.set_name(case_name);
  cancel.set_reason("false alarm");
  mayday::v1::Case cancelled;
  REQUIRE(server.Alerts()->CancelCase(Call(token).get(), cancel, &cancelled).ok());

  std::string last;
  while (auto line = panic.ReadLine(absl::Seconds(10))) last = *line;
  CHECK(last.find("CANCELLED") != std::string::npos);
  const std::optional<int> status = panic.Wait(absl::Seconds(10));
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

}  // namespace
}  // namespace mayday::testing
