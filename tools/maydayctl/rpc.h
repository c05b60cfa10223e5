// What every Mayday command-line tool does at the gRPC edge: open a channel
// to the server, attach the bearer token and a deadline to a call, and turn a
// grpc::Status into an absl::Status and the one-line error users see.
#ifndef MAYDAY_TOOLS_MAYDAYCTL_RPC_H_
#define MAYDAY_TOOLS_MAYDAYCTL_RPC_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace mayday::tools {

// How to reach the server.
struct ServerOptions {
  // "host:port" or any gRPC target ("dns:///host:port", "unix:/path").
  std::string address;
  // Use TLS instead of plaintext.
  bool tls = false;
  // With tls: PEM file of the roots to trust; empty means the system roots.
  std::string ca_file;
};

// Opens a channel (connection is lazy; errors surface on the first call).
// Keepalive pings are on so that broken streams are noticed. INVALID_ARGUMENT
// for an empty address, NOT_FOUND when ca_file cannot be read.
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(
    const ServerOptions& options);

// Adds "authorization: Bearer <token>" (unless token is empty) and, when
// timeout is positive and finite, a deadline that far from now.
void PrepareContext(grpc::ClientContext* context, absl::string_view token,
                    absl::Duration timeout);

// The same code and message as an absl::Status (the numbers are equal).
absl::Status FromGrpc(const grpc::Status& status);

// "UNAVAILABLE: failed to connect": how the tools print a failed call.
std::string DescribeStatus(const absl::Status& status);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_MAYDAYCTL_RPC_H_
