// Words the engine's errors share: quoted ids, and the check of an id.
#ifndef MAYDAY_DISPATCH_SRC_ENGINE_WORDS_H_
#define MAYDAY_DISPATCH_SRC_ENGINE_WORDS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mayday::dispatch {

// "\"r-1\"": an id as the engine's messages show it.
inline std::string Quoted(const std::string& id) { return absl::StrCat("\"", id, "\""); }

// INVALID_ARGUMENT naming `what` ("responder", "case") for an empty id.
inline absl::Status ValidateId(const std::string& id, const char* what) {
  if (id.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " id must not be empty"));
  return absl::OkStatus();
}

}  // namespace mayday::dispatch

#endif  // MAYDAY_DISPATCH_SRC_ENGINE_WORDS_H_
