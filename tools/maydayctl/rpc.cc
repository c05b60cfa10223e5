// Channel set-up and status conversion shared by maydayctl and mayday-sim.
#include "maydayctl/rpc.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "mayday/base/connect_words.h"
#include "mayday/base/server_address.h"

namespace mayday::tools {
namespace {

// Ping an idle connection every 30 s and give up after 10 s without an
// answer, so a stream over a dead network fails instead of hanging.
constexpr int kKeepaliveTimeMs = 30'000;
constexpr int kKeepaliveTimeoutMs = 10'000;

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const ServerOptions& options) {
  if (!options.UsesTls()) return grpc::InsecureChannelCredentials();
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: pass both for mutual TLS, or "
        "neither");
  }
  grpc::SslCredentialsOptions ssl;
  const std::tuple<const std::string*, std::string*, const char*> files[] = {
      {&options.ca_file, &ssl.pem_root_certs, "CA"},
      {&options.cert_file, &ssl.pem_cert_chain, "certificate"},
      {&options.key_file, &ssl.pem_private_key, "key"}};
  for (const auto& [file, pem, what] : files) {
    if (file->empty()) continue;
    std::ifstream in(*file);
    std::ostringstream read;
    if (!(in && read << in.rdbuf())) {
      return absl::NotFoundError(absl::StrCat("cannot read ", what, " file ", *file));
    }
    *pem = read.str();
  }
  return grpc::SslCredentials(ssl);
}

bool NamesSeveralReplicas(absl::string_view address) {
  return absl::StrContains(address, ',') || absl::StartsWith(address, "dns:");
}

grpc::ChannelArguments ChannelArgumentsFor(const ServerOptions& options) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, kKeepaliveTimeMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, kKeepaliveTimeoutMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 0);
  if (NamesSeveralReplicas(options.address)) {
    args.SetServiceConfigJSON(
        R"({"loadBalancingConfig":[{"round_robin":{}}],"healthCheckConfig":{"serviceName":"mayday.v1.OperatorService"}})");
    // A replica that comes back is used again within a second.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 250);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  }
  if (options.UsesTls() && !options.server_name.empty()) {
    args.SetSslTargetNameOverride(options.server_name);
  }
  return args;
}

absl::StatusOr<std::string> GrpcTarget(const ServerOptions& options) {
  // People paste a URL: "http://" names the plaintext address it is;
  // "https://" is TLS, which needs the TLS flags to say so.
  return base::ServerTarget(options.address, options.UsesTls(),
                            {.setting = "--server",
                             .tls_asked = "TLS flags are given",
                             .ask_tls = "add --tls (or --tls-ca FILE) to use TLS"});
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenChannel(const ServerOptions& options) {
  if (options.address.empty()) {
    return absl::InvalidArgumentError("empty server address");
  }
  absl::StatusOr<std::string> target = GrpcTarget(options);
  if (!target.ok()) return target.status();
  auto credentials = ChannelCredentialsFor(options);
  if (!credentials.ok()) return credentials.status();
  return grpc::CreateCustomChannel(*target, *credentials, ChannelArgumentsFor(options));
}

void PrepareContext(grpc::ClientContext* context, absl::string_view token, absl::Duration timeout) {
  if (!token.empty()) {
    context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  }
  if (timeout > absl::ZeroDuration() && timeout < absl::InfiniteDuration()) {
    context->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  }
}

absl::Status FromGrpc(const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::string DescribeStatus(const absl::Status& status) {
  if (absl::IsUnavailable(status)) {
    if (auto refused = base::DescribeRefusedConnection(status.message())) {
      return absl::StrCat(*refused, " (is maydayd running there? check --server or MAYDAY_SERVER)");
    }
  }
  return absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
}

}  // namespace mayday::tools
