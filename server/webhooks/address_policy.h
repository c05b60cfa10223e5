// Where maydayd may send a webhook. Two checks, at two moments:
//  - CheckEndpointUrl, when an admin registers a URL (and again before each
//    delivery): the text of the URL, so a typo or a trick is refused with
//    words a person can act on;
//  - WhyNotPublic, on each address the transport is about to connect to:
//    a URL naming a public host can still resolve, now or after a DNS
//    change, to a loopback, private or cloud-metadata address (server-side
//    request forgery), so the address itself is judged, not the name.
#ifndef MAYDAY_SERVER_WEBHOOKS_ADDRESS_POLICY_H_
#define MAYDAY_SERVER_WEBHOOKS_ADDRESS_POLICY_H_

#include <sys/socket.h>

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace mayday::server::webhooks {

// The longest URL CheckEndpointUrl accepts, in bytes.
inline constexpr size_t kMaxUrlBytes = 2048;

// OK if `url` has the form https://host[:port][/path][?query] (the scheme in
// any case; http:// too when `allow_http`), where host is a DNS name, an
// IPv4 literal or a bracketed IPv6 literal and port is 1..65535. Otherwise
// INVALID_ARGUMENT saying what to change: another scheme, user:password@,
// a #fragment, an empty host, a bad port, more than kMaxUrlBytes, spaces,
// control or non-ASCII characters (percent-encode them), or a character no
// URL may hold unencoded (such as '\' or '{'). Says nothing about where the
// host resolves to: that is WhyNotPublic's job, at connect time.
absl::Status CheckEndpointUrl(absl::string_view url, bool allow_http);

// nullopt if `address` (an AF_INET or AF_INET6 sockaddr, read for the size
// its family implies) is a public unicast address a webhook may go to.
// Otherwise why not, in words such as "127.0.0.1 is a loopback address" or
// "::ffff:10.0.0.1 embeds 10.0.0.1, a private address (10.0.0.0/8)". Any
// other family, or nullptr, is refused too. IPv6 addresses that carry an
// IPv4 address (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4
// 2002::/16) are judged by that IPv4 address; deprecated IPv4-compatible
// ones (::/96) and anything outside global unicast 2000::/3 are refused.
// Thread-safe.
std::optional<std::string> WhyNotPublic(const sockaddr* address);

}  // namespace mayday::server::webhooks

#endif  // MAYDAY_SERVER_WEBHOOKS_ADDRESS_POLICY_H_
