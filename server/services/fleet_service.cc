// A fleet's feed of positions; see fleet_service.h.
#include "services/fleet_service.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "services/dispatch_relay.h"
#include "services/fleet_batch.h"
#include "services/position_upload.h"

namespace mayday::server {
namespace {

// A fleet's batches: each checked whole (fleet_batch.h), then every
// position taken as its crew's own report would be.
class ReportPositionsReactor : public PositionUpload<mayday::v1::ReportPositionsRequest,
                                                     mayday::v1::ReportPositionsResponse> {
 public:
  ReportPositionsReactor(const ServiceContext& services, grpc::CallbackServerContext* context,
                         mayday::v1::ReportPositionsResponse* response, const absl::Status& here)
      : PositionUpload(services, context, response, here, Role::kFleet, "ReportPositions",
                       services.stream_caps.report_positions_per_fleet) {
    Start();
  }

 private:
  absl::Status Apply(const mayday::v1::ReportPositionsRequest& batch) override {
    if (absl::Status s = CheckFleetBatch(principal().subject, batch); !s.ok()) return s;
    int64_t skipped = 0;
    const absl::Time now = Now();
    for (const mayday::v1::FleetPosition& position : batch.positions()) {
      const absl::Status taken =
          Take(ResponderIdFromName(position.responder()), position.location(), now);
      // Only a crew dispatch does not know (never on duty) is refused here:
      // a feed reports every vehicle.
      if (absl::IsFailedPrecondition(taken)) ++skipped;
      if (!taken.ok() && !absl::IsFailedPrecondition(taken)) return taken;
    }
    absl::MutexLock lock(&mu_);
    skipped_ += skipped;
    return absl::OkStatus();
  }

  void Summarize(mayday::v1::ReportPositionsResponse& response) override
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    response.set_skipped_count(skipped_);
  }

  int64_t skipped_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

grpc::ServerReadReactor<mayday::v1::ReportPositionsRequest>* FleetServiceImpl::ReportPositions(
    grpc::CallbackServerContext* context, mayday::v1::ReportPositionsResponse* response) {
  absl::StatusOr<DispatchSite> site = services_.WhereDispatch(*context);
  if (site.ok() && *site == DispatchSite::kRelay) {
    return RelayReportPositions(services_, context, response);
  }
  return new ReportPositionsReactor(services_, context, response, site.status());
}

}  // namespace mayday::server
