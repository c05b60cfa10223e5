// A member's text within the server's limits; see member_text.h.
#include "member_text.h"

#include <algorithm>

namespace mayday::sdk::internal {

CleanedText CleanNote(absl::string_view note) { return base::CleanText(note, kMaxMemberTextBytes); }

CleanedText CleanMessage(absl::string_view text) {
  return base::CleanText(text, std::max(kMaxMemberTextBytes, text.size()));
}

}  // namespace mayday::sdk::internal
