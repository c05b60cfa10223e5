// Human-readable renderings of Mayday values for maydayctl and mayday-sim:
// names, durations, timestamps and `cases watch` lines. Event descriptions,
// distances and positions are the SDK's (mayday/sdk/event_text.h); the
// multi-line views (tables, case details, timelines) are in views.cc.
#include "maydayctl/format.h"

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

constexpr absl::string_view kWatchTimeFormat = "%H:%M:%S";
constexpr absl::string_view kBoldRed = "\033[1;31m";
constexpr absl::string_view kBoldYellow = "\033[1;33m";
constexpr absl::string_view kReset = "\033[0m";

// Upper-cases and turns '-' and ' ' into '_': "en-route" -> "EN_ROUTE".
std::string NormalizeEnumText(absl::string_view text) {
  std::string upper = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
  return absl::StrReplaceAll(upper, {{"-", "_"}, {" ", "_"}});
}

}  // namespace

std::string OrDash(absl::string_view text) { return text.empty() ? "-" : PrintableText(text); }

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp, absl::string_view format,
                            absl::TimeZone zone) {
  if (timestamp.seconds() == 0 && timestamp.nanos() == 0) return "-";
  return absl::FormatTime(format, ToTime(timestamp), zone);
}

std::string CapabilityName(v1::Capability capability) {
  if (capability == v1::CAPABILITY_UNSPECIFIED) return "-";
  const std::string& name = v1::Capability_Name(capability);
  if (name.empty()) {
    return absl::StrCat("capability_", static_cast<int>(capability));
  }
  return absl::AsciiStrToLower(absl::StripPrefix(name, "CAPABILITY_"));
}

std::string ResponderStatusName(v1::Responder::Status status) {
  const std::string& name = v1::Responder::Status_Name(status);
  if (name.empty()) return absl::StrCat("STATUS_", static_cast<int>(status));
  return std::string(absl::StripPrefix(name, "STATUS_"));
}

absl::StatusOr<v1::CaseState> ParseCaseState(absl::string_view text) {
  std::string name = NormalizeEnumText(text);
  if (!absl::StartsWith(name, "CASE_STATE_")) name = "CASE_STATE_" + name;
  v1::CaseState state;
  if (!v1::CaseState_Parse(name, &state) || state == v1::CASE_STATE_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown case state \"", text,
                     "\"; expected one of dispatching, assigned, en_route, on_scene, "
                     "resolved, cancelled, escalated"));
  }
  return state;
}

absl::StatusOr<v1::CaseKind> ParseCaseKind(absl::string_view text) {
  std::string name = "CASE_KIND_" + NormalizeEnumText(text);
  v1::CaseKind kind;
  if (!v1::CaseKind_Parse(name, &kind) || kind == v1::CASE_KIND_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown case kind \"", text, "\"; expected road or medical"));
  }
  return kind;
}

absl::StatusOr<v1::Capability> ParseCapability(absl::string_view text) {
  std::string name = "CAPABILITY_" + NormalizeEnumText(text);
  v1::Capability capability;
  if (!v1::Capability_Parse(name, &capability) || capability == v1::CAPABILITY_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown capability \"", text,
                     "\"; expected one of tow, patrol, mechanic, ambulance, paramedic"));
  }
  return capability;
}

absl::StatusOr<std::string> ResourceName(absl::string_view collection, absl::string_view id) {
  const std::string prefix = absl::StrCat(collection, "/");
  absl::string_view bare = absl::StripPrefix(id, prefix);
  if (bare.empty() || absl::StrContains(bare, '/')) {
    // "cases" -> "case id".
    return absl::InvalidArgumentError(absl::StrCat("bad ", absl::StripSuffix(collection, "s"),
                                                   " id \"", id, "\"; expected ID or ", prefix,
                                                   "ID"));
  }
  return absl::StrCat(prefix, bare);
}

absl::StatusOr<std::string> CaseName(absl::string_view id) { return ResourceName("cases", id); }

std::string HumanDuration(absl::Duration duration) {
  if (duration == absl::InfiniteDuration() || duration == -absl::InfiniteDuration()) {
    return "-";
  }
  int64_t seconds = absl::ToInt64Seconds(duration);
  if (seconds < 0) seconds = 0;
  constexpr int64_t kMinute = 60, kHour = 60 * kMinute, kDay = 24 * kHour;
  if (seconds < kMinute) return absl::StrCat(seconds, " s");
  if (seconds < kHour) return absl::StrCat(seconds / kMinute, " min");
  if (seconds < kDay) {
    const int64_t minutes = seconds % kHour / kMinute;
    if (minutes == 0) return absl::StrCat(seconds / kHour, " h");
    return absl::StrCat(seconds / kHour, " h ", minutes, " min");
  }
  const int64_t hours = seconds % kDay / kHour;
  if (hours == 0) return absl::StrCat(seconds / kDay, " d");
  return absl::StrCat(seconds / kDay, " d ", hours, " h");
}

absl::Time ToTime(const google::protobuf::Timestamp& timestamp) {
  if (timestamp.seconds() == 0 && timestamp.nanos() == 0) {
    return absl::InfinitePast();
  }
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp out;
  const int64_t nanos = absl::ToUnixNanos(time);
  out.set_seconds(nanos / 1'000'000'000);
  out.set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  return out;
}

std::string FormatAge(const google::protobuf::Timestamp& timestamp, absl::Time now) {
  const absl::Time then = ToTime(timestamp);
  if (then == absl::InfinitePast()) return "-";
  return HumanDuration(now - then);
}

std::string DescribeEventForDesk(const v1::CaseEvent& event) {
  return sdk::DescribeEvent(event, sdk::EventReader::kStaff);
}

bool IsMemberMessage(const v1::CaseEvent& event) {
  return event.has_message_posted() &&
         absl::StartsWith(event.message_posted().author(), "members/");
}

std::string FormatWatchLine(const v1::CaseEvent& event, absl::TimeZone zone, bool color) {
  // A duress cancel, a member locked out of cancelling and a crew that
  // stalled call for an agent as an escalation does.
  const bool escalation = event.has_escalated() || event.has_duress_cancelled() ||
                          event.has_stalled() ||
                          (event.has_cancel_refused() && event.cancel_refused().locked());
  const bool member_message = IsMemberMessage(event);
  const absl::string_view marker = escalation ? "!! " : (member_message ? "<< " : "   ");
  std::string line =
      absl::StrCat(marker, FormatTimestamp(event.event_time(), kWatchTimeFormat, zone), "  ",
                   OrDash(event.case_()), "  #", event.sequence(), "  ", StateName(event.state()),
                   "  ", OrDash(event.actor()), "  ", DescribeEventForDesk(event));
  if (!color) return line;
  if (escalation) return absl::StrCat(kBoldRed, line, kReset);
  if (member_message) return absl::StrCat(kBoldYellow, line, kReset);
  return line;
}

}  // namespace mayday::tools
