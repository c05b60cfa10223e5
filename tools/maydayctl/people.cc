// Views of responders, members and tokens; see people.h.
#include "maydayctl/people.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "maydayctl/format.h"
#include "maydayctl/json.h"
#include "maydayctl/table.h"
#include "maydayctl/views.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

constexpr absl::string_view kTimeFormat = "%Y-%m-%d %H:%M:%S";

// The member's message events, oldest first (by time, then case and
// sequence, so that the order is stable).
std::vector<const v1::CaseEvent*> Messages(const MemberRecord& record) {
  std::vector<const v1::CaseEvent*> out;
  for (const v1::CaseEvent& e : record.events) {
    if (e.has_message_posted()) out.push_back(&e);
  }
  std::sort(out.begin(), out.end(), [](const v1::CaseEvent* a, const v1::CaseEvent* b) {
    const absl::Time ta = ToTime(a->event_time()), tb = ToTime(b->event_time());
    if (ta != tb) return ta < tb;
    if (a->case_() != b->case_()) return a->case_() < b->case_();
    return a->sequence() < b->sequence();
  });
  return out;
}

}  // namespace

std::string RoleName(v1::Role role) {
  if (role == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(role)) return "-";
  return absl::AsciiStrToLower(absl::StripPrefix(v1::Role_Name(role), "ROLE_"));
}

absl::StatusOr<v1::Role> ParseRole(absl::string_view text) {
  v1::Role role;
  const std::string name = absl::StrCat("ROLE_", absl::AsciiStrToUpper(text));
  if (!v1::Role_Parse(name, &role) || role == v1::ROLE_UNSPECIFIED) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown role \"", text, "\"; expected member, responder, operator, admin or fleet"));
  }
  return role;
}

std::string FormatResponderDetails(const v1::Responder& r, const v1::ListCasesResponse& cases,
                                   absl::Time now) {
  std::vector<std::string> capabilities;
  for (int capability : r.capabilities()) {
    capabilities.push_back(CapabilityName(static_cast<v1::Capability>(capability)));
  }
  Table table({});
  table.AddRow({"name:", OrDash(r.name())});
  table.AddRow({"status:", ResponderStatusName(r.status())});
  table.AddRow({"capabilities:", capabilities.empty() ? "-" : absl::StrJoin(capabilities, ", ")});
  table.AddRow({"position:", r.has_location() ? FormatLocation(r.location()) : "-"});
  table.AddRow({"position age:", FormatAge(r.location_time(), now)});
  table.AddRow({"current case:", OrDash(r.current_case())});
  std::string out = table.Render();
  absl::StrAppend(&out, "\ncases:\n",
                  cases.cases().empty() ? "(none)\n" : FormatCaseTable(cases, now));
  return out;
}

std::string FormatMember(const MemberRecord& record, absl::Time now, absl::TimeZone zone) {
  v1::ListCasesResponse cases;
  for (const v1::Case& c : record.cases) *cases.add_cases() = c;
  std::string out = absl::StrCat("member: ", record.member, "\n\ncases:\n",
                                 record.cases.empty() ? "(none)\n" : FormatCaseTable(cases, now));

  absl::StrAppend(&out, "\nmessages:\n");
  const std::vector<const v1::CaseEvent*> messages = Messages(record);
  if (messages.empty()) {
    absl::StrAppend(&out, "(none)\n");
  } else {
    Table table({});
    for (const v1::CaseEvent* e : messages) {
      table.AddRow({FormatTimestamp(e->event_time(), kTimeFormat, zone), OrDash(e->case_()),
                    OrDash(e->message_posted().author()),
                    PrintableText(e->message_posted().text())});
    }
    absl::StrAppend(&out, table.Render());
  }

  absl::StrAppend(&out, "\nratings:\n");
  Table ratings({});
  for (const v1::Case& c : record.cases) {
    if (c.rating().stars() <= 0) continue;
    ratings.AddRow({OrDash(c.name()), absl::StrCat(c.rating().stars(), "/5"),
                    PrintableText(c.rating().comment())});
  }
  absl::StrAppend(&out, ratings.row_count() == 0 ? "(none)\n" : ratings.Render());
  return out;
}

absl::StatusOr<std::string> MemberJson(const MemberRecord& record) {
  absl::StatusOr<std::string> cases = ToJsonArray(record.cases);
  if (!cases.ok()) return cases.status();
  std::vector<v1::CaseEvent> messages;
  for (const v1::CaseEvent* e : Messages(record)) messages.push_back(*e);
  absl::StatusOr<std::string> messages_json = ToJsonArray(messages);
  if (!messages_json.ok()) return messages_json.status();
  std::string out = absl::StrCat("{\"member\":", JsonString(record.member), ",\"cases\":", *cases,
                                 ",\"messages\":", *messages_json, ",\"ratings\":[");
  bool first = true;
  for (const v1::Case& c : record.cases) {
    if (c.rating().stars() <= 0) continue;
    absl::StatusOr<std::string> json = ToJson(c.rating());
    if (!json.ok()) return json.status();
    absl::StrAppend(&out, first ? "" : ",", "{\"case\":", JsonString(c.name()),
                    ",\"rating\":", *json, "}");
    first = false;
  }
  absl::StrAppend(&out, "]}");
  return out;
}

std::string FormatTokenTable(const v1::ListTokensResponse& tokens, absl::TimeZone zone) {
  Table table({"NAME", "ROLE", "SUBJECT", "CREATED", "EXPIRES", "REVOKED"});
  for (const v1::Token& t : tokens.tokens()) {
    table.AddRow(
        {OrDash(t.name()), RoleName(t.role()), OrDash(PrintableText(t.subject())),
         FormatTimestamp(t.create_time(), kTimeFormat, zone),
         t.has_expire_time() ? FormatTimestamp(t.expire_time(), kTimeFormat, zone) : "never",
         t.revoked() ? "yes" : "no"});
  }
  return table.Render();
}

}  // namespace mayday::tools
