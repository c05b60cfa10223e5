// Tables and multi-line views of cases, responders, timelines and notes.
#include "maydayctl/views.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "mayday/sdk/event_text.h"
#include "maydayctl/format.h"
#include "maydayctl/table.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

constexpr absl::string_view kTimelineTimeFormat = "%Y-%m-%d %H:%M:%S";

// Wrong cancel PINs after which the member can no longer cancel (the
// server's kMaxCancelAttempts).
constexpr int kCancelAttemptsLocked = 5;

// What a care agent must see first about a case, or "" if nothing: the
// member cancelled under duress, or can no longer cancel, or the crew coming
// stalled.
std::string Alarm(const v1::Case& c) {
  if (c.has_duress()) return "DURESS";
  if (c.failed_cancel_attempts() >= kCancelAttemptsLocked) return "CANCEL ATTEMPTS FAILED";
  if (c.has_stall()) return "CREW STALLED";
  return "";
}

// The state column: the state, after the alarm if any, "(fix asked)"
// while dispatch waits for a fresher fix from the member's phone, and
// "(2 crews)" or "(2nd crew sought)" after a stall.
std::string StateColumn(const v1::Case& c) {
  const std::string alarm = Alarm(c);
  std::string out = alarm.empty() ? std::string(StateName(c.state()))
                                  : absl::StrCat("!", alarm, "! ", StateName(c.state()));
  if (c.fix_request().pending()) absl::StrAppend(&out, " (fix asked)");
  if (!c.second_responder().empty()) {
    absl::StrAppend(&out, " (2 crews)");
  } else if (c.stall().second_crew_sought()) {
    absl::StrAppend(&out, " (2nd crew sought)");
  }
  return out;
}

// What the stall banner adds about a second crew: what dispatch did, and
// the command that ends it.
std::string SecondCrewAdvice(const v1::Case& c) {
  if (!c.second_responder().empty()) {
    return absl::StrCat("; a second crew, ", c.second_responder(),
                        ", is coming too: keep one with `maydayctl cases keep ", c.name(),
                        " RESPONDER`");
  }
  if (c.stall().second_crew_sought()) {
    return absl::StrCat("; dispatch is looking for a second crew (`maydayctl cases keep ", c.name(),
                        " ", c.responder(), "` stops it)");
  }
  return "";
}

}  // namespace

std::string FormatTimeline(const v1::ListCaseEventsResponse& events, absl::TimeZone zone) {
  Table table({});
  for (const auto& event : events.events()) {
    table.AddRow({absl::StrCat("#", event.sequence()),
                  FormatTimestamp(event.event_time(), kTimelineTimeFormat, zone),
                  StateName(event.state()), OrDash(event.actor()), DescribeEventForDesk(event)});
  }
  return table.Render();
}

std::string FormatNotes(const v1::ListCaseNotesResponse& notes, absl::TimeZone zone) {
  if (notes.notes().empty()) return "(none)\n";
  Table table({});
  for (const auto& note : notes.notes()) {
    table.AddRow({FormatTimestamp(note.create_time(), kTimelineTimeFormat, zone),
                  OrDash(note.author()), PrintableText(note.text())});
  }
  return table.Render();
}

std::string FormatTrack(const v1::ListCaseTrackResponse& track, absl::TimeZone zone) {
  if (track.points().empty()) return "(none)\n";
  const v1::TrackPoint& first = track.points(0);
  const v1::TrackPoint& last = *track.points().rbegin();
  std::vector<std::string> responders;
  for (const v1::TrackPoint& point : track.points()) {
    if (std::find(responders.begin(), responders.end(), point.responder()) == responders.end()) {
      responders.push_back(point.responder());
    }
  }
  return absl::StrCat(track.points_size(), track.points_size() == 1 ? " position" : " positions",
                      " of ", absl::StrJoin(responders, ", "), ", ",
                      FormatTimestamp(first.report_time(), kTimelineTimeFormat, zone), " to ",
                      FormatTimestamp(last.report_time(), "%H:%M:%S", zone), "; last ",
                      FormatLocation(last.location()), "\n");
}

