// Text people type, made safe to store and show: valid UTF-8, without the
// control characters a terminal or log viewer would act on, within a byte
// limit. The SDK cleans a member's text before it leaves the phone (an app
// that cuts a note at a byte limit can cut a character in two, and an
// emergency must never be refused over its note); the server repairs what
// arrives anyway and removes control characters at its edge.
#ifndef MAYDAY_BASE_TEXT_H_
#define MAYDAY_BASE_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace mayday::base {

// What CleanText or RepairUtf8 made of a text.
struct CleanedText {
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
CleanedText CleanText(absl::string_view text, size_t max_bytes);

// CleanText's UTF-8 repair alone: control characters are kept, nothing is
// cut. Valid UTF-8 comes back unchanged (repaired false).
CleanedText RepairUtf8(absl::string_view text);

}  // namespace mayday::base

#endif  // MAYDAY_BASE_TEXT_H_
