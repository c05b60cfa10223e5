// The case as a CAP 1.2 alert; see cap.h and docs/integrations.md.
#include "mayday/exports/cap.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "xml.h"

namespace mayday::exports {
namespace {

using mayday::v1::Case;

constexpr char kCapNamespace[] = "urn:oasis:names:tc:emergency:cap:1.2";

// CAP's dateTime: whole seconds, and UTC written "-00:00" (CAP 1.2 §3.3.2:
// alphabetic time zone designators such as "Z" must not be used).
std::string CapTime(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S-00:00", absl::FromUnixSeconds(t.seconds()),
                          absl::UTCTimeZone());
}

bool Closed(const Case& c) {
  return c.state() == mayday::v1::CASE_STATE_RESOLVED ||
         c.state() == mayday::v1::CASE_STATE_CANCELLED;
}

// "ASSIGNED" from CASE_STATE_ASSIGNED.
std::string StateName(mayday::v1::CaseState state) {
  const std::string& full = mayday::v1::CaseState_Name(state);
  return std::string(absl::StripPrefix(full, "CASE_STATE_"));
}

absl::Status CheckSender(const std::string& sender) {
  if (sender.empty() || sender.find_first_of(" \t\n\r,&<") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the CAP sender \"", sender, "\" must be non-empty, without spaces, commas, & or <"));
  }
  return absl::OkStatus();
}

// The headline (CAP: under 160 characters): what and where it stands.
std::string Headline(const Case& c, const std::string& event) {
  switch (c.state()) {
    case mayday::v1::CASE_STATE_DISPATCHING:
      return event + ": looking for a crew";
    case mayday::v1::CASE_STATE_ESCALATED:
      return event + ": no crew found, the care desk is on it";
    case mayday::v1::CASE_STATE_ASSIGNED:
    case mayday::v1::CASE_STATE_EN_ROUTE:
      return event + ": a crew is on its way";
    case mayday::v1::CASE_STATE_ON_SCENE:
      return event + ": the crew is on scene";
    case mayday::v1::CASE_STATE_RESOLVED:
      return event + ": resolved";
    case mayday::v1::CASE_STATE_CANCELLED:
      return event + ": cancelled";
    default:
      return event;
  }
}

// The description: the member, their note, the crews, the alarms.
std::string Description(const Case& c) {
  std::string out = absl::StrCat("Raised by ", c.member(),
                                 " through the Mayday app. State: ", StateName(c.state()), ".");
  if (!c.note().empty()) absl::StrAppend(&out, " The member wrote: \"", c.note(), "\".");
  if (!c.responder().empty()) {
    absl::StrAppend(&out, " Crew: ", c.responder());
    if (c.eta_seconds() > 0) absl::StrAppend(&out, ", ETA at acceptance ", c.eta_seconds(), " s");
    absl::StrAppend(&out, ".");
  }
  if (!c.second_responder().empty()) {
    absl::StrAppend(&out, " A second crew is coming too: ", c.second_responder(), ".");
  }
  if (c.has_stall()) absl::StrAppend(&out, " The crew seems stalled: ", c.stall().words(), ".");
  if (c.has_duress()) {
    absl::StrAppend(&out,
                    " DURESS: the member cancelled with the duress PIN; their phone shows the "
                    "case cancelled. Help goes on; do not contact them in a way that could give "
                    "them away.");
  }
  if (c.state() == mayday::v1::CASE_STATE_CANCELLED && !c.cancel_reason().empty()) {
    absl::StrAppend(&out, " Cancelled: \"", c.cancel_reason(), "\".");
  }
  return out;
}

void Element(std::string& out, int depth, absl::string_view name, absl::string_view text) {
  absl::StrAppend(&out, std::string(2 * depth, ' '), "<", name, ">", XmlText(text), "</", name,
                  ">\n");
}

