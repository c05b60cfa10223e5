// UTF-8 repair, control characters and trimming; see text.h.
#include "mayday/base/text.h"

#include <cstdint>

namespace mayday::base {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

// How a lead byte starts a character: its length and the range its second
// byte must fall in (Unicode 15, table 3-7). Length 0: not a lead byte.
struct Lead {
  int length;
  uint8_t second_low;
  uint8_t second_high;
};

Lead LeadOf(uint8_t byte) {
  if (byte < 0x80) return {1, 0, 0};
  if (byte >= 0xC2 && byte <= 0xDF) return {2, 0x80, 0xBF};
  if (byte == 0xE0) return {3, 0xA0, 0xBF};  // no overlong forms
  if (byte == 0xED) return {3, 0x80, 0x9F};  // no surrogates
  if (byte >= 0xE1 && byte <= 0xEF) return {3, 0x80, 0xBF};
  if (byte == 0xF0) return {4, 0x90, 0xBF};  // no overlong forms
  if (byte >= 0xF1 && byte <= 0xF3) return {4, 0x80, 0xBF};
  if (byte == 0xF4) return {4, 0x80, 0x8F};  // nothing past U+10FFFF
  return {0, 0, 0};                          // a continuation byte, C0, C1 (overlong) or F5..FF
}

// A code point a terminal or log viewer would act on rather than show.
bool IsControl(uint32_t code_point) {
  if (code_point == '\t' || code_point == '\n') return false;
  return code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F);
}

// Both: the repair, and the controls removed if `strip_controls`.
CleanedText Clean(absl::string_view text, size_t max_bytes, bool strip_controls) {
  CleanedText cleaned;
  std::string& out = cleaned.text;
  out.reserve(text.size());
  const auto byte_at = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  size_t i = 0;
  while (i < text.size()) {
    const Lead lead = LeadOf(byte_at(i));
    if (lead.length == 0) {
      out += kReplacement;
      cleaned.repaired = true;
      ++i;
      continue;
    }
    // Take as many bytes as continue the character validly.
    size_t end = i + 1;
    for (int k = 1; k < lead.length && end < text.size(); ++k, ++end) {
      const uint8_t low = k == 1 ? lead.second_low : 0x80;
      const uint8_t high = k == 1 ? lead.second_high : 0xBF;
      if (byte_at(end) < low || byte_at(end) > high) break;
    }
    if (end - i < static_cast<size_t>(lead.length)) {
      cleaned.repaired = true;
      if (end == text.size()) break;  // a character cut off at the end: drop it
      out += kReplacement;            // broken off by a byte that cannot continue it
      i = end;
      continue;
    }
    uint32_t code_point = lead.length == 1   ? byte_at(i)
                          : lead.length == 2 ? byte_at(i) & 0x1F
                          : lead.length == 3 ? byte_at(i) & 0x0F
                                             : byte_at(i) & 0x07;
    for (size_t k = i + 1; k < end; ++k) code_point = (code_point << 6) | (byte_at(k) & 0x3F);
    if (strip_controls && IsControl(code_point)) {
      cleaned.repaired = true;
    } else {
      out.append(text.data() + i, end - i);
    }
    i = end;
  }
  if (out.size() > max_bytes) {
    // `out` is valid UTF-8: step back over continuation bytes to a start.
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<uint8_t>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    cleaned.trimmed = true;
  }
  return cleaned;
}

}  // namespace

CleanedText CleanText(absl::string_view text, size_t max_bytes) {
  return Clean(text, max_bytes, /*strip_controls=*/true);
}

CleanedText RepairUtf8(absl::string_view text) {
  return Clean(text, text.size() * 3, /*strip_controls=*/false);
}

}  // namespace mayday::base
