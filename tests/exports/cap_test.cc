// The CAP 1.2 export checked as a receiver would: the elements the OASIS
// standard requires, in its order, each value from its value set or in its
// format (CAP 1.2 §3.2, the element tables), the conditional ones present
// when their condition holds; and the whole document well-formed XML
// (xmllint). Table-driven over road and medical cases at each stage.
#include "mayday/exports/cap.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "well_formed.h"

namespace mayday::exports {
namespace {

namespace v1 = ::mayday::v1;

// The text of every <name>...</name> in `xml`, in order.
std::vector<std::string> All(const std::string& xml, const std::string& name) {
  std::vector<std::string> out;
  const std::string open = "<" + name + ">", close = "</" + name + ">";
  for (size_t at = xml.find(open); at != std::string::npos; at = xml.find(open, at + 1)) {
    const size_t end = xml.find(close, at);
    if (end == std::string::npos) break;
    out.push_back(xml.substr(at + open.size(), end - at - open.size()));
  }
  return out;
}

std::string One(const std::string& xml, const std::string& name) {
  const std::vector<std::string> all = All(xml, name);
  INFO("element <" << name << ">");
  REQUIRE(all.size() == 1);
  return all[0];
}

// Where <name> first opens; npos if absent.
size_t Position(const std::string& xml, const std::string& name) {
  return xml.find("<" + name + ">");
}

// Checks the element tables' rules on `xml`.
void CheckCapRules(const std::string& xml) {
  // <alert> in the CAP 1.2 namespace, its required elements in order.
  CHECK(xml.find("<alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\">") != std::string::npos);
  const std::vector<std::string> required = {"identifier", "sender",  "sent",
                                             "status",     "msgType", "scope"};
  size_t last = 0;
  for (const std::string& name : required) {
    INFO("required <alert> element " << name);
    const size_t at = Position(xml, name);
    REQUIRE(at != std::string::npos);
    CHECK(at > last);
    last = at;
  }
  const std::regex no_restricted_chars("[^ ,<&]+");
  CHECK(std::regex_match(One(xml, "identifier"), no_restricted_chars));
  CHECK(std::regex_match(One(xml, "sender"), no_restricted_chars));
  // dateTime with a numeric zone, never "Z" (§3.3.2).
  const std::regex cap_time(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[-+]\d{2}:\d{2})");
  CHECK(std::regex_match(One(xml, "sent"), cap_time));
  const std::set<std::string> statuses = {"Actual", "Exercise", "System", "Test", "Draft"};
  CHECK(statuses.contains(One(xml, "status")));
  const std::string msg_type = One(xml, "msgType");
  CHECK(std::set<std::string>{"Alert", "Update", "Cancel", "Ack", "Error"}.contains(msg_type));
  const std::string scope = One(xml, "scope");
  CHECK(std::set<std::string>{"Public", "Restricted", "Private"}.contains(scope));
  // Conditional: <restriction> for Restricted, <addresses> for Private.
  if (scope == "Restricted") CHECK(!One(xml, "restriction").empty());
  if (scope == "Private") CHECK(!One(xml, "addresses").empty());
  // Updates and cancels refer to earlier messages: "sender,identifier,sent".
  if (msg_type == "Update" || msg_type == "Cancel") {
    const std::string references = One(xml, "references");
    const std::regex reference(R"(([^ ,<&]+),([^ ,<&]+),(\S+))");
    std::smatch m;
    REQUIRE(std::regex_match(references, m, reference));
    CHECK(m[1] == One(xml, "sender"));
    CHECK(std::regex_match(std::string(m[3]), cap_time));
  }

  // <info>: category (1+), event, urgency, severity, certainty, in order.
  const std::string info = One(xml, "info");
  last = 0;
  for (const std::string& name : {"category", "event", "urgency", "severity", "certainty"}) {
    INFO("required <info> element " << name);
    const size_t at = Position(info, name);
    REQUIRE(at != std::string::npos);
    CHECK(at > last);
    last = at;
  }
  const std::set<std::string> categories = {"Geo",       "Met",   "Safety", "Security",
                                            "Rescue",    "Fire",  "Health", "Env",
                                            "Transport", "Infra", "CBRNE",  "Other"};
  for (const std::string& category : All(info, "category")) CHECK(categories.contains(category));
  CHECK(std::set<std::string>{"Immediate", "Expected", "Future", "Past", "Unknown"}.contains(
      One(info, "urgency")));
  CHECK(std::set<std::string>{"Extreme", "Severe", "Moderate", "Minor", "Unknown"}.contains(
      One(info, "severity")));
  CHECK(std::set<std::string>{"Observed", "Likely", "Possible", "Unlikely", "Unknown"}.contains(
      One(info, "certainty")));
  CHECK(One(info, "headline").size() < 160);  // "SHOULD be less than 160 characters"
  for (const std::string& parameter : All(info, "parameter")) {
    CHECK(All(parameter, "valueName").size() == 1);
    CHECK(All(parameter, "value").size() == 1);
  }
  // <area>: areaDesc required; a circle is "lat,lon radius" in WGS 84 and km.
  const std::string area = One(info, "area");
  CHECK(!One(area, "areaDesc").empty());
  for (const std::string& circle : All(area, "circle")) {
    std::smatch m;
    const std::regex shape(R"((-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?) (\d+(?:\.\d+)?))");
    REQUIRE(std::regex_match(circle, m, shape));
    CHECK(std::abs(std::stod(m[1])) <= 90);
    CHECK(std::abs(std::stod(m[2])) <= 180);
  }
}

v1::Case BaseCase(v1::CaseKind kind) {
  v1::Case c;
  c.set_name("cases/0665172898800010aa4a569935d27dbdd4fcad8a4828c1");
  c.set_member("members/alice");
  c.set_kind(kind);
  c.set_state(v1::CASE_STATE_DISPATCHING);
  c.mutable_location()->set_latitude(52.3676);
  c.mutable_location()->set_longitude(4.9041);
  c.mutable_location()->set_horizontal_accuracy_meters(800);
  c.mutable_create_time()->set_seconds(1'800'000'000);
  c.mutable_update_time()->set_seconds(1'800'000'000);
  c.set_last_sequence(1);
  return c;
}

TEST_CASE("A case exports as CAP 1.2 at every stage, road and medical", "[exports][cap]") {
  struct Row {
    const char* name;
    v1::CaseKind kind;
    v1::CaseState state;
    int64_t sequence;
    const char* msg_type;
    const char* category;
    const char* urgency;
    const char* severity;
  };
  const std::vector<Row> rows = {
      {"road, just raised", v1::CASE_KIND_ROAD, v1::CASE_STATE_DISPATCHING, 1, "Alert", "Transport",
       "Immediate", "Moderate"},
      {"road, escalated", v1::CASE_KIND_ROAD, v1::CASE_STATE_ESCALATED, 4, "Update", "Transport",
       "Immediate", "Moderate"},
      {"medical, crew on its way", v1::CASE_KIND_MEDICAL, v1::CASE_STATE_EN_ROUTE, 5, "Update",
       "Health", "Immediate", "Severe"},
      {"medical, resolved", v1::CASE_KIND_MEDICAL, v1::CASE_STATE_RESOLVED, 9, "Update", "Health",
       "Past", "Severe"},
      {"road, cancelled", v1::CASE_KIND_ROAD, v1::CASE_STATE_CANCELLED, 3, "Cancel", "Transport",
       "Past", "Moderate"},
  };
  for (const Row& row : rows) {
    INFO("row: " << row.name);
    v1::Case c = BaseCase(row.kind);
    c.set_state(row.state);
    c.set_last_sequence(row.sequence);
    c.mutable_update_time()->set_seconds(1'800'000'000 + 60 * row.sequence);
    if (row.state >= v1::CASE_STATE_ASSIGNED) c.set_responder("responders/amb-1");
    if (row.state == v1::CASE_STATE_CANCELLED) c.set_cancel_reason("pocket press");
    const absl::StatusOr<std::string> xml = CaseToCap(c);
    REQUIRE(xml.ok());
    CheckCapRules(*xml);
    CHECK(WellFormed(*xml));
    CHECK(One(*xml, "msgType") == row.msg_type);
    CHECK(One(*xml, "category") == row.category);
    CHECK(One(*xml, "urgency") == row.urgency);
    CHECK(One(*xml, "severity") == row.severity);
    CHECK(One(*xml, "identifier") ==
          "mayday-0665172898800010aa4a569935d27dbdd4fcad8a4828c1-" + std::to_string(row.sequence));
    // The case's last change, in UTC as CAP writes it.
    char sent[32];
    std::snprintf(sent, sizeof sent, "2027-01-15T08:%02d:00-00:00", static_cast<int>(row.sequence));
    CHECK(One(*xml, "sent") == sent);
    // The fix's uncertainty is the circle's radius, in km.
    CHECK(One(*xml, "circle") == "52.367600,4.904100 0.800");
  }
}

TEST_CASE("Text people typed cannot break the CAP document", "[exports][cap]") {
  v1::Case c = BaseCase(v1::CASE_KIND_MEDICAL);
  // Markup, quotes, a control character, bad UTF-8 and a noncharacter.
  c.set_note("he <fell> & \"can't\" breathe \x01 \xC3\x28 \xEF\xBF\xBF </alert>");
  c.set_cancel_reason("<![CDATA[x]]>");
  c.set_state(v1::CASE_STATE_CANCELLED);
  c.set_last_sequence(2);
  const absl::StatusOr<std::string> xml = CaseToCap(c);
  REQUIRE(xml.ok());
  CheckCapRules(*xml);
  CHECK(WellFormed(*xml));
  const std::string description = One(*xml, "description");
  CHECK(description.find("he &lt;fell&gt; &amp; &quot;can&apos;t&quot; breathe") !=
        std::string::npos);
  CHECK(xml->find("</alert>") == xml->rfind("</alert>"));  // the note closed nothing
}

TEST_CASE("The CAP export says what the desk must know", "[exports][cap]") {
  v1::Case c = BaseCase(v1::CASE_KIND_MEDICAL);
  c.set_state(v1::CASE_STATE_ASSIGNED);
  c.set_last_sequence(6);
  c.set_responder("responders/amb-1");
  c.set_eta_seconds(240);
  c.set_second_responder("responders/amb-2");
  c.mutable_stall()->set_words("no position from amb-1 for 2 min (3.0 km to go)");
  c.mutable_duress();
  c.mutable_location()->set_horizontal_accuracy_meters(0);
  const absl::StatusOr<std::string> xml = CaseToCap(c, {.sender = "care.example.org"});
  REQUIRE(xml.ok());
  CheckCapRules(*xml);
  CHECK(WellFormed(*xml));
  const std::string description = One(*xml, "description");
  for (const char* needle : {"responders/amb-1", "ETA at acceptance 240 s", "responders/amb-2",
                             "no position from amb-1", "DURESS", "members/alice"}) {
    INFO(needle);
    CHECK(description.find(needle) != std::string::npos);
  }
  CHECK(One(*xml, "sender") == "care.example.org");
  CHECK(One(*xml, "references") ==
        "care.example.org,mayday-0665172898800010aa4a569935d27dbdd4fcad8a4828c1-1,"
        "2027-01-15T08:00:00-00:00");
  // Accuracy unknown: a point, said so in words.
  CHECK(One(*xml, "circle") == "52.367600,4.904100 0.000");
  CHECK(One(*xml, "areaDesc").find("accuracy unknown") != std::string::npos);
}

TEST_CASE("A CAP export refuses a bad sender or an incomplete case", "[exports][cap]") {
  const v1::Case c = BaseCase(v1::CASE_KIND_ROAD);
  for (const char* sender : {"", "care desk", "a,b", "a&b", "a<b"}) {
    INFO("sender: " << sender);
    CHECK(absl::IsInvalidArgument(CaseToCap(c, {.sender = sender}).status()));
  }
  v1::Case no_location = c;
  no_location.clear_location();
  CHECK(absl::IsInvalidArgument(CaseToCap(no_location).status()));
  v1::Case no_name = c;
  no_name.clear_name();
  CHECK(absl::IsInvalidArgument(CaseToCap(no_name).status()));
}

}  // namespace
}  // namespace mayday::exports
