// The Client behind mayday/sdk/client.h: a stub on one channel, the options,
// and the retry loop of RaiseAlert. Watches get their own share of the stub.
#ifndef MAYDAY_SDK_SRC_CLIENT_IMPL_H_
#define MAYDAY_SDK_SRC_CLIENT_IMPL_H_

#include <memory>
#include <string>

#include "location_feed.h"
#include "mayday/sdk/client.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "outbox.h"
#include "watch_impl.h"

namespace mayday::sdk::internal {

// Returns OK if `options` are usable, else INVALID_ARGUMENT saying why.
absl::Status ValidateOptions(const ClientOptions& options);

// The gRPC target of options.server, which may be written as a URL
// (base/server_address.h), or INVALID_ARGUMENT saying how to write it.
absl::StatusOr<std::string> ServerTarget(const ClientOptions& options);

// Thread-safe: the options and stub are immutable after construction, and
// the outbox and location feed are thread-safe.
class ClientImpl final : public Client {
 public:
  ClientImpl(ClientOptions options, std::shared_ptr<mayday::v1::AlertService::StubInterface> stub,
             std::unique_ptr<AlertOutbox> outbox);

  absl::StatusOr<mayday::v1::Case> RaiseAlert(const Alert& alert) override;
  absl::StatusOr<std::shared_ptr<PendingAlert>> Raise(const Alert& alert,
                                                      AlertCallback on_change) override;
  std::vector<std::shared_ptr<PendingAlert>> PendingAlerts() override;
  std::vector<std::shared_ptr<PendingAlert>> ResumedAlerts() override;
  std::vector<QueuedForAnotherMember> AlertsQueuedForOtherMembers() override;
  absl::Status FeedLocation(const std::string& case_name,
                            const mayday::v1::Location& location) override;
  absl::StatusOr<mayday::v1::Case> GetCase(const std::string& case_name) override;
  absl::StatusOr<mayday::v1::ListCasesResponse> ListCases(int page_size,
                                                          const std::string& page_token) override;
  absl::StatusOr<mayday::v1::CaseEvent> PostMessage(const std::string& case_name,
                                                    const std::string& text) override;
  absl::StatusOr<mayday::v1::Case> RateCase(const std::string& case_name, int stars,
                                            const std::string& comment) override;
  absl::StatusOr<mayday::v1::Case> CancelCaseWithPin(const std::string& case_name,
                                                     const std::string& reason,
                                                     const std::string& pin) override;
  absl::StatusOr<mayday::v1::CancelPinSettings> SetCancelPins(
      const std::string& current_pin, const std::string& cancel_pin,
      const std::string& duress_pin) override;
  absl::StatusOr<mayday::v1::CancelPinSettings> GetCancelPins() override;
  absl::StatusOr<mayday::v1::SafetyTimer> StartSafetyTimer(
      mayday::v1::StartSafetyTimerRequest request) override;
  absl::StatusOr<mayday::v1::SafetyTimer> UpdateSafetyTimer(
      const mayday::v1::UpdateSafetyTimerRequest& request) override;
  absl::StatusOr<mayday::v1::SafetyTimer> EndSafetyTimer(const std::string& timer_name,
                                                         const std::string& pin) override;
  absl::StatusOr<mayday::v1::SafetyTimer> GetSafetyTimer(const std::string& timer_name) override;
  absl::StatusOr<mayday::v1::MedicalProfile> GetMedicalProfile() override;
  absl::StatusOr<mayday::v1::MedicalProfile> UpdateMedicalProfile(
      const mayday::v1::MedicalProfile& profile) override;
  absl::Status DeleteMedicalProfile() override;
  absl::StatusOr<mayday::v1::Case> CancelCase(const std::string& case_name,
                                              const std::string& reason) override;
  absl::StatusOr<mayday::v1::Case> UpdateCaseLocation(
      const std::string& case_name, const mayday::v1::Location& location) override;
  absl::StatusOr<std::unique_ptr<Watch>> WatchCase(
      const std::string& case_name, int64_t after_sequence,
      std::function<void(const mayday::v1::CaseEvent&)> on_event,
      std::function<void(const absl::Status&)> on_end) override;
  absl::StatusOr<std::unique_ptr<Watch>> WatchCrew(
      const std::string& case_name,
      std::function<void(const mayday::v1::CrewPosition&)> on_position,
      std::function<void(const absl::Status&)> on_end) override;

 private:
  using Stub = mayday::v1::AlertService::StubInterface;

  // What every watch of `case_name` (WatchCase, WatchCrew) shares: this
  // client's stub, token and backoff.
  WatchParams NewWatch(const std::string& case_name,
                       std::function<void(const absl::Status&)> on_end) const;

  // One attempt of a unary call with options_.call_timeout.
  template <typename Request, typename Response>
  absl::StatusOr<Response> CallOnce(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                                 const Request&, Response*),
                                    const Request& request);

  const ClientOptions options_;
  const std::shared_ptr<Stub> stub_;
  // Declared last: destroyed first, joining their threads while the stub
  // and options they use are still alive. Shared: a watch answering a fix
  // request holds it for that moment (a Watch may outlive its Client; the
  // feed has its own copy of the options and the stub).
  const std::shared_ptr<LocationFeed> location_feed_;
  const std::unique_ptr<AlertOutbox> outbox_;
};

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_CLIENT_IMPL_H_
