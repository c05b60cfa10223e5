// Reading fuzz inputs; see fuzz_input.h.
#include "fuzz_input.h"

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/text_format.h"
#include "grpc/support/log.h"

namespace mayday::fuzz {
namespace {

// Drops text-format parse errors.
class SilentErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
};

void DropLog(google::protobuf::LogLevel, const char*, int, const std::string&) {}

}  // namespace

std::optional<FuzzInput> SplitInput(const uint8_t* data, size_t size) {
  if (size < 2) return std::nullopt;
  FuzzInput input;
  input.selector = data[0];
  input.text = (data[1] & 0x80) != 0;
  input.caller = data[1] & 0x07;
  input.number = (data[1] >> 3) & 0x0f;
  input.payload = absl::string_view(reinterpret_cast<const char*>(data) + 2, size - 2);
  return input;
}

bool ParsePayload(const FuzzInput& input, google::protobuf::Message* message) {
  message->Clear();
  bool parsed;
  if (input.text) {
    SilentErrors errors;
    google::protobuf::TextFormat::Parser parser;
    parser.RecordErrorsTo(&errors);
    parsed = parser.ParseFromString(std::string(input.payload), message);
  } else {
    parsed = message->ParseFromArray(input.payload.data(), static_cast<int>(input.payload.size()));
  }
  if (!parsed) return false;
  std::string wire;
  if (!message->SerializeToString(&wire)) return false;
  std::unique_ptr<google::protobuf::Message> again(message->New());
  return again->ParseFromString(wire);
}

void QuietLibraries() {
  google::protobuf::SetLogHandler(&DropLog);
  gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
}

void Fail(absl::string_view harness, absl::string_view what,
          const google::protobuf::Message* message) {
  std::fprintf(stderr, "\n== %.*s: invariant broken: %.*s\n", static_cast<int>(harness.size()),
               harness.data(), static_cast<int>(what.size()), what.data());
  if (message != nullptr) {
    std::fprintf(stderr, "== message: %s\n", message->ShortDebugString().c_str());
  }
  std::abort();
}

}  // namespace mayday::fuzz
