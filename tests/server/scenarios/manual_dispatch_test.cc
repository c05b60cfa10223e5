// Care agents acting on dispatch through OperatorService: taking a case (no
// more automatic offers), handing it back, escalating it, assigning it by
// hand; each checked on the case, its timeline and the crews' streams, and
// across a restart.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crew.h"
#include "mayday/base/clock.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

v1::Case Get(TestServer& server, const std::string& agent, const std::string& name) {
  v1::GetCaseRequest get;
  get.set_name(name);
  v1::Case c;
  REQUIRE(server.Operators()->GetCase(Call(agent).get(), get, &c).ok());
  return c;
}

std::vector<v1::CaseEvent> Events(TestServer& server, const std::string& agent,
                                  const std::string& name) {
  v1::ListCaseEventsRequest list;
  list.set_parent(name);
  list.set_page_size(1000);
  v1::ListCaseEventsResponse response;
  REQUIRE(server.Operators()->ListCaseEvents(Call(agent).get(), list, &response).ok());
  return {response.events().begin(), response.events().end()};
}

grpc::Status Take(TestServer& server, const std::string& agent, const std::string& name,
                  v1::Case* out) {
  v1::TakeCaseRequest request;
  request.set_name(name);
  return server.Operators()->TakeCase(Call(agent).get(), request, out);
}

grpc::Status Release(TestServer& server, const std::string& agent, const std::string& name,
                     v1::Case* out) {
  v1::ReleaseCaseRequest request;
  request.set_name(name);
  return server.Operators()->ReleaseCase(Call(agent).get(), request, out);
}

grpc::Status Escalate(TestServer& server, const std::string& agent, const std::string& name,
                      const std::string& reason, v1::Case* out) {
  v1::EscalateCaseRequest request;
  request.set_name(name);
  request.set_reason(reason);
  return server.Operators()->EscalateCase(Call(agent).get(), request, out);
}

grpc::Status Assign(TestServer& server, const std::string& agent, const std::string& name,
                    const std::string& responder, v1::Case* out) {
  v1::AssignCaseRequest request;
  request.set_name(name);
  request.set_responder(responder);
  return server.Operators()->AssignCase(Call(agent).get(), request, out);
}

// Waits for the next update of the given kind on the crew's stream.
std::optional<v1::ResponderUpdate> NextOf(Crew& crew, v1::ResponderUpdate::UpdateCase kind,
                                          absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    auto update = crew.Next(deadline - absl::Now());
    if (!update.has_value()) return std::nullopt;
    if (update->update_case() == kind) return update;
  }
  return std::nullopt;
}

TEST_CASE("A taken case gets no offers until it is released") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");
  const std::string other = server.Token("operator", "desk-2");
  Crew first(server, "tow-1");
  REQUIRE(first.GoOnDuty(v1::CAPABILITY_TOW, 52.368, 4.904).ok());
  first.Subscribe();
  v1::Case opened;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("t1"), &opened).ok());
  REQUIRE(first.NextOffer().has_value());

  v1::Case taken;
  REQUIRE(Take(server, agent, opened.name(), &taken).ok());
  CHECK(taken.operator_() == "operators/desk-1");
  CHECK(taken.state() == v1::CASE_STATE_DISPATCHING);
  // The pending offer is withdrawn, on the stream and in the timeline.
  auto withdrawn = NextOf(first, v1::ResponderUpdate::kOfferWithdrawn);
  REQUIRE(withdrawn.has_value());
  CHECK(withdrawn->offer_withdrawn() == opened.name());
  CHECK(first.Accept(opened.name()).error_code() == grpc::FAILED_PRECONDITION);
  auto events = Events(server, agent, opened.name());
  REQUIRE(events.size() == 4);  // raised, offered, taken, offer ended
  CHECK(events[2].taken().operator_() == "operators/desk-1");
  CHECK(events[2].actor() == "operators/desk-1");
  CHECK(events[3].offer_ended().reason() == v1::CaseEvent::OfferEnded::REASON_WITHDRAWN);

  // Taking it again changes nothing; another agent may not take it.
  v1::Case again;
  REQUIRE(Take(server, agent, opened.name(), &again).ok());
  CHECK(again.last_sequence() == Get(server, agent, opened.name()).last_sequence());
  grpc::Status refused = Take(server, other, opened.name(), &again);
  CHECK(refused.error_code() == grpc::FAILED_PRECONDITION);
  CHECK(refused.error_message().find("owned by operators/desk-1") != std::string::npos);

  // A free crew in range gets nothing while the case is held.
  Crew second(server, "tow-2");
  REQUIRE(second.GoOnDuty(v1::CAPABILITY_TOW, 52.37, 4.90).ok());
  second.Subscribe();
  CHECK_FALSE(second.NextOffer(absl::Seconds(1)).has_value());

  // Released (by any agent), the case is matched again. The first crew is
  // the nearest, and it never said no (its offer was withdrawn): it gets the
  // case again.
  v1::Case released;
  REQUIRE(Release(server, other, opened.name(), &released).ok());
  CHECK(released.operator_().empty());
  auto offer = first.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == opened.name());
  events = Events(server, agent, opened.name());
  REQUIRE(events.size() == 6);
  CHECK(events[4].released().operator_() == "operators/desk-1");
  CHECK(events[4].actor() == "operators/desk-2");
  CHECK(events[4].state() == v1::CASE_STATE_DISPATCHING);
  CHECK(events[5].offered().responder() == first.name());

  // Releasing a case nobody owns is refused and adds nothing.
  CHECK(Release(server, agent, opened.name(), &released).error_code() == grpc::FAILED_PRECONDITION);
  CHECK(Events(server, agent, opened.name()).size() == 6);
}

