// Client::FeedLocation's machinery: the newest unsent position of each case
// and one lazily started thread that sends them with UpdateCaseLocation.
// A newer position replaces an unsent older one, so a slow network sends
// fewer, fresher updates instead of a growing backlog.
#ifndef MAYDAY_SDK_SRC_LOCATION_FEED_H_
#define MAYDAY_SDK_SRC_LOCATION_FEED_H_

#include <grpcpp/client_context.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "mayday/sdk/client.h"
#include "mayday/v1/alert_service.grpc.pb.h"

namespace mayday::sdk::internal {

// Thread-safe.
class LocationFeed {
 public:
  using Stub = mayday::v1::AlertService::StubInterface;

  LocationFeed(const ClientOptions& options, std::shared_ptr<Stub> stub);
  // Cancels a send in flight and joins the thread; unsent positions are
  // dropped.
  ~LocationFeed();

  // See Client::FeedLocation.
  absl::Status Feed(const std::string& case_name, const mayday::v1::Location& location);

 private:
  void Run();

  const ClientOptions options_;
  const std::shared_ptr<Stub> stub_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Newest unsent position per case.
  std::map<std::string, mayday::v1::Location> unsent_ ABSL_GUARDED_BY(mu_);
  // Cases whose feed ended on a non-transient error.
  std::set<std::string> ended_ ABSL_GUARDED_BY(mu_);
  grpc::ClientContext* in_flight_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_LOCATION_FEED_H_
