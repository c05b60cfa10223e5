// Every bad input gets a clear status and changes nothing: table-driven over
// a real in-process server.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "member_cases.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

using mayday::v1::RaiseAlertRequest;

struct BadAlert {
  const char* what;
  std::function<void(RaiseAlertRequest&)> spoil;
  grpc::StatusCode code;
  const char* message_part;  // the message must name what is wrong
};

int CountCases(TestServer& server, const std::string& token) {
  return static_cast<int>(MemberCases(server, token).size());
}

TEST_CASE("RaiseAlert rejects each bad input with INVALID_ARGUMENT and stores nothing") {
  TestServer server;
  const std::string token = server.Token("member", "alice");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::string long_note(1001, 'x');

  const BadAlert rows[] = {
      {"latitude above 90", [](auto& r) { r.mutable_location()->set_latitude(90.0001); },
       grpc::INVALID_ARGUMENT, "latitude"},
      {"latitude below -90", [](auto& r) { r.mutable_location()->set_latitude(-91); },
       grpc::INVALID_ARGUMENT, "latitude"},
      {"longitude above 180", [](auto& r) { r.mutable_location()->set_longitude(180.5); },
       grpc::INVALID_ARGUMENT, "longitude"},
      {"longitude below -180", [](auto& r) { r.mutable_location()->set_longitude(-200); },
       grpc::INVALID_ARGUMENT, "longitude"},
      {"NaN latitude", [&](auto& r) { r.mutable_location()->set_latitude(nan); },
       grpc::INVALID_ARGUMENT, "latitude must be a finite number"},
      {"infinite longitude", [&](auto& r) { r.mutable_location()->set_longitude(-inf); },
       grpc::INVALID_ARGUMENT, "longitude must be a finite number"},
      {"negative accuracy",
       [](auto& r) { r.mutable_location()->set_horizontal_accuracy_meters(-1); },
       grpc::INVALID_ARGUMENT, "horizontal_accuracy_meters"},
      {"NaN accuracy", [&](auto& r) { r.mutable_location()->set_horizontal_accuracy_meters(nan); },
       grpc::INVALID_ARGUMENT, "horizontal_accuracy_meters"},
      {"missing location", [](auto& r) { r.clear_location(); }, grpc::INVALID_ARGUMENT,
       "location is required"},
      {"UNSPECIFIED kind", [](auto& r) { r.set_kind(mayday::v1::CASE_KIND_UNSPECIFIED); },
       grpc::INVALID_ARGUMENT, "kind is required"},
      {"unknown kind number", [](auto& r) { r.set_kind(static_cast<mayday::v1::CaseKind>(42)); },
       grpc::INVALID_ARGUMENT, "kind"},
      {"oversized note", [&](auto& r) { r.set_note(long_note); }, grpc::INVALID_ARGUMENT,
       "note is 1001 bytes"},
      {"missing request_id", [](auto& r) { r.clear_request_id(); }, grpc::INVALID_ARGUMENT,
       "request_id is required"},
      {"request_id with spaces", [](auto& r) { r.set_request_id("two words"); },
       grpc::INVALID_ARGUMENT, "request_id"},
  };
  for (const BadAlert& row : rows) {
    INFO("row: " << row.what);
    RaiseAlertRequest request = Alert("press-1");
    row.spoil(request);
    mayday::v1::Case reply;
    grpc::Status status = server.Alerts()->RaiseAlert(Call(token).get(), request, &reply);
    CHECK(status.error_code() == row.code);
    CHECK_THAT(status.error_message(), Catch::Contains(row.message_part));
  }
  CHECK(CountCases(server, token) == 0);
}