TEST_CASE("An agent escalates a case and assigns it by hand") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");
  Crew near(server, "amb-1");
  REQUIRE(near.GoOnDuty(v1::CAPABILITY_AMBULANCE, 52.368, 4.904).ok());
  near.Subscribe();
  v1::Case opened;
  REQUIRE(server.Alerts()
              ->RaiseAlert(Call(alice).get(), Alert("e1", v1::CASE_KIND_MEDICAL), &opened)
              .ok());
  REQUIRE(near.NextOffer().has_value());

  v1::Case escalated;
  REQUIRE(Escalate(server, agent, opened.name(), "needs a second unit", &escalated).ok());
  CHECK(escalated.state() == v1::CASE_STATE_ESCALATED);
  CHECK(escalated.operator_() == "operators/desk-1");
  REQUIRE(NextOf(near, v1::ResponderUpdate::kOfferWithdrawn).has_value());
  CHECK(Escalate(server, agent, opened.name(), "again", &escalated).error_code() ==
        grpc::FAILED_PRECONDITION);
  CHECK(Escalate(server, agent, opened.name(), "", &escalated).error_code() ==
        grpc::INVALID_ARGUMENT);

  // A tow truck is off-kind and far, yet the agent may send it: manual
  // dispatch overrides the rules, but not "one case per responder".
  Crew tow(server, "tow-9");
  REQUIRE(tow.GoOnDuty(v1::CAPABILITY_TOW, 52.50, 5.10).ok());
  tow.Subscribe();
  v1::Case assigned;
  REQUIRE(Assign(server, agent, opened.name(), tow.name(), &assigned).ok());
  CHECK(assigned.state() == v1::CASE_STATE_ASSIGNED);
  CHECK(assigned.responder() == tow.name());
  CHECK(assigned.operator_() == "operators/desk-1");
  auto pushed = NextOf(tow, v1::ResponderUpdate::kAssignment);
  REQUIRE(pushed.has_value());
  CHECK(pushed->assignment().name() == opened.name());
  auto events = Events(server, agent, opened.name());
  const v1::CaseEvent& assign_event = events.back();
  REQUIRE(assign_event.has_assigned());
  CHECK(assign_event.actor() == "operators/desk-1");
  CHECK(assign_event.assigned().responder() == tow.name());
  CHECK(assign_event.assigned().distance_meters() > 10'000);
  CHECK(assign_event.assigned().responder_location().latitude() == Approx(52.50));

  // The crew moves it along; its position is recorded on the event.
  REQUIRE(tow.Progress(opened.name(), v1::CASE_STATE_EN_ROUTE).ok());
  events = Events(server, agent, opened.name());
  CHECK(events.back().progressed().responder_location().longitude() == Approx(5.10));

  // Assigned cases can't be assigned, taken, released or escalated.
  v1::Case refused;
  CHECK(Assign(server, agent, opened.name(), near.name(), &refused).error_code() ==
        grpc::FAILED_PRECONDITION);
  CHECK(Take(server, agent, opened.name(), &refused).error_code() == grpc::FAILED_PRECONDITION);
  CHECK(Release(server, agent, opened.name(), &refused).error_code() == grpc::FAILED_PRECONDITION);
  CHECK(Escalate(server, agent, opened.name(), "x", &refused).error_code() ==
        grpc::FAILED_PRECONDITION);
  CHECK(Events(server, agent, opened.name()).size() == events.size());
}

