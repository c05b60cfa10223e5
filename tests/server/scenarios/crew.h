// A responder crew driven by a test through the real ResponderService: goes
// on duty, reports a position, keeps a Subscribe stream open and collects
// what the server pushes.
#ifndef MAYDAY_TESTS_SERVER_CREW_H_
#define MAYDAY_TESTS_SERVER_CREW_H_

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/responder_service.grpc.pb.h"
#include "test_server.h"

namespace mayday::testing {

class Crew {
 public:
  // Registers a token for responder `id` (or uses `token`, one of `id`'s);
  // nothing is sent yet. Calls go over `channel`, or a plaintext one to
  // `server` when it is null.
  Crew(TestServer& server, const std::string& id, std::shared_ptr<grpc::Channel> channel = nullptr,
       std::string token = "");
  ~Crew();

  const std::string& token() const { return token_; }
  std::string name() const { return "responders/" + id_; }
  mayday::v1::ResponderService::Stub& stub() { return *stub_; }

  // SetDuty(on, capability) and one position report; returns the status.
  grpc::Status GoOnDuty(mayday::v1::Capability capability, double latitude, double longitude);
  // Reports the positions on one ReportLocation stream; the call's status.
  grpc::Status Report(const std::vector<std::pair<double, double>>& positions);
  // Opens the Subscribe stream and returns once the server attached it (its
  // initial metadata arrived, or the call ended): offers made from then on
  // reach this crew. Updates are read in a background thread.
  void Subscribe() { OpenSubscribe(/*wait_attached=*/true); }
  // Opens the Subscribe stream without waiting for it to be attached (which
  // takes dispatch's lock: a test of a stalled dispatch cannot wait).
  void SubscribeInBackground() { OpenSubscribe(/*wait_attached=*/false); }
  // Closes the Subscribe stream and waits for it to end.
  void Unsubscribe();
  // The next pushed update, waiting at most `timeout`.
  std::optional<mayday::v1::ResponderUpdate> Next(absl::Duration timeout = absl::Seconds(10));
  // The next pushed offer, skipping other updates.
  std::optional<mayday::v1::Offer> NextOffer(absl::Duration timeout = absl::Seconds(10));

  grpc::Status Accept(const std::string& case_name, mayday::v1::Case* out = nullptr);
  grpc::Status Decline(const std::string& case_name);
  grpc::Status Progress(const std::string& case_name, mayday::v1::CaseState state);

 private:
  void OpenSubscribe(bool wait_attached);
  std::string id_;
  std::string token_;
  std::unique_ptr<mayday::v1::ResponderService::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> subscribe_context_;
  std::thread reader_;
  absl::Mutex mu_;
  std::deque<mayday::v1::ResponderUpdate> updates_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_SERVER_CREW_H_