TEST_CASE("Case lookups and changes reject bad names and unknown cases") {
  TestServer server;
  const std::string token = server.Token("member", "alice");
  auto alerts = server.Alerts();
  mayday::v1::Case opened;
  REQUIRE(alerts->RaiseAlert(Call(token).get(), Alert("press-1"), &opened).ok());
  server.server().SettleDispatch();  // nobody on duty: escalated before the checks below

  SECTION("malformed name is INVALID_ARGUMENT") {
    for (const char* name : {"", "cases/", "cases/xyz", "case/0123456789abcdef0123456789abcdef",
                             "cases/0123456789ABCDEF0123456789ABCDEF"}) {
      INFO("name: " << name);
      mayday::v1::GetCaseRequest request;
      request.set_name(name);
      mayday::v1::Case reply;
      auto status = alerts->GetCase(Call(token).get(), request, &reply);
      CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
      CHECK_THAT(status.error_message(), Catch::Contains("cases/"));
    }
  }
  SECTION("unknown case is NOT_FOUND for get, cancel, move and watch") {
    const std::string unknown = "cases/0123456789abcdef0123456789abcdef";
    mayday::v1::Case reply;
    mayday::v1::GetCaseRequest get;
    get.set_name(unknown);
    CHECK(alerts->GetCase(Call(token).get(), get, &reply).error_code() == grpc::NOT_FOUND);
    mayday::v1::CancelCaseRequest cancel;
    cancel.set_name(unknown);
    CHECK(alerts->CancelCase(Call(token).get(), cancel, &reply).error_code() == grpc::NOT_FOUND);
    mayday::v1::UpdateCaseLocationRequest move;
    move.set_name(unknown);
    *move.mutable_location() = Alert("x").location();
    CHECK(alerts->UpdateCaseLocation(Call(token).get(), move, &reply).error_code() ==
          grpc::NOT_FOUND);
    mayday::v1::WatchCaseRequest watch;
    watch.set_name(unknown);
    auto context = Call(token);
    auto reader = alerts->WatchCase(context.get(), watch);
    mayday::v1::CaseEvent event;
    CHECK_FALSE(reader->Read(&event));
    CHECK(reader->Finish().error_code() == grpc::NOT_FOUND);
  }
  SECTION("a bad new location is rejected and the case is unchanged") {
    mayday::v1::GetCaseRequest get;
    get.set_name(opened.name());
    mayday::v1::Case before;
    REQUIRE(alerts->GetCase(Call(token).get(), get, &before).ok());
    mayday::v1::UpdateCaseLocationRequest move;
    move.set_name(opened.name());
    *move.mutable_location() = Alert("x").location();
    move.mutable_location()->set_latitude(123);
    mayday::v1::Case reply;
    auto status = alerts->UpdateCaseLocation(Call(token).get(), move, &reply);
    CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
    REQUIRE(alerts->GetCase(Call(token).get(), get, &reply).ok());
    CHECK(reply.last_sequence() == before.last_sequence());
    CHECK(reply.location().latitude() == before.location().latitude());
  }
  SECTION("negative after_sequence and page_size are INVALID_ARGUMENT") {
    mayday::v1::WatchCaseRequest watch;
    watch.set_name(opened.name());
    watch.set_after_sequence(-1);
    auto context = Call(token);
    auto reader = alerts->WatchCase(context.get(), watch);
    mayday::v1::CaseEvent event;
    CHECK_FALSE(reader->Read(&event));
    CHECK(reader->Finish().error_code() == grpc::INVALID_ARGUMENT);

    mayday::v1::ListCasesRequest list;
    list.set_page_size(-5);
    mayday::v1::ListCasesResponse listed;
    CHECK(alerts->ListCases(Call(token).get(), list, &listed).error_code() ==
          grpc::INVALID_ARGUMENT);
  }
  SECTION("a malformed sequence page token is INVALID_ARGUMENT") {
    const std::string agent = server.Token("operator", "agent");
    const std::string admin = server.Token("admin", "root");
    auto operators = server.Operators();
    for (const char* page_token : {"x", "-1", "12abc"}) {
      INFO("page_token: " << page_token);
      mayday::v1::ListCaseEventsRequest events;
      events.set_parent(opened.name());
      events.set_page_token(page_token);
      mayday::v1::ListCaseEventsResponse listed;
      auto status = operators->ListCaseEvents(Call(agent).get(), events, &listed);
      CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
      CHECK_THAT(status.error_message(), Catch::Contains("page_token"));
      mayday::v1::ListAuditEntriesRequest audit;
      audit.set_page_token(page_token);
      mayday::v1::ListAuditEntriesResponse entries;
      status = operators->ListAuditEntries(Call(admin).get(), audit, &entries);
      CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
      CHECK_THAT(status.error_message(), Catch::Contains("page_token"));
    }
  }
  SECTION("cancelling twice: the second is FAILED_PRECONDITION and adds no event") {
    mayday::v1::CancelCaseRequest cancel;
    cancel.set_name(opened.name());
    cancel.set_reason("false alarm");
    mayday::v1::Case first, second;
    REQUIRE(alerts->CancelCase(Call(token).get(), cancel, &first).ok());
    CHECK(first.state() == mayday::v1::CASE_STATE_CANCELLED);
    auto status = alerts->CancelCase(Call(token).get(), cancel, &second);
    CHECK(status.error_code() == grpc::FAILED_PRECONDITION);
    CHECK_THAT(status.error_message(), Catch::Contains("already CANCELLED"));
    mayday::v1::GetCaseRequest get;
    get.set_name(opened.name());
    REQUIRE(alerts->GetCase(Call(token).get(), get, &second).ok());
    CHECK(second.last_sequence() == first.last_sequence());
  }
}

TEST_CASE("SetDuty and UpdateProgress reject bad values") {
  TestServer server;
  const std::string token = server.Token("responder", "r1");
  auto responders = server.Responders();
  mayday::v1::Responder reply;

  mayday::v1::SetDutyRequest no_capability;
  no_capability.set_on_duty(true);
  auto status = responders->SetDuty(Call(token).get(), no_capability, &reply);
  CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Contains("capabilities"));

  mayday::v1::SetDutyRequest unknown_capability;
  unknown_capability.set_on_duty(true);
  unknown_capability.add_capabilities(static_cast<mayday::v1::Capability>(77));
  CHECK(responders->SetDuty(Call(token).get(), unknown_capability, &reply).error_code() ==
        grpc::INVALID_ARGUMENT);

  mayday::v1::UpdateProgressRequest progress;
  progress.set_case_("cases/0123456789abcdef0123456789abcdef");
  progress.set_state(mayday::v1::CASE_STATE_CANCELLED);
  mayday::v1::Case c;
  status = responders->UpdateProgress(Call(token).get(), progress, &c);
  CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Contains("CASE_STATE_EN_ROUTE"));
}

}  // namespace
}  // namespace mayday::testing