TEST_CASE("Manual assignment refuses busy, unknown and malformed responders") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");
  Crew busy(server, "tow-1");
  REQUIRE(busy.GoOnDuty(v1::CAPABILITY_TOW, 52.368, 4.904).ok());
  busy.Subscribe();
  v1::Case first, second;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("m1"), &first).ok());
  REQUIRE(busy.NextOffer().has_value());
  REQUIRE(busy.Accept(first.name()).ok());
  const std::string bob = server.Token("member", "bob");
  REQUIRE(server.Alerts()->RaiseAlert(Call(bob).get(), Alert("m2"), &second).ok());
  // Dispatch runs after the alert is acknowledged: let it give up (the only
  // crew is busy).
  server.server().SettleDispatch();
  const int64_t before = Get(server, agent, second.name()).last_sequence();
  REQUIRE(before == 2);

  struct Row {
    std::string responder;
    grpc::StatusCode code;
  };
  const std::vector<Row> rows = {
      {busy.name(), grpc::FAILED_PRECONDITION},
      {"responders/nobody", grpc::FAILED_PRECONDITION},
      {"unit-1", grpc::INVALID_ARGUMENT},
      {"responders/", grpc::INVALID_ARGUMENT},
      {"responders/has space", grpc::INVALID_ARGUMENT},
  };
  for (const Row& row : rows) {
    INFO("responder \"" << row.responder << "\"");
    v1::Case out;
    CHECK(Assign(server, agent, second.name(), row.responder, &out).error_code() == row.code);
  }
  CHECK(Get(server, agent, second.name()).last_sequence() == before);
  v1::Case out;
  CHECK(Assign(server, agent, "cases/0123456789abcdef0123456789abcdef", busy.name(), &out)
            .error_code() == grpc::NOT_FOUND);
}

TEST_CASE("A taken case stays with its agent across a restart") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");
  v1::Case opened, taken;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("r1"), &opened).ok());
  REQUIRE(Take(server, agent, opened.name(), &taken).ok());

  server.Restart();
  Crew crew(server, "tow-1");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.368, 4.904).ok());
  crew.Subscribe();
  CHECK_FALSE(crew.NextOffer(absl::Seconds(1)).has_value());
  CHECK(Get(server, agent, opened.name()).operator_() == "operators/desk-1");

  v1::Case released;
  REQUIRE(Release(server, agent, opened.name(), &released).ok());
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == opened.name());
}

TEST_CASE("Operators filter cases by member, responder and age") {
  base::ManualClock clock(absl::Now());
  TestServer server([&](server::ServerOptions& options) { options.clock = &clock; });
  const std::string alice = server.Token("member", "alice");
  const std::string bob = server.Token("member", "bob");
  const std::string agent = server.Token("operator", "desk-1");
  Crew crew(server, "tow-1");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.368, 4.904).ok());
  crew.Subscribe();
  v1::Case a1, b1;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("f1"), &a1).ok());
  REQUIRE(crew.NextOffer().has_value());
  REQUIRE(crew.Accept(a1.name()).ok());
  clock.Advance(absl::Seconds(1));
  const absl::Time between = clock.Now();
  clock.Advance(absl::Seconds(1));
  REQUIRE(server.Alerts()->RaiseAlert(Call(bob).get(), Alert("f2"), &b1).ok());

  auto list = [&](auto fill) {
    v1::ListAllCasesRequest request;
    fill(request);
    v1::ListCasesResponse response;
    REQUIRE(server.Operators()->ListCases(Call(agent).get(), request, &response).ok());
    std::vector<std::string> names;
    for (const auto& c : response.cases()) names.push_back(c.name());
    return names;
  };
  auto at = [](absl::Time t) {
    google::protobuf::Timestamp ts;
    ts.set_seconds(absl::ToUnixSeconds(t));
    ts.set_nanos(static_cast<int>(absl::ToUnixNanos(t) % 1'000'000'000));
    return ts;
  };
  using Names = std::vector<std::string>;
  CHECK(list([](auto& r) { r.set_member("members/alice"); }) == Names{a1.name()});
  CHECK(list([](auto& r) { r.set_member("members/bob"); }) == Names{b1.name()});
  CHECK(list([&](auto& r) { r.set_responder(crew.name()); }) == Names{a1.name()});
  CHECK(list([&](auto& r) { *r.mutable_min_create_time() = at(between); }) == Names{b1.name()});
  CHECK(list([&](auto& r) { *r.mutable_max_create_time() = at(between); }) == Names{a1.name()});
  CHECK(list([&](auto& r) {
          r.set_member("members/alice");
          *r.mutable_min_create_time() = at(between);
        }).empty());

  v1::ListAllCasesRequest bad;
  bad.set_member("alice");
  v1::ListCasesResponse response;
  CHECK(server.Operators()->ListCases(Call(agent).get(), bad, &response).error_code() ==
        grpc::INVALID_ARGUMENT);
  bad.Clear();
  bad.mutable_min_create_time()->set_nanos(-1);
  CHECK(server.Operators()->ListCases(Call(agent).get(), bad, &response).error_code() ==
        grpc::INVALID_ARGUMENT);
}

TEST_CASE("A cancellation can be marked a false alarm") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");
  v1::Case opened, cancelled;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("fa"), &opened).ok());
  v1::CancelCaseRequest cancel;
  cancel.set_name(opened.name());
  cancel.set_reason("pocket press, member confirmed all is well");
  cancel.set_false_alarm(true);
  REQUIRE(server.Operators()->CancelCase(Call(agent).get(), cancel, &cancelled).ok());
  const auto events = Events(server, agent, opened.name());
  REQUIRE(events.back().has_cancelled());
  CHECK(events.back().cancelled().false_alarm());
}

