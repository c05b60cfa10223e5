// How the SDK talks to maydayd: one gRPC channel per Client, tuned for
// phones on mobile networks, and the per-call context every RPC starts from.
#ifndef MAYDAY_SDK_SRC_CHANNEL_H_
#define MAYDAY_SDK_SRC_CHANNEL_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "mayday/sdk/client.h"

namespace mayday::sdk::internal {

// Keepalive policy. The server must accept pings this often on an open
// stream that carries no data
// (GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS
// <= kKeepaliveTimeMs), or it answers GOAWAY "too_many_pings".
inline constexpr int kKeepaliveTimeMs = 30000;
inline constexpr int kKeepaliveTimeoutMs = 10000;
inline constexpr int kKeepalivePermitWithoutCalls = 0;
// With several replicas (a target "ipv4:10.0.0.1:7433,10.0.0.2:7433", or a
// DNS name with several records): calls go round the replicas whose
// grpc.health.v1 says SERVING for mayday.v1.AlertService, so that one that
// lost its database or is draining is skipped (and not one whose dispatch
// stalled: it still stores alerts, which reach the care desk). With one
// address it is that address.
inline constexpr char kServiceConfig[] =
    R"({"loadBalancingConfig":[{"round_robin":{}}],"healthCheckConfig":{"serviceName":"mayday.v1.AlertService"}})";
// 0: keep pinging an idle watch stream for as long as it is open, so that a
// dead connection is noticed within about 40 s.
inline constexpr int kMaxPingsWithoutData = 0;

// Returns a channel to options.server over `credentials` (see
// credentials.h) with the keepalive policy and the spread over replicas
// above, reconnect backoff capped
// near options.max_backoff (gRPC's own default cap of 120 s would leave
// RaiseAlert failing fast for minutes after a network change), and the
// certificate name options.tls.server_name when set. Connects lazily.
std::shared_ptr<grpc::Channel> MakeChannel(
    const ClientOptions& options, const std::shared_ptr<grpc::ChannelCredentials>& credentials);

// Prepares `context` for one call: adds "authorization: Bearer <token>" and,
// unless `deadline` is absl::InfiniteFuture(), sets the deadline.
void PrepareContext(grpc::ClientContext* context, const std::string& token, absl::Time deadline);

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_CHANNEL_H_
