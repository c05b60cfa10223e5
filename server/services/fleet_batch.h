// A fleet's batch of positions (FleetService.ReportPositions), checked
// whole before any of it is taken: every position valid as a crew's own
// report must be, and every responder one of the fleet's crews (its id the
// fleet's name, a dash and more). Pure; used where the batch is taken and
// where a standby relays it.
#ifndef MAYDAY_SERVER_SERVICES_FLEET_BATCH_H_
#define MAYDAY_SERVER_SERVICES_FLEET_BATCH_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "mayday/v1/fleet_service.pb.h"

namespace mayday::server {

// The most positions one batch may hold: about 55 KB with short crew ids,
// within the 64 KiB the server reads of any one message.
inline constexpr int kMaxFleetBatch = 1'000;

// Whether responder `responder_id` is one of fleet `fleet`'s crews.
bool InFleet(absl::string_view fleet, absl::string_view responder_id);

// OK if `batch` may be taken whole for fleet `fleet`. Otherwise the first
// fault, naming the position ("positions[17] (responders/acme-3)"):
// INVALID_ARGUMENT for an empty or oversized batch, a malformed responder
// name or an invalid location; PERMISSION_DENIED for a crew outside the
// fleet.
absl::Status CheckFleetBatch(absl::string_view fleet,
                             const mayday::v1::ReportPositionsRequest& batch);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_FLEET_BATCH_H_
