// The one wording of case events, for the phone and the desk; see
// mayday/sdk/event_text.h. Every sentence is built once here; EventReader
// only decides how care agents are named and whether the crew's position
// is added.
#include "mayday/sdk/event_text.h"

#include <cmath>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace mayday::sdk {
namespace {

namespace v1 = ::mayday::v1;
using v1::CaseEvent;

// True for a care agent's name, "operators/{id}".
bool IsOperator(absl::string_view name) { return absl::StartsWith(name, "operators/"); }

// A name as `reader` may see it: "-" when empty; a care agent's as "a care
// agent" for a member.
std::string Who(absl::string_view name, EventReader reader) {
  if (name.empty()) return "-";
  if (reader == EventReader::kMember && IsOperator(name)) return "a care agent";
  return PrintableText(name);
}

// "(1.2 km, ETA 2 min)".
std::string DistanceAndEta(double distance_meters, int32_t eta_seconds) {
  return absl::StrCat("(", FormatDistance(distance_meters), ", ETA ", FormatEtaMinutes(eta_seconds),
                      ")");
}

// `head`, or "head: text" when a text was given.
std::string WithText(std::string head, absl::string_view text) {
  if (!text.empty()) absl::StrAppend(&head, ": ", PrintableText(text));
  return head;
}

// ", <label> 52.37000, 4.89000" for staff when the crew's position is known;
// nothing otherwise.
std::string CrewPosition(absl::string_view label, bool known, const v1::Location& location,
                         EventReader reader) {
  if (!known || reader != EventReader::kStaff) return "";
  return absl::StrCat(", ", label, " ", FormatLocation(location));
}

std::string Raised(const CaseEvent::Raised& raised) {
  std::string out = raised.kind() == v1::CASE_KIND_UNSPECIFIED
                        ? "alert raised"
                        : absl::StrCat(KindName(raised.kind()), " alert raised");
  if (raised.has_location()) absl::StrAppend(&out, " at ", FormatLocation(raised.location()));
  if (!raised.note().empty()) {
    absl::StrAppend(&out, ", note \"", PrintableText(raised.note()), "\"");
  }
  return out;
}

std::string OfferEnded(const CaseEvent::OfferEnded& ended, EventReader reader) {
  const std::string responder = Who(ended.responder(), reader);
  switch (ended.reason()) {
    case CaseEvent::OfferEnded::REASON_DECLINED:
      return absl::StrCat("declined by ", responder);
    case CaseEvent::OfferEnded::REASON_EXPIRED:
      return absl::StrCat("offer to ", responder, " expired");
    case CaseEvent::OfferEnded::REASON_RESPONDER_UNAVAILABLE:
      return absl::StrCat("offer to ", responder, " ended: responder unavailable");
    case CaseEvent::OfferEnded::REASON_WITHDRAWN:
      return absl::StrCat("offer to ", responder, " withdrawn");
    case CaseEvent::OfferEnded::REASON_MEMBER_MOVED:
      return absl::StrCat("offer to ", responder,
                          " withdrawn: the member moved, a nearer crew is asked");
    default:
      return absl::StrCat("offer to ", responder, " ended");
  }
}

std::string OfferEndedText(const CaseEvent::OfferEnded& ended, EventReader reader) {
  std::string out = OfferEnded(ended, reader);
  if (ended.second_crew()) absl::StrAppend(&out, " (a second crew)");
  return out;
}

// A care agent kept one of two crews, or stopped looking for a second.
std::string CrewKept(const CaseEvent::CrewKept& kept, EventReader reader) {
  const std::string crew = Who(kept.responder(), reader);
  if (kept.released().empty()) {
    return absl::StrCat(crew, " stays on the case: no second crew is sought any more");
  }
  return absl::StrCat(crew, " stays on the case; ", Who(kept.released(), reader),
                      " was sent away by ", Who(kept.operator_(), reader));
}

// Who assigned the case decides the verb: the crew accepted an offer (the
// actor is the responder), or a care agent assigned it by hand (the actor is
// the agent).
std::string Assigned(const CaseEvent& event, EventReader reader) {
  const CaseEvent::Assigned& assigned = event.assigned();
  const std::string responder = Who(assigned.responder(), reader);
  const std::string figures = DistanceAndEta(assigned.distance_meters(), assigned.eta_seconds());
  std::string out;
  if (assigned.second_crew()) {
    out = absl::StrCat(responder, " comes too, as a second crew ", figures);
  } else if (IsOperator(event.actor())) {
    out = absl::StrCat("assigned to ", responder, " by ", Who(event.actor(), reader), " ", figures);
  } else if (event.actor().empty() || event.actor() == assigned.responder()) {
    out = absl::StrCat(responder, " accepted ", figures);
  } else {
    out = absl::StrCat("assigned to ", responder, " ", figures);
  }
  absl::StrAppend(&out, CrewPosition("from", assigned.has_responder_location(),
                                     assigned.responder_location(), reader));
  return out;
}

// The crew's progress. A care agent's ResolveCase is a progress event too,
// whose actor is the agent (and whose responder is the crew, if any): then
// the agent moved the case on.
std::string Progressed(const CaseEvent& event, EventReader reader) {
  const CaseEvent::Progressed& progressed = event.progressed();
  const bool by_agent = IsOperator(event.actor()) || progressed.responder().empty();
  const std::string who = Who(by_agent ? event.actor() : progressed.responder(), reader);
  std::string out;
  switch (event.state()) {
    case v1::CASE_STATE_EN_ROUTE:
      out = absl::StrCat(who, " is on the way");
      break;
    case v1::CASE_STATE_ON_SCENE:
      out = absl::StrCat(who, " is on scene");
      break;
    case v1::CASE_STATE_RESOLVED:
      out = absl::StrCat("resolved by ", who);
      break;
    default:
      out = absl::StrCat(who, " reported ", StateName(event.state()));
  }
  absl::StrAppend(&out, CrewPosition("at", progressed.has_responder_location(),
                                     progressed.responder_location(), reader));
  return out;
}

std::string Cancelled(const CaseEvent& event, EventReader reader) {
  std::string head = "cancelled";
  if (!event.actor().empty()) absl::StrAppend(&head, " by ", Who(event.actor(), reader));
  if (event.cancelled().false_alarm()) absl::StrAppend(&head, " (false alarm)");
  return WithText(std::move(head), event.cancelled().reason());
}

// Dispatch escalates by itself; a care agent may too (EscalateCase), and
// then the desk says who.
std::string Escalated(const CaseEvent& event, EventReader reader) {
  std::string head = "escalated to care agents";
  if (reader == EventReader::kStaff && IsOperator(event.actor())) {
    absl::StrAppend(&head, " by ", Who(event.actor(), reader));
  }
  return WithText(std::move(head), event.escalated().reason());
}

// The actor released the case; the agent who owned it may be another one,
// which the desk is told.
std::string Released(const CaseEvent& event, EventReader reader) {
  const std::string& owner = event.released().operator_();
  const std::string& releaser = event.actor().empty() ? owner : event.actor();
  std::string out = absl::StrCat("released by ", Who(releaser, reader));
  if (reader == EventReader::kStaff && !owner.empty() && owner != releaser) {
    absl::StrAppend(&out, " (owned by ", Who(owner, reader), ")");
  }
  absl::StrAppend(&out, ": looking for a responder again");
  return out;
}

}  // namespace