std::string FormatCaseTable(const v1::ListCasesResponse& cases, absl::Time now) {
  Table table({"NAME", "KIND", "STATE", "MEMBER", "RESPONDER", "AGE"});
  // Cases with an alarm (a duress cancel, a member locked out of
  // cancelling) first, each marked; the rest in the server's order.
  std::vector<const v1::Case*> order;
  for (const auto& c : cases.cases()) order.push_back(&c);
  std::stable_partition(order.begin(), order.end(),
                        [](const v1::Case* c) { return !Alarm(*c).empty(); });
  for (const v1::Case* c : order) {
    table.AddRow({OrDash(c->name()), KindName(c->kind()), StateColumn(*c), OrDash(c->member()),
                  OrDash(c->responder()), FormatAge(c->create_time(), now)});
  }
  return table.Render();
}

std::string FormatTimerTable(const v1::ListSafetyTimersResponse& timers, absl::Time now) {
  Table table({"NAME", "MEMBER", "STATE", "KIND", "DEADLINE", "CASE", "NOTE"});
  for (const v1::SafetyTimer& t : timers.timers()) {
    std::string state(absl::StripPrefix(v1::SafetyTimer::State_Name(t.state()), "STATE_"));
    if (t.has_member_view()) state = absl::StrCat("!DURESS! ", state, " (member sees ENDED)");
    const absl::Time deadline = ToTime(t.deadline());
    const std::string when = deadline > now
                                 ? absl::StrCat("in ", FormatAge(ToTimestamp(now), deadline))
                                 : absl::StrCat(FormatAge(t.deadline(), now), " ago");
    table.AddRow({OrDash(t.name()), OrDash(t.member()), state, KindName(t.kind()), when,
                  OrDash(t.case_()), PrintableText(t.note())});
  }
  return table.Render();
}

std::string FormatResponderTable(const v1::ListRespondersResponse& responders, absl::Time now) {
  Table table({"NAME", "STATUS", "CAPABILITIES", "POSITION", "POSITION AGE", "CASE"});
  for (const auto& r : responders.responders()) {
    std::vector<std::string> capabilities;
    for (int capability : r.capabilities()) {
      capabilities.push_back(CapabilityName(static_cast<v1::Capability>(capability)));
    }
    table.AddRow({OrDash(r.name()), ResponderStatusName(r.status()),
                  capabilities.empty() ? "-" : absl::StrJoin(capabilities, ","),
                  r.has_location() ? FormatLocation(r.location()) : "-",
                  FormatAge(r.location_time(), now), OrDash(r.current_case())});
  }
  return table.Render();
}

std::string FormatCaseDetails(const v1::Case& c, absl::Time now, absl::TimeZone zone) {
  // "2024-05-01 12:00:00 (4 min ago)".
  auto when = [&](const google::protobuf::Timestamp& timestamp) {
    if (ToTime(timestamp) == absl::InfinitePast()) return std::string("-");
    return absl::StrCat(FormatTimestamp(timestamp, kTimelineTimeFormat, zone), " (",
                        FormatAge(timestamp, now), " ago)");
  };
  // An alarm first, above the fields.
  std::string banner;
  if (c.has_duress()) {
    banner =
        absl::StrCat("!DURESS! the member cancelled with the duress PIN ", when(c.duress().time()),
                     ": their phone shows the case cancelled. Help goes on; reach the member "
                     "only in ways that cannot give them away.\n");
  } else if (c.failed_cancel_attempts() >= kCancelAttemptsLocked) {
    banner = absl::StrCat("!", Alarm(c), "! ", c.failed_cancel_attempts(),
                          " wrong cancel PINs: the member can no longer cancel; call them.\n");
  } else if (c.has_stall()) {
    banner = absl::StrCat(
        "!CREW STALLED! ", PrintableText(c.stall().words()), ", noticed ", when(c.stall().time()),
        ". The crew stays assigned: call it, or the member", SecondCrewAdvice(c), ".\n");
  }
  Table table({});
  table.AddRow({"name:", OrDash(c.name())});
  table.AddRow({"kind:", KindName(c.kind())});
  table.AddRow({"state:", StateName(c.state())});
  table.AddRow({"member:", OrDash(c.member())});
  table.AddRow({"location:", c.has_location() ? FormatLocation(c.location()) : "-"});
  if (c.has_fix_request()) {
    table.AddRow(
        {"fix asked:",
         absl::StrCat(PrintableText(c.fix_request().words()), ", ", when(c.fix_request().time()),
                      c.fix_request().pending() ? ", no answer yet" : ", answered")});
  }
  if (!c.note().empty()) table.AddRow({"note:", PrintableText(c.note())});
  table.AddRow({"responder:", OrDash(c.responder())});
  if (c.eta_seconds() > 0) {
    table.AddRow({"eta:", sdk::FormatEtaMinutes(c.eta_seconds())});
  }
  if (!c.second_responder().empty()) {
    table.AddRow({"second crew:",
                  absl::StrCat(c.second_responder(), ", ETA ",
                               sdk::FormatEtaMinutes(c.second_eta_seconds()), " at acceptance")});
  } else if (c.stall().second_crew_sought()) {
    table.AddRow({"second crew:", "being sought"});
  }
  if (!c.operator_().empty()) {
    table.AddRow({"operator:", PrintableText(c.operator_())});
  }
  if (!c.cancel_reason().empty()) {
    table.AddRow({"cancel reason:", PrintableText(c.cancel_reason())});
  }
  if (c.rating().stars() > 0) {  // "4/5 \"fast and kind\"".
    table.AddRow({"rating:", std::string(absl::StripPrefix(DescribeRating(c.rating()), "rated "))});
  }
  table.AddRow({"request id:", OrDash(c.request_id())});
  table.AddRow({"created:", when(c.create_time())});
  table.AddRow({"updated:", when(c.update_time())});
  table.AddRow({"last sequence:", absl::StrCat(c.last_sequence())});
  return banner + table.Render();
}

