// A fleet's batch, checked whole; see fleet_batch.h.
#include "services/fleet_batch.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "rpc/validation.h"

namespace mayday::server {

bool InFleet(absl::string_view fleet, absl::string_view responder_id) {
  return responder_id.size() > fleet.size() + 1 && absl::StartsWith(responder_id, fleet) &&
         responder_id[fleet.size()] == '-';
}

absl::Status CheckFleetBatch(absl::string_view fleet,
                             const mayday::v1::ReportPositionsRequest& batch) {
  if (batch.positions_size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("positions: a batch holds 1 to ", kMaxFleetBatch, " positions, not 0"));
  }
  if (batch.positions_size() > kMaxFleetBatch) {
    return absl::InvalidArgumentError(absl::StrCat("positions: a batch holds 1 to ", kMaxFleetBatch,
                                                   " positions, not ", batch.positions_size(),
                                                   ": send more batches"));
  }
  for (int i = 0; i < batch.positions_size(); ++i) {
    const mayday::v1::FleetPosition& position = batch.positions(i);
    const std::string field = absl::StrCat("positions[", i, "]");
    absl::StatusOr<std::string> id =
        ParseSubjectName(absl::StrCat(field, ".responder"), position.responder(), kResponders);
    if (!id.ok()) return id.status();
    if (!InFleet(fleet, *id)) {
      return absl::PermissionDeniedError(absl::StrCat(
          field, ": ", position.responder(), " is not a crew of fleet ", fleet, " (its crews are ",
          ResponderName(absl::StrCat(fleet, "-...")), "); nothing of this batch was taken"));
    }
    if (absl::Status s = ValidateLocation(absl::StrCat(field, ".location"), position.location(),
                                          position.has_location());
        !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(s.message(), " (", position.responder(),
                                                 "); nothing of this batch was taken"));
    }
  }
  return absl::OkStatus();
}

}  // namespace mayday::server
