// Tests of maydayctl's views of people: `responders show`, `members show`
// (table and JSON) and `tokens list`, and role names. Times in UTC.
#include "maydayctl/people.h"

#include <catch2/catch.hpp>
#include <string>

#include "absl/time/time.h"
#include "test_protos.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;
using ::mayday::tools::testing::At;
using ::mayday::tools::testing::kNoon;
using ::mayday::tools::testing::Loc;

v1::Case MemberCase(const std::string& id, v1::CaseState state, int64_t created, int stars = 0) {
  v1::Case c;
  c.set_name("cases/" + id);
  c.set_kind(v1::CASE_KIND_ROAD);
  c.set_state(state);
  c.set_member("members/alice");
  *c.mutable_create_time() = At(created);
  if (stars > 0) {
    c.mutable_rating()->set_stars(stars);
    c.mutable_rating()->set_comment("kind\ncrew");
  }
  return c;
}

v1::CaseEvent Message(const std::string& case_id, int64_t sequence, int64_t at,
                      const std::string& author, const std::string& text) {
  v1::CaseEvent e;
  e.set_case_("cases/" + case_id);
  e.set_sequence(sequence);
  *e.mutable_event_time() = At(at);
  e.set_actor(author);
  e.mutable_message_posted()->set_author(author);
  e.mutable_message_posted()->set_text(text);
  return e;
}

TEST_CASE("FormatResponderDetails shows the crew and its cases", "[people]") {
  const absl::Time now = absl::FromUnixSeconds(kNoon + 600);
  v1::Responder r;
  r.set_name("responders/tow-1");
  r.set_status(v1::Responder::STATUS_BUSY);
  r.add_capabilities(v1::CAPABILITY_TOW);
  r.add_capabilities(v1::CAPABILITY_MECHANIC);
  *r.mutable_location() = Loc(52.37, 4.89);
  *r.mutable_location_time() = At(kNoon + 590);
  r.set_current_case("cases/ab12");
  v1::ListCasesResponse cases;
  v1::Case* c = cases.add_cases();
  *c = MemberCase("ab12", v1::CASE_STATE_EN_ROUTE, kNoon);
  c->set_responder("responders/tow-1");
  CHECK(FormatResponderDetails(r, cases, now) ==
        "name:          responders/tow-1\n"
        "status:        BUSY\n"
        "capabilities:  tow, mechanic\n"
        "position:      52.37000, 4.89000\n"
        "position age:  10 s\n"
        "current case:  cases/ab12\n"
        "\n"
        "cases:\n"
        "NAME        KIND  STATE     MEMBER         RESPONDER         AGE\n"
        "cases/ab12  road  EN_ROUTE  members/alice  responders/tow-1  10 min\n");

  v1::Responder idle;
  idle.set_name("responders/amb-2");
  idle.set_status(v1::Responder::STATUS_OFF_DUTY);
  CHECK(FormatResponderDetails(idle, {}, now) ==
        "name:          responders/amb-2\n"
        "status:        OFF_DUTY\n"
        "capabilities:  -\n"
        "position:      -\n"
        "position age:  -\n"
        "current case:  -\n"
        "\n"
        "cases:\n"
        "(none)\n");
}

TEST_CASE("FormatMember gathers cases, messages and ratings", "[people]") {
  const absl::Time now = absl::FromUnixSeconds(kNoon + 7200);
  MemberRecord record;
  record.member = "members/alice";
  record.cases = {MemberCase("cd34", v1::CASE_STATE_DISPATCHING, kNoon + 3600),
                  MemberCase("ab12", v1::CASE_STATE_RESOLVED, kNoon, 5)};
  // Given newest first; printed oldest first.
  record.events = {Message("cd34", 2, kNoon + 3700, "members/alice", "still waiting"),
                   Message("ab12", 4, kNoon + 120, "operators/desk-1", "help is close"),
                   Message("ab12", 3, kNoon + 60, "members/alice", "behind the barrier")};
  v1::CaseEvent not_a_message;
  not_a_message.set_case_("cases/ab12");
  not_a_message.mutable_redispatched();
  record.events.push_back(not_a_message);
  CHECK(FormatMember(record, now, absl::UTCTimeZone()) ==
        "member: members/alice\n"
        "\n"
        "cases:\n"
        "NAME        KIND  STATE        MEMBER         RESPONDER  AGE\n"
        "cases/cd34  road  DISPATCHING  members/alice  -          1 h\n"
        "cases/ab12  road  RESOLVED     members/alice  -          2 h\n"
        "\n"
        "messages:\n"
        "2024-05-01 12:01:00  cases/ab12  members/alice     behind the barrier\n"
        "2024-05-01 12:02:00  cases/ab12  operators/desk-1  help is close\n"
        "2024-05-01 13:01:40  cases/cd34  members/alice     still waiting\n"
        "\n"
        "ratings:\n"
        "cases/ab12  5/5  kind crew\n");

  absl::StatusOr<std::string> json = MemberJson(record);
  REQUIRE(json.ok());
  CHECK(json->rfind("{\"member\":\"members/alice\",\"cases\":[{\"name\":\"cases/cd34\"", 0) == 0);
  CHECK(json->find("\"messages\":[{\"case\":\"cases/ab12\",\"sequence\":\"3\"") !=
        std::string::npos);
  CHECK(json->find("\"ratings\":[{\"case\":\"cases/ab12\",\"rating\":{\"stars\":5,"
                   "\"comment\":\"kind\\ncrew\"}}]}") != std::string::npos);

  MemberRecord nobody{"members/nobody", {}, {}};
  CHECK(FormatMember(nobody, now, absl::UTCTimeZone()) ==
        "member: members/nobody\n\ncases:\n(none)\n\nmessages:\n(none)\n\nratings:\n(none)\n");
  CHECK(*MemberJson(nobody) ==
        "{\"member\":\"members/nobody\",\"cases\":[],\"messages\":[],\"ratings\":[]}");
}

TEST_CASE("FormatTokenTable never shows a secret", "[people]") {
  v1::ListTokensResponse tokens;
  v1::Token* t = tokens.add_tokens();
  t->set_name("tokens/0123456789abcdef");
  t->set_role(v1::ROLE_ADMIN);
  t->set_subject("root");
  *t->mutable_create_time() = At(kNoon);
  t = tokens.add_tokens();
  t->set_name("tokens/fedcba9876543210");
  t->set_role(v1::ROLE_MEMBER);
  t->set_subject("alice");
  *t->mutable_create_time() = At(kNoon - 86400);
  *t->mutable_expire_time() = At(kNoon + 3600);
  t->set_revoked(true);
  CHECK(FormatTokenTable(tokens, absl::UTCTimeZone()) ==
        "NAME                     ROLE    SUBJECT  CREATED              EXPIRES              "
        "REVOKED\n"
        "tokens/0123456789abcdef  admin   root     2024-05-01 12:00:00  never                no\n"
        "tokens/fedcba9876543210  member  alice    2024-04-30 12:00:00  2024-05-01 13:00:00  "
        "yes\n");
}

TEST_CASE("Role names round-trip", "[people]") {
  for (v1::Role role : {v1::ROLE_MEMBER, v1::ROLE_RESPONDER, v1::ROLE_OPERATOR, v1::ROLE_ADMIN}) {
    INFO("role " << v1::Role_Name(role));
    CHECK(*ParseRole(RoleName(role)) == role);
  }
  CHECK(*ParseRole("Admin") == v1::ROLE_ADMIN);
  CHECK(RoleName(v1::ROLE_UNSPECIFIED) == "-");
  CHECK(ParseRole("root").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseRole("unspecified").status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mayday::tools
