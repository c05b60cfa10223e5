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
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "grpcpp/support/status.h"

namespace mayday::tools {

// How to reach the server.
struct ServerOptions {
  // "host:port" or any gRPC target ("dns:///host:port", "unix:/path"); for
  // several replicas, "ipv4:h1:p1,h2:p2" or "dns:///name:port".
  std::string address;
  // Use TLS instead of plaintext. Any of the files or server_name below
  // implies it.
  bool tls = false;
  // PEM file of the CA certificates to trust; empty means the system roots.
  std::string ca_file;
  // Mutual TLS (maydayd --tls-client-ca): the device's client certificate
  // chain and private key, PEM files, both or neither.
  std::string cert_file;
  std::string key_file;
  // The name the server's certificate must carry when it is not the host
  // in address (e.g. connecting by IP address).
  std::string server_name;

  // True if the connection is to use TLS.
  bool UsesTls() const {
    return tls || !ca_file.empty() || !cert_file.empty() || !key_file.empty() ||
           !server_name.empty();
  }
};

// The channel credentials for `options`: insecure, or TLS from its files.
// NOT_FOUND when a file cannot be read; INVALID_ARGUMENT when only one of
// cert_file and key_file is set.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const ServerOptions& options);

// Whether `address` names several maydayd replicas: an address list
// ("ipv4:10.0.0.1:7433,10.0.0.2:7433") or a "dns:" target (a name with
// several records). A plain "host:port" is one server.
bool NamesSeveralReplicas(absl::string_view address);

// The channel arguments every tool uses for `options`: keepalive pings (so
// that broken streams are noticed), the TLS server_name override, and for
// several replicas, calls spread round those that answer grpc.health.v1
// SERVING (round_robin with health checks), so that one that is gone,
// draining or cut from its database is skipped. One server keeps gRPC's
// pick_first, which reconnects at the first call after a restart (with
// round_robin, a crew of mayday-sim came back on duty 8 s after its only
// maydayd restarted instead of 1 s).
grpc::ChannelArguments ChannelArgumentsFor(const ServerOptions& options);

// Opens a channel with the credentials and arguments above (connection is
// lazy; errors surface on the first call). INVALID_ARGUMENT for an empty
// address, and ChannelCredentialsFor's errors.
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const ServerOptions& options);

// The gRPC target for options.address: as given, or without an http://
// prefix (plaintext) or an https:// one (with TLS flags) and a trailing
// "/"; INVALID_ARGUMENT saying how to write the address for a prefix that
// contradicts the TLS flags or a path.
absl::StatusOr<std::string> GrpcTarget(const ServerOptions& options);

// Adds "authorization: Bearer <token>" (unless token is empty) and, when
// timeout is positive and finite, a deadline that far from now.
void PrepareContext(grpc::ClientContext* context, absl::string_view token, absl::Duration timeout);

// The same code and message as an absl::Status (the numbers are equal).
absl::Status FromGrpc(const grpc::Status& status);

// "UNAVAILABLE: failed to connect": how the tools print a failed call.
std::string DescribeStatus(const absl::Status& status);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_MAYDAYCTL_RPC_H_
