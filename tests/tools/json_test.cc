// Tests of maydayctl's JSON: the hand-written literals, and protobuf's JSON
// mapping with proto field names and short enum values.
#include "maydayctl/json.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "mayday/v1/operator_service.pb.h"
#include "mayday/v1/resources.pb.h"
#include "test_protos.h"

namespace mayday::tools {
namespace {

TEST_CASE("JsonString escapes what JSON requires", "[json]") {
  auto [text, expected] = GENERATE(table<std::string, std::string>({
      {"", "\"\""},
      {"plain", "\"plain\""},
      {"say \"hi\"", "\"say \\\"hi\\\"\""},
      {"back\\slash", "\"back\\\\slash\""},
      {"a\nb\tc\rd", "\"a\\nb\\tc\\rd\""},
      {std::string("nul\0x", 5), "\"nul\\u0000x\""},
      {"\x1b[2J", "\"\\u001b[2J\""},
      {"Ærø ±15 m", "\"Ærø ±15 m\""},
  }));
  INFO("expected: " << expected);
  CHECK(JsonString(text) == expected);
}

TEST_CASE("JsonNumber trims zeros and refuses non-numbers", "[json]") {
  auto [value, decimals, expected] = GENERATE(table<double, int, std::string>({
      {4.5, 3, "4.5"},
      {3.0, 3, "3"},
      {0.6, 3, "0.6"},
      {11.0 / 3, 3, "3.667"},
      {4.8912346, 6, "4.891235"},
      {-33.8688, 6, "-33.8688"},
      {-0.0000001, 6, "0"},
      {1234567.0, 0, "1234567"},
      {std::nan(""), 3, "null"},
      {std::numeric_limits<double>::infinity(), 3, "null"},
  }));
  INFO("value: " << value);
  CHECK(JsonNumber(value, decimals) == expected);
  CHECK(JsonNumber(std::optional<double>(), 3) == "null");
  CHECK(JsonNumber(std::optional<double>(2.25), 2) == "2.25");
}

TEST_CASE("ShortEnumValueName drops the enum's own prefix only", "[json]") {
  auto [enum_name, value_name, expected] = GENERATE(table<std::string, std::string, std::string>({
      {"mayday.v1.CaseState", "CASE_STATE_DISPATCHING", "DISPATCHING"},
      {"CaseState", "CASE_STATE_EN_ROUTE", "EN_ROUTE"},
      {"mayday.v1.CaseKind", "CASE_KIND_ROAD", "ROAD"},
      {"mayday.v1.Capability", "CAPABILITY_TOW", "TOW"},
      {"mayday.v1.Responder.Status", "STATUS_OFF_DUTY", "OFF_DUTY"},
      {"mayday.v1.CaseEvent.OfferEnded.Reason", "REASON_DECLINED", "DECLINED"},
      {"mayday.v1.Role", "ROLE_ADMIN", "ADMIN"},
      {"mayday.v1.CaseState", "UNSPECIFIED", "UNSPECIFIED"},
      {"mayday.v1.CaseState", "CASE_STATE_", "CASE_STATE_"},
      {"mayday.v1.CaseState", "CASE_KIND_ROAD", "CASE_KIND_ROAD"},
      {"google.protobuf.NullValue", "NULL_VALUE", "NULL_VALUE"},
  }));
  INFO(enum_name << " " << value_name);
  CHECK(ShortEnumValueName(enum_name, value_name) == expected);
}

TEST_CASE("ToJson keeps proto field names and shortens enum values", "[json]") {
  namespace v1 = ::mayday::v1;
  using ::mayday::tools::testing::At;
  using ::mayday::tools::testing::kNoon;
  v1::Case c;
  c.set_name("cases/ab12");
  c.set_kind(v1::CASE_KIND_MEDICAL);
  c.set_state(v1::CASE_STATE_EN_ROUTE);
  c.set_responder("responders/r-2");
  c.set_eta_seconds(240);
  *c.mutable_create_time() = At(kNoon);
  c.set_last_sequence(5);
  c.set_operator_("operators/desk");
  CHECK(*ToJson(c) ==
        "{\"name\":\"cases/ab12\",\"kind\":\"MEDICAL\",\"state\":\"EN_ROUTE\","
        "\"responder\":\"responders/r-2\",\"eta_seconds\":240,"
        "\"create_time\":\"2024-05-01T12:00:00Z\",\"last_sequence\":\"5\","
        "\"operator\":\"operators/desk\"}");

  // Nested and repeated enums, and a string that merely looks like one.
  v1::CaseEvent ended;
  ended.set_state(v1::CASE_STATE_DISPATCHING);
  ended.set_actor("CASE_STATE_ESCALATED");
  ended.mutable_offer_ended()->set_responder("responders/r-3");
  ended.mutable_offer_ended()->set_reason(v1::CaseEvent::OfferEnded::REASON_DECLINED);
  CHECK(*ToJson(ended) ==
        "{\"state\":\"DISPATCHING\",\"actor\":\"CASE_STATE_ESCALATED\","
        "\"offer_ended\":{\"responder\":\"responders/r-3\",\"reason\":\"DECLINED\"}}");

  v1::ListRespondersResponse responders;
  v1::Responder* r = responders.add_responders();
  r->set_name("responders/r-1");
  r->set_status(v1::Responder::STATUS_OFF_DUTY);
  r->add_capabilities(v1::CAPABILITY_TOW);
  r->add_capabilities(v1::CAPABILITY_PARAMEDIC);
  r->set_current_case("cases/ab12");
  CHECK(*ToJson(responders) ==
        "{\"responders\":[{\"name\":\"responders/r-1\",\"status\":\"OFF_DUTY\","
        "\"capabilities\":[\"TOW\",\"PARAMEDIC\"],\"current_case\":\"cases/ab12\"}]}");

  v1::Token token;
  token.set_role(v1::ROLE_ADMIN);
  CHECK(*ToJson(token) == "{\"role\":\"ADMIN\"}");

  // A number this build does not know stays a number, as protobuf prints it.
  v1::Case unknown;
  unknown.set_state(static_cast<v1::CaseState>(42));
  CHECK(*ToJson(unknown) == "{\"state\":42}");

  const std::vector<v1::Case> both = {c, unknown};
  CHECK(ToJsonArray(both)->rfind("[{\"name\":\"cases/ab12\",\"kind\":\"MEDICAL\"", 0) == 0);
}

}  // namespace
}  // namespace mayday::tools
