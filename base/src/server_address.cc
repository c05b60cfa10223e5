// Server addresses as people write them; see server_address.h.
#include "mayday/base/server_address.h"

#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace mayday::base {

ServerAddress ParseServerAddress(absl::string_view address) {
  ServerAddress parsed;
  if (absl::ConsumePrefix(&address, "http://")) {
    parsed.scheme = ServerAddress::Scheme::kHttp;
  } else if (absl::ConsumePrefix(&address, "https://")) {
    parsed.scheme = ServerAddress::Scheme::kHttps;
  }
  absl::ConsumeSuffix(&address, "/");
  const bool grpc_scheme = absl::StartsWith(address, "dns:") ||
                           absl::StartsWith(address, "ipv4:") || absl::StartsWith(address, "ipv6:");
  parsed.target = std::string(address);
  parsed.well_formed = !address.empty() && (grpc_scheme || !absl::StrContains(address, "/"));
  return parsed;
}

}  // namespace mayday::base
