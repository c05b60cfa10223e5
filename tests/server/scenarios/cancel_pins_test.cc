// Cancel PINs and the duress PIN, through the public API of a real maydayd:
// what a member with PINs may do, what a wrong PIN costs, and that a cancel
// with the duress PIN reads, to everything the member's token can call,
// exactly as a real cancel, while the case goes on for the crew and the
// desk.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crew.h"
#include "google/protobuf/text_format.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

using mayday::v1::Case;
using mayday::v1::CaseEvent;

constexpr char kCancelPin[] = "73915204";
constexpr char kDuressPin[] = "58204613";

grpc::Status SetPins(TestServer& server, const std::string& token, const std::string& current,
                     const std::string& cancel, const std::string& duress,
                     mayday::v1::CancelPinSettings* out = nullptr) {
  mayday::v1::SetCancelPinsRequest request;
  request.set_current_pin(current);
  request.set_cancel_pin(cancel);
  request.set_duress_pin(duress);
  mayday::v1::CancelPinSettings settings;
  return server.Alerts()->SetCancelPins(Call(token).get(), request, out ? out : &settings);
}

grpc::Status Cancel(TestServer& server, const std::string& token, const std::string& name,
                    const std::string& pin, Case* out = nullptr) {
  mayday::v1::CancelCaseRequest request;
  request.set_name(name);
  request.set_reason("false alarm, all fine");
  request.set_false_alarm(true);
  request.set_pin(pin);
  Case response;
  return server.Alerts()->CancelCase(Call(token).get(), request, out ? out : &response);
}

Case Raise(TestServer& server, const std::string& token, const std::string& request_id) {
  Case opened;
  const grpc::Status status =
      server.Alerts()->RaiseAlert(Call(token).get(), Alert(request_id), &opened);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return opened;
}

// Every event a WatchCase from `after` delivers, then how the stream ended.
std::string WatchToEnd(TestServer& server, const std::string& token, const std::string& name,
                       int64_t after) {
  mayday::v1::WatchCaseRequest request;
  request.set_name(name);
  request.set_after_sequence(after);
  auto context = Call(token, absl::Seconds(5));
  auto reader = server.Alerts()->WatchCase(context.get(), request);
  std::string out;
  CaseEvent event;
  while (reader->Read(&event)) absl::StrAppend(&out, "event {\n", event.DebugString(), "}\n");
  const grpc::Status end = reader->Finish();
  absl::StrAppend(&out, "end ", end.error_code(), " ", end.error_message(), "\n");
  return out;
}

std::string Status(const grpc::Status& status) {
  return absl::StrCat(status.error_code(), " ", status.error_message());
}

// Everything a member's token reads of its cancelled case `name`, in one
// text: the answers of every AlertService call on it.
struct MemberSees {
  std::vector<std::pair<std::string, std::string>> parts;
  void Add(const std::string& what, const std::string& text) { parts.emplace_back(what, text); }
};

// Replaces what must differ between two members' cases (their names, ids
// and times) with placeholders.
std::string Anonymous(std::string text, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    size_t at = 0;
    while ((at = text.find(name, at)) != std::string::npos) text.replace(at, name.size(), "<id>");
  }
  text = std::regex_replace(text, std::regex(R"((seconds|nanos): \d+)"), "$1: <time>");
  return text;
}

