// libFuzzer harness: the server's request checks (server/rpc/validation.h)
// called directly, each against an independent reading of its contract.
// Byte 0 picks the function; the payload gives its arguments: raw doubles
// and integers (so NaN, infinities and extremes come easily), then the rest
// as a string. Every function must agree with the contract exactly (OK for
// every valid value, INVALID_ARGUMENT with a message naming the field for
// every other), and what a parser returns must be what the name holds.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/names.h"
#include "fuzz_input.h"
#include "rpc/validation.h"
#include "rpc_checks.h"

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = mayday::fuzz::SplitInput(data, size);
  if (!input.has_value()) return 0;
  Arguments args(input->payload);
  switch (input->selector % 12) {
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
  }
  return 0;
}
