// Checks of what clients send, done before anything is stored. Each returns
// INVALID_ARGUMENT with a message that names the field and says what a valid
// value looks like, so that a developer can fix the call without reading our
// code.
#ifndef MAYDAY_SERVER_RPC_VALIDATION_H_
#define MAYDAY_SERVER_RPC_VALIDATION_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::server {

// Longest note, reason or message text accepted, in bytes.
inline constexpr size_t kMaxTextBytes = 1000;
// Longest request_id accepted, in bytes.
inline constexpr size_t kMaxRequestIdBytes = 128;

// A location as RaiseAlert and UpdateCaseLocation take it: `field` names it in
// messages ("location").
absl::Status ValidateLocation(absl::string_view field, const mayday::v1::Location& location,
                              bool present);

// A timestamp a client sent (a list filter's bound): between 1970 and
// 9999, nanos in range. Returns it as absl::Time.
absl::StatusOr<absl::Time> ValidateTimestamp(absl::string_view field,
                                             const google::protobuf::Timestamp& time);

// ROAD or MEDICAL.
absl::Status ValidateKind(mayday::v1::CaseKind kind);

// A free-text field of at most kMaxTextBytes.
absl::Status ValidateText(absl::string_view field, const std::string& text);

// A message or note: 1..kMaxTextBytes bytes.
absl::Status ValidateMessageText(absl::string_view field, const std::string& text);

// A rating: 1..5 stars, comment of at most kMaxTextBytes.
absl::Status ValidateRating(int stars, const std::string& comment);

// A request_id: 1..kMaxRequestIdBytes printable bytes.
absl::Status ValidateRequestId(const std::string& request_id);

// A page size in [0, max]; 0 means `fallback`. Returns the size to use.
absl::StatusOr<int> ValidatePageSize(int page_size, int max, int fallback);

// The page token of a list ordered by sequence number: empty (start: 0) or
// the decimal last sequence of the previous page. INVALID_ARGUMENT otherwise.
absl::StatusOr<int64_t> ParseSequencePageToken(const std::string& page_token);

// A capability other than UNSPECIFIED.
absl::Status ValidateCapability(int capability);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RPC_VALIDATION_H_
