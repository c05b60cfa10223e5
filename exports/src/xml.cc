// XML character data; see xml.h.
#include "xml.h"

#include <cstddef>

#include "absl/strings/str_replace.h"
#include "mayday/base/text.h"

namespace mayday::exports {

std::string XmlText(absl::string_view text) {
  // (Room for every byte to become U+FFFD.) CleanText leaves valid UTF-8 without C0 (but TAB, LF),
  // DEL or C1 controls; XML 1.0 also excludes the noncharacters U+FFFE and U+FFFF.
  const std::string clean = base::CleanText(text, text.size() * 3 + 3).text;
  return absl::StrReplaceAll(clean, {{"&", "&amp;"},
                                     {"<", "&lt;"},
                                     {">", "&gt;"},
                                     {"\"", "&quot;"},
                                     {"'", "&apos;"},
                                     {"\xEF\xBF\xBE", "\xEF\xBF\xBD"},
                                     {"\xEF\xBF\xBF", "\xEF\xBF\xBD"}});
}

}  // namespace mayday::exports