std::string StateName(v1::CaseState state) {
  if (!v1::CaseState_IsValid(state)) return absl::StrCat("STATE_", static_cast<int>(state));
  return std::string(absl::StripPrefix(v1::CaseState_Name(state), "CASE_STATE_"));
}

std::string KindName(v1::CaseKind kind) {
  if (kind == v1::CASE_KIND_UNSPECIFIED) return "-";
  if (!v1::CaseKind_IsValid(kind)) return absl::StrCat("kind_", static_cast<int>(kind));
  return absl::AsciiStrToLower(absl::StripPrefix(v1::CaseKind_Name(kind), "CASE_KIND_"));
}

std::string FormatEtaMinutes(int32_t eta_seconds) {
  // In 64 bits: rounding up the largest int32 must not overflow.
  const int64_t minutes = eta_seconds <= 60 ? 1 : (int64_t{eta_seconds} + 59) / 60;
  return absl::StrCat(minutes, " min");
}

std::string FormatDistance(double meters) {
  if (!std::isfinite(meters) || meters < 0) return "-";
  const long long whole_meters = std::llround(meters);
  if (whole_meters < 1000) return absl::StrCat(whole_meters, " m");
  const double km = meters / 1000.0;
  if (std::round(km * 10.0) / 10.0 < 100.0) return absl::StrFormat("%.1f km", km);
  return absl::StrFormat("%.0f km", km);
}

