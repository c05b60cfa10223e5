// The care desk's part of a case: two-way messages between member, care
// agent and assigned crew; the member's rating; agents cancelling or
// resolving; internal notes no member or crew ever sees.
#include <catch2/catch.hpp>
#include <string>

#include "crew.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

mayday::v1::PostMessageRequest Message(const std::string& case_name, const std::string& text) {
  mayday::v1::PostMessageRequest request;
  request.set_case_(case_name);
  request.set_text(text);
  return request;
}

TEST_CASE("Member, care agent and assigned crew message each other on the case") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");
  Crew crew(server, "tow");
  Crew stranger(server, "stranger");
  REQUIRE(crew.GoOnDuty(mayday::v1::CAPABILITY_TOW, 52.368, 4.904).ok());
  crew.Subscribe();
  mayday::v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("p1"), &opened).ok());
  REQUIRE(crew.NextOffer().has_value());
  REQUIRE(crew.Accept(opened.name()).ok());

  mayday::v1::CaseEvent posted;
  REQUIRE(server.Alerts()
              ->PostMessage(Call(alice).get(), Message(opened.name(), "I'm behind the barrier"),
                            &posted)
              .ok());
  CHECK(posted.message_posted().author() == "members/alice");
  REQUIRE(server.Operators()
              ->PostMessage(Call(agent).get(), Message(opened.name(), "Stay there, help is close"),
                            &posted)
              .ok());
  CHECK(posted.message_posted().author() == "operators/desk-1");
  REQUIRE(
      crew.stub()
          .PostMessage(Call(crew.token()).get(), Message(opened.name(), "2 minutes away"), &posted)
          .ok());
  CHECK(posted.message_posted().author() == crew.name());
  const int64_t last = posted.sequence();

  // The member's timeline has all three, in order.
  auto events = WatchTimeline(server, alice, opened.name(), last);
  REQUIRE(events.size() == static_cast<size_t>(last));
  std::vector<std::string> texts;
  for (const auto& e : events) {
    if (e.has_message_posted()) texts.push_back(e.message_posted().text());
  }
  CHECK(texts == std::vector<std::string>{"I'm behind the barrier", "Stay there, help is close",
                                          "2 minutes away"});

  // The crew's push stream carried the member's and the agent's messages.
  int seen = 0;
  while (auto update = crew.Next(absl::Seconds(2))) {
    if (update->has_case_event() && update->case_event().has_message_posted()) ++seen;
    if (seen == 3) break;
  }
  CHECK(seen == 3);

  SECTION("bad or misplaced messages are refused and add nothing") {
    mayday::v1::CaseEvent reply;
    CHECK(server.Alerts()
              ->PostMessage(Call(alice).get(), Message(opened.name(), ""), &reply)
              .error_code() == grpc::INVALID_ARGUMENT);
    CHECK(
        server.Alerts()
            ->PostMessage(Call(alice).get(), Message(opened.name(), std::string(1001, 'x')), &reply)
            .error_code() == grpc::INVALID_ARGUMENT);
    CHECK(stranger.stub()
              .PostMessage(Call(stranger.token()).get(), Message(opened.name(), "hi"), &reply)
              .error_code() == grpc::NOT_FOUND);
    const std::string bob = server.Token("member", "bob");
    CHECK(server.Alerts()
              ->PostMessage(Call(bob).get(), Message(opened.name(), "hi"), &reply)
              .error_code() == grpc::NOT_FOUND);
    mayday::v1::GetCaseRequest get;
    get.set_name(opened.name());
    mayday::v1::Case now;
    REQUIRE(server.Alerts()->GetCase(Call(alice).get(), get, &now).ok());
    CHECK(now.last_sequence() == last);
  }
}

TEST_CASE("A care agent resolves or cancels any open case, once") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");
  Crew crew(server, "tow");
  REQUIRE(crew.GoOnDuty(mayday::v1::CAPABILITY_TOW, 52.368, 4.904).ok());
  crew.Subscribe();
  mayday::v1::Case first, second;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("p1"), &first).ok());
  REQUIRE(crew.NextOffer().has_value());
  REQUIRE(crew.Accept(first.name()).ok());

  mayday::v1::ResolveCaseRequest resolve;
  resolve.set_name(first.name());
  mayday::v1::Case closed;
  REQUIRE(server.Operators()->ResolveCase(Call(agent).get(), resolve, &closed).ok());
  CHECK(closed.state() == mayday::v1::CASE_STATE_RESOLVED);
  auto status = server.Operators()->ResolveCase(Call(agent).get(), resolve, &closed);
  CHECK(status.error_code() == grpc::FAILED_PRECONDITION);
  CHECK_THAT(status.error_message(), Catch::Contains("already RESOLVED"));

  // The crew is free again: it gets the next case.
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("p2"), &second).ok());
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == second.name());

  mayday::v1::CancelCaseRequest cancel;
  cancel.set_name(second.name());
  cancel.set_reason("member confirmed a false alarm by phone");
  REQUIRE(server.Operators()->CancelCase(Call(agent).get(), cancel, &closed).ok());
  CHECK(closed.state() == mayday::v1::CASE_STATE_CANCELLED);
  CHECK(closed.cancel_reason() == "member confirmed a false alarm by phone");
  // The crew holding the offer hears it was withdrawn.
  bool withdrawn = false;
  while (auto update = crew.Next(absl::Seconds(2))) {
    if (update->offer_withdrawn() == second.name()) {
      withdrawn = true;
      break;
    }
  }
  CHECK(withdrawn);

  mayday::v1::ResolveCaseRequest unknown;
  unknown.set_name("cases/0123456789abcdef0123456789abcdef");
  CHECK(server.Operators()->ResolveCase(Call(agent).get(), unknown, &closed).error_code() ==
        grpc::NOT_FOUND);
  CHECK(server.Operators()->ResolveCase(Call(alice).get(), resolve, &closed).error_code() ==
        grpc::PERMISSION_DENIED);
}

