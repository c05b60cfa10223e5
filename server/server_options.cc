// The checks of ServerOptions made before anything opens; see server.h.
#include "server.h"

namespace mayday::server {

absl::Status CheckServerOptions(const ServerOptions& options) {
  if (auto s = options.rate_limits.Validate(); !s.ok()) return s;
  if (auto s = options.stalls.Validate(); !s.ok()) return s;
  if (auto s = options.fixes.Validate(); !s.ok()) return s;
  if (options.track_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the track interval must be positive");
  }
  if (options.db_path.empty()) {
    return absl::InvalidArgumentError("no database: pass --db FILE or --store TARGET");
  }
  return absl::OkStatus();
}

}  // namespace mayday::server
