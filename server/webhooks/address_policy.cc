// The URL check and the address guard; see address_policy.h.
#include "webhooks/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mayday::server::webhooks {
namespace {

constexpr absl::string_view kHttpHint =
    "plain http is refused unless maydayd runs with --webhook-allow-http";

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("webhook URL ", why));
}

// Characters RFC 3986 allows nowhere in a URL. Clients differ in what they
// do with them ('\' is a '/' to browsers, not to curl), which is how one URL
// comes to mean two hosts; refused rather than guessed at.
bool NeverInUrl(char c) {
  return absl::string_view("\"<>\\^`{|}").find(c) != absl::string_view::npos;
}

absl::Status CheckCharacters(absl::string_view url) {
  for (size_t i = 0; i < url.size(); ++i) {
    const auto byte = static_cast<unsigned char>(url[i]);
    if (byte >= 0x80) {
      return Invalid(absl::StrCat("holds a non-ASCII character at byte ", i,
                                  ": percent-encode it (for a host name, use its xn-- form)"));
    }
    if (byte <= 0x20 || byte == 0x7f) {
      return Invalid(
          absl::StrCat("holds a space or control character at byte ", i, ": percent-encode it"));
    }
    if (NeverInUrl(url[i])) {
      return Invalid(absl::StrCat("holds '", url.substr(i, 1), "' at byte ", i,
                                  ", which no URL may hold as is: percent-encode it"));
    }
  }
  return absl::OkStatus();
}

// A DNS name or an IPv4 literal: dot-separated labels of letters, digits,
// '-' and '_', at most 63 bytes each and 253 in all; one final dot allowed.
absl::Status CheckHostName(absl::string_view host) {
  if (absl::EndsWith(host, ".")) host.remove_suffix(1);
  if (host.size() > 253) return Invalid("has a host name over 253 bytes");
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (label.empty())
      return Invalid(absl::StrCat("has an empty label in its host \"", host, "\""));
    if (label.size() > 63) return Invalid("has a host name label over 63 bytes");
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-' && c != '_') {
        return Invalid(absl::StrCat("has '", absl::string_view(&c, 1), "' in its host \"", host,
                                    "\": a host is a DNS name, an IPv4 address or an IPv6 "
                                    "address in brackets"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckPort(absl::string_view port) {
  uint32_t number = 0;
  if (port.empty() || port.size() > 5 || !absl::c_all_of(port, absl::ascii_isdigit) ||
      !absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
    return Invalid(absl::StrCat("has port \"", port, "\": a port is a number from 1 to 65535"));
  }
  return absl::OkStatus();
}

// `authority` is what lies between "scheme://" and the path or query.
absl::Status CheckAuthority(absl::string_view authority) {
  if (absl::StrContains(authority, '@')) {
    return Invalid(
        "may not hold a user name or password (user:password@host): receivers check "
        "the Mayday-Signature header instead");
  }
  absl::string_view host;
  absl::string_view rest;  // empty or ":port"
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return Invalid("has a '[' with no ']' in its host");
    host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
    in6_addr ignored;
    const std::string literal(host);
    if (inet_pton(AF_INET6, literal.c_str(), &ignored) != 1) {
      return Invalid(absl::StrCat("has \"[", host, "]\" for a host, which is no IPv6 address"));
    }
    if (!rest.empty() && !absl::StartsWith(rest, ":")) {
      return Invalid("has text after its IPv6 host's ']' that is not a :port");
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != absl::string_view::npos) rest = authority.substr(colon);
    if (!rest.empty() && absl::StrContains(rest.substr(1), ':')) {
      return Invalid("has an IPv6 host without brackets: write https://[2001:db8::1]/...");
    }
    if (host.empty()) return Invalid("has no host: write https://host.example/path");
    if (absl::Status status = CheckHostName(host); !status.ok()) return status;
  }
  if (!rest.empty()) return CheckPort(rest.substr(1));
  return absl::OkStatus();
}

// An IPv4 address (host order) in a range it may not go to: what it is.
std::optional<absl::string_view> WhyNotPublicV4(uint32_t address) {
  struct Range {
    uint32_t network;
    int bits;
    absl::string_view what;
  };
  // The more specific first: 255.255.255.255 lies in 240.0.0.0/4.
  static constexpr Range kRanges[] = {
      {0x00000000, 8, "a \"this network\" address (0.0.0.0/8)"},
      {0x0a000000, 8, "a private address (10.0.0.0/8)"},
      {0x64400000, 10, "a carrier-grade NAT address (100.64.0.0/10)"},
      {0x7f000000, 8, "a loopback address"},
      {0xa9fe0000, 16,
       "a link-local address (169.254.0.0/16, where cloud metadata services answer)"},
      {0xac100000, 12, "a private address (172.16.0.0/12)"},
      {0xc0000000, 24, "an IETF protocol address (192.0.0.0/24)"},
      {0xc0000200, 24, "a documentation address (192.0.2.0/24)"},
      {0xc0a80000, 16, "a private address (192.168.0.0/16)"},
      {0xc6120000, 15, "a benchmarking address (198.18.0.0/15)"},
      {0xc6336400, 24, "a documentation address (198.51.100.0/24)"},
      {0xcb007100, 24, "a documentation address (203.0.113.0/24)"},
      {0xffffffff, 32, "the broadcast address"},
      {0xe0000000, 4, "a multicast address (224.0.0.0/4)"},
      {0xf0000000, 4, "a reserved address (240.0.0.0/4)"},
  };
  for (const Range& range : kRanges) {
    const uint32_t mask = ~uint32_t{0} << (32 - range.bits);
    if ((address & mask) == range.network) return range.what;
  }
  return std::nullopt;
}

// The first `bits` bits of `address` equal those of `prefix`.
bool HasPrefix(const uint8_t (&address)[16], std::initializer_list<uint8_t> prefix, int bits) {
  const uint8_t* p = prefix.begin();
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    const uint8_t want = i < static_cast<int>(prefix.size()) ? p[i] : 0;
    if ((address[i] & mask) != (want & mask)) return false;
  }
  return true;
}

uint32_t V4At(const uint8_t (&address)[16], int offset) {
  return uint32_t{address[offset]} << 24 | uint32_t{address[offset + 1]} << 16 |
         uint32_t{address[offset + 2]} << 8 | address[offset + 3];
}

std::string V4Text(uint32_t address) {
  return absl::StrCat(address >> 24, ".", (address >> 16) & 0xff, ".", (address >> 8) & 0xff, ".",
                      address & 0xff);
}

std::optional<std::string> WhyNotPublicV6(const in6_addr& raw) {
  uint8_t a[16];
  std::memcpy(a, raw.s6_addr, sizeof a);
  char text[INET6_ADDRSTRLEN] = "?";
  inet_ntop(AF_INET6, &raw, text, sizeof text);
  const auto is = [&](absl::string_view what) { return absl::StrCat(text, " is ", what); };

  // Addresses that carry an IPv4 address: where they lead is that address.
  std::optional<int> v4_offset;
  if (HasPrefix(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96)) {
    v4_offset = 12;  // IPv4-mapped ::ffff:a.b.c.d
  } else if (HasPrefix(a, {0x00, 0x64, 0xff, 0x9b}, 96)) {
    v4_offset = 12;  // NAT64 64:ff9b::a.b.c.d
  } else if (HasPrefix(a, {0x20, 0x02}, 16)) {
    v4_offset = 2;  // 6to4 2002:aabb:ccdd::
  }
  if (v4_offset) {
    const uint32_t v4 = V4At(a, *v4_offset);
    if (std::optional<absl::string_view> what = WhyNotPublicV4(v4)) {
      return absl::StrCat(text, " embeds ", V4Text(v4), ", ", *what);
    }
    return std::nullopt;
  }

  if (HasPrefix(a, {}, 128)) return is("the unspecified address");
  if (HasPrefix(a, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128)) {
    return is("a loopback address");
  }
  if (HasPrefix(a, {}, 96)) return is("an IPv4-compatible address (::/96, deprecated)");
  if (HasPrefix(a, {0x20, 0x01, 0x0d, 0xb8}, 32)) {
    return is("a documentation address (2001:db8::/32)");
  }
  if (HasPrefix(a, {0xfc}, 7)) return is("a unique local address (fc00::/7)");
  if (HasPrefix(a, {0xfe, 0x80}, 10)) return is("a link-local address (fe80::/10)");
  if (HasPrefix(a, {0xfe, 0xc0}, 10)) return is("a site-local address (fec0::/10, deprecated)");
  if (HasPrefix(a, {0xff}, 8)) return is("a multicast address (ff00::/8)");
  // Only 2000::/3 is global unicast; the rest (64:ff9b:1::/48 local NAT64,
  // 100::/64 discard, unassigned space) leads nowhere a webhook should go.
  if (!HasPrefix(a, {0x20}, 3)) return is("outside global unicast space (2000::/3)");
  return std::nullopt;
}

}  // namespace

