// One event read from the commit chain, shared by the webhook endpoints
// that deliver it (webhooks/deliverer.h). Internal to the deliverer.
#ifndef MAYDAY_SERVER_WEBHOOKS_SHARED_EVENT_H_
#define MAYDAY_SERVER_WEBHOOKS_SHARED_EVENT_H_

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "mayday/v1/resources.pb.h"
#include "store/store.h"
#include "webhooks/payload.h"

namespace mayday::server::webhooks {

// One event read from the chain, shared by the endpoints delivering it: the
// first to need its case reads it, and each format's body is made once
// (JSON bodies differ only by the endpoint's name), so an event costs one
// read and one rendering however many endpoints take it. The case is as
// it was when the first of them read it.
class SharedEvent {
 public:
  explicit SharedEvent(mayday::v1::CaseEvent event) : event_(std::move(event)) {}
  const mayday::v1::CaseEvent& event() const { return event_; }

  // The body in `format` ("json" or "cap") for `endpoint_name`; if the case
  // could not be read, says so in `read_failed` (and the next call reads
  // again).
  absl::StatusOr<Payload> Body(Store& store, const std::string& format,
                               absl::string_view endpoint_name, const std::string& agency,
                               bool& read_failed);

 private:
  const mayday::v1::CaseEvent event_;
  absl::Mutex mu_;
  std::optional<mayday::v1::Case> case_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::StatusOr<JsonParts>> json_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::StatusOr<Payload>> bodies_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::server::webhooks

#endif  // MAYDAY_SERVER_WEBHOOKS_SHARED_EVENT_H_
