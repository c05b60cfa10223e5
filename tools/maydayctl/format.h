// What maydayctl and mayday-sim print: names of enum values, durations
// ("4 min"), timestamps, `cases watch` lines. What an event changed, states,
// kinds, distances and positions are worded by the SDK's event text
// (mayday/sdk/event_text.h), the one wording the member's phone shows too;
// the desk reads it as sdk::EventReader::kStaff. The tables and multi-line
// views built from these are in views.h. Pure functions of their arguments
// (the current time and time zone are passed in), so the tests pin every
// string.
#ifndef MAYDAY_TOOLS_MAYDAYCTL_FORMAT_H_
#define MAYDAY_TOOLS_MAYDAYCTL_FORMAT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "mayday/sdk/event_text.h"
#include "mayday/v1/operator_service.pb.h"
#include "mayday/v1/resources.pb.h"
#include "mayday/v1/responder_service.pb.h"

namespace mayday::tools {

// The SDK's wording, under the names maydayctl and mayday-sim have always
// used: PrintableText ("\033[2J" made blanks), StateName ("EN_ROUTE"),
// KindName ("road"), FormatDistance ("1.2 km"), FormatLocation ("52.37000,
// 4.89000 (±15 m)"), DescribeRating ("rated 4/5"). Contracts in
// mayday/sdk/event_text.h.
using ::mayday::sdk::DescribeRating;
using ::mayday::sdk::FormatDistance;
using ::mayday::sdk::FormatLocation;
using ::mayday::sdk::KindName;
using ::mayday::sdk::PrintableText;
using ::mayday::sdk::StateName;

// PrintableText(text), or "-" when empty, so that table columns never look
// shifted.
std::string OrDash(absl::string_view text);

// The timestamp in `zone` with an absl::FormatTime `format`; "-" when unset.
std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp, absl::string_view format,
                            absl::TimeZone zone);

// "tow", "ambulance", ...; "-" when unspecified.
std::string CapabilityName(mayday::v1::Capability capability);

// "AVAILABLE", "OFF_DUTY", ...
std::string ResponderStatusName(mayday::v1::Responder::Status status);

// Parses a case state as a user types it: "en_route", "EN-ROUTE",
// "CASE_STATE_EN_ROUTE". INVALID_ARGUMENT naming the accepted values
// otherwise (UNSPECIFIED is not accepted).
absl::StatusOr<mayday::v1::CaseState> ParseCaseState(absl::string_view text);

// Parses "road" or "medical" (any case). INVALID_ARGUMENT otherwise.
absl::StatusOr<mayday::v1::CaseKind> ParseCaseKind(absl::string_view text);

// Parses "tow", "patrol", "mechanic", "ambulance" or "paramedic" (any case).
// INVALID_ARGUMENT naming the accepted values otherwise.
absl::StatusOr<mayday::v1::Capability> ParseCapability(absl::string_view text);

// Turns "x" or "{collection}/x" into "{collection}/x" ("cases",
// "members", "responders", "tokens"). INVALID_ARGUMENT when the id is empty
// or contains a '/'.
absl::StatusOr<std::string> ResourceName(absl::string_view collection, absl::string_view id);
// ResourceName("cases", id).
absl::StatusOr<std::string> CaseName(absl::string_view id);

// A duration for humans, rounded down to its largest units: "0 s", "45 s",
// "4 min", "2 h 5 min", "3 d 4 h". Negative durations (clock skew) print as
// "0 s"; infinite ones as "-".
std::string HumanDuration(absl::Duration duration);

// Converts a protobuf timestamp; absl::InfinitePast() when unset.
absl::Time ToTime(const google::protobuf::Timestamp& timestamp);
// Converts a finite time to a protobuf timestamp.
google::protobuf::Timestamp ToTimestamp(absl::Time time);

// How long before `now` the timestamp was: "4 min"; "-" when unset.
std::string FormatAge(const google::protobuf::Timestamp& timestamp, absl::Time now);

// What an event changed as a care agent reads it: the member's sentence
// with agents named and the crew's position added,
// sdk::DescribeEvent(event, sdk::EventReader::kStaff).
std::string DescribeEventForDesk(const mayday::v1::CaseEvent& event);

// True for a message a member wrote (author "members/..."): what a care agent
// must not miss in `cases watch`.
bool IsMemberMessage(const mayday::v1::CaseEvent& event);

// One `cases watch` line: "!! " before escalations (and duress cancels, and
// the wrong cancel PIN that locked the member out), "<< " before messages
// from members and "   " before other events, then "12:00:05  cases/ab12  #3
// ESCALATED  dispatch  escalated to care agents: ..." (DescribeEventForDesk).
// With `color`, escalation lines are wrapped in ANSI bold red and member
// messages in bold yellow. No newline.
std::string FormatWatchLine(const mayday::v1::CaseEvent& event, absl::TimeZone zone, bool color);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_MAYDAYCTL_FORMAT_H_
