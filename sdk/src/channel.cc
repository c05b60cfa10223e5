// Channel construction and per-call context; see channel.h.
#include "channel.h"

#include <grpc/grpc.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

#ifndef MAYDAY_SDK_VERSION
#define MAYDAY_SDK_VERSION "0"
#endif

namespace mayday::sdk::internal {

std::shared_ptr<grpc::Channel> MakeChannel(
    const ClientOptions& options, const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  grpc::ChannelArguments args;
  args.SetUserAgentPrefix("mayday-sdk/" MAYDAY_SDK_VERSION);
  args.SetServiceConfigJSON(kServiceConfig);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, kKeepalivePermitWithoutCalls);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, kMaxPingsWithoutData);
  const int max_reconnect_ms = static_cast<int>(
      std::clamp<int64_t>(absl::ToInt64Milliseconds(options.max_backoff), 1000, 30000));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::min(1000, max_reconnect_ms));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, max_reconnect_ms);
  if (options.tls.enabled && !options.tls.server_name.empty()) {
    args.SetSslTargetNameOverride(options.tls.server_name);
  }
  return grpc::CreateCustomChannel(options.server, credentials, args);
}

void PrepareContext(grpc::ClientContext* context, const std::string& token, absl::Time deadline) {
  context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  if (deadline != absl::InfiniteFuture()) {
    context->set_deadline(absl::ToChronoTime(deadline));
  }
}

}  // namespace mayday::sdk::internal
