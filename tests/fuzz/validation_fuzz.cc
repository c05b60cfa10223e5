// libFuzzer harness: the server's request checks (server/rpc/validation.h)
// called directly, each against an independent reading of its contract.
// Byte 0 picks the function; the payload gives its arguments: raw doubles
// and integers (so NaN, infinities and extremes come easily), then the rest
// as a string. Every function must agree with the contract exactly (OK for
// every valid value, INVALID_ARGUMENT with a message naming the field for
// every other), and what a parser returns must be what the name holds.
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/names.h"
#include "fuzz_input.h"
#include "rpc/validation.h"
#include "rpc_checks.h"
#include "webhooks/address_policy.h"

namespace {

namespace v1 = mayday::v1;
namespace server = mayday::server;

constexpr char kHarness[] = "validation_fuzz";

// Takes fixed-size values from the front of the payload, zeros when short.
class Arguments {
 public:
  explicit Arguments(absl::string_view bytes) : bytes_(bytes) {}
  template <typename T>
  T Take() {
    T value{};
    const size_t n = std::min(sizeof(T), bytes_.size());
    std::memcpy(&value, bytes_.data(), n);
    bytes_.remove_prefix(n);
    return value;
  }
  std::string Rest() { return std::string(bytes_); }

 private:
  absl::string_view bytes_;
};

// Checks that `status` is OK exactly when `valid`, and otherwise an
// INVALID_ARGUMENT whose message names `field`.
void Expect(absl::string_view function, const absl::Status& status, bool valid,
            absl::string_view field, absl::string_view input) {
  if (status.ok() == valid &&
      (valid || (absl::IsInvalidArgument(status) && absl::StrContains(status.message(), field)))) {
    return;
  }
  mayday::fuzz::Fail(kHarness, absl::StrCat(function, "(\"", absl::CEscape(input.substr(0, 200)),
                                            "\") returned \"", status.ToString(), "\", expected ",
                                            valid ? "OK" : "INVALID_ARGUMENT naming ", field));
}

bool IsLowerHex(absl::string_view id) {
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool IsSubjectId(absl::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '_' || c == '-';
  });
}

// Checks a name parser: OK exactly for prefix + an id `id_ok` accepts, and
// then returns that id.
template <typename IdOk>
void ExpectName(absl::string_view function, const absl::StatusOr<std::string>& parsed,
                const std::string& name, absl::string_view prefix, absl::string_view field,
                IdOk id_ok) {
  const bool valid = absl::StartsWith(name, prefix) && id_ok(name.substr(prefix.size()));
  Expect(function, parsed.status(), valid, field, name);
  if (parsed.ok() && *parsed != name.substr(prefix.size())) {
    mayday::fuzz::Fail(kHarness, absl::StrCat(function, " returned another id than the name's"));
  }
}

// What CheckEndpointUrl must refuse, read from its contract alone: true if
// `url` breaks a rule that no accepted URL may break.
bool BreaksUrlRules(absl::string_view url, bool allow_http) {
  if (url.size() > server::webhooks::kMaxUrlBytes) return true;
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f || c == '#' || c == '\\' || c == '{' || c == '}') return true;
  }
  const size_t separator = url.find("://");
  if (separator == absl::string_view::npos) return true;
  const absl::string_view scheme = url.substr(0, separator);
  if (!absl::EqualsIgnoreCase(scheme, "https") &&
      !(allow_http && absl::EqualsIgnoreCase(scheme, "http"))) {
    return true;
  }
  const absl::string_view rest = url.substr(separator + 3);
  const absl::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  return authority.empty() || absl::StrContains(authority, '@');
}

