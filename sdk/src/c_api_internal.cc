// The C ABI's shared helpers; see c_api_internal.h.
#include "c_api_internal.h"

#include <cstring>

namespace mayday::sdk::c_api {

std::string& LastError() {
  thread_local std::string last_error;
  return last_error;
}

mayday_status ToCStatus(const absl::Status& status) {
  if (IsUntrustedServerError(status)) return MAYDAY_UNTRUSTED_SERVER;
  return static_cast<mayday_status>(status.code());
}

mayday_status Fail(const absl::Status& status) {
  LastError() = std::string(status.message());
  return ToCStatus(status);
}

mayday_status Invalid(const char* message) {
  LastError() = message;
  return MAYDAY_INVALID_ARGUMENT;
}

mayday_status CopyOut(const std::string& text, char* buffer, size_t size) {
  if (buffer == nullptr || size == 0) return MAYDAY_OK;
  if (text.size() + 1 > size) {
    buffer[0] = '\0';
    LastError() = "buffer too small";
    return MAYDAY_BUFFER_TOO_SMALL;
  }
  std::memcpy(buffer, text.c_str(), text.size() + 1);
  return MAYDAY_OK;
}

std::string OrEmpty(const char* text) { return text == nullptr ? "" : text; }

}  // namespace mayday::sdk::c_api
