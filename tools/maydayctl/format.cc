// Human-readable renderings of Mayday values for maydayctl and mayday-sim:
// names, durations, distances and one-line event descriptions. The multi-line
// views (tables, case details, timelines) are in views.cc.
#include "maydayctl/format.h"

#include <cmath>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "mayday/sdk/event_text.h"

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

// "(1.2 km, ETA 2 min)".
std::string DistanceAndEta(double distance_meters, int32_t eta_seconds) {
  return absl::StrCat("(", FormatDistance(distance_meters), ", ETA ",
                      sdk::FormatEtaMinutes(eta_seconds), ")");
}

std::string DescribeOfferEnded(const v1::CaseEvent::OfferEnded& ended) {
  const std::string responder = OrDash(ended.responder());
  switch (ended.reason()) {
    case v1::CaseEvent::OfferEnded::REASON_DECLINED:
      return absl::StrCat("declined by ", responder);
    case v1::CaseEvent::OfferEnded::REASON_EXPIRED:
      return absl::StrCat("offer to ", responder, " expired");
    case v1::CaseEvent::OfferEnded::REASON_RESPONDER_UNAVAILABLE:
      return absl::StrCat("offer to ", responder, " ended: responder unavailable");
    default:
      return absl::StrCat("offer to ", responder, " ended");
  }
}

// A responder's progress; an operator's ResolveCase is a progress event
// without a responder, named by its actor instead.
std::string DescribeProgress(const v1::CaseEvent& event) {
  const std::string responder = OrDash(
      event.progressed().responder().empty() ? event.actor() : event.progressed().responder());
  const std::string where =
      event.progressed().has_responder_location()
          ? absl::StrCat(" at ", FormatLocation(event.progressed().responder_location()))
          : "";
  switch (event.state()) {
    case v1::CASE_STATE_EN_ROUTE:
      return absl::StrCat(responder, " en route", where);
    case v1::CASE_STATE_ON_SCENE:
      return absl::StrCat(responder, " on scene", where);
    case v1::CASE_STATE_RESOLVED:
      return absl::StrCat("resolved by ", responder, where);
    default:
      return absl::StrCat(responder, " reported ", StateName(event.state()), where);
  }
}

// `label`, or "label: reason" when a reason was given.
std::string WithReason(absl::string_view label, absl::string_view reason) {
  if (reason.empty()) return std::string(label);
  return absl::StrCat(label, ": ", PrintableText(reason));
}

}  // namespace

std::string PrintableText(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = ' ';
  }
  return out;
}

std::string OrDash(absl::string_view text) { return text.empty() ? "-" : PrintableText(text); }

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp, absl::string_view format,
                            absl::TimeZone zone) {
  if (timestamp.seconds() == 0 && timestamp.nanos() == 0) return "-";
  return absl::FormatTime(format, ToTime(timestamp), zone);
}

std::string StateName(v1::CaseState state) {
  const std::string& name = v1::CaseState_Name(state);
  if (name.empty()) return absl::StrCat("STATE_", static_cast<int>(state));
  return std::string(absl::StripPrefix(name, "CASE_STATE_"));
}

