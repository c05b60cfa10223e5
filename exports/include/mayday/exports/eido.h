// A case as a NENA Emergency Incident Data Object (EIDO, NENA-STA-021.1,
// the JSON of its OpenAPI schema), for the emergency services' computer-aided
// dispatch: the incident (its common type and status), the member as the
// caller at a location given by value as PIDF-LO (a circle of the fix's
// 68 % radius, with that confidence), the crews as emergency resources, the
// care desk's dispatch as the agency and agent, and the case's timeline as
// notes. Registry values, and why each, are in docs/integrations.md. The
// member's medical profile is never part of it (a case does not hold it).
#ifndef MAYDAY_EXPORTS_EIDO_H_
#define MAYDAY_EXPORTS_EIDO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::exports {

struct EidoOptions {
  // The organisation's agency identifier, a domain ("care.example.org"):
  // the EIDO's owning agency and the root of every component's $id.
  std::string agency = "mayday.invalid";
  // Its type, from IANA's urn:emergency:service:responder registry without
  // the prefix ("ems" for a medical and roadside assistance desk).
  std::string agency_type = "ems";
};

// What is known of a crew besides its name: its capabilities (GetResponder),
// which give its resource type.
struct EidoCrew {
  std::string name;  // "responders/{id}"
  std::vector<mayday::v1::Capability> capabilities;
};

// The case `c` as the desk reads it, its timeline `events` (oldest first),
// and its crews' capabilities, as an EIDO JSON document. INVALID_ARGUMENT for
// a bad agency, or a case without a name, creation time or location.
absl::StatusOr<std::string> CaseToEido(const mayday::v1::Case& c,
                                       absl::Span<const mayday::v1::CaseEvent> events,
                                       absl::Span<const EidoCrew> crews,
                                       const EidoOptions& options = {});

}  // namespace mayday::exports

#endif  // MAYDAY_EXPORTS_EIDO_H_
