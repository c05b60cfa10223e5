// maydayctl's whole-service commands: stats (figures over a time window) and
// export (open cases and responders as GeoJSON). They fetch with
// OperatorService and hand the data to the pure functions of stats.h and
// geojson.h.
#include <iostream>
#include <memory>
#include <vector>

#include "absl/time/clock.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "maydayctl/commands.h"
#include "maydayctl/format.h"
#include "maydayctl/geojson.h"
#include "maydayctl/operator_call.h"
#include "maydayctl/rpc.h"
#include "maydayctl/stats.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

}  // namespace

absl::Status ShowStats(const CtlOptions& options, absl::Duration window) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  // The server filters on create_time.
  v1::ListAllCasesRequest request;
  *request.mutable_min_create_time() = ToTimestamp(absl::Now() - window);
  absl::StatusOr<std::vector<v1::Case>> cases = ListAllCases(**stub, options, request);
  if (!cases.ok()) return cases.status();

  std::vector<v1::CaseEvent> events;
  for (const v1::Case& c : *cases) {
    absl::StatusOr<v1::ListCaseEventsResponse> timeline =
        ListAllCaseEvents(**stub, options, c.name());
    if (!timeline.ok()) return timeline.status();
    events.insert(events.end(), timeline->events().begin(), timeline->events().end());
  }

  const ServiceStats stats = ComputeStats(*cases, events);
  if (options.json) {
    std::cout << FormatStatsJson(stats, window) << '\n';
  } else {
    std::cout << FormatStatsTable(stats, window);
  }
  return absl::OkStatus();
}

absl::Status ExportGeoJson(const CtlOptions& options) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();

  v1::ListAllCasesRequest request;
  for (v1::CaseState open :
       {v1::CASE_STATE_DISPATCHING, v1::CASE_STATE_ASSIGNED, v1::CASE_STATE_EN_ROUTE,
        v1::CASE_STATE_ON_SCENE, v1::CASE_STATE_ESCALATED}) {
    request.add_states(open);
  }
  absl::StatusOr<std::vector<v1::Case>> cases = ListAllCases(**stub, options, request);
  if (!cases.ok()) return cases.status();

  absl::StatusOr<v1::ListRespondersResponse> responders = ListAllResponders(**stub, options);
  if (!responders.ok()) return responders.status();
  std::vector<v1::Responder> all_responders(responders->responders().begin(),
                                            responders->responders().end());
  std::cout << BuildGeoJson(*cases, all_responders, absl::Now());
  return absl::OkStatus();
}

}  // namespace mayday::tools
