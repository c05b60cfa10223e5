// Server addresses as people write them; see server_address.h.
#include "mayday/base/server_address.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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

absl::StatusOr<std::string> ServerTarget(absl::string_view address, bool uses_tls,
                                         const AddressWords& words) {
  const ServerAddress parsed = ParseServerAddress(address);
  if (parsed.scheme == ServerAddress::Scheme::kHttp && uses_tls) {
    return absl::InvalidArgumentError(
        absl::StrCat(words.setting, " ", address, " says plaintext (http://) but ", words.tls_asked,
                     ": write the address as HOST:PORT"));
  }
  if (parsed.scheme == ServerAddress::Scheme::kHttps && !uses_tls) {
    return absl::InvalidArgumentError(absl::StrCat(words.setting, " ", address,
                                                   " says TLS (https://): write the address as "
                                                   "HOST:PORT and ",
                                                   words.ask_tls));
  }
  if (!parsed.well_formed) {
    return absl::InvalidArgumentError(
        absl::StrCat(words.setting, " ", address,
                     ": write the address as HOST:PORT (127.0.0.1:7433), "
                     "or several as ipv4:H1:P1,H2:P2 or dns:///NAME:PORT"));
  }
  return parsed.target;
}

}  // namespace mayday::base