MemberSees AfterCancel(TestServer& server, const std::string& token, const Case& opened,
                       const Case& cancelled) {
  MemberSees sees;
  sees.Add("CancelCase", cancelled.DebugString());
  Case got;
  mayday::v1::GetCaseRequest get;
  get.set_name(opened.name());
  sees.Add("GetCase", Status(server.Alerts()->GetCase(Call(token).get(), get, &got)) + "\n" +
                          got.DebugString());
  mayday::v1::ListCasesRequest list;
  mayday::v1::ListCasesResponse page;
  sees.Add("ListCases", Status(server.Alerts()->ListCases(Call(token).get(), list, &page)) + "\n" +
                            page.DebugString());
  sees.Add("WatchCase from 0", WatchToEnd(server, token, opened.name(), 0));
  sees.Add("WatchCase from 2", WatchToEnd(server, token, opened.name(), 2));
  sees.Add("WatchCase from the end",
           WatchToEnd(server, token, opened.name(), cancelled.last_sequence()));
  sees.Add("WatchCase past the end",
           WatchToEnd(server, token, opened.name(), cancelled.last_sequence() + 1));
  // A retry of the press that opened it.
  Case retried;
  sees.Add("RaiseAlert retried",
           Status(server.Alerts()->RaiseAlert(Call(token).get(), Alert("press-1"), &retried)) +
               "\n" + retried.DebugString());
  mayday::v1::PostMessageRequest message;
  message.set_case_(opened.name());
  message.set_text("are you coming?");
  CaseEvent posted;
  sees.Add("PostMessage",
           Status(server.Alerts()->PostMessage(Call(token).get(), message, &posted)));
  mayday::v1::UpdateCaseLocationRequest move;
  move.set_name(opened.name());
  *move.mutable_location() = Alert("x").location();
  Case moved;
  sees.Add("UpdateCaseLocation",
           Status(server.Alerts()->UpdateCaseLocation(Call(token).get(), move, &moved)));
  sees.Add("CancelCase again, cancel PIN",
           Status(Cancel(server, token, opened.name(), kCancelPin)));
  sees.Add("CancelCase again, duress PIN",
           Status(Cancel(server, token, opened.name(), kDuressPin)));
  sees.Add("CancelCase again, wrong PIN", Status(Cancel(server, token, opened.name(), "11112222")));
  mayday::v1::RateCaseRequest rate;
  rate.set_name(opened.name());
  rate.set_stars(4);
  rate.set_comment("quick answer");
  Case rated;
  sees.Add("RateCase", Status(server.Alerts()->RateCase(Call(token).get(), rate, &rated)) + "\n" +
                           rated.DebugString());
  sees.Add("RateCase again", Status(server.Alerts()->RateCase(Call(token).get(), rate, &rated)));
  got.Clear();
  sees.Add("GetCase after rating", Status(server.Alerts()->GetCase(Call(token).get(), get, &got)) +
                                       "\n" + got.DebugString());
  sees.Add("WatchCase after rating, from 0", WatchToEnd(server, token, opened.name(), 0));
  sees.Add("WatchCase after rating, from the cancel",
           WatchToEnd(server, token, opened.name(), cancelled.last_sequence()));
  // A new press of the same kind opens a new case, as after any cancel.
  Case again;
  sees.Add("RaiseAlert anew",
           Status(server.Alerts()->RaiseAlert(Call(token).get(), Alert("press-2"), &again)) + "\n" +
               (again.name() == opened.name() ? "the cancelled case" : "a new case") + " state " +
               std::to_string(again.state()) + " sequence " +
               std::to_string(again.last_sequence()));
  return sees;
}

