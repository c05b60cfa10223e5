// gRPC's connection failures in a person's words; see connect_words.h.
#include "mayday/base/connect_words.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mayday::base {

std::optional<std::string> DescribeRefusedConnection(absl::string_view message) {
  // gRPC 1.51's pick_first says the first, round_robin (the SDK's, over
  // replicas) the second.
  if (!absl::StartsWith(message, "failed to connect to all addresses") &&
      !absl::StartsWith(message, "connections to all backends failing")) {
    return std::nullopt;
  }
  for (absl::string_view scheme : {"ipv4:", "ipv6:"}) {
    const size_t at = message.find(scheme);
    if (at == absl::string_view::npos) continue;
    // "127.0.0.1:7433: Failed to connect to remote host: Connection refused"
    absl::string_view rest = message.substr(at + scheme.size());
    const size_t end = rest.find(": ");
    const size_t reason = rest.rfind(": ");
    if (end == absl::string_view::npos) return std::nullopt;
    if (!absl::EqualsIgnoreCase(rest.substr(reason + 2), "connection refused")) {
      return std::nullopt;
    }
    return absl::StrCat("cannot reach ", rest.substr(0, end), ": connection refused");
  }
  return std::nullopt;
}

}  // namespace mayday::base
