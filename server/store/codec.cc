// Row and API type conversions of the store; see codec.h.
#include "store/codec.h"

#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "store/database.h"

namespace mayday::server::store_internal {
namespace {

// Bumped if the token layout ever changes, so old tokens are rejected
// cleanly instead of misread.
constexpr absl::string_view kPageTokenVersion = "c1:";
// Marks a status made by WriteFailed; holds its reason.
constexpr char kWriteFailureUrl[] = "type.mayday.dev/store.write_failure";

template <typename Message>
absl::StatusOr<Message> Parse(absl::string_view blob, absl::string_view what) {
  Message message;
  if (!message.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
    return absl::DataLossError(
        absl::StrCat("stored ", what, " cannot be parsed; the database is corrupt"));
  }
  return message;
}

}  // namespace

int64_t ToUnixMicros(const google::protobuf::Timestamp& time) {
  // nanos is in [0, 1e9) for a valid Timestamp, so this rounds down.
  return time.seconds() * 1'000'000 + time.nanos() / 1'000;
}

absl::StatusOr<mayday::v1::Case> ParseCase(absl::string_view blob, absl::string_view what) {
  return Parse<mayday::v1::Case>(blob, what);
}

absl::StatusOr<mayday::v1::CaseEvent> ParseEvent(absl::string_view blob, absl::string_view what) {
  return Parse<mayday::v1::CaseEvent>(blob, what);
}

std::string EncodePageToken(const CaseCursor& cursor) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(kPageTokenVersion, cursor.create_time_us, ":", cursor.id));
}

std::optional<CaseCursor> DecodePageToken(absl::string_view token) {
  std::string plain;
  if (!absl::WebSafeBase64Unescape(token, &plain)) return std::nullopt;
  absl::string_view rest = plain;
  if (!absl::ConsumePrefix(&rest, kPageTokenVersion)) return std::nullopt;
  size_t colon = rest.find(':');
  if (colon == absl::string_view::npos) return std::nullopt;
  CaseCursor cursor;
  if (!absl::SimpleAtoi(rest.substr(0, colon), &cursor.create_time_us)) {
    return std::nullopt;
  }
  cursor.id = std::string(rest.substr(colon + 1));
  if (cursor.id.empty()) return std::nullopt;
  return cursor;
}

absl::Status WriteFailed(const absl::Status& cause) {
  // A job's own failed write, seen again by the batch that ran it.
  if (cause.GetPayload(kWriteFailureUrl).has_value()) return cause;
  const absl::string_view reason = StorageFailureOf(cause);
  absl::Status status = absl::UnavailableError(absl::StrCat(
      "storage write failed (", reason, "): ", cause.message(), "; nothing was stored"));
  status.SetPayload(kWriteFailureUrl, absl::Cord(reason));
  return status;
}

absl::Status ReadFailed(const absl::Status& cause) {
  return absl::UnavailableError(absl::StrCat("storage read failed: ", cause.message()));
}

}  // namespace mayday::server::store_internal

namespace mayday::server {

std::string TokenId(absl::string_view token_hash) { return std::string(token_hash.substr(0, 16)); }

absl::string_view WriteFailureReason(const absl::Status& status) {
  if (!absl::IsUnavailable(status)) return {};
  absl::optional<absl::Cord> reason = status.GetPayload(store_internal::kWriteFailureUrl);
  if (!reason.has_value()) return {};
  // Always one of FailureReason's literals, so the view outlives the status.
  for (absl::string_view known :
       {"disk full", "I/O error", "database busy", "database read-only", "database corrupt"}) {
    if (*reason == known) return known;
  }
  return "storage error";
}

}  // namespace mayday::server
