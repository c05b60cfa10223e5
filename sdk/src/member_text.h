// Free text a member sends (an alert's note, a message, a cancel reason, a
// rating's comment), made acceptable to the server before it leaves the
// phone. The server refuses text that is not valid UTF-8 and text over 1,000
// bytes; an app that cuts a note at a byte limit can cut a character in two,
// and an emergency must never be refused over its note. So the SDK repairs
// such text, removes control characters a terminal would act on, and keeps
// it within the server's limit, cutting only between characters.
#ifndef MAYDAY_SDK_SRC_MEMBER_TEXT_H_
#define MAYDAY_SDK_SRC_MEMBER_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace mayday::sdk::internal {

// The server's limit on a note, message, reason or comment, in bytes
// (server/rpc/validation.h, kMaxTextBytes).
inline constexpr size_t kMaxMemberTextBytes = 1000;

// What CleanMemberText made of a text.
struct CleanedText {
  // Valid UTF-8, without control characters other than TAB and LF, at most
  // the max_bytes given.
  std::string text;
  // Something other than trimming changed it: invalid UTF-8 was replaced or
  // dropped, or control characters were removed.
  bool repaired = false;
  // It was cut to max_bytes.
  bool trimmed = false;
};

// Returns `text` as valid UTF-8 without control characters:
//  - each maximal ill-formed subsequence (Unicode 15, section 3.9: a byte
//    that cannot start a character, a sequence broken off by a byte that
//    cannot continue it, an overlong form, a surrogate, a code point past
//    U+10FFFF) becomes U+FFFD, except an unfinished character at the very
//    end (what cutting at a byte limit leaves), which is dropped;
//  - C0 controls other than TAB and LF (NUL, BEL, ESC, CR, ...), DEL and the
//    C1 controls U+0080..U+009F are removed;
// then, if the result is longer than `max_bytes`, cuts it at the last
// character boundary at or below `max_bytes`. Valid text without such
// controls and within `max_bytes` comes back unchanged.
CleanedText CleanMemberText(absl::string_view text, size_t max_bytes);

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
