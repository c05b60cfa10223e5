// The URL check and the address guard (server/webhooks/address_policy.*),
// row by row.
#include "webhooks/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>

namespace mayday::server::webhooks {
namespace {

// `literal` (an IPv4 or IPv6 address) as the sockaddr curl would hand over.
std::optional<std::string> WhyNotPublicText(const std::string& literal) {
  sockaddr_in v4 = {};
  sockaddr_in6 v6 = {};
  if (inet_pton(AF_INET, literal.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    return WhyNotPublic(reinterpret_cast<const sockaddr*>(&v4));
  }
  REQUIRE(inet_pton(AF_INET6, literal.c_str(), &v6.sin6_addr) == 1);
  v6.sin6_family = AF_INET6;
  return WhyNotPublic(reinterpret_cast<const sockaddr*>(&v6));
}

TEST_CASE("WhyNotPublic refuses every non-public range and says which") {
  // The address, and words its refusal must hold ("" for a public address).
  auto [address, words] = GENERATE(table<std::string, std::string>({
      {"0.0.0.0", "0.0.0.0 is a \"this network\" address"},
      {"0.255.1.2", "this network"},
      {"10.0.0.1", "10.0.0.1 is a private address (10.0.0.0/8)"},
      {"10.255.255.255", "private"},
      {"100.64.0.1", "carrier-grade NAT"},
      {"100.127.255.254", "carrier-grade NAT"},
      {"127.0.0.1", "127.0.0.1 is a loopback address"},
      {"127.12.34.56", "loopback"},
      {"169.254.169.254", "169.254.169.254 is a link-local address"},
      {"169.254.0.1", "link-local"},
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"192.0.0.8", "IETF protocol"},
      {"192.0.2.1", "documentation"},
      {"192.168.1.1", "private"},
      {"198.18.0.1", "benchmarking"},
      {"198.19.255.255", "benchmarking"},
      {"198.51.100.7", "documentation"},
      {"203.0.113.9", "documentation"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.250", "multicast"},
      {"240.0.0.1", "reserved"},
      {"255.255.255.255", "the broadcast address"},
      {"::", ":: is the unspecified address"},
      {"::1", "::1 is a loopback address"},
      {"fe80::1", "link-local"},
      {"febf:ffff::1", "link-local"},
      {"fc00::1", "unique local"},
      {"fd12:3456::1", "unique local"},
      {"ff02::1", "multicast"},
      {"2001:db8::1", "documentation"},
      {"::ffff:127.0.0.1", "::ffff:127.0.0.1 embeds 127.0.0.1, a loopback address"},
      {"::ffff:169.254.169.254", "embeds 169.254.169.254, a link-local"},
      {"::ffff:10.1.2.3", "embeds 10.1.2.3, a private address"},
      {"64:ff9b::7f00:1", "embeds 127.0.0.1, a loopback address"},
      {"64:ff9b::192.168.0.1", "embeds 192.168.0.1, a private"},
      {"2002:7f00:1::", "embeds 127.0.0.1"},
      {"::10.0.0.1", "IPv4-compatible"},
      {"64:ff9b:1::1", "outside global unicast"},
      {"100::1", "outside global unicast"},
      // Public: allowed.
      {"1.1.1.1", ""},
      {"8.8.8.8", ""},
      {"100.63.255.255", ""},
      {"100.128.0.0", ""},
      {"172.15.255.255", ""},
      {"172.32.0.0", ""},
      {"192.0.1.1", ""},
      {"192.169.0.1", ""},
      {"198.17.255.255", ""},
      {"198.20.0.0", ""},
      {"223.255.255.255", ""},
      {"169.253.255.255", ""},
      {"2606:4700:4700::1111", ""},
      {"2a00:1450:4001:80b::200e", ""},
      {"::ffff:8.8.8.8", ""},
      {"64:ff9b::808:808", ""},
      {"2002:808:808::1", ""},
  }));
  CAPTURE(address);
  const std::optional<std::string> why = WhyNotPublicText(address);
  if (words.empty()) {
    CHECK(why == std::nullopt);
  } else {
    REQUIRE(why.has_value());
    CHECK_THAT(*why, Catch::Contains(words));
  }
}

TEST_CASE("WhyNotPublic refuses a family that is neither IPv4 nor IPv6") {
  sockaddr unix_address = {};
  unix_address.sa_family = AF_UNIX;
  CHECK(WhyNotPublic(&unix_address).has_value());
  CHECK(WhyNotPublic(nullptr).has_value());
}

TEST_CASE("CheckEndpointUrl accepts https URLs with names and IP literals") {
  auto url = GENERATE(
      as<std::string>(), "https://hooks.example.com/mayday", "HTTPS://hooks.example.com/mayday",
      "https://hooks.example.com", "https://hooks.example.com:8443/a/b?x=1&y=%20z",
      "https://hooks.example.com.:443/", "https://203.0.113.5/hook", "https://[2001:db8::1]/hook",
      "https://[2001:db8::1]:65535/", "https://my_host.internal/x", "https://a.b?x=1",
      "https://example.com/" + std::string(2048 - 20, 'a'));
  CAPTURE(url);
  CHECK(CheckEndpointUrl(url, /*allow_http=*/false).ok());
}

TEST_CASE("CheckEndpointUrl refuses what it must, in words that say what to change") {
  auto [url, words] = GENERATE(table<std::string, std::string>({
      {"http://hooks.example.com/",
       "must start with https:// (plain http is refused unless maydayd runs with "
       "--webhook-allow-http)"},
      {"ftp://hooks.example.com/", "must start with https://"},
      {"hooks.example.com/x", "must start with https://"},
      {"", "must start with https://"},
      {"https://user:pass@hooks.example.com/", "user name or password"},
      {"https://user@hooks.example.com/", "user name or password"},
      {"https://hooks.example.com/x#frag", "#fragment"},
      {"https:///path", "no host"},
      {"https://:443/path", "no host"},
      {"https://hooks.example.com:0/", "port \"0\": a port is a number from 1 to 65535"},
      {"https://hooks.example.com:65536/", "from 1 to 65535"},
      {"https://hooks.example.com:/", "from 1 to 65535"},
      {"https://hooks.example.com:-1/", "from 1 to 65535"},
      {"https://hooks.example.com:99999999999/", "from 1 to 65535"},
      {"https://hooks.example.com:44a/", "from 1 to 65535"},
      {"https://hooks.example.com/a b", "space or control character at byte 27"},
      {"https://hooks.example.com/a\tb", "space or control"},
      {"https://hooks.example.com/\x7f", "space or control"},
      {"https://hooks.example.com/caf\xc3\xa9", "non-ASCII"},
      {"https://b\xc3\xbc"
       "cher.example/",
       "non-ASCII"},
      {"https://evil.example\\@good.example/", "'\\'"},
      {"https://hooks.example.com/{x}", "'{'"},
      {"https://example.com/" + std::string(2048 - 19, 'a'), "2049 bytes, over the 2048 allowed"},
      {"https://[2001:db8::1/", "'[' with no ']'"},
      {"https://[not-v6]/", "no IPv6 address"},
      {"https://[fe80::1%25eth0]/", "no IPv6 address"},
      {"https://[2001:db8::1]x/", "not a :port"},
      {"https://2001:db8::1/", "IPv6 host without brackets"},
      {"https://hooks..example.com/", "empty label"},
      {"https://hooks.exa%6dple.com/", "'%' in its host"},
  }));
  CAPTURE(url);
  const absl::Status status = CheckEndpointUrl(url, /*allow_http=*/false);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(status.message()), Catch::Contains(words));
  CHECK_THAT(std::string(status.message()), Catch::StartsWith("webhook URL "));
}

TEST_CASE("CheckEndpointUrl accepts http only when allowed") {
  CHECK(CheckEndpointUrl("http://hooks.example.com/x", /*allow_http=*/true).ok());
  CHECK(CheckEndpointUrl("HTTP://127.0.0.1:8080/x", /*allow_http=*/true).ok());
  CHECK(CheckEndpointUrl("https://hooks.example.com/x", /*allow_http=*/true).ok());
  const absl::Status ftp = CheckEndpointUrl("ftp://hooks.example.com/", /*allow_http=*/true);
  CHECK_THAT(std::string(ftp.message()), Catch::Contains("https:// or http://"));
  CHECK_FALSE(CheckEndpointUrl("http://hooks.example.com/x", /*allow_http=*/false).ok());
}

}  // namespace
}  // namespace mayday::server::webhooks
