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

// The largest page ListCases allows.
constexpr int kCasePageSize = 100;

}  // namespace

absl::Status ShowStats(const CtlOptions& options, absl::Duration window) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  const absl::Time cutoff = absl::Now() - window;

  // ListCases is newest first: stop at the first case older than the window.
  std::vector<v1::Case> cases;
  v1::ListAllCasesRequest request;
  request.set_page_size(kCasePageSize);
  bool done = false;
  while (!done) {
    v1::ListCasesResponse page;
    absl::Status status =
        FromGrpc((*stub)->ListCases(NewCallContext(options).get(), request, &page));
    if (!status.ok()) return status;
    for (const v1::Case& c : page.cases()) {
      if (ToTime(c.create_time()) < cutoff) {
        done = true;
        break;
      }
      cases.push_back(c);
    }
    if (page.next_page_token().empty()) done = true;
    request.set_page_token(page.next_page_token());
  }

  std::vector<v1::CaseEvent> events;
  for (const v1::Case& c : cases) {
    absl::StatusOr<v1::ListCaseEventsResponse> timeline =
        ListAllCaseEvents(**stub, options, c.name());
    if (!timeline.ok()) return timeline.status();
    events.insert(events.end(), timeline->events().begin(), timeline->events().end());
  }

  const ServiceStats stats = ComputeStats(cases, events);
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

  std::vector<v1::Case> cases;
  v1::ListAllCasesRequest request;
  for (v1::CaseState open :
       {v1::CASE_STATE_DISPATCHING, v1::CASE_STATE_ASSIGNED, v1::CASE_STATE_EN_ROUTE,
        v1::CASE_STATE_ON_SCENE, v1::CASE_STATE_ESCALATED}) {
    request.add_states(open);
  }
  request.set_page_size(kCasePageSize);
  while (true) {
    v1::ListCasesResponse page;
    absl::Status status =
        FromGrpc((*stub)->ListCases(NewCallContext(options).get(), request, &page));
    if (!status.ok()) return status;
    cases.insert(cases.end(), page.cases().begin(), page.cases().end());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }

  absl::StatusOr<v1::ListRespondersResponse> responders = ListAllResponders(**stub, options);
  if (!responders.ok()) return responders.status();
  std::vector<v1::Responder> all_responders(responders->responders().begin(),
                                            responders->responders().end());
  std::cout << BuildGeoJson(cases, all_responders, absl::Now());
  return absl::OkStatus();
}

}  // namespace mayday::tools
