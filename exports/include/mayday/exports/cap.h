// A case as an OASIS Common Alerting Protocol 1.2 alert message, for the
// emergency services and other systems that read CAP: one <alert> with one
// <info> (the kind as category and event, urgency, severity, certainty) and
// one <area> whose <circle> is the member's fix with its uncertainty as the
// radius. The choices, and why, are in docs/integrations.md. The member's
// medical profile is never part of it (a Case does not hold it).
#ifndef MAYDAY_EXPORTS_CAP_H_
#define MAYDAY_EXPORTS_CAP_H_

#include <string>

#include "absl/status/statusor.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::exports {

struct CapOptions {
  // <sender>: who issues the message, unique to the organisation (CAP:
  // "an email address or a domain name"); no spaces, commas, & or <.
  std::string sender = "mayday";
  // <senderName>: the organisation as people read it.
  std::string sender_name = "Mayday care desk";
};

// The case `c` (as stored: the desk's view) as a CAP 1.2 message, UTF-8 XML.
// Its <identifier> names the case and its last event ("mayday-ID-7"), <sent>
// is the case's last change; a case's first message is an Alert, later ones
// Updates (a cancelled case's a Cancel), each referring to the first.
// INVALID_ARGUMENT for a bad `options.sender`, or a case without a name,
// creation time or location.
absl::StatusOr<std::string> CaseToCap(const mayday::v1::Case& c, const CapOptions& options = {});

}  // namespace mayday::exports

#endif  // MAYDAY_EXPORTS_CAP_H_
