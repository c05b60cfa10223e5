// gRPC's report of a connection that could not be made, said as a person
// would: "cannot reach 127.0.0.1:7433: connection refused". Shared by the
// SDK (the error an app shows while an alert waits) and maydayctl.
#ifndef MAYDAY_BASE_CONNECT_WORDS_H_
#define MAYDAY_BASE_CONNECT_WORDS_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace mayday::base {

// For gRPC 1.51's message of an UNAVAILABLE call to a port nobody listens
// on ("failed to connect to all addresses; last error: UNKNOWN:
// ipv4:127.0.0.1:7433: Failed to connect to remote host: Connection
// refused", or with round_robin "connections to all backends failing; last
// error: ..."), returns "cannot reach 127.0.0.1:7433: connection refused". For
// any other message (a connection closed, a TLS handshake that failed, a
// name that does not resolve), nothing: those keep gRPC's own words.
std::optional<std::string> DescribeRefusedConnection(absl::string_view grpc_message);

}  // namespace mayday::base

#endif  // MAYDAY_BASE_CONNECT_WORDS_H_