TEST_CASE("Admins issue, list and revoke tokens, other roles may not") {
  TestServer server;
  const std::string admin = server.Token("admin", "root");
  const std::string agent = server.Token("operator", "desk-1");

  v1::CreateTokenRequest create;
  create.set_role(v1::ROLE_MEMBER);
  create.set_subject("carol");
  v1::CreateTokenResponse created;
  REQUIRE(server.Operators()->CreateToken(Call(admin).get(), create, &created).ok());
  CHECK(created.secret().rfind("mdy_", 0) == 0);
  CHECK(created.token().subject() == "carol");
  CHECK(created.token().role() == v1::ROLE_MEMBER);
  CHECK(created.token().name().size() == std::string("tokens/").size() + 16);
  const std::string carol = created.secret();
  // The new token works.
  v1::ListCasesResponse cases;
  CHECK(server.Alerts()->ListCases(Call(carol).get(), {}, &cases).ok());

  v1::ListTokensResponse tokens;
  REQUIRE(server.Operators()->ListTokens(Call(admin).get(), {}, &tokens).ok());
  REQUIRE(tokens.tokens_size() == 3);
  CHECK(tokens.tokens(0).name() == created.token().name());  // newest first
  for (const auto& t : tokens.tokens()) CHECK(t.name().find("mdy_") == std::string::npos);

  // An admin is an operator too; an operator is not an admin.
  v1::ListAllCasesRequest all;
  CHECK(server.Operators()->ListCases(Call(admin).get(), all, &cases).ok());
  const grpc::Status denied = server.Operators()->ListTokens(Call(agent).get(), {}, &tokens);
  CHECK(denied.error_code() == grpc::PERMISSION_DENIED);
  CHECK(denied.error_message() ==
        "this call needs an admin token; the token given is for an operator");
  CHECK(server.Operators()->CreateToken(Call(agent).get(), create, &created).error_code() ==
        grpc::PERMISSION_DENIED);

  // Bad requests change nothing.
  v1::CreateTokenRequest bad = create;
  bad.set_role(v1::ROLE_UNSPECIFIED);
  CHECK(server.Operators()->CreateToken(Call(admin).get(), bad, &created).error_code() ==
        grpc::INVALID_ARGUMENT);
  bad = create;
  bad.set_subject("no spaces allowed");
  CHECK(server.Operators()->CreateToken(Call(admin).get(), bad, &created).error_code() ==
        grpc::INVALID_ARGUMENT);
  REQUIRE(server.Operators()->ListTokens(Call(admin).get(), {}, &tokens).ok());
  CHECK(tokens.tokens_size() == 3);

  // Revoked, the token stops working at once; revoking twice is harmless.
  v1::RevokeTokenRequest revoke;
  revoke.set_name(tokens.tokens(0).name());
  v1::Token revoked;
  REQUIRE(server.Operators()->RevokeToken(Call(admin).get(), revoke, &revoked).ok());
  CHECK(revoked.revoked());
  CHECK(server.Alerts()->ListCases(Call(carol).get(), {}, &cases).error_code() ==
        grpc::UNAUTHENTICATED);
  REQUIRE(server.Operators()->RevokeToken(Call(admin).get(), revoke, &revoked).ok());
  revoke.set_name("tokens/ffffffffffffffff");
  CHECK(server.Operators()->RevokeToken(Call(admin).get(), revoke, &revoked).error_code() ==
        grpc::NOT_FOUND);
  revoke.set_name("tokens/XYZ");
  CHECK(server.Operators()->RevokeToken(Call(admin).get(), revoke, &revoked).error_code() ==
        grpc::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace mayday::testing
