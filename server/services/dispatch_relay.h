// A standby replica's way to dispatch. Replicas of one PostgreSQL database
// serve members and care agents' reads themselves, but only the replica
// that holds dispatch (store/dispatch_lease.h) runs the engine: a crew's
// duty, positions, offer stream and answers, and a care agent's hold,
// assignment and view of crews, need it. A standby relays those calls to
// the holder, as their caller: it checks the caller and the request
// first, then makes the same call on the holder with the caller's
// "authorization" and returns the holder's answer. So a crew or a care
// agent may use any replica, and its phone or console never needs to know
// which one dispatches.
//
//   - Unary calls wait for the holder at most `unary_deadline` (or the
//     caller's own deadline if sooner).
//   - A relayed Subscribe (or a member's WatchCrew: crews report where
//     dispatch runs) is the holder's stream passed through: its
//     headers once the holder attached it, then each update; when the
//     holder's stream ends (it stopped, or dispatch moved), so does the
//     crew's, with that status, and the crew subscribes again.
//   - A relayed ReportLocation sends each report (checked here first) on
//     to the holder, reading the crew's next only once the holder took the
//     last, and answers with the holder's summary.
//   - A relayed call is marked, and a replica that does not hold dispatch
//     refuses a marked call rather than relay it again: during a take-over
//     the caller gets UNAVAILABLE and retries, no call goes round in
//     circles.
#ifndef MAYDAY_SERVER_SERVICES_DISPATCH_RELAY_H_
#define MAYDAY_SERVER_SERVICES_DISPATCH_RELAY_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/fleet_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "mayday/v1/responder_service.grpc.pb.h"

namespace mayday::server {

struct ServiceContext;

struct DispatchRelayOptions {
  // Where the replica that holds dispatch is reached now ("host:port"), or
  // nullopt when none is known (no live lease).
  std::function<std::optional<std::string>()> holder;
  // How this replica connects to the others: insecure, or TLS trusting
  // their certificates' CA.
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  // The longest a relayed unary call waits for the holder.
  absl::Duration unary_deadline = absl::Seconds(5);
};

// Thread-safe.
class DispatchRelay {
 public:
  explicit DispatchRelay(DispatchRelayOptions options) : options_(std::move(options)) {}

  // Whether `context`'s call was relayed here by another replica.
  static bool Relayed(const grpc::ServerContextBase& context);

  // A channel to the holder (reused while it stays the holder), and its
  // address. UNAVAILABLE when no replica holds dispatch now.
  struct Holder {
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
  };
  absl::StatusOr<Holder> FindHolder();

  // Makes `to` carry `from`'s caller: its "authorization" metadata and the
  // relay's mark; with `unary`, also the unary deadline.
  void Carry(const grpc::ServerContextBase& from, grpc::ClientContext* to, bool unary) const;

  // Calls `method` (a generated Stub's blocking unary method, such as
  // &mayday::v1::ResponderService::Stub::SetDuty) on the holder as
  // `from`'s caller; the holder's status, with the holder named in the
  // message when it could not be reached or answer in time.
  template <typename Stub, typename Request, typename Response>
  absl::Status Unary(const grpc::ServerContextBase& from,
                     grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                     const Request& request, Response* response) {
    absl::StatusOr<Holder> holder = FindHolder();
    if (!holder.ok()) return holder.status();
    grpc::ClientContext context;
    Carry(from, &context, /*unary=*/true);
    Stub stub(holder->channel);
    return FromHolder(holder->address, (stub.*method)(&context, request, response));
  }

  // `status`, as the holder at `address` answered it.
  static absl::Status FromHolder(const std::string& address, const grpc::Status& status);

 private:
  const DispatchRelayOptions options_;
  absl::Mutex mu_;
  std::optional<Holder> holder_ ABSL_GUARDED_BY(mu_);  // the last one found
};

// Where other replicas reach one that listens on `listen_address` and got
// `port`: the same host, unless it listens on every address (then this
// machine's name, `host`).
std::string AdvertisedAddress(absl::string_view listen_address, absl::string_view host, int port);

// The relayed streams: `services.relay` must be set. The caller was not
// checked yet: these check it (a responder; a member for WatchCrew; a fleet
// for ReportPositions), then
// relay.
grpc::ServerWriteReactor<mayday::v1::ResponderUpdate>* RelaySubscribe(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    const mayday::v1::SubscribeRequest& request);
// `desk`: OperatorService.WatchCrew (an agent's), else AlertService's.
grpc::ServerWriteReactor<mayday::v1::CrewPosition>* RelayWatchCrew(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    const mayday::v1::WatchCrewRequest& request, bool desk = false);
grpc::ServerReadReactor<mayday::v1::ReportLocationRequest>* RelayReportLocation(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    mayday::v1::ReportLocationResponse* response);
grpc::ServerReadReactor<mayday::v1::ReportPositionsRequest>* RelayReportPositions(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    mayday::v1::ReportPositionsResponse* response);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_SERVICES_DISPATCH_RELAY_H_
