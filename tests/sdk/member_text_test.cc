// base::CleanText (UTF-8 repair, control characters, trimming between
// characters) and the request_id sent for an app's own key.
#include "member_text.h"

#include <catch2/catch.hpp>
#include <string>

#include "request_id.h"

namespace mayday::sdk::internal {
namespace {

// U+FFFD as UTF-8.
const std::string kFffd = "\xEF\xBF\xBD";

// True if `text` is valid UTF-8 (an independent check: std::mbrtowc would
// depend on the locale).
bool IsValidUtf8(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    int length = b < 0x80           ? 1
                 : (b >> 5) == 0x6  ? 2
                 : (b >> 4) == 0xE  ? 3
                 : (b >> 3) == 0x1E ? 4
                                    : 0;
    if (length == 0 || i + length > text.size()) return false;
    uint32_t cp = length == 1 ? b : b & (0x7F >> length);
    for (int k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[length] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

TEST_CASE("CleanText repairs UTF-8, removes controls, leaves good text alone", "[sdk][text]") {
  struct Row {
    const char* what;
    std::string in;
    std::string out;
    bool repaired;
  };
  auto row = GENERATE_COPY(values<Row>({
      {"ASCII", "flat tyre, A2 exit 5", "flat tyre, A2 exit 5", false},
      {"empty", "", "", false},
      {"German, Greek, CJK, emoji",
       "Br\xC3\xBC"
       "cke \xCE\xB1 \xE4\xBD\xA0 \xF0\x9F\x9A\x91",
       "Br\xC3\xBC"
       "cke \xCE\xB1 \xE4\xBD\xA0 \xF0\x9F\x9A\x91",
       false},
      {"largest code point", "\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF", false},
      {"TAB and LF kept", "line 1\n\tline 2", "line 1\n\tline 2", false},
      {"2-byte character cut at the end", "Unfall auf der Br\xC3", "Unfall auf der Br", true},
      {"3-byte character cut after 2 bytes", "euro \xE2\x82", "euro ", true},
      {"4-byte character cut after 3 bytes", "ambulance \xF0\x9F\x9A", "ambulance ", true},
      {"lone continuation byte in the middle", "a\x80z", "a" + kFffd + "z", true},
      {"invalid byte FF in the middle", "a\xFFz", "a" + kFffd + "z", true},
      {"invalid byte at the end (not a cut character)", "a\xFF", "a" + kFffd, true},
      {"character broken off in the middle", "a\xE2\x82z", "a" + kFffd + "z", true},
      {"overlong slash C0 AF", "\xC0\xAF", kFffd + kFffd, true},
      {"overlong E0 80 AF", "\xE0\x80\xAF", kFffd + kFffd + kFffd, true},
      {"overlong F0 80 80 AF", "\xF0\x80\x80\xAF", kFffd + kFffd + kFffd + kFffd, true},
      {"surrogate U+D800", "\xED\xA0\x80", kFffd + kFffd + kFffd, true},
      {"surrogate at the end", "x\xED\xBF\xBF", "x" + kFffd + kFffd + kFffd, true},
      {"past U+10FFFF", "\xF4\x90\x80\x80", kFffd + kFffd + kFffd + kFffd, true},
      {"F5 lead byte", "\xF5\x80", kFffd + kFffd, true},
      {"NUL, BEL, ESC removed", std::string("a\0b", 3) + "\ac\x1b[31md", "abc[31md", true},
      {"CR and DEL removed", "a\r\nb\x7F", "a\nb", true},
      {"C1 control CSI removed",
       "a\xC2\x9B"
       "31mb",
       "a31mb", true},
      {"NBSP (U+00A0) kept", "a\xC2\xA0z", "a\xC2\xA0z", false},
  }));
  INFO(row.what);
  const CleanedText cleaned = base::CleanText(row.in, 1000);
  CHECK(cleaned.text == row.out);
  CHECK(cleaned.repaired == row.repaired);
  CHECK_FALSE(cleaned.trimmed);
  CHECK(IsValidUtf8(cleaned.text));
}

TEST_CASE("CleanText cuts long text between characters", "[sdk][text]") {
  struct Row {
    const char* what;
    std::string in;
    size_t max_bytes;
    std::string out;
    bool trimmed;
  };
  auto row = GENERATE_COPY(values<Row>({
      {"fits exactly", "abcde", 5, "abcde", false},
      {"ASCII cut", "abcdef", 5, "abcde", true},
      {"cut would split a 2-byte character", "abcd\xC3\xBC", 5, "abcd", true},
      {"cut would split a 4-byte character", "ab\xF0\x9F\x9A\x91", 5, "ab", true},
      {"cut after a whole 4-byte character", "a\xF0\x9F\x9A\x91z", 5, "a\xF0\x9F\x9A\x91", true},
      {"repair grows past the limit", "abc\xFF\xFF", 5, "abc", true},
      {"zero bytes allowed", "abc", 0, "", true},
  }));
  INFO(row.what);
  const CleanedText cleaned = base::CleanText(row.in, row.max_bytes);
  CHECK(cleaned.text == row.out);
  CHECK(cleaned.trimmed == row.trimmed);
  CHECK(cleaned.text.size() <= row.max_bytes);
  CHECK(IsValidUtf8(cleaned.text));
}

TEST_CASE("Notes are cut to the server's limit, messages only if the repair grew them",
          "[sdk][text]") {
  // 999 bytes of ASCII, then a 2-byte character across the 1000-byte limit.
  const CleanedText note = CleanNote(std::string(999, 'x') + "\xC3\xBC" + std::string(70000, 'y'));
  CHECK(note.text == std::string(999, 'x'));
  CHECK(note.trimmed);
  CHECK_FALSE(note.repaired);  // valid text: only cut

  // 999 'x' and one invalid byte: the U+FFFD would make 1002 bytes.
  const CleanedText grown = CleanMessage(std::string(999, 'x') + "\xFF");
  CHECK(grown.text == std::string(999, 'x'));
  CHECK(grown.repaired);
  CHECK(grown.trimmed);
  CHECK(grown.text.size() <= kMaxMemberTextBytes);

  // Already too long: left for the server to refuse, not cut.
  const CleanedText long_message = CleanMessage(std::string(1500, 'y'));
  CHECK(long_message.text.size() == 1500);
  CHECK_FALSE(long_message.trimmed);

  // Every byte value, alone and in pairs, comes out valid and within bounds.
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; b += 17) {
      const std::string in = {static_cast<char>(a), static_cast<char>(b), 'z'};
      const CleanedText cleaned = base::CleanText(in, 4);
      INFO(a << " " << b);
      REQUIRE(IsValidUtf8(cleaned.text));
      REQUIRE(cleaned.text.size() <= 4);
    }
  }
}

TEST_CASE("An app's request_id is sent as is when accepted, else as a stable key",
          "[sdk][request_id]") {
  struct Row {
    const char* what;
    std::string key;
    bool as_is;
  };
  auto row = GENERATE_COPY(values<Row>({
      {"UUID", "4b0e6d2a-57c6-4bd0-9d0a-3f2d6f4c1e7a", true},
      {"printable ASCII", "press#42@alice!~", true},
      {"128 bytes", std::string(128, 'k'), true},
      {"129 bytes", std::string(129, 'k'), false},
      {"a space", "press 42", false},
      {"not ASCII",
       "dr\xC3\xBC"
       "cken-42",
       false},
      {"invalid UTF-8", "press-\xC3", false},
      {"a control character", "press\n42", false},
  }));
  INFO(row.what);
  CHECK(IsAcceptedRequestId(row.key) == row.as_is);
  const std::string sent = WireRequestId(row.key);
  if (row.as_is) {
    CHECK(sent == row.key);
  } else {
    CHECK(sent.size() == 36);
    CHECK(sent.rfind("key-", 0) == 0);
    CHECK(sent.find_first_not_of("0123456789abcdef", 4) == std::string::npos);
    CHECK(IsAcceptedRequestId(sent));
    CHECK(WireRequestId(row.key) == sent);        // the same every time
    CHECK(WireRequestId(row.key + "x") != sent);  // and another for another key
  }
}

TEST_CASE("The stable key is FNV-1a 128 of the key's bytes, fixed across versions",
          "[sdk][request_id]") {
  // Known answers, computed apart from this code (Python big integers with
  // FNV's published 128-bit offset basis and prime; the same arithmetic gives
  // FNV's published d228cb696f1a8caf78912b704e4a8964 for "a"). An app's
  // retry after an upgrade must still name the same case.
  CHECK(WireRequestId("press 42") == "key-09821b975d659ba8256e2bea76d7ad4e");
  CHECK(WireRequestId("dr\xC3\xBC"
                      "cken-42") == "key-30317fe25089c68f546a9333105e649e");
}

}  // namespace
}  // namespace mayday::sdk::internal
