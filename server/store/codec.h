// Conversions between the store's rows and its API types: case names and
// ids, protobuf timestamps and microsecond columns, serialized messages, roles
// and their column text, and the opaque page tokens of ListCases. Pure
// functions; any thread may call them.
#ifndef MAYDAY_SERVER_STORE_CODEC_H_
#define MAYDAY_SERVER_STORE_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "api/names.h"
#include "google/protobuf/timestamp.pb.h"
#include "mayday/v1/resources.pb.h"
#include "store/store.h"

namespace mayday::server::store_internal {

// Debian's Abseil is built with its own absl::string_view, which absl::StrCat
// and friends need; store.h speaks std::string_view.
inline absl::string_view ToAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

// Microseconds since the Unix epoch, rounded down (sub-microsecond digits of
// a Timestamp are dropped).
int64_t ToUnixMicros(const google::protobuf::Timestamp& time);

// A message parsed from a stored blob. DATA_LOSS naming `what` if the blob
// does not parse (the file is corrupt).
absl::StatusOr<mayday::v1::Case> ParseCase(absl::string_view blob, absl::string_view what);
absl::StatusOr<mayday::v1::CaseEvent> ParseEvent(absl::string_view blob, absl::string_view what);

// Where a ListCases page ends: the sort key of its last case.
struct CaseCursor {
  int64_t create_time_us = 0;
  std::string id;
};

// An opaque, URL-safe page token for `cursor`, and back. nullopt if `token`
// was not made by EncodePageToken.
std::string EncodePageToken(const CaseCursor& cursor);
std::optional<CaseCursor> DecodePageToken(absl::string_view token);

// "storage write failed (<reason>): <cause>; nothing was stored", as
// UNAVAILABLE, marked so that WriteFailureReason (store.h) finds the
// reason. A status WriteFailed made is returned as it is.
absl::Status WriteFailed(const absl::Status& cause);
// "storage read failed: <cause>", as UNAVAILABLE.
absl::Status ReadFailed(const absl::Status& cause);

}  // namespace mayday::server::store_internal

#endif  // MAYDAY_SERVER_STORE_CODEC_H_
