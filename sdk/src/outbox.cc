// Delivery of raised alerts; see outbox.h.
#include "outbox.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backoff.h"
#include "channel.h"
#include "grpc_status.h"
#include "request_id.h"

namespace mayday::sdk::internal {

PendingAlertImpl::PendingAlertImpl(std::string request_id, AlertCallback on_change,
                                   bool note_repaired, bool note_trimmed)
    : request_id_(std::move(request_id)), on_change_(std::move(on_change)) {
  progress_.request_id = request_id_;
  progress_.note_repaired = note_repaired;
  progress_.note_trimmed = note_trimmed;
}

AlertProgress PendingAlertImpl::progress() const {
  absl::MutexLock lock(&mu_);
  return progress_;
}

bool PendingAlertImpl::WaitDone(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return progress_.state == AlertState::kAcknowledged || progress_.state == AlertState::kFailed;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

bool PendingAlertImpl::WaitDoneOrUntrusted(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return progress_.state == AlertState::kAcknowledged || progress_.state == AlertState::kFailed ||
           (progress_.state == AlertState::kQueued && IsUntrustedServerError(progress_.error));
  };
  return mu_.AwaitWithTimeout(absl::Condition(&settled), timeout);
}

void PendingAlertImpl::Update(AlertState state, absl::Status error,
                              const mayday::v1::Case* opened) {
  AlertProgress snapshot;
  {
    absl::MutexLock lock(&mu_);
    if (state == AlertState::kSending) ++progress_.attempts;
    progress_.state = state;
    // An attempt on the wire keeps the previous attempt's error.
    if (state != AlertState::kSending) progress_.error = std::move(error);
    if (opened != nullptr) progress_.opened = *opened;
    snapshot = progress_;
  }
  if (on_change_) on_change_(snapshot);
}

void PendingAlertImpl::Abandon(absl::Status why) {
  absl::MutexLock lock(&mu_);
  if (abandoned_.ok()) abandoned_ = std::move(why);
}

absl::Status PendingAlertImpl::abandoned() const {
  absl::MutexLock lock(&mu_);
  return abandoned_;
}

absl::StatusOr<std::unique_ptr<AlertOutbox>> AlertOutbox::Open(
    const ClientOptions& options, std::shared_ptr<Stub> stub,
    std::shared_ptr<grpc::ChannelInterface> channel) {
  absl::StatusOr<std::unique_ptr<OutboxStore>> store =
      OutboxStore::Open(options.data_dir, MemberKey(options.token));
  if (!store.ok()) return store.status();
  std::unique_ptr<AlertOutbox> outbox(
      new AlertOutbox(options, std::move(stub), std::move(channel), std::move(*store)));
  absl::StatusOr<std::vector<mayday::v1::RaiseAlertRequest>> pending =
      outbox->store_->LoadPending();
  if (!pending.ok()) return absl::FailedPreconditionError(pending.status().message());
  for (const mayday::v1::RaiseAlertRequest& request : *pending) {
    outbox->resumed_.push_back(
        outbox->Start(std::make_shared<PendingAlertImpl>(request.request_id(), nullptr), request));
  }
  return outbox;
}

AlertOutbox::AlertOutbox(const ClientOptions& options, std::shared_ptr<Stub> stub,
                         std::shared_ptr<grpc::ChannelInterface> channel,
                         std::unique_ptr<OutboxStore> store)
    : options_(options),
      stub_(std::move(stub)),
      channel_(std::move(channel)),
      store_(std::move(store)) {}

AlertOutbox::~AlertOutbox() {
  std::list<Sender> senders;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (grpc::ClientContext* context : in_flight_) context->TryCancel();
  }
  // Sender threads only touch senders_ under mu_ to mark themselves done;
  // the list nodes stay put until joined here.
  for (Sender& sender : senders_) {
    if (sender.thread.joinable()) sender.thread.join();
  }
}

std::shared_ptr<PendingAlertImpl> AlertOutbox::Add(const mayday::v1::RaiseAlertRequest& request,
                                                   AlertCallback on_change, bool note_repaired,
                                                   bool note_trimmed) {
  // An alert must go out even if the disk is full: a store error only costs
  // the survival of the alert across an app kill.
  (void)store_->Insert(request);
  return Start(std::make_shared<PendingAlertImpl>(request.request_id(), std::move(on_change),
                                                  note_repaired, note_trimmed),
               request);
}

std::vector<QueuedForAnotherMember> AlertOutbox::WaitingForOthers() {
  absl::StatusOr<std::vector<OthersAlert>> stored = store_->WaitingForOthers();
  std::vector<QueuedForAnotherMember> waiting;
  if (!stored.ok()) return waiting;
  for (const OthersAlert& alert : *stored) {
    waiting.push_back(QueuedForAnotherMember{alert.request_id, alert.kind,
                                             absl::FromUnixSeconds(alert.queued_at_seconds)});
  }
  return waiting;
}

