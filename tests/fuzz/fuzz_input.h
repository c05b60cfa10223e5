// How Mayday's fuzz harnesses read an input. An input is two selector bytes
// and a payload:
//
//   byte 0   which call (or function) the input is for, modulo their number
//   byte 1   bit 7: the payload is protobuf text format (else binary);
//            bits 0-2: who calls (harness-specific table of 8 callers);
//            bits 3-6: a small number the harness may use (repeat count, ...)
//   rest     the request message
//
// Seeds in text format (see make_corpus.sh) keep the corpus readable and let
// mutations stay close to well-formed requests; binary seeds cover the wire.
#ifndef MAYDAY_TESTS_FUZZ_FUZZ_INPUT_H_
#define MAYDAY_TESTS_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace mayday::fuzz {

struct FuzzInput {
  uint8_t selector = 0;  // byte 0
  bool text = false;     // byte 1, bit 7
  uint8_t caller = 0;    // byte 1, bits 0-2
  uint8_t number = 0;    // byte 1, bits 3-6
  absl::string_view payload;
};

// Splits `data`; nullopt if it is shorter than the two selector bytes.
std::optional<FuzzInput> SplitInput(const uint8_t* data, size_t size);

// Parses the payload into `message` (cleared first) as text format or binary.
// Returns false if it does not parse, or if the result would not survive the
// wire (a proto3 string that is not UTF-8 fails to serialize and parse):
// such an input cannot reach a server, so a harness skips it.
bool ParsePayload(const FuzzInput& input, google::protobuf::Message* message);

// Silences protobuf's and gRPC's logging (parse errors of bad inputs would
// otherwise flood the output and slow the fuzzer). Call once at start.
void QuietLibraries();

// Prints `what` and the message, then aborts: libFuzzer reports it as a crash
// and saves the input.
[[noreturn]] void Fail(absl::string_view harness, absl::string_view what,
                       const google::protobuf::Message* message = nullptr);

}  // namespace mayday::fuzz

#endif  // MAYDAY_TESTS_FUZZ_FUZZ_INPUT_H_
