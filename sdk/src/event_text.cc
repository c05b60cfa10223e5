// Event descriptions; see mayday/sdk/event_text.h.
#include "mayday/sdk/event_text.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace mayday::sdk {
namespace {

using mayday::v1::CaseEvent;

// "ETA 4 min".
std::string Eta(int32_t eta_seconds) { return absl::StrCat("ETA ", FormatEtaMinutes(eta_seconds)); }

// "1.2 km" or "350 m".
std::string Distance(double meters) {
  if (meters >= 1000) return absl::StrFormat("%.1f km", meters / 1000);
  return absl::StrFormat("%.0f m", meters);
}

std::string Where(const mayday::v1::Location& location) {
  std::string text =
      absl::StrFormat("%.5f, %.5f", location.latitude(), location.longitude());
  if (location.horizontal_accuracy_meters() > 0) {
    absl::StrAppend(
        &text,
        absl::StrFormat(" (+/-%.0f m)", location.horizontal_accuracy_meters()));
  }
  return text;
}

std::string KindName(mayday::v1::CaseKind kind) {
  switch (kind) {
    case mayday::v1::CASE_KIND_ROAD:
      return "road";
    case mayday::v1::CASE_KIND_MEDICAL:
      return "medical";
    default:
      return "unknown";
  }
}

std::string OfferEnded(const CaseEvent::OfferEnded& ended) {
  switch (ended.reason()) {
    case CaseEvent::OfferEnded::REASON_DECLINED:
      return absl::StrCat(ended.responder(), " declined");
    case CaseEvent::OfferEnded::REASON_EXPIRED:
      return absl::StrCat("offer to ", ended.responder(), " expired");
    case CaseEvent::OfferEnded::REASON_RESPONDER_UNAVAILABLE:
      return absl::StrCat(ended.responder(), " became unavailable");
    default:
      return absl::StrCat("offer to ", ended.responder(), " ended");
  }
}

std::string Progressed(const CaseEvent& event) {
  // Whoever moved the case on: the crew, or a care agent closing it.
  const std::string& who =
      event.actor().empty() ? event.progressed().responder() : event.actor();
  switch (event.state()) {
    case mayday::v1::CASE_STATE_EN_ROUTE:
      return absl::StrCat(who, " is on the way");
    case mayday::v1::CASE_STATE_ON_SCENE:
      return absl::StrCat(who, " is on scene");
    case mayday::v1::CASE_STATE_RESOLVED:
      return absl::StrCat(who, " resolved the case");
    default:
      return absl::StrCat(who, " reported progress");
  }
}

// Appends ": text" when text is not empty.
std::string WithText(std::string head, const std::string& text) {
  if (!text.empty()) absl::StrAppend(&head, ": ", text);
  return head;
}

}  // namespace

std::string FormatEtaMinutes(int32_t eta_seconds) {
  // In 64 bits: rounding up the largest int32 must not overflow.
  const int64_t minutes = eta_seconds <= 60 ? 1 : (int64_t{eta_seconds} + 59) / 60;
  return absl::StrCat(minutes, " min");
}

std::string StateName(mayday::v1::CaseState state) {
  if (!mayday::v1::CaseState_IsValid(state)) return absl::StrCat(state);
  absl::string_view name = mayday::v1::CaseState_Name(state);
  absl::ConsumePrefix(&name, "CASE_STATE_");
  return std::string(name);
}

std::string DescribeEvent(const CaseEvent& event) {
  switch (event.change_case()) {
    case CaseEvent::kRaised:
      return WithText(
          absl::StrCat(KindName(event.raised().kind()), " alert raised at ",
                       Where(event.raised().location())),
          event.raised().note());
    case CaseEvent::kOffered:
      return absl::StrCat("offered to ", event.offered().responder(), ", ",
                          Distance(event.offered().distance_meters()),
                          " away, ", Eta(event.offered().eta_seconds()));
    case CaseEvent::kOfferEnded:
      return OfferEnded(event.offer_ended());
    case CaseEvent::kAssigned:
      return absl::StrCat(event.assigned().responder(), " accepted, ",
                          Eta(event.assigned().eta_seconds()));
    case CaseEvent::kProgressed:
      return Progressed(event);
    case CaseEvent::kLocationUpdated:
      return absl::StrCat("location updated to ",
                          Where(event.location_updated().location()));
    case CaseEvent::kCancelled:
      return WithText(absl::StrCat("cancelled by ", event.actor(),
                                   event.cancelled().false_alarm() ? " (false alarm)" : ""),
                      event.cancelled().reason());
    case CaseEvent::kEscalated:
      return WithText("escalated to care agents", event.escalated().reason());
    case CaseEvent::kRedispatched:
      return "looking for a responder again";
    case CaseEvent::kMessagePosted:
      return absl::StrCat("message from ", event.message_posted().author(), ": ",
                          event.message_posted().text());
    case CaseEvent::kRated:
      return WithText(absl::StrCat("rated ", event.rated().rating().stars(), "/5"),
                      event.rated().rating().comment());
    case CaseEvent::kTaken:
      return absl::StrCat("taken by ", event.taken().operator_());
    case CaseEvent::kReleased:
      return "looking for a responder again";
    case CaseEvent::CHANGE_NOT_SET:
      break;
  }
  return "changed";
}

std::string FormatEventLine(const CaseEvent& event) {
  return absl::StrFormat("#%d %-11s %s", event.sequence(),
                         StateName(event.state()), DescribeEvent(event));
}

}  // namespace mayday::sdk