void Parameter(std::string& out, absl::string_view name, absl::string_view value) {
  absl::StrAppend(&out, "    <parameter>\n");
  Element(out, 3, "valueName", name);
  Element(out, 3, "value", value);
  absl::StrAppend(&out, "    </parameter>\n");
}

}  // namespace

absl::StatusOr<std::string> CaseToCap(const Case& c, const CapOptions& options) {
  if (auto s = CheckSender(options.sender); !s.ok()) return s;
  if (!absl::StartsWith(c.name(), "cases/") || !c.has_create_time() || !c.has_location()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the case \"", c.name(), "\" lacks a name, a creation time or a location"));
  }
  const std::string id(absl::StripPrefix(c.name(), "cases/"));
  const bool medical = c.kind() == mayday::v1::CASE_KIND_MEDICAL;
  const std::string event = medical ? "Medical emergency" : "Roadside emergency";
  const int64_t sequence = c.last_sequence() > 0 ? c.last_sequence() : 1;
  const std::string msg_type = c.state() == mayday::v1::CASE_STATE_CANCELLED ? "Cancel"
                               : sequence == 1                               ? "Alert"
                                                                             : "Update";
  const google::protobuf::Timestamp& sent = c.has_update_time() ? c.update_time() : c.create_time();

  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  absl::StrAppend(&out, "<alert xmlns=\"", kCapNamespace, "\">\n");
  Element(out, 1, "identifier", absl::StrCat("mayday-", id, "-", sequence));
  Element(out, 1, "sender", options.sender);
  Element(out, 1, "sent", CapTime(sent));
  Element(out, 1, "status", "Actual");
  Element(out, 1, "msgType", msg_type);
  Element(out, 1, "source", "Mayday");
  // A person's emergency, with their location: not for the public.
  Element(out, 1, "scope", "Restricted");
  Element(out, 1, "restriction",
          "Personal data of a person who asked for help: for the emergency services and the "
          "care desk handling the case only");
  if (msg_type == "Cancel" && !c.cancel_reason().empty()) {
    Element(out, 1, "note", absl::StrCat("Cancelled: ", c.cancel_reason()));
  }
  if (msg_type != "Alert") {
    // The case's first message: "sender,identifier,sent".
    Element(out, 1, "references",
            absl::StrCat(options.sender, ",mayday-", id, "-1,", CapTime(c.create_time())));
  }
  Element(out, 1, "incidents", c.name());

  absl::StrAppend(&out, "  <info>\n");
  Element(out, 2, "language", "en-US");
  Element(out, 2, "category", medical ? "Health" : "Transport");
  Element(out, 2, "event", event);
  Element(out, 2, "urgency", Closed(c) ? "Past" : "Immediate");
  Element(out, 2, "severity", medical ? "Severe" : "Moderate");
  Element(out, 2, "certainty", "Observed");
  Element(out, 2, "senderName", options.sender_name);
  Element(out, 2, "headline", Headline(c, event));
  Element(out, 2, "description", Description(c));
  Parameter(out, "mayday:case", c.name());
  Parameter(out, "mayday:state", StateName(c.state()));
  if (!c.responder().empty()) Parameter(out, "mayday:responder", c.responder());
  if (!c.second_responder().empty()) {
    Parameter(out, "mayday:second_responder", c.second_responder());
  }
  const double accuracy = c.location().horizontal_accuracy_meters();
  absl::StrAppend(&out, "    <area>\n");
  Element(out, 3, "areaDesc",
          accuracy > 0
              ? absl::StrFormat("Where the member's phone placed them, within %.0f m", accuracy)
              : std::string("Where the member's phone placed them (accuracy unknown)"));
  // "lat,lon radius", WGS 84 degrees and kilometres.
  Element(out, 3, "circle",
          absl::StrFormat("%.6f,%.6f %.3f", c.location().latitude(), c.location().longitude(),
                          accuracy / 1000.0));
  absl::StrAppend(&out, "    </area>\n  </info>\n</alert>\n");
  return out;
}

}  // namespace mayday::exports