TEST_CASE("A member rates a closed case once, 1 to 5 stars") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  mayday::v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("p1"), &opened).ok());
  mayday::v1::RateCaseRequest rate;
  rate.set_name(opened.name());
  rate.set_stars(5);
  rate.set_comment("quick and kind");
  mayday::v1::Case rated;
  auto status = server.Alerts()->RateCase(Call(alice).get(), rate, &rated);
  CHECK(status.error_code() == grpc::FAILED_PRECONDITION);
  CHECK_THAT(status.error_message(), Catch::Contains("once it is closed"));

  mayday::v1::CancelCaseRequest cancel;
  cancel.set_name(opened.name());
  REQUIRE(server.Alerts()->CancelCase(Call(alice).get(), cancel, &rated).ok());
  for (int stars : {0, 6, -1}) {
    INFO("stars " << stars);
    rate.set_stars(stars);
    CHECK(server.Alerts()->RateCase(Call(alice).get(), rate, &rated).error_code() ==
          grpc::INVALID_ARGUMENT);
  }
  rate.set_stars(5);
  const std::string bob = server.Token("member", "bob");
  CHECK(server.Alerts()->RateCase(Call(bob).get(), rate, &rated).error_code() == grpc::NOT_FOUND);
  REQUIRE(server.Alerts()->RateCase(Call(alice).get(), rate, &rated).ok());
  CHECK(rated.rating().stars() == 5);
  CHECK(rated.rating().comment() == "quick and kind");
  rate.set_stars(1);
  status = server.Alerts()->RateCase(Call(alice).get(), rate, &rated);
  CHECK(status.error_code() == grpc::FAILED_PRECONDITION);
  CHECK_THAT(status.error_message(), Catch::Contains("already rated"));
  mayday::v1::GetCaseRequest get;
  get.set_name(opened.name());
  REQUIRE(server.Alerts()->GetCase(Call(alice).get(), get, &rated).ok());
  CHECK(rated.rating().stars() == 5);
}

TEST_CASE("Internal notes are for care agents only and stay out of the timeline") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");
  mayday::v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("p1"), &opened).ok());
  server.server().SettleDispatch();  // nobody on duty: escalated before "before"
  mayday::v1::GetCaseRequest get;
  get.set_name(opened.name());
  mayday::v1::Case before;
  REQUIRE(server.Alerts()->GetCase(Call(alice).get(), get, &before).ok());

  mayday::v1::CreateCaseNoteRequest create;
  create.set_parent(opened.name());
  create.set_text("caller sounded confused; check medical history");
  mayday::v1::CaseNote note;
  REQUIRE(server.Operators()->CreateCaseNote(Call(agent).get(), create, &note).ok());
  CHECK(note.author() == "operators/desk-1");
  CHECK(server.Operators()->CreateCaseNote(Call(alice).get(), create, &note).error_code() ==
        grpc::PERMISSION_DENIED);
  create.set_text("");
  CHECK(server.Operators()->CreateCaseNote(Call(agent).get(), create, &note).error_code() ==
        grpc::INVALID_ARGUMENT);
  create.set_parent("cases/0123456789abcdef0123456789abcdef");
  create.set_text("x");
  CHECK(server.Operators()->CreateCaseNote(Call(agent).get(), create, &note).error_code() ==
        grpc::NOT_FOUND);

  mayday::v1::ListCaseNotesRequest list;
  list.set_parent(opened.name());
  mayday::v1::ListCaseNotesResponse notes;
  REQUIRE(server.Operators()->ListCaseNotes(Call(agent).get(), list, &notes).ok());
  REQUIRE(notes.notes_size() == 1);
  CHECK(notes.notes(0).text() == "caller sounded confused; check medical history");

  // The member's case and timeline are unchanged by the note.
  mayday::v1::Case after;
  REQUIRE(server.Alerts()->GetCase(Call(alice).get(), get, &after).ok());
  CHECK(after.last_sequence() == before.last_sequence());
  for (const auto& e : WatchTimeline(server, alice, opened.name(), after.last_sequence())) {
    CHECK(e.DebugString().find("confused") == std::string::npos);
  }
}

}  // namespace
}  // namespace mayday::testing