TEST_CASE("A cancel with the duress PIN reads, to the member, exactly as a real cancel") {
  TestServer server;
  // Two crews at the same place, so that both members' cases are offered
  // and assigned alike.
  Crew first(server, "tow-a");
  Crew second(server, "tow-b");
  for (Crew* crew : {&first, &second}) {
    REQUIRE(crew->GoOnDuty(mayday::v1::CAPABILITY_TOW, 52.36, 4.88).ok());
    crew->Subscribe();
  }
  const std::string alice = server.Token("member", "alice");
  const std::string bob = server.Token("member", "bob");
  for (const std::string& token : {alice, bob}) {
    mayday::v1::CancelPinSettings settings;
    const grpc::Status set = SetPins(server, token, "", kCancelPin, kDuressPin, &settings);
    INFO(set.error_message());
    REQUIRE(set.ok());
    CHECK(settings.cancel_pin_set());
    CHECK(settings.duress_pin_set());
  }

  // Each raises; the crew it is offered to accepts: RAISED, OFFERED, ASSIGNED.
  auto raise_and_assign = [&](const std::string& token) {
    Case opened = Raise(server, token, "press-1");
    std::optional<mayday::v1::Offer> offer;
    Crew* taker = nullptr;
    for (Crew* crew : {&first, &second}) {
      offer = crew->NextOffer(absl::Seconds(3));
      if (offer.has_value()) {
        taker = crew;
        break;
      }
    }
    REQUIRE(taker != nullptr);
    REQUIRE(offer->case_() == opened.name());
    REQUIRE(taker->Accept(opened.name()).ok());
    return std::make_pair(opened, taker);
  };
  auto [alice_case, alice_crew] = raise_and_assign(alice);
  auto [bob_case, bob_crew] = raise_and_assign(bob);
  REQUIRE(alice_crew != bob_crew);

  Case real;
  REQUIRE(Cancel(server, alice, alice_case.name(), kCancelPin, &real).ok());
  Case duress;
  REQUIRE(Cancel(server, bob, bob_case.name(), kDuressPin, &duress).ok());
  CHECK(real.state() == mayday::v1::CASE_STATE_CANCELLED);
  CHECK(duress.state() == mayday::v1::CASE_STATE_CANCELLED);

  const MemberSees alice_sees = AfterCancel(server, alice, alice_case, real);
  const MemberSees bob_sees = AfterCancel(server, bob, bob_case, duress);
  REQUIRE(alice_sees.parts.size() == bob_sees.parts.size());
  const std::vector<std::string> alice_ids = {alice_case.name(), "members/alice",
                                              alice_crew->name()};
  const std::vector<std::string> bob_ids = {bob_case.name(), "members/bob", bob_crew->name()};
  for (size_t i = 0; i < alice_sees.parts.size(); ++i) {
    INFO(alice_sees.parts[i].first);
    CHECK(Anonymous(alice_sees.parts[i].second, alice_ids) ==
          Anonymous(bob_sees.parts[i].second, bob_ids));
  }
  // Nothing the member read names the duress.
  for (const auto& [what, text] : bob_sees.parts) {
    INFO(what);
    CHECK(text.find("duress") == std::string::npos);
    CHECK(text.find("DURESS") == std::string::npos);
  }

  // For the desk the case is open, assigned, marked with the duress, and
  // the crew still has it.
  const std::string agent = server.Token("operator", "carol");
  mayday::v1::GetCaseRequest get;
  get.set_name(bob_case.name());
  Case desk;
  REQUIRE(server.Operators()->GetCase(Call(agent).get(), get, &desk).ok());
  CHECK(desk.state() == mayday::v1::CASE_STATE_ASSIGNED);
  CHECK(desk.responder() == bob_crew->name());
  REQUIRE(desk.has_duress());
  CHECK(desk.duress().member_view().state() == mayday::v1::CASE_STATE_CANCELLED);
  get.set_name(alice_case.name());
  Case desk_real;
  REQUIRE(server.Operators()->GetCase(Call(agent).get(), get, &desk_real).ok());
  CHECK(desk_real.state() == mayday::v1::CASE_STATE_CANCELLED);
  CHECK_FALSE(desk_real.has_duress());

  // The crew was told, and goes on: its next steps and the desk's messages
  // are on the case, and none reaches the member.
  bool told = false;
  for (int i = 0; i < 5 && !told; ++i) {
    auto update = bob_crew->Next(absl::Seconds(2));
    if (!update.has_value()) break;
    told = update->has_case_event() && update->case_event().has_duress_cancelled();
  }
  CHECK(told);
  REQUIRE(bob_crew->Progress(bob_case.name(), mayday::v1::CASE_STATE_EN_ROUTE).ok());
  mayday::v1::PostMessageRequest note;
  note.set_case_(bob_case.name());
  note.set_text("police informed, stay on the line");
  CaseEvent posted;
  REQUIRE(server.Operators()->PostMessage(Call(agent).get(), note, &posted).ok());
  const std::string bob_now = WatchToEnd(server, bob, bob_case.name(), 0);
  CHECK(bob_now.find("police") == std::string::npos);
  CHECK(bob_now.find("EN_ROUTE") == std::string::npos);
  CHECK(Anonymous(bob_now, bob_ids) ==
        Anonymous(WatchToEnd(server, alice, alice_case.name(), 0), alice_ids));
}

