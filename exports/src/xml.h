// Text for XML 1.0 documents: what people typed (a member's note, a cancel
// reason), made safe to put between tags or in an attribute.
#ifndef MAYDAY_EXPORTS_SRC_XML_H_
#define MAYDAY_EXPORTS_SRC_XML_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mayday::exports {

// `text` as XML character data: invalid UTF-8 becomes U+FFFD, characters
// XML 1.0 does not allow (C0 controls but TAB and LF, U+FFFE, U+FFFF) are
// removed or replaced, and & < > " ' are escaped.
std::string XmlText(absl::string_view text);

}  // namespace mayday::exports

#endif  // MAYDAY_EXPORTS_SRC_XML_H_
