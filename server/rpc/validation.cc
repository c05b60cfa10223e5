// Checks of what clients send; see validation.h.
#include "rpc/validation.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/proto_time.h"

namespace mayday::server {
namespace {

// Between 1970-01-01 and 9999-12-31, nanos in range.
bool IsValidTimestamp(const google::protobuf::Timestamp& t) {
  return t.nanos() >= 0 && t.nanos() <= 999'999'999 && t.seconds() >= 0 &&
         t.seconds() <= 253402300799;
}

absl::Status CheckCoordinate(absl::string_view field, double value, double limit) {
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a finite number of degrees, not NaN or infinity"));
  }
  if (value < -limit || value > limit) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s must be between %.0f and %.0f degrees; got %g", field, -limit, limit, value));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateLocation(absl::string_view field, const mayday::v1::Location& location,
                              bool present) {
  if (!present) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " is required: send the device's latitude and longitude"));
  }
  if (auto s = CheckCoordinate(absl::StrCat(field, ".latitude"), location.latitude(), 90);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckCoordinate(absl::StrCat(field, ".longitude"), location.longitude(), 180);
      !s.ok()) {
    return s;
  }
  const double accuracy = location.horizontal_accuracy_meters();
  if (!std::isfinite(accuracy) || accuracy < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".horizontal_accuracy_meters must be a finite number >= 0 (0 when unknown); got ",
        accuracy));
  }
  if (location.has_fix_time() && !IsValidTimestamp(location.fix_time())) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ".fix_time is not a valid timestamp; leave it unset if unknown"));
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> ValidateTimestamp(absl::string_view field,
                                             const google::protobuf::Timestamp& time) {
  if (!IsValidTimestamp(time)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     " is not a valid timestamp: seconds since 1970 up to year 9999, nanos in "
                     "0..999999999"));
  }
  return FromProtoTime(time);
}

absl::Status ValidateKind(mayday::v1::CaseKind kind) {
  if (kind == mayday::v1::CASE_KIND_ROAD || kind == mayday::v1::CASE_KIND_MEDICAL) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "kind is required: set CASE_KIND_ROAD for roadside help or CASE_KIND_MEDICAL for a "
      "medical emergency");
}

absl::Status ValidateText(absl::string_view field, const std::string& text) {
  if (text.size() > kMaxTextBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s is %d bytes; at most %d bytes are accepted", field, text.size(), kMaxTextBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateMessageText(absl::string_view field, const std::string& text) {
  if (text.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is empty: write something"));
  }
  return ValidateText(field, text);
}

absl::Status ValidateRating(int stars, const std::string& comment) {
  if (stars < 1 || stars > 5) {
    return absl::InvalidArgumentError(
        absl::StrCat("stars must be 1 (poor) to 5 (excellent); got ", stars));
  }
  return ValidateText("comment", comment);
}

absl::Status ValidateRequestId(const std::string& request_id) {
  if (request_id.empty()) {
    return absl::InvalidArgumentError(
        "request_id is required: set a unique id (a UUID) for this press of the button and "
        "reuse it on every retry");
  }
  if (request_id.size() > kMaxRequestIdBytes) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "request_id is %d bytes; at most %d are accepted", request_id.size(), kMaxRequestIdBytes));
  }
  for (char c : request_id) {
    if (!absl::ascii_isgraph(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          "request_id may hold only printable ASCII characters without spaces");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ValidatePageSize(int page_size, int max, int fallback) {
  if (page_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("page_size must be >= 0 (0 means %d); got %d", fallback, page_size));
  }
  if (page_size == 0) return fallback;
  return page_size > max ? max : page_size;
}

absl::StatusOr<int64_t> ParseSequencePageToken(const std::string& page_token) {
  int64_t after = 0;
  if (!page_token.empty() && (!absl::SimpleAtoi(page_token, &after) || after < 0)) {
    return absl::InvalidArgumentError(
        "page_token is malformed; pass the next_page_token of a previous call");
  }
  return after;
}

absl::Status ValidateCapability(int capability) {
  if (capability >= mayday::v1::CAPABILITY_TOW && capability <= mayday::v1::CAPABILITY_PARAMEDIC) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "capabilities: ", capability,
      " is not a capability; use CAPABILITY_TOW, _PATROL, _MECHANIC, _AMBULANCE or _PARAMEDIC"));
}

}  // namespace mayday::server