TEST_CASE("A wrong cancel PIN is counted, and after five the member can no longer cancel") {
  TestServer server;
  const std::string member = server.Token("member", "dana");
  REQUIRE(SetPins(server, member, "", kCancelPin, "").ok());

  // Without the PIN: refused, nothing counted.
  Case opened = Raise(server, member, "press-1");
  grpc::Status status = Cancel(server, member, opened.name(), "");
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(Status(status).find("needs it in `pin`") != std::string::npos);
  // Not a PIN at all: refused, nothing counted.
  status = Cancel(server, member, opened.name(), "12ab");
  CHECK(status.error_code() == grpc::StatusCode::INVALID_ARGUMENT);
  // A wrong one, then the right one.
  status = Cancel(server, member, opened.name(), "11112222");
  CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  CHECK(status.error_message() == "wrong PIN; 4 attempts left on this case");
  Case cancelled;
  REQUIRE(Cancel(server, member, opened.name(), kCancelPin, &cancelled).ok());
  CHECK(cancelled.state() == mayday::v1::CASE_STATE_CANCELLED);
  CHECK(cancelled.failed_cancel_attempts() == 1);
  const std::string timeline = WatchToEnd(server, member, opened.name(), 0);
  CHECK(timeline.find("cancel_refused {\n  failed_attempts: 1\n}") != std::string::npos);

  // Five wrong ones lock the case; the right PIN is refused after.
  Case second = Raise(server, member, "press-2");
  for (int i = 1; i <= 5; ++i) {
    status = Cancel(server, member, second.name(), "99990000");
    CHECK(status.error_code() == grpc::StatusCode::PERMISSION_DENIED);
  }
  CHECK(status.error_message().find("that was the last attempt") != std::string::npos);
  status = Cancel(server, member, second.name(), kCancelPin);
  CHECK(status.error_code() == grpc::StatusCode::FAILED_PRECONDITION);
  CHECK(status.error_message().find("can no longer be cancelled from the app") !=
        std::string::npos);
  const std::string agent = server.Token("operator", "carol");
  mayday::v1::GetCaseRequest get;
  get.set_name(second.name());
  Case desk;
  REQUIRE(server.Operators()->GetCase(Call(agent).get(), get, &desk).ok());
  CHECK(desk.failed_cancel_attempts() == 5);
  CHECK(desk.state() != mayday::v1::CASE_STATE_CANCELLED);
  mayday::v1::ListCaseEventsRequest events;
  events.set_parent(second.name());
  mayday::v1::ListCaseEventsResponse timeline_seen;
  REQUIRE(server.Operators()->ListCaseEvents(Call(agent).get(), events, &timeline_seen).ok());
  REQUIRE(timeline_seen.events_size() > 0);
  const CaseEvent& last = timeline_seen.events(timeline_seen.events_size() - 1);
  CHECK(last.cancel_refused().failed_attempts() == 5);
  CHECK(last.cancel_refused().locked());

  // A member without PINs cancels as before; a PIN it sends is not needed.
  const std::string other = server.Token("member", "erin");
  Case theirs = Raise(server, other, "press-1");
  CHECK(Cancel(server, other, theirs.name(), "").ok());
}