absl::Status CheckEndpointUrl(absl::string_view url, bool allow_http) {
  if (url.size() > kMaxUrlBytes) {
    return Invalid(absl::StrCat("is ", url.size(), " bytes, over the ", kMaxUrlBytes, " allowed"));
  }
  if (absl::Status status = CheckCharacters(url); !status.ok()) return status;

  absl::string_view rest = url;
  if (absl::StartsWithIgnoreCase(rest, "https://")) {
    rest.remove_prefix(8);
  } else if (allow_http && absl::StartsWithIgnoreCase(rest, "http://")) {
    rest.remove_prefix(7);
  } else if (allow_http) {
    return Invalid("must start with https:// or http://");
  } else {
    return Invalid(absl::StrCat("must start with https:// (", kHttpHint, ")"));
  }
  if (absl::StrContains(rest, '#')) {
    return Invalid("may not have a #fragment: it is never sent to the receiver");
  }
  const absl::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  return CheckAuthority(authority);
}

std::optional<std::string> WhyNotPublic(const sockaddr* address) {
  if (address == nullptr) return "no address";
  if (address->sa_family == AF_INET) {
    sockaddr_in v4;
    std::memcpy(&v4, address, sizeof v4);
    const uint32_t host_order = ntohl(v4.sin_addr.s_addr);
    if (std::optional<absl::string_view> what = WhyNotPublicV4(host_order)) {
      return absl::StrCat(V4Text(host_order), " is ", *what);
    }
    return std::nullopt;
  }
  if (address->sa_family == AF_INET6) {
    sockaddr_in6 v6;
    std::memcpy(&v6, address, sizeof v6);
    return WhyNotPublicV6(v6.sin6_addr);
  }
  return absl::StrCat("address family ", address->sa_family, " is neither IPv4 nor IPv6");
}

}  // namespace mayday::server::webhooks