std::string FormatMedicalProfile(const v1::MedicalProfile& profile, absl::TimeZone zone) {
  using sdk::PrintableText;
  std::string blood = "unknown";
  if (profile.blood_group() != v1::MedicalProfile::BLOOD_GROUP_UNSPECIFIED) {
    // "BLOOD_GROUP_AB_NEGATIVE" -> "AB-".
    const std::string& full = v1::MedicalProfile::BloodGroup_Name(profile.blood_group());
    absl::string_view name = absl::StripPrefix(full, "BLOOD_GROUP_");
    if (absl::ConsumeSuffix(&name, "_NEGATIVE")) {
      blood = absl::StrCat(name, "-");
    } else if (absl::ConsumeSuffix(&name, "_POSITIVE")) {
      blood = absl::StrCat(name, "+");
    }
  }
  auto list = [](const auto& items) {
    std::vector<std::string> printable;
    for (const std::string& item : items) printable.push_back(PrintableText(item));
    return printable.empty() ? std::string("-") : absl::StrJoin(printable, "; ");
  };
  std::vector<std::string> medications;
  for (const v1::Medication& m : profile.medications()) {
    medications.push_back(m.dose().empty() ? PrintableText(m.name())
                                           : absl::StrCat(PrintableText(m.name()), " (",
                                                          PrintableText(m.dose()), ")"));
  }
  std::vector<std::string> contacts;
  for (const v1::EmergencyContact& c : profile.emergency_contacts()) {
    contacts.push_back(absl::StrCat(
        PrintableText(c.name()),
        c.relationship().empty() ? "" : absl::StrCat(" (", PrintableText(c.relationship()), ")"),
        " ", PrintableText(c.phone())));
  }
  std::string out = absl::StrCat(
      "medical profile of ", absl::StripSuffix(profile.name(), "/medicalProfile"), ", updated ",
      FormatTimestamp(profile.update_time(), "%Y-%m-%d %H:%M", zone), "\n");
  absl::StrAppend(&out, "  blood group  ", blood, "\n");
  absl::StrAppend(&out, "  allergies    ", list(profile.allergies()), "\n");
  absl::StrAppend(&out, "  conditions   ", list(profile.conditions()), "\n");
  absl::StrAppend(&out, "  medications  ", list(medications), "\n");
  absl::StrAppend(&out, "  contacts     ", list(contacts), "\n");
  absl::StrAppend(&out, "  note         ", OrDash(PrintableText(profile.note())), "\n");
  return out;
}

}  // namespace mayday::tools