std::string KindName(v1::CaseKind kind) {
  if (kind == v1::CASE_KIND_UNSPECIFIED) return "-";
  const std::string& name = v1::CaseKind_Name(kind);
  if (name.empty()) return absl::StrCat("kind_", static_cast<int>(kind));
  return absl::AsciiStrToLower(absl::StripPrefix(name, "CASE_KIND_"));
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

std::string FormatDistance(double meters) {
  if (!std::isfinite(meters) || meters < 0) return "-";
  const long long whole_meters = std::llround(meters);
  if (whole_meters < 1000) return absl::StrCat(whole_meters, " m");
  const double km = meters / 1000.0;
  if (std::round(km * 10.0) / 10.0 < 100.0) {
    return absl::StrFormat("%.1f km", km);
  }
  return absl::StrFormat("%.0f km", km);
}

std::string FormatLocation(const v1::Location& location) {
  std::string out = absl::StrFormat("%.5f, %.5f", location.latitude(), location.longitude());
  if (location.horizontal_accuracy_meters() > 0) {
    absl::StrAppend(&out, " (±", FormatDistance(location.horizontal_accuracy_meters()), ")");
  }
  return out;
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

std::string DescribeRating(const v1::Rating& rating) {
  std::string out = absl::StrCat("rated ", rating.stars(), "/5");
  if (!rating.comment().empty()) {
    absl::StrAppend(&out, " \"", PrintableText(rating.comment()), "\"");
  }
  return out;
}

std::string DescribeEvent(const v1::CaseEvent& event) {
  switch (event.change_case()) {
    case v1::CaseEvent::kRaised: {
      const auto& raised = event.raised();
      std::string out = absl::StrCat("raised: ", KindName(raised.kind()));
      if (raised.has_location()) {
        absl::StrAppend(&out, " at ", FormatLocation(raised.location()));
      }
      if (!raised.note().empty()) {
        absl::StrAppend(&out, ", note \"", PrintableText(raised.note()), "\"");
      }
      return out;
    }
    case v1::CaseEvent::kOffered: {
      const auto& offered = event.offered();
      return absl::StrCat("offered to ", OrDash(offered.responder()), " ",
                          DistanceAndEta(offered.distance_meters(), offered.eta_seconds()));
    }
    case v1::CaseEvent::kOfferEnded:
      return DescribeOfferEnded(event.offer_ended());
    case v1::CaseEvent::kAssigned: {
      const auto& assigned = event.assigned();
      std::string out =
          absl::StrCat("assigned to ", OrDash(assigned.responder()), " ",
                       DistanceAndEta(assigned.distance_meters(), assigned.eta_seconds()));
      if (assigned.has_responder_location()) {
        absl::StrAppend(&out, ", from ", FormatLocation(assigned.responder_location()));
      }
      return out;
    }
    case v1::CaseEvent::kProgressed:
      return DescribeProgress(event);
    case v1::CaseEvent::kLocationUpdated:
      return absl::StrCat("member moved to ", FormatLocation(event.location_updated().location()));
    case v1::CaseEvent::kCancelled:
      return WithReason(event.cancelled().false_alarm() ? "cancelled (false alarm)" : "cancelled",
                        event.cancelled().reason());
    case v1::CaseEvent::kEscalated:
      return WithReason("escalated", event.escalated().reason());
    case v1::CaseEvent::kRedispatched:
      return "back to dispatching";
    case v1::CaseEvent::kMessagePosted:
      return absl::StrCat("message from ", OrDash(event.message_posted().author()), ": \"",
                          PrintableText(event.message_posted().text()), "\"");
    case v1::CaseEvent::kRated:
      return DescribeRating(event.rated().rating());
    case v1::CaseEvent::kTaken:
      return absl::StrCat("taken by ", OrDash(event.taken().operator_()));
    case v1::CaseEvent::kReleased:
      return absl::StrCat("released by ", OrDash(event.released().operator_()),
                          ": back to dispatching");
    case v1::CaseEvent::CHANGE_NOT_SET:
      break;
  }
  return "(unknown change)";
}

bool IsMemberMessage(const v1::CaseEvent& event) {
  return event.has_message_posted() &&
         absl::StartsWith(event.message_posted().author(), "members/");
}

std::string FormatWatchLine(const v1::CaseEvent& event, absl::TimeZone zone, bool color) {
  const bool escalation = event.has_escalated();
  const bool member_message = IsMemberMessage(event);
  const absl::string_view marker = escalation ? "!! " : (member_message ? "<< " : "   ");
  std::string line =
      absl::StrCat(marker, FormatTimestamp(event.event_time(), kWatchTimeFormat, zone), "  ",
                   OrDash(event.case_()), "  #", event.sequence(), "  ", StateName(event.state()),
                   "  ", OrDash(event.actor()), "  ", DescribeEvent(event));
  if (!color) return line;
  if (escalation) return absl::StrCat(kBoldRed, line, kReset);
  if (member_message) return absl::StrCat(kBoldYellow, line, kReset);
  return line;
}

}  // namespace mayday::tools
