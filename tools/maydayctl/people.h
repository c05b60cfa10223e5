// The views of maydayctl about people rather than cases: `responders show`
// (one crew and the cases it served), `members show` (one member: every
// case, every message, every rating) and `tokens list`. Pure functions of
// their arguments, like views.h, so the tests pin every string.
#ifndef MAYDAY_TOOLS_MAYDAYCTL_PEOPLE_H_
#define MAYDAY_TOOLS_MAYDAYCTL_PEOPLE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mayday/v1/alert_service.pb.h"
#include "mayday/v1/operator_service.pb.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::tools {

// `responders show`: the responder's fields as "key:  value" lines, then
// "cases:" and the table of `cases` (the cases assigned to it, newest
// first), or "(none)".
std::string FormatResponderDetails(const mayday::v1::Responder& responder,
                                   const mayday::v1::ListCasesResponse& cases, absl::Time now);

// Everything about one member, as `members show` gathers it: its cases
// (newest first) and each case's events.
struct MemberRecord {
  std::string member;  // "members/{id}"
  std::vector<mayday::v1::Case> cases;
  std::vector<mayday::v1::CaseEvent> events;  // of all its cases, any order
};

// `members show` for a person: the case table, then "messages:" (every
// message on any of the member's cases, oldest first: time, case, author,
// text) and "ratings:" (case, stars, comment), each "(none)" when empty.
std::string FormatMember(const MemberRecord& record, absl::Time now, absl::TimeZone zone);

// `members show --output json`: {"member": ..., "cases": [Case...],
// "messages": [CaseEvent...], "ratings": [{"case": ..., "rating": Rating}]},
// messages oldest first. INTERNAL if protobuf cannot print a message.
absl::StatusOr<std::string> MemberJson(const MemberRecord& record);

// The table of `tokens list`: NAME, ROLE, SUBJECT, CREATED, REVOKED.
std::string FormatTokenTable(const mayday::v1::ListTokensResponse& tokens, absl::TimeZone zone);

// "member", "responder", "operator", "admin" (or "-").
std::string RoleName(mayday::v1::Role role);

// Parses a role as RoleName prints it (any case). INVALID_ARGUMENT naming the
// accepted values otherwise.
absl::StatusOr<mayday::v1::Role> ParseRole(absl::string_view text);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_MAYDAYCTL_PEOPLE_H_
