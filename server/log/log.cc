// maydayd's log on spdlog; see log.h.
#include "log/log.h"

#include <grpc/support/log.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mayday/base/text.h"

namespace mayday::server {
namespace {

std::atomic<LogFormat> format{LogFormat::kText};

// The one logger: stderr, each line flushed (a supervisor or a crash test
// reads them as they come), times in UTC.
spdlog::logger& Logger() {
  static spdlog::logger* const logger = [] {
    auto* made = new spdlog::logger("maydayd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    made->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %v", spdlog::pattern_time_type::utc);
    made->set_level(spdlog::level::info);
    made->flush_on(spdlog::level::info);
    return made;
  }();
  return *logger;
}

// `text` as the inside of a JSON string: valid UTF-8, quotes, backslashes
// and control characters escaped.
std::string JsonString(absl::string_view text) {
  const std::string valid = base::RepairUtf8(text).text;
  std::string out;
  out.reserve(valid.size() + 2);
  for (const char c : valid) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out;
}

spdlog::level::level_enum SpdLevel(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarning:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* LevelName(LogLevel level, bool upper) {
  switch (level) {
    case LogLevel::kInfo:
      return upper ? "INFO" : "info";
    case LogLevel::kWarning:
      return upper ? "WARN" : "warning";
    case LogLevel::kError:
      return upper ? "ERROR" : "error";
  }
  return "info";
}

// gRPC's own lines, as ours with the event "grpc".
void GrpcLog(gpr_log_func_args* args) {
  const LogLevel level = args->severity == GPR_LOG_SEVERITY_ERROR  ? LogLevel::kError
                         : args->severity == GPR_LOG_SEVERITY_INFO ? LogLevel::kInfo
                                                                   : LogLevel::kInfo;
  Log(level, "grpc",
      absl::StrCat(args->message, " (", args->file == nullptr ? "" : args->file, ":", args->line,
                   ")"));
}

}  // namespace

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("log format \"", name, "\": expected text or json"));
}

void ConfigureLog(LogFormat chosen) {
  format.store(chosen);
  Logger().set_pattern(chosen == LogFormat::kJson ? R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ",%v)"
                                                  : "%Y-%m-%dT%H:%M:%S.%eZ %v",
                       spdlog::pattern_time_type::utc);
  gpr_set_log_function(&GrpcLog);
}

void Log(LogLevel level, absl::string_view event, absl::string_view message) {
  std::string line;
  if (format.load() == LogFormat::kJson) {
    line = absl::StrCat(R"("level":")", LevelName(level, false), R"(","event":")",
                        JsonString(event), R"(","message":")", JsonString(message), R"("})");
  } else {
    line = absl::StrCat(LevelName(level, true), " maydayd: ", message);
  }
  Logger().log(SpdLevel(level), spdlog::string_view_t(line.data(), line.size()));
}

}  // namespace mayday::server
