// The few pieces of JSON that maydayctl writes by hand, where the output must
// be a stable object with a fixed key order (`stats --output json`) or a
// format protobuf's JSON printer cannot produce (GeoJSON). Pure functions.
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

// The message as one line of proto3 JSON (lowerCamelCase keys, enums by
// name). INTERNAL if protobuf cannot print it.
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
