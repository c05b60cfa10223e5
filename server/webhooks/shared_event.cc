#include "webhooks/shared_event.h"

#include <string>
#include <utility>

#include "absl/strings/strip.h"
#include "absl/types/span.h"

namespace mayday::server::webhooks {

absl::StatusOr<Payload> SharedEvent::Body(Store& store, const std::string& format,
                                          absl::string_view endpoint_name,
                                          const std::string& agency, bool& read_failed) {
  absl::MutexLock lock(&mu_);
  if (!case_.has_value()) {
    absl::StatusOr<mayday::v1::Case> read =
        store.GetCase(std::string(absl::StripPrefix(event_.case_(), "cases/")));
    if (!read.ok()) {
      read_failed = true;
      return read.status();
    }
    case_ = *std::move(read);
  }
  if (format == "json") {
    if (!json_.has_value()) json_ = MakeJsonParts(*case_, event_);
    if (!json_->ok()) return json_->status();
    return JsonPayload(**json_, endpoint_name);
  }
  auto made = bodies_.find(format);
  if (made == bodies_.end()) {
    made = bodies_
               .emplace(format, BuildPayload(format, endpoint_name, *case_,
                                             absl::MakeConstSpan(&event_, 1), agency))
               .first;
  }
  return made->second;
}

}  // namespace mayday::server::webhooks