std::string FormatLocation(const v1::Location& location) {
  std::string out = absl::StrFormat("%.5f, %.5f", location.latitude(), location.longitude());
  if (location.horizontal_accuracy_meters() > 0) {
    absl::StrAppend(&out, " (±", FormatDistance(location.horizontal_accuracy_meters()), ")");
  }
  return out;
}

std::string PrintableText(absl::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) c = ' ';
  }
  return out;
}

std::string DescribeRating(const v1::Rating& rating) {
  std::string out = absl::StrCat("rated ", rating.stars(), "/5");
  if (!rating.comment().empty()) {
    absl::StrAppend(&out, " \"", PrintableText(rating.comment()), "\"");
  }
  return out;
}

std::string DescribeEvent(const CaseEvent& event, EventReader reader) {
  switch (event.change_case()) {
    case CaseEvent::kRaised:
      return Raised(event.raised());
    case CaseEvent::kOffered:
      return absl::StrCat(
          event.offered().second_crew() ? "a second crew is asked: offered to " : "offered to ",
          Who(event.offered().responder(), reader), " ",
          DistanceAndEta(event.offered().distance_meters(), event.offered().eta_seconds()));
    case CaseEvent::kOfferEnded:
      return OfferEndedText(event.offer_ended(), reader);
    case CaseEvent::kAssigned:
      return Assigned(event, reader);
    case CaseEvent::kProgressed:
      return Progressed(event, reader);
    case CaseEvent::kLocationUpdated:
      return absl::StrCat("member moved to ", FormatLocation(event.location_updated().location()));
    case CaseEvent::kCancelled:
      return Cancelled(event, reader);
    case CaseEvent::kEscalated:
      return Escalated(event, reader);
    case CaseEvent::kRedispatched:
      return "looking for a responder again";
    case CaseEvent::kMessagePosted:
      return absl::StrCat("message from ", Who(event.message_posted().author(), reader), ": \"",
                          PrintableText(event.message_posted().text()), "\"");
    case CaseEvent::kRated:
      return DescribeRating(event.rated().rating());
    case CaseEvent::kTaken:
      return absl::StrCat("taken by ", Who(event.taken().operator_(), reader));
    case CaseEvent::kReleased:
      return Released(event, reader);
    case CaseEvent::kCancelRefused:
      return event.cancel_refused().locked()
                 ? absl::StrCat("cancel refused: wrong PIN (",
                                event.cancel_refused().failed_attempts(),
                                "), no more attempts: a care agent will call")
                 : absl::StrCat("cancel refused: wrong PIN (",
                                event.cancel_refused().failed_attempts(), ")");
    case CaseEvent::kDuressCancelled:
      // Staff only: a member's token is never sent this event.
      return absl::StrCat("DURESS: the member cancelled with the duress PIN (\"",
                          PrintableText(event.duress_cancelled().reason()),
                          "\"); the member's phone shows the case cancelled, help goes on");
    case CaseEvent::kStalled:
      // The words name the crew and the figures; the member hears that the
      // desk knows.
      return reader == EventReader::kMember
                 ? absl::StrCat("your crew ", Who(event.stalled().responder(), reader),
                                " seems delayed: ", PrintableText(event.stalled().words()),
                                "; the care desk is checking")
                 : absl::StrCat("CREW STALLED: ", PrintableText(event.stalled().words()));
    case CaseEvent::kFixRequested:
      return absl::StrCat("a fresh location was asked for: ",
                          PrintableText(event.fix_requested().words()));
    case CaseEvent::kCrewKept:
      return CrewKept(event.crew_kept(), reader);
    case CaseEvent::CHANGE_NOT_SET:
      break;
  }
  return "(unknown change)";
}

std::string FormatCrewLine(const mayday::v1::CrewPosition& position) {
  return absl::StrCat("crew ", FormatDistance(position.distance_meters()), " away, ETA ",
                      FormatEtaMinutes(position.eta_seconds()), ", at ",
                      FormatLocation(position.location()));
}

std::string FormatEventLine(const CaseEvent& event, EventReader reader) {
  return absl::StrFormat("#%d %-11s %s", event.sequence(), StateName(event.state()),
                         DescribeEvent(event, reader));
}

}  // namespace mayday::sdk
