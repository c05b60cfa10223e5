// The audit trail as the services write it: each care agent's action and
// read of members' data leaves one entry naming who (and with which role),
// what and on which case; refused calls and members' own calls leave none;
// admins read and check the trail over OperatorService.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "crew.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

std::vector<v1::AuditEntry> Trail(TestServer& server, const std::string& admin, int page_size = 0) {
  std::vector<v1::AuditEntry> all;
  v1::ListAuditEntriesRequest request;
  request.set_page_size(page_size);
  for (int pages = 0; pages < 100; ++pages) {
    v1::ListAuditEntriesResponse page;
    REQUIRE(server.Operators()->ListAuditEntries(Call(admin).get(), request, &page).ok());
    for (const auto& e : page.entries()) all.push_back(e);
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  return all;
}

TEST_CASE("Each care agent action and read leaves one audit entry, refusals none") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string olga = server.Token("operator", "olga");
  const std::string ada = server.Token("admin", "ada");
  auto ops = server.Operators();
  Crew crew(server, "r1");
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_AMBULANCE, 52.3766, 4.9041).ok());
  crew.Subscribe();

  // A member's own calls are not audited.
  v1::Case c;
  REQUIRE(server.Alerts()->RaiseAlert(Call(alice).get(), Alert("p1"), &c).ok());
  server.server().SettleDispatch();  // no tow truck: escalated

  struct Step {
    const char* action;
    std::string token;
    std::function<grpc::Status()> call;
  };
  const std::vector<Step> steps = {
      {"case.get", olga,
       [&] {
         v1::GetCaseRequest r;
         r.set_name(c.name());
         v1::Case out;
         return ops->GetCase(Call(olga).get(), r, &out);
       }},
      {"cases.list", olga,
       [&] {
         v1::ListAllCasesRequest r;
         r.set_member("members/alice");
         v1::ListCasesResponse out;
         return ops->ListCases(Call(olga).get(), r, &out);
       }},
      {"case.events.list", olga,
       [&] {
         v1::ListCaseEventsRequest r;
         r.set_parent(c.name());
         v1::ListCaseEventsResponse out;
         return ops->ListCaseEvents(Call(olga).get(), r, &out);
       }},
      {"case.take", olga,
       [&] {
         v1::TakeCaseRequest r;
         r.set_name(c.name());
         v1::Case out;
         return ops->TakeCase(Call(olga).get(), r, &out);
       }},
      {"case.message", olga,
       [&] {
         v1::PostMessageRequest r;
         r.set_case_(c.name());
         r.set_text("an ambulance will come");
         v1::CaseEvent out;
         return ops->PostMessage(Call(olga).get(), r, &out);
       }},
      {"case.note", ada,
       [&] {
         v1::CreateCaseNoteRequest r;
         r.set_parent(c.name());
         r.set_text("admin looked in");
         v1::CaseNote out;
         return ops->CreateCaseNote(Call(ada).get(), r, &out);
       }},
      {"case.assign", olga,
       [&] {
         v1::AssignCaseRequest r;
         r.set_name(c.name());
         r.set_responder("responders/r1");
         v1::Case out;
         return ops->AssignCase(Call(olga).get(), r, &out);
       }},
      {"case.track.list", olga,
       [&] {
         v1::ListCaseTrackRequest r;
         r.set_parent(c.name());
         v1::ListCaseTrackResponse out;
         return ops->ListCaseTrack(Call(olga).get(), r, &out);
       }},
      {"case.resolve", olga,
       [&] {
         v1::ResolveCaseRequest r;
         r.set_name(c.name());
         v1::Case out;
         return ops->ResolveCase(Call(olga).get(), r, &out);
       }},
  };
  for (const Step& step : steps) {
    INFO("step " << step.action);
    REQUIRE(step.call().ok());
  }
  // Refused: the case is closed now; and an operator may not list tokens.
  v1::CancelCaseRequest cancel;
  cancel.set_name(c.name());
  v1::Case closed;
  CHECK(ops->CancelCase(Call(olga).get(), cancel, &closed).error_code() ==
        grpc::FAILED_PRECONDITION);
  v1::ListTokensResponse tokens;
  CHECK(ops->ListTokens(Call(olga).get(), {}, &tokens).error_code() == grpc::PERMISSION_DENIED);

  const std::vector<v1::AuditEntry> trail = Trail(server, ada, /*page_size=*/2);
  REQUIRE(trail.size() == steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    INFO("entry " << i + 1);
    const v1::AuditEntry& e = trail[i];
    CHECK(e.sequence() == static_cast<int64_t>(i + 1));
    CHECK(e.action() == steps[i].action);
    const bool by_admin = steps[i].token == ada;
    CHECK(e.actor() == (by_admin ? "operators/ada" : "operators/olga"));
    CHECK(e.actor_role() == (by_admin ? v1::ROLE_ADMIN : v1::ROLE_OPERATOR));
    CHECK(e.target() == (e.action() == "cases.list" ? "members/alice" : c.name()));
    CHECK(e.prev_hash() == (i == 0 ? std::string(64, '0') : trail[i - 1].hash()));
    CHECK(e.hash().size() == 64);
  }
  CHECK_THAT(trail[6].detail(), Catch::Contains("to responders/r1"));

  v1::VerifyAuditTrailResponse verdict;
  REQUIRE(ops->VerifyAuditTrail(Call(ada).get(), {}, &verdict).ok());
  CHECK(verdict.intact());
  CHECK(verdict.checked_count() == static_cast<int64_t>(steps.size()));
  CHECK(verdict.head_hash() == trail.back().hash());
}

TEST_CASE("Token changes are audited with the token as target") {
  TestServer server;
  const std::string ada = server.Token("admin", "ada");
  auto ops = server.Operators();
  v1::CreateTokenRequest create;
  create.set_role(v1::ROLE_RESPONDER);
  create.set_subject("unit-9");
  v1::CreateTokenResponse created;
  REQUIRE(ops->CreateToken(Call(ada).get(), create, &created).ok());
  v1::RevokeTokenRequest revoke;
  revoke.set_name(created.token().name());
  v1::Token revoked;
  REQUIRE(ops->RevokeToken(Call(ada).get(), revoke, &revoked).ok());
  v1::RevokeTokenRequest unknown;
  unknown.set_name("tokens/0123456789abcdef");
  CHECK(ops->RevokeToken(Call(ada).get(), unknown, &revoked).error_code() == grpc::NOT_FOUND);
  v1::ListTokensResponse tokens;
  REQUIRE(ops->ListTokens(Call(ada).get(), {}, &tokens).ok());

  const std::vector<v1::AuditEntry> trail = Trail(server, ada);
  REQUIRE(trail.size() == 3);
  CHECK(trail[0].action() == "token.create");
  CHECK(trail[0].target() == created.token().name());
  CHECK(trail[0].detail() == "role responder for unit-9");
  CHECK(trail[1].action() == "token.revoke");
  CHECK(trail[1].target() == created.token().name());
  CHECK(trail[2].action() == "tokens.list");
  CHECK(trail[2].target() == "tokens");
  for (const auto& e : trail) CHECK(e.actor_role() == v1::ROLE_ADMIN);
}

}  // namespace
}  // namespace mayday::testing
