// A server address as people write it: "127.0.0.1:7433", a gRPC target
// ("ipv4:10.0.0.1:7433,10.0.0.2:7433", "dns:///mayday.example:7433"), or
// pasted as a URL ("http://127.0.0.1:7433/", "https://mayday.example:7433").
// The SDK and maydayctl accept all of these; each says in its own words
// (its option or flag names) what to write instead of one it cannot use.
#ifndef MAYDAY_BASE_SERVER_ADDRESS_H_
#define MAYDAY_BASE_SERVER_ADDRESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mayday::base {

struct ServerAddress {
  // What a URL's scheme said about TLS.
  enum class Scheme { kNone, kHttp, kHttps };
  Scheme scheme = Scheme::kNone;
  // The gRPC target: the address without "http://", "https://" and a
  // trailing "/".
  std::string target;
  // False if it cannot be a target: empty, or a path after the host
  // ("http://h:7433/api") outside a gRPC scheme (dns:, ipv4:, ipv6:).
  bool well_formed = false;
};

ServerAddress ParseServerAddress(absl::string_view address);

// How a caller names its setting in the lines below.
struct AddressWords {
  // The setting the address came from: "--server", "ClientOptions.server".
  absl::string_view setting;
  // That TLS is asked for: "TLS flags are given", "tls.enabled is set".
  absl::string_view tls_asked;
  // How to ask for TLS: "add --tls (or --tls-ca FILE) to use TLS".
  absl::string_view ask_tls;
};

// The gRPC target of `address`, or INVALID_ARGUMENT with a line saying how
// to write it: "http://" with TLS asked for, "https://" without, or not an
// address at all (ParseServerAddress's well_formed).
absl::StatusOr<std::string> ServerTarget(absl::string_view address, bool uses_tls,
                                         const AddressWords& words);

}  // namespace mayday::base

#endif  // MAYDAY_BASE_SERVER_ADDRESS_H_
