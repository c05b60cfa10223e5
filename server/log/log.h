// maydayd's log: one line per event a person would look for, on stderr,
// timestamped (UTC, milliseconds) and levelled; plain text by default,
//
//   2026-12-06T11:30:00.123Z INFO maydayd: serving on port 7433, ...
//
// or one JSON object per line (`--log-format json`), for journald, Loki or
// Elasticsearch:
//
//   {"time":"2026-12-06T11:30:00.123456Z","level":"info","event":"start",
//    "message":"serving on port 7433, ..."}
//
// `event` names what happened in a few snake_case words (docs/operations.md
// lists them), so that a query need not parse the message. gRPC's own log
// goes through the same sink (event "grpc"). Messages never carry what a
// member or crew wrote (notes, messages): ids and states only.
//
// Thread-safe: any thread may log at any time; each line is written whole.
#ifndef MAYDAY_SERVER_LOG_LOG_H_
#define MAYDAY_SERVER_LOG_LOG_H_

#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace mayday::server {

enum class LogFormat { kText, kJson };
enum class LogLevel { kInfo, kWarning, kError };

// "text" or "json"; INVALID_ARGUMENT naming both for anything else.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name);

// Sets the format of every line from now on and routes gRPC's log through
// this one. Until it is called (tests, tools) lines are text.
void ConfigureLog(LogFormat format);

// Writes one line.
void Log(LogLevel level, absl::string_view event, absl::string_view message);

template <typename... Args>
void LogInfo(absl::string_view event, const absl::FormatSpec<Args...>& format,
             const Args&... args) {
  Log(LogLevel::kInfo, event, absl::StrFormat(format, args...));
}
template <typename... Args>
void LogWarning(absl::string_view event, const absl::FormatSpec<Args...>& format,
                const Args&... args) {
  Log(LogLevel::kWarning, event, absl::StrFormat(format, args...));
}
template <typename... Args>
void LogError(absl::string_view event, const absl::FormatSpec<Args...>& format,
              const Args&... args) {
  Log(LogLevel::kError, event, absl::StrFormat(format, args...));
}

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_LOG_LOG_H_
