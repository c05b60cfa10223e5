// Free text a member sends (an alert's note, a message, a cancel reason, a
// rating's comment), made acceptable to the server before it leaves the
// phone (mayday/base/text.h): the server refuses text over 1,000 bytes, and
// an emergency must never be refused over its note.
#ifndef MAYDAY_SDK_SRC_MEMBER_TEXT_H_
#define MAYDAY_SDK_SRC_MEMBER_TEXT_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "mayday/base/text.h"

namespace mayday::sdk::internal {

using base::CleanedText;

// The server's limit on a note, message, reason or comment, in bytes
// (server/rpc/validation.h, kMaxTextBytes).
inline constexpr size_t kMaxMemberTextBytes = 1000;

// An alert's note as Raise sends it: cleaned and within the server's limit,
// so that the alert is never refused over its note.
CleanedText CleanNote(absl::string_view note);

// A message, cancel reason or rating comment as the SDK sends it: cleaned,
// and never made longer than the server's limit by the repair (each U+FFFD
// takes three bytes). Text already over the limit is not cut: the server
// refuses it with INVALID_ARGUMENT, and the app can ask the member to
// shorten it.
CleanedText CleanMessage(absl::string_view text);

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_MEMBER_TEXT_H_
