// Resource names as the API spells them (AIP-122): "cases/{id}",
// "members/{id}", "responders/{id}", "operators/{id}", "tokens/{id}". Every
// name the server builds or reads goes through here, so that a collection is
// spelled one way and a malformed name gets the same clear error everywhere.
#ifndef MAYDAY_SERVER_API_NAMES_H_
#define MAYDAY_SERVER_API_NAMES_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mayday::server {

// The collections.
inline constexpr absl::string_view kCases = "cases";
inline constexpr absl::string_view kMembers = "members";
inline constexpr absl::string_view kResponders = "responders";
inline constexpr absl::string_view kOperators = "operators";
inline constexpr absl::string_view kTokens = "tokens";
inline constexpr absl::string_view kTimers = "timers";

// "cases/{id}" for a case id.
std::string CaseName(absl::string_view case_id);
// The id in `name` if it has the shape "cases/{id}" (an id that is not empty
// and has no '/'); nullopt otherwise. How the store checks the names it is
// given; ParseCaseName is the API's stricter check of what clients send.
std::optional<absl::string_view> CaseIdOf(absl::string_view name);
// The id in "cases/{id}", for names the server built or already checked; a
// string of another shape is returned as is.
std::string CaseIdFromName(absl::string_view name);
// "cases/{id}" where id is 46 lowercase hex digits (NewCaseId), or 32 for
// cases from before the time prefix. Returns the id; INVALID_ARGUMENT naming
// `field` ("name", "case", "parent") and showing a valid name otherwise.
absl::StatusOr<std::string> ParseCaseName(absl::string_view field, absl::string_view name);

// "timers/{id}" for a safety timer's id; its id if `name` has that shape
// (as CaseIdOf); and the API's check of a timer name a client sends (46
// lowercase hex digits, as case ids), naming `field`.
std::string TimerName(absl::string_view timer_id);
std::optional<absl::string_view> TimerIdOf(absl::string_view name);
absl::StatusOr<std::string> ParseTimerName(absl::string_view field, absl::string_view name);

// "responders/{id}" for a responder id, and back ("" if `name` is not a
// responder's name).
std::string ResponderName(absl::string_view responder_id);
std::string ResponderIdFromName(absl::string_view name);
// "members/{id}" and "operators/{id}".
std::string MemberName(absl::string_view member_id);
std::string OperatorName(absl::string_view operator_id);

// "{collection}/{id}" where id is 1 to 64 of [A-Za-z0-9._-] (a member,
// responder or operator id, as tokens carry them). Returns the id;
// INVALID_ARGUMENT naming `field` otherwise. `collection` is kMembers,
// kResponders or kOperators.
absl::StatusOr<std::string> ParseSubjectName(absl::string_view field, absl::string_view name,
                                             absl::string_view collection);

// "tokens/{id}" where id is 16 lowercase hex digits (TokenId). Returns the
// id; INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<std::string> ParseTokenName(absl::string_view field, absl::string_view name);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_API_NAMES_H_