std::shared_ptr<PendingAlertImpl> AlertOutbox::Start(std::shared_ptr<PendingAlertImpl> alert,
                                                     const mayday::v1::RaiseAlertRequest& request) {
  absl::MutexLock lock(&mu_);
  // Reap senders that finished.
  for (auto it = senders_.begin(); it != senders_.end();) {
    if (it->done) {
      it->thread.join();
      it = senders_.erase(it);
    } else {
      ++it;
    }
  }
  if (stopping_) return alert;
  Sender& sender = senders_.emplace_back();
  sender.alert = alert;
  sender.thread =
      std::thread([this, request, alert, self = &sender] { Deliver(request, alert, self); });
  return alert;
}

std::vector<std::shared_ptr<PendingAlert>> AlertOutbox::Pending() {
  std::vector<std::shared_ptr<PendingAlert>> pending;
  absl::MutexLock lock(&mu_);
  for (const Sender& sender : senders_) {
    if (sender.done) continue;
    // An alert is told it was acknowledged (or failed) just before its
    // sender is marked done: it is no longer being delivered.
    const AlertState state = sender.alert->progress().state;
    if (state == AlertState::kAcknowledged || state == AlertState::kFailed) continue;
    pending.push_back(sender.alert);
  }
  return pending;
}

bool AlertOutbox::Sleep(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stopping_), delay);
  return !stopping_;
}

AlertOutbox::Connection AlertOutbox::AwaitConnection() {
  if (channel_ == nullptr) return Connection::kUp;
  const absl::Time deadline = absl::Now() + kConnectPatience;
  grpc_connectivity_state state = channel_->GetState(/*try_to_connect=*/true);
  while (state == GRPC_CHANNEL_IDLE || state == GRPC_CHANNEL_CONNECTING) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return Connection::kStopping;
    }
    const absl::Time now = absl::Now();
    if (now >= deadline) return Connection::kStillConnecting;
    // In slices, so that the outbox's destructor is not kept waiting.
    if (channel_->WaitForStateChange(
            state, absl::ToChronoTime(std::min(deadline, now + absl::Milliseconds(100))))) {
      state = channel_->GetState(/*try_to_connect=*/true);
    }
  }
  return Connection::kUp;
}

void AlertOutbox::Deliver(mayday::v1::RaiseAlertRequest request,
                          std::shared_ptr<PendingAlertImpl> alert, Sender* self) {
  Backoff backoff(options_.initial_backoff, options_.max_backoff, RandomSeed());
  absl::Status last_error;
  bool told_unanswered = false;
  while (true) {
    if (absl::Status why = alert->abandoned(); !why.ok()) {
      (void)store_->MarkFailed(request.request_id(), std::string(why.message()));
      alert->Update(AlertState::kFailed, last_error.ok() ? why : last_error, nullptr);
      break;
    }
    // A server that does not answer at all would keep the attempt waiting
    // for a connection until call_timeout and then the next one as long:
    // after kConnectPatience the app hears why the alert still waits
    // (once), and the alert keeps waiting for the connection.
    const Connection connection = AwaitConnection();
    if (connection == Connection::kStopping) break;
    if (connection == Connection::kStillConnecting) {
      if (!told_unanswered) {
        told_unanswered = true;
        last_error = absl::UnavailableError(
            absl::StrCat("cannot reach ", options_.server, ": no answer within ",
                         absl::FormatDuration(kConnectPatience),
                         " (the alert stays queued and is sent when the server answers)"));
        alert->Update(AlertState::kQueued, last_error, nullptr);
      }
      continue;
    }
    told_unanswered = false;
    alert->Update(AlertState::kSending, absl::OkStatus(), nullptr);
    grpc::ClientContext context;
    PrepareContext(&context, options_.token, absl::Now() + options_.call_timeout);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
      in_flight_.push_back(&context);
    }
    mayday::v1::Case opened;
    const grpc::Status status = stub_->RaiseAlert(&context, request, &opened);
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      in_flight_.erase(std::find(in_flight_.begin(), in_flight_.end(), &context));
      stopping = stopping_;
    }
    if (status.ok()) {
      (void)store_->MarkAcknowledged(request.request_id(), opened.name());
      alert->Update(AlertState::kAcknowledged, absl::OkStatus(), &opened);
      break;
    }
    if (stopping) break;  // stays pending in the store
    const AfterFailure after = AfterRaiseFailure(status);
    if (after == AfterFailure::kGiveUp) {
      absl::Status error = FromGrpcStatus(status);
      if (IsMessageTooLarge(status)) {
        error = absl::ResourceExhaustedError(absl::StrCat(
            "the alert is larger than the server accepts and cannot be sent as it is (",
            status.error_message(), ")"));
      }
      (void)store_->MarkFailed(request.request_id(), std::string(error.message()));
      alert->Update(AlertState::kFailed, std::move(error), nullptr);
      break;
    }
    // A certificate the client does not accept is a configuration error: the
    // app hears of it now, in kQueued's error, and the alert keeps its place
    // (the app's settings may be fixed, or the phone leave a network that
    // intercepts TLS).
    last_error = after == AfterFailure::kRetryUntrusted ? UntrustedServerError(status)
                                                        : FromGrpcStatus(status);
    alert->Update(AlertState::kQueued, last_error, nullptr);
    if (!alert->abandoned().ok()) continue;
    if (!Sleep(backoff.Next())) break;
  }
  absl::MutexLock lock(&mu_);
  self->done = true;
}

}  // namespace mayday::sdk::internal