TEST_CASE("Cancel PINs: every bad request is refused and changes nothing") {
  TestServer server;
  const std::string member = server.Token("member", "fay");
  struct Row {
    const char* what;
    const char* current;
    const char* cancel;
    const char* duress;
    grpc::StatusCode code;
    const char* says;
  };
  // Before any PIN is set.
  const Row before[] = {
      {"too short", "", "123", "", grpc::StatusCode::INVALID_ARGUMENT, "4 to 12 digits"},
      {"too long", "", "1234567890123", "", grpc::StatusCode::INVALID_ARGUMENT, "4 to 12 digits"},
      {"not digits", "", "12a4", "", grpc::StatusCode::INVALID_ARGUMENT, "not all digits"},
      {"duress alone", "", "", "4321", grpc::StatusCode::INVALID_ARGUMENT, "needs a cancel PIN"},
      {"duress = cancel", "", "4321", "4321", grpc::StatusCode::INVALID_ARGUMENT, "must differ"},
      {"bad duress", "", "4321", "43x1", grpc::StatusCode::INVALID_ARGUMENT, "duress_pin"},
      {"current without a PIN", "1111", "4321", "", grpc::StatusCode::INVALID_ARGUMENT,
       "leave current_pin empty"},
      {"clear without a PIN", "", "", "", grpc::StatusCode::INVALID_ARGUMENT,
       "no cancel PIN is set"},
  };
  for (const Row& row : before) {
    INFO(row.what);
    const grpc::Status status = SetPins(server, member, row.current, row.cancel, row.duress);
    CHECK(status.error_code() == row.code);
    CHECK(status.error_message().find(row.says) != std::string::npos);
  }
  mayday::v1::CancelPinSettings settings;
  REQUIRE(server.Alerts()
              ->GetCancelPins(Call(member).get(), mayday::v1::GetCancelPinsRequest(), &settings)
              .ok());
  CHECK_FALSE(settings.cancel_pin_set());
  CHECK_FALSE(settings.has_update_time());

  REQUIRE(SetPins(server, member, "", kCancelPin, kDuressPin).ok());
  const Row after[] = {
      {"no current", "", "4321", "", grpc::StatusCode::PERMISSION_DENIED, "give it in current_pin"},
      {"wrong current", "11112222", "4321", "", grpc::StatusCode::PERMISSION_DENIED,
       "not this member's cancel PIN"},
      {"the duress PIN as current", kDuressPin, "4321", "", grpc::StatusCode::PERMISSION_DENIED,
       "not this member's cancel PIN"},
  };
  for (const Row& row : after) {
    INFO(row.what);
    const grpc::Status status = SetPins(server, member, row.current, row.cancel, row.duress);
    CHECK(status.error_code() == row.code);
    CHECK(status.error_message().find(row.says) != std::string::npos);
  }
  // The PINs are still the first ones: the cancel PIN cancels.
  Case opened = Raise(server, member, "press-1");
  CHECK(Cancel(server, member, opened.name(), "4321").error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);
  CHECK(Cancel(server, member, opened.name(), kCancelPin).ok());

  // Changed with the current PIN, then cleared.
  REQUIRE(SetPins(server, member, kCancelPin, "24681357", "").ok());
  REQUIRE(server.Alerts()
              ->GetCancelPins(Call(member).get(), mayday::v1::GetCancelPinsRequest(), &settings)
              .ok());
  CHECK(settings.cancel_pin_set());
  CHECK_FALSE(settings.duress_pin_set());
  REQUIRE(SetPins(server, member, "24681357", "", "").ok());
  REQUIRE(server.Alerts()
              ->GetCancelPins(Call(member).get(), mayday::v1::GetCancelPinsRequest(), &settings)
              .ok());
  CHECK_FALSE(settings.cancel_pin_set());
  CHECK(settings.has_update_time());

  // Only members have PINs.
  const std::string agent = server.Token("operator", "carol");
  CHECK(SetPins(server, agent, "", kCancelPin, "").error_code() ==
        grpc::StatusCode::PERMISSION_DENIED);

  // Every change is in the audit trail; no PIN is in the database file.
  mayday::v1::ListAuditEntriesRequest audit;
  audit.set_page_size(1000);
  mayday::v1::ListAuditEntriesResponse rows;
  const std::string admin = server.Token("admin", "root");
  REQUIRE(server.Operators()->ListAuditEntries(Call(admin).get(), audit, &rows).ok());
  int pin_rows = 0;
  for (const auto& row : rows.entries()) pin_rows += row.action() == "member.pins.set";
  CHECK(pin_rows == 3);
  server.server().Shutdown(absl::Seconds(1));
  std::string bytes;
  for (const std::string& path : {server.db_path(), server.db_path() + "-wal"}) {
    std::ifstream file(path, std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  REQUIRE(!bytes.empty());
  for (const char* pin : {kCancelPin, kDuressPin, "24681357"}) {
    INFO(pin);
    CHECK(bytes.find(pin) == std::string::npos);
  }
}

}  // namespace
}  // namespace mayday::testing
