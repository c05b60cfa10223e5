// Client::Create and the unary calls; see client_impl.h. WatchCase's thread
// is in watch_impl.cc.
#include "client_impl.h"

#include <algorithm>
#include <utility>

#include "backoff.h"
#include "channel.h"
#include "credentials.h"
#include "grpc_status.h"
#include "mayday/base/server_address.h"
#include "member_text.h"
#include "request_id.h"
#include "watch_impl.h"

namespace mayday::sdk {

absl::StatusOr<std::unique_ptr<Client>> Client::Create(const ClientOptions& given) {
  ClientOptions options = given;
  if (absl::Status status = internal::ValidateOptions(options); !status.ok()) {
    return status;
  }
  absl::StatusOr<std::string> target = internal::ServerTarget(options);
  if (!target.ok()) return target.status();
  options.server = *std::move(target);
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      internal::MakeCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  std::shared_ptr<grpc::Channel> channel = internal::MakeChannel(options, *credentials);
  std::shared_ptr<mayday::v1::AlertService::StubInterface> stub =
      mayday::v1::AlertService::NewStub(channel);
  absl::StatusOr<std::unique_ptr<internal::AlertOutbox>> outbox =
      internal::AlertOutbox::Open(options, stub, channel);
  if (!outbox.ok()) return outbox.status();
  return std::make_unique<internal::ClientImpl>(options, std::move(stub), std::move(*outbox));
}

namespace internal {

absl::Status ValidateOptions(const ClientOptions& options) {
  if (options.server.empty()) {
    return absl::InvalidArgumentError("ClientOptions.server is required");
  }
  if (options.token.empty()) {
    return absl::InvalidArgumentError("ClientOptions.token is required");
  }
  if (options.call_timeout <= absl::ZeroDuration() ||
      options.raise_deadline <= absl::ZeroDuration() ||
      options.initial_backoff <= absl::ZeroDuration() ||
      options.max_backoff <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("ClientOptions durations must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ServerTarget(const ClientOptions& options) {
  // An address pasted as a URL: "http://" is the plaintext address it
  // names; "https://" is TLS, which tls.enabled must say too.
  return base::ServerTarget(options.server, options.tls.enabled,
                            {.setting = "ClientOptions.server",
                             .tls_asked = "tls.enabled is set",
                             .ask_tls = "set tls.enabled to connect with TLS"});
}

ClientImpl::ClientImpl(ClientOptions options, std::shared_ptr<Stub> stub,
                       std::unique_ptr<AlertOutbox> outbox)
    : options_(std::move(options)),
      stub_(std::move(stub)),
      location_feed_(std::make_shared<LocationFeed>(options_, stub_)),
      outbox_(std::move(outbox)) {}

template <typename Request, typename Response>
absl::StatusOr<Response> ClientImpl::CallOnce(grpc::Status (Stub::*method)(grpc::ClientContext*,
                                                                           const Request&,
                                                                           Response*),
                                              const Request& request) {
  grpc::ClientContext context;
  PrepareContext(&context, options_.token, absl::Now() + options_.call_timeout);
  Response response;
  grpc::Status status = ((*stub_).*method)(&context, request, &response);
  if (!status.ok()) {
    // One attempt: the code stays gRPC's (UNAVAILABLE), marked so that
    // IsUntrustedServerError tells a certificate failure apart.
    if (IsCertificateFailure(status)) return MarkUntrustedServer(FromGrpcStatus(status));
    return FromGrpcStatus(status);
  }
  return response;
}

absl::StatusOr<std::shared_ptr<PendingAlert>> ClientImpl::Raise(const Alert& alert,
                                                                AlertCallback on_change) {
  mayday::v1::RaiseAlertRequest request;
  request.set_request_id(alert.request_id.empty() ? NewRequestId()
                                                  : WireRequestId(alert.request_id));
  request.set_kind(alert.kind);
  request.mutable_location()->set_latitude(alert.latitude);
  request.mutable_location()->set_longitude(alert.longitude);
  request.mutable_location()->set_horizontal_accuracy_meters(alert.horizontal_accuracy_meters);
  // Never refused over its note: cleaned and cut to the server's limit, which
  // also keeps the request far below the server's 64 KiB.
  CleanedText note = CleanNote(alert.note);
  request.set_note(std::move(note.text));
  return std::shared_ptr<PendingAlert>(
      outbox_->Add(request, std::move(on_change), note.repaired, note.trimmed));
}

absl::StatusOr<mayday::v1::Case> ClientImpl::RaiseAlert(const Alert& alert) {
  absl::StatusOr<std::shared_ptr<PendingAlert>> raised = Raise(alert, nullptr);
  if (!raised.ok()) return raised.status();
  auto* pending = static_cast<PendingAlertImpl*>(raised->get());
  if (!pending->WaitDoneOrUntrusted(options_.raise_deadline) && options_.data_dir.empty()) {
    // Without an outbox the old contract holds: give up at the deadline.
    pending->Abandon(absl::DeadlineExceededError("RaiseAlert: no answer within raise_deadline"));
  }
  AlertProgress progress = pending->progress();
  if (progress.state == AlertState::kAcknowledged) return progress.opened;
  // kFailed, or kQueued after the deadline or with an untrusted server (the
  // alert staying queued).
  if (!progress.error.ok()) return progress.error;
  return absl::DeadlineExceededError("RaiseAlert: no answer within raise_deadline");
}

std::vector<std::shared_ptr<PendingAlert>> ClientImpl::PendingAlerts() {
  return outbox_->Pending();
}

std::vector<std::shared_ptr<PendingAlert>> ClientImpl::ResumedAlerts() {
  return outbox_->Resumed();
}

std::vector<QueuedForAnotherMember> ClientImpl::AlertsQueuedForOtherMembers() {
  return outbox_->WaitingForOthers();
}

absl::Status ClientImpl::FeedLocation(const std::string& case_name,
                                      const mayday::v1::Location& location) {
  return location_feed_->Feed(case_name, location);
}

absl::StatusOr<mayday::v1::Case> ClientImpl::GetCase(const std::string& case_name) {
  mayday::v1::GetCaseRequest request;
  request.set_name(case_name);
  return CallOnce(&Stub::GetCase, request);
}

absl::StatusOr<mayday::v1::ListCasesResponse> ClientImpl::ListCases(int page_size,
                                                                    const std::string& page_token) {
  mayday::v1::ListCasesRequest request;
  request.set_page_size(page_size);
  request.set_page_token(page_token);
  return CallOnce(&Stub::ListCases, request);
}

absl::StatusOr<mayday::v1::CaseEvent> ClientImpl::PostMessage(const std::string& case_name,
                                                              const std::string& text) {
  mayday::v1::PostMessageRequest request;
  request.set_case_(case_name);
  request.set_text(CleanMessage(text).text);
  return CallOnce(&Stub::PostMessage, request);
}

absl::StatusOr<mayday::v1::Case> ClientImpl::RateCase(const std::string& case_name, int stars,
                                                      const std::string& comment) {
  mayday::v1::RateCaseRequest request;
  request.set_name(case_name);
  request.set_stars(stars);
  request.set_comment(CleanMessage(comment).text);
  return CallOnce(&Stub::RateCase, request);
}

absl::StatusOr<mayday::v1::Case> ClientImpl::CancelCase(const std::string& case_name,
                                                        const std::string& reason) {
  return CancelCaseWithPin(case_name, reason, "");
}

absl::StatusOr<mayday::v1::Case> ClientImpl::CancelCaseWithPin(const std::string& case_name,
                                                               const std::string& reason,
                                                               const std::string& pin) {
  mayday::v1::CancelCaseRequest request;
  request.set_name(case_name);
  request.set_reason(CleanMessage(reason).text);
  request.set_pin(pin);
  return CallOnce(&Stub::CancelCase, request);
}

absl::StatusOr<mayday::v1::CancelPinSettings> ClientImpl::SetCancelPins(
    const std::string& current_pin, const std::string& cancel_pin, const std::string& duress_pin) {
  mayday::v1::SetCancelPinsRequest request;
  request.set_current_pin(current_pin);
  request.set_cancel_pin(cancel_pin);
  request.set_duress_pin(duress_pin);
  return CallOnce(&Stub::SetCancelPins, request);
}

absl::StatusOr<mayday::v1::SafetyTimer> ClientImpl::StartSafetyTimer(
    mayday::v1::StartSafetyTimerRequest request) {
  request.set_request_id(request.request_id().empty() ? NewRequestId()
                                                      : WireRequestId(request.request_id()));
  request.set_note(CleanMessage(request.note()).text);
  return CallOnce(&Stub::StartSafetyTimer, request);
}

absl::StatusOr<mayday::v1::SafetyTimer> ClientImpl::UpdateSafetyTimer(
    const mayday::v1::UpdateSafetyTimerRequest& request) {
  return CallOnce(&Stub::UpdateSafetyTimer, request);
}

absl::StatusOr<mayday::v1::SafetyTimer> ClientImpl::EndSafetyTimer(const std::string& timer_name,
                                                                   const std::string& pin) {
  mayday::v1::EndSafetyTimerRequest request;
  request.set_name(timer_name);
  request.set_pin(pin);
  return CallOnce(&Stub::EndSafetyTimer, request);
}

absl::StatusOr<mayday::v1::SafetyTimer> ClientImpl::GetSafetyTimer(const std::string& timer_name) {
  mayday::v1::GetSafetyTimerRequest request;
  request.set_name(timer_name);
  return CallOnce(&Stub::GetSafetyTimer, request);
}

absl::StatusOr<mayday::v1::CancelPinSettings> ClientImpl::GetCancelPins() {
  return CallOnce(&Stub::GetCancelPins, mayday::v1::GetCancelPinsRequest());
}

absl::StatusOr<mayday::v1::MedicalProfile> ClientImpl::GetMedicalProfile() {
  return CallOnce(&Stub::GetMedicalProfile, mayday::v1::GetMedicalProfileRequest());
}

absl::StatusOr<mayday::v1::MedicalProfile> ClientImpl::UpdateMedicalProfile(
    const mayday::v1::MedicalProfile& profile) {
  mayday::v1::UpdateMedicalProfileRequest request;
  *request.mutable_profile() = profile;
  return CallOnce(&Stub::UpdateMedicalProfile, request);
}

absl::Status ClientImpl::DeleteMedicalProfile() {
  return CallOnce(&Stub::DeleteMedicalProfile, mayday::v1::DeleteMedicalProfileRequest()).status();
}

absl::StatusOr<mayday::v1::Case> ClientImpl::UpdateCaseLocation(
    const std::string& case_name, const mayday::v1::Location& location) {
  mayday::v1::UpdateCaseLocationRequest request;
  request.set_name(case_name);
  *request.mutable_location() = location;
  return CallOnce(&Stub::UpdateCaseLocation, request);
}

absl::StatusOr<std::unique_ptr<Watch>> ClientImpl::WatchCase(
    const std::string& case_name, int64_t after_sequence,
    std::function<void(const mayday::v1::CaseEvent&)> on_event,
    std::function<void(const absl::Status&)> on_end) {
  if (case_name.empty()) {
    return absl::InvalidArgumentError("WatchCase: case_name is required");
  }
  if (after_sequence < 0) {
    return absl::InvalidArgumentError("WatchCase: after_sequence must be >= 0");
  }
  if (!on_event || !on_end) {
    return absl::InvalidArgumentError("WatchCase: both callbacks are required");
  }
  WatchParams params = NewWatch(case_name, std::move(on_end));
  params.after_sequence = after_sequence;
  if (options_.current_location) {
    // Dispatch's request for a fresher fix is answered here, before the app
    // hears of it: the newest fix the app has goes out as FeedLocation's do.
    params.on_event = [on_event = std::move(on_event), where = options_.current_location,
                       feed = std::weak_ptr<LocationFeed>(location_feed_),
                       case_name](const mayday::v1::CaseEvent& event) {
      if (event.has_fix_requested()) {
        const std::shared_ptr<LocationFeed> live = feed.lock();
        if (live != nullptr) {
          if (std::optional<mayday::v1::Location> fix = where(); fix.has_value()) {
            (void)live->Feed(case_name, *fix);  // INVALID_ARGUMENT only for an empty name
          }
        }
      }
      on_event(event);
    };
  } else {
    params.on_event = std::move(on_event);
  }
  return std::make_unique<WatchImpl>(std::move(params));
}

absl::StatusOr<std::unique_ptr<Watch>> ClientImpl::WatchCrew(
    const std::string& case_name, std::function<void(const mayday::v1::CrewPosition&)> on_position,
    std::function<void(const absl::Status&)> on_end) {
  if (case_name.empty()) {
    return absl::InvalidArgumentError("WatchCrew: case_name is required");
  }
  if (!on_position || !on_end) {
    return absl::InvalidArgumentError("WatchCrew: both callbacks are required");
  }
  WatchParams params = NewWatch(case_name, std::move(on_end));
  params.on_position = std::move(on_position);
  return std::make_unique<WatchImpl>(std::move(params));
}

WatchParams ClientImpl::NewWatch(const std::string& case_name,
                                 std::function<void(const absl::Status&)> on_end) const {
  WatchParams params;
  params.stub = stub_;
  params.token = options_.token;
  params.case_name = case_name;
  params.on_end = std::move(on_end);
  params.initial_backoff = options_.initial_backoff;
  params.max_backoff = options_.max_backoff;
  params.backoff_seed = RandomSeed();
  return params;
}

}  // namespace internal
}  // namespace mayday::sdk