namespace mayday::testing {
namespace {

// Requests are capped at 64 KiB as a whole (server.cc) and field by field
// (validation.h): a request over either is refused clearly and changes
// nothing.
TEST_CASE("A request over 64 KiB is refused with RESOURCE_EXHAUSTED and stores nothing") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");

  RaiseAlertRequest huge = Alert("huge");
  huge.set_note(std::string(70 * 1024, 'x'));
  mayday::v1::Case opened;
  grpc::Status status = server.Alerts()->RaiseAlert(Call(alice).get(), huge, &opened);
  CHECK(status.error_code() == grpc::RESOURCE_EXHAUSTED);
  INFO(status.error_message());
  CHECK(status.error_message().find("larger than max") != std::string::npos);
  CHECK(CountCases(server, alice) == 0);

  // Under the whole-request cap but over the field's: INVALID_ARGUMENT
  // naming the field.
  RaiseAlertRequest long_note = Alert("long-note");
  long_note.set_note(std::string(2000, 'x'));
  status = server.Alerts()->RaiseAlert(Call(alice).get(), long_note, &opened);
  CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
  CHECK(status.error_message().find("note is 2000 bytes") != std::string::npos);
  CHECK(CountCases(server, alice) == 0);

  // The same on a case that exists: an oversized message changes nothing.
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("ok"), &opened).ok());
  const int64_t before = opened.last_sequence();
  for (size_t bytes : {size_t{70 * 1024}, size_t{1001}}) {
    mayday::v1::PostMessageRequest message;
    message.set_case_(opened.name());
    message.set_text(std::string(bytes, 'y'));
    mayday::v1::CaseEvent posted;
    status = server.Operators()->PostMessage(Call(agent).get(), message, &posted);
    INFO(bytes << " bytes: " << status.error_message());
    CHECK(status.error_code() ==
          (bytes > 64 * 1024 ? grpc::RESOURCE_EXHAUSTED : grpc::INVALID_ARGUMENT));
  }
  mayday::v1::GetCaseRequest get;
  get.set_name(opened.name());
  mayday::v1::Case now;
  REQUIRE(server.Alerts()->GetCase(Call(alice).get(), get, &now).ok());
  // Dispatch may have added events (escalation): no message among them.
  mayday::v1::ListCaseEventsRequest events;
  events.set_parent(opened.name());
  mayday::v1::ListCaseEventsResponse timeline;
  REQUIRE(server.Operators()->ListCaseEvents(Call(agent).get(), events, &timeline).ok());
  CHECK(now.last_sequence() >= before);
  for (const auto& e : timeline.events()) CHECK_FALSE(e.has_message_posted());
}

}  // namespace
}  // namespace mayday::testing

namespace mayday::testing {
namespace {

TEST_CASE("The crew and medical profile calls reject malformed names, naming the field") {
  TestServer server;
  const std::string member = server.Token("member", "alice");
  const std::string crew = server.Token("responder", "amb-1");
  const std::string agent = server.Token("operator", "olga");
  for (const char* name : {"", "cases/", "cases/xyz", "case/0123456789abcdef0123456789abcdef",
                           "cases/0123456789ABCDEF0123456789ABCDEF"}) {
    INFO("case name: " << name);
    mayday::v1::WatchCrewRequest watch;
    watch.set_name(name);
    auto context = Call(member);
    auto reader = server.Alerts()->WatchCrew(context.get(), watch);
    mayday::v1::CrewPosition position;
    CHECK_FALSE(reader->Read(&position));
    const grpc::Status watched = reader->Finish();
    CHECK(watched.error_code() == grpc::INVALID_ARGUMENT);
    CHECK_THAT(watched.error_message(), Catch::Contains("name"));
    mayday::v1::GetCaseMedicalProfileRequest read;
    read.set_case_(name);
    mayday::v1::MedicalProfile profile;
    const grpc::Status got =
        server.Responders()->GetCaseMedicalProfile(Call(crew).get(), read, &profile);
    CHECK(got.error_code() == grpc::INVALID_ARGUMENT);
    CHECK_THAT(got.error_message(), Catch::Contains("case"));
  }
  for (const char* name :
       {"", "members/", "members/alice", "members/a b/medicalProfile", "users/alice/medicalProfile",
        "members/alice/medicalProfile/x", "members//medicalProfile"}) {
    INFO("profile name: " << name);
    mayday::v1::GetMemberMedicalProfileRequest request;
    request.set_name(name);
    mayday::v1::MedicalProfile profile;
    const grpc::Status got =
        server.Operators()->GetMedicalProfile(Call(agent).get(), request, &profile);
    CHECK(got.error_code() == grpc::INVALID_ARGUMENT);
    CHECK_THAT(got.error_message(), Catch::Contains("name"));
  }
}

}  // namespace
}  // namespace mayday::testing
