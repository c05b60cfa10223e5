// maydayctl's JSON, in one style for every `--output json` (documented in
// docs/operators.md): protobuf's JSON mapping with the proto's field names
// (snake_case) and enum values without their enum's prefix ("DISPATCHING",
// not "CASE_STATE_DISPATCHING"), and, written by hand in the same style, the
// objects that are no proto message (`stats --output json`, the wrappers of
// `cases show`) and GeoJSON. Pure functions.
#ifndef MAYDAY_TOOLS_MAYDAYCTL_JSON_H_
#define MAYDAY_TOOLS_MAYDAYCTL_JSON_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace mayday::tools {

// `text` as a JSON string literal, quotes included: '"' and '\\' escaped,
// control characters as \n, \t, ... or \u00XX. Bytes >= 0x80 pass through
// unchanged (the server only stores valid UTF-8).
std::string JsonString(absl::string_view text);

// `value` with at most `decimals` digits after the point, trailing zeros
// (and a trailing point) removed: 4.5 -> "4.5", 3.0 -> "3", -0.0 -> "0".
// "null" when the value is NaN or infinite (JSON has no such numbers).
// `decimals` must be 0..17.
std::string JsonNumber(double value, int decimals);

// JsonNumber(*value, decimals), or "null" when there is no value.
std::string JsonNumber(const std::optional<double>& value, int decimals);

// Returns an enum value's name without its enum's prefix: the enum's name in
// UPPER_SNAKE_CASE and "_" (AIP-126), e.g. "DISPATCHING" for
// "CASE_STATE_DISPATCHING" of CaseState, "DECLINED" for "REASON_DECLINED" of
// OfferEnded.Reason. A name without that prefix (or nothing after it) is
// returned whole. `enum_name` may be qualified ("mayday.v1.CaseState").
std::string ShortEnumValueName(absl::string_view enum_name, absl::string_view value_name);

// The message as one line of protobuf's JSON mapping with the proto's field
// names ("last_sequence") and enum values named by ShortEnumValueName
// ("state":"DISPATCHING"); otherwise as protobuf prints it: fields at their
// default value left out, 64-bit integers as strings, timestamps in RFC
// 3339, numbers unknown to an enum as numbers. The message must be of a
// type compiled into this program. INTERNAL if protobuf cannot print it.
// Thread-safe.
absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);

// The messages (any range of protobuf messages) as one JSON array of
// ToJson objects. INTERNAL if one cannot be printed.
template <typename Messages>
absl::StatusOr<std::string> ToJsonArray(const Messages& messages) {
  std::string out = "[";
  bool first = true;
  for (const auto& message : messages) {
    absl::StatusOr<std::string> json = ToJson(message);
    if (!json.ok()) return json.status();
    if (!first) out += ",";
    out += *json;
    first = false;
  }
  out += "]";
  return out;
}

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_MAYDAYCTL_JSON_H_
