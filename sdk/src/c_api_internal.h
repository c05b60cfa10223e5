// What the C ABI's files (c_api.cc, c_api_safety.cc) share: the handles
// behind mayday/mayday.h's opaque types, and how a C++ status becomes the C
// one with this thread's message.
#ifndef MAYDAY_SDK_SRC_C_API_INTERNAL_H_
#define MAYDAY_SDK_SRC_C_API_INTERNAL_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "mayday/mayday.h"
#include "mayday/sdk/client.h"

struct mayday_client {
  std::unique_ptr<mayday::sdk::Client> client;
};

struct mayday_watch {
  std::unique_ptr<mayday::sdk::Watch> watch;
};

namespace mayday::sdk::c_api {

// This thread's last error message (mayday_last_error_message).
std::string& LastError();

// The C code of `status`: gRPC's number, or the C layer's own for an
// untrusted server.
mayday_status ToCStatus(const absl::Status& status);
// ToCStatus, with the message kept for mayday_last_error_message.
mayday_status Fail(const absl::Status& status);
// MAYDAY_INVALID_ARGUMENT with `message`.
mayday_status Invalid(const char* message);
// Copies `text` into `buffer` of `size` bytes with a NUL;
// MAYDAY_BUFFER_TOO_SMALL (and "" in `buffer`) if it does not fit.
mayday_status CopyOut(const std::string& text, char* buffer, size_t size);
// "" for NULL.
std::string OrEmpty(const char* text);

}  // namespace mayday::sdk::c_api

#endif  // MAYDAY_SDK_SRC_C_API_INTERNAL_H_