// A URL that follows every rule, made of the payload: https://<label>.example
// [:port]/<path>.
std::string ValidUrl(Arguments& args, bool with_port) {
  static constexpr char kLabel[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  static constexpr char kPath[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/";
  const uint16_t port = args.Take<uint16_t>();
  const std::string bytes = args.Rest();
  std::string label, path;
  for (size_t i = 0; i < bytes.size() && i < 1000; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if (i < 40) label += kLabel[byte % (sizeof kLabel - 1)];
    path += kPath[byte % (sizeof kPath - 1)];
  }
  if (label.empty()) label = "a";
  return absl::StrCat("https://", label, ".example",
                      with_port ? absl::StrCat(":", port == 0 ? 1 : port) : "", "/", path);
}

// WhyNotPublic on one IPv4 address (network byte order).
std::optional<std::string> JudgeV4(uint32_t address) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  v4.sin_addr.s_addr = address;
  return server::webhooks::WhyNotPublic(reinterpret_cast<const sockaddr*>(&v4));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = mayday::fuzz::SplitInput(data, size);
  if (!input.has_value()) return 0;
  Arguments args(input->payload);
  switch (input->selector % 14) {
    case 0: {
      v1::Location location;
      location.set_latitude(args.Take<double>());
      location.set_longitude(args.Take<double>());
      location.set_horizontal_accuracy_meters(args.Take<double>());
      if (input->number & 1) {
        location.mutable_fix_time()->set_seconds(args.Take<int64_t>());
        location.mutable_fix_time()->set_nanos(args.Take<int32_t>());
      }
      const bool present = (input->number & 2) == 0;
      Expect("ValidateLocation", server::ValidateLocation("location", location, present),
             present && mayday::fuzz::IsValidLocation(location), "location",
             location.ShortDebugString());
      break;
    }
    case 1: {
      google::protobuf::Timestamp time;
      time.set_seconds(args.Take<int64_t>());
      time.set_nanos(args.Take<int32_t>());
      auto parsed = server::ValidateTimestamp("min_create_time", time);
      Expect("ValidateTimestamp", parsed.status(), mayday::fuzz::IsValidTimestamp(time),
             "min_create_time", time.ShortDebugString());
      if (parsed.ok() && (absl::ToUnixSeconds(*parsed) != time.seconds() ||
                          absl::ToInt64Nanoseconds(
                              *parsed - absl::FromUnixSeconds(time.seconds())) != time.nanos())) {
        mayday::fuzz::Fail(kHarness, "ValidateTimestamp returned another time", &time);
      }
      break;
    }
    case 2: {
      const int32_t kind = args.Take<int32_t>();
      Expect("ValidateKind", server::ValidateKind(static_cast<v1::CaseKind>(kind)),
             kind == v1::CASE_KIND_ROAD || kind == v1::CASE_KIND_MEDICAL, "kind",
             absl::StrCat(kind));
      break;
    }
    case 3: {
      const std::string text = args.Rest();
      Expect("ValidateText", server::ValidateText("note", text), text.size() <= 1000, "note", text);
      break;
    }
    case 4: {
      const std::string text = args.Rest();
      Expect("ValidateMessageText", server::ValidateMessageText("text", text),
             !text.empty() && text.size() <= 1000, "text", text);
      break;
    }
    case 5: {
      const int32_t stars = args.Take<int32_t>();
      const std::string comment = args.Rest();
      const absl::Status status = server::ValidateRating(stars, comment);
      const bool stars_ok = stars >= 1 && stars <= 5;
      Expect("ValidateRating", status, stars_ok && comment.size() <= 1000,
             stars_ok ? "comment" : "stars", comment);
      break;
    }
    case 6: {
      const std::string id = args.Rest();
      const bool valid =
          !id.empty() && id.size() <= 128 &&
          std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7f; });
      Expect("ValidateRequestId", server::ValidateRequestId(id), valid, "request_id", id);
      break;
    }
    case 7: {
      const int32_t page_size = args.Take<int32_t>();
      const int max = 1 + args.Take<uint16_t>() % 1000;
      const int fallback = 1 + args.Take<uint16_t>() % max;
      auto size = server::ValidatePageSize(page_size, max, fallback);
      Expect("ValidatePageSize", size.status(), page_size >= 0, "page_size",
             absl::StrCat(page_size));
      if (size.ok() && *size != (page_size == 0 ? fallback : std::min(page_size, max))) {
        mayday::fuzz::Fail(kHarness, absl::StrCat("ValidatePageSize(", page_size, ", ", max, ", ",
                                                  fallback, ") returned ", *size));
      }
      break;
    }
    case 8: {
      const int32_t capability = args.Take<int32_t>();
      Expect("ValidateCapability", server::ValidateCapability(capability),
             capability >= v1::CAPABILITY_TOW && capability <= v1::CAPABILITY_PARAMEDIC,
             "capabilities", absl::StrCat(capability));
      break;
    }
    case 9: {
      const std::string name = args.Rest();
      ExpectName("ParseCaseName", server::ParseCaseName("case", name), name, "cases/", "case",
                 [](absl::string_view id) {
                   return (id.size() == 46 || id.size() == 32) && IsLowerHex(id);
                 });
      break;
    }
    case 10: {
      static constexpr const char* kCollections[] = {"members", "responders", "operators"};
      const std::string collection = kCollections[input->number % 3];
      const std::string name = args.Rest();
      ExpectName("ParseSubjectName", server::ParseSubjectName("member", name, collection), name,
                 collection + "/", "member", IsSubjectId);
      break;
    }
    case 11: {
      const std::string name = args.Rest();
      ExpectName("ParseTokenName", server::ParseTokenName("name", name), name, "tokens/", "name",
                 [](absl::string_view id) { return id.size() == 16 && IsLowerHex(id); });
      break;
    }
    case 12: {
      const bool allow_http = (input->number & 1) != 0;
      const bool made_valid = (input->number & 2) != 0;
      const std::string url = made_valid ? ValidUrl(args, (input->number & 4) != 0) : args.Rest();
      const absl::Status status = server::webhooks::CheckEndpointUrl(url, allow_http);
      const bool refused = BreaksUrlRules(url, allow_http);
      if ((made_valid && !status.ok()) || (refused && status.ok()) ||
          (!status.ok() && (!absl::IsInvalidArgument(status) || status.message().empty()))) {
        mayday::fuzz::Fail(
            kHarness, absl::StrCat("CheckEndpointUrl(\"", absl::CEscape(url.substr(0, 200)), "\", ",
                                   allow_http, ") returned \"", status.ToString(), "\"",
                                   made_valid ? " for a valid URL" : ""));
      }
      break;
    }
    case 13: {
      // An IPv6 address; the IPv4 one it may embed judged alone must get
      // the same verdict when it is IPv4-mapped, and anything outside
      // 2000::/3 is refused.
      sockaddr_in6 v6{};
      v6.sin6_family = AF_INET6;
      for (uint8_t& byte : v6.sin6_addr.s6_addr) byte = args.Take<uint8_t>();
      const uint8_t* b = v6.sin6_addr.s6_addr;
      const std::optional<std::string> verdict =
          server::webhooks::WhyNotPublic(reinterpret_cast<const sockaddr*>(&v6));
      const bool mapped = std::all_of(b, b + 10, [](uint8_t x) { return x == 0; }) &&
                          b[10] == 0xff && b[11] == 0xff;
      uint32_t v4 = 0;
      std::memcpy(&v4, b + 12, 4);
      if (mapped && verdict.has_value() != JudgeV4(v4).has_value()) {
        mayday::fuzz::Fail(kHarness, "WhyNotPublic judged an IPv4-mapped address unlike its IPv4");
      }
      if (!mapped && (b[0] & 0xe0) != 0x20 && !verdict.has_value()) {
        mayday::fuzz::Fail(kHarness, "WhyNotPublic let an address outside 2000::/3 through");
      }
      if (verdict.has_value() && verdict->empty()) {
        mayday::fuzz::Fail(kHarness, "WhyNotPublic refused without saying why");
      }
      // The same bytes' first four as IPv4: loopback, private, multicast
      // and reserved ranges are never public.
      const uint8_t first = b[0];
      uint32_t own = 0;
      std::memcpy(&own, b, 4);
      const bool never = first == 0 || first == 10 || first == 127 || first >= 224 ||
                         (first == 192 && b[1] == 168) || (first == 172 && (b[1] & 0xf0) == 16) ||
                         (first == 169 && b[1] == 254);
      if (never && !JudgeV4(own).has_value()) {
        mayday::fuzz::Fail(kHarness,
                           "WhyNotPublic let a loopback, private or reserved IPv4 through");
      }
      break;
    }
  }
  return 0;
}
