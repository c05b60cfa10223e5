// Delivery of raised alerts: each alert not yet acknowledged has a sender
// thread that retries RaiseAlert with backoff and jitter, with the same
// request_id, until the server acknowledges or refuses it, recording the
// outcome in the OutboxStore. A server whose TLS certificate is not accepted
// is reported at once and retried like a network failure. Client::Create
// resumes what the store holds.
#ifndef MAYDAY_SDK_SRC_OUTBOX_H_
#define MAYDAY_SDK_SRC_OUTBOX_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <list>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "mayday/sdk/client.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "outbox_store.h"

namespace mayday::sdk::internal {

// The shared state behind a PendingAlert handle. Thread-safe.
class PendingAlertImpl final : public PendingAlert {
 public:
  // `note_repaired` and `note_trimmed` go into every progress snapshot.
  PendingAlertImpl(std::string request_id, AlertCallback on_change, bool note_repaired = false,
                   bool note_trimmed = false);

  std::string request_id() const override { return request_id_; }
  AlertProgress progress() const override;
  bool WaitDone(absl::Duration timeout) override;
  // Like WaitDone, but also returns true as soon as an attempt found the
  // server's certificate not acceptable (kQueued, IsUntrustedServerError).
  bool WaitDoneOrUntrusted(absl::Duration timeout);

  // Sender thread: records the new state and calls the callback.
  void Update(AlertState state, absl::Status error, const mayday::v1::Case* opened);
  // Makes the sender give up after its current attempt (kFailed, `why`).
  void Abandon(absl::Status why);
  // The reason passed to Abandon, or OK.
  absl::Status abandoned() const;

 private:
  const std::string request_id_;
  const AlertCallback on_change_;
  mutable absl::Mutex mu_;
  AlertProgress progress_ ABSL_GUARDED_BY(mu_);
  absl::Status abandoned_ ABSL_GUARDED_BY(mu_);
};

// How long an attempt waits for a server that does not answer at all
// before the app is told (kQueued, UNAVAILABLE "cannot reach ..."): a
// member must not stare at a spinner for a minute.
inline constexpr absl::Duration kConnectPatience = absl::Seconds(5);

class AlertOutbox {
 public:
  using Stub = mayday::v1::AlertService::StubInterface;

  // Opens the store for options.data_dir and starts resending what it holds.
  // `channel` is the one `stub` calls over; null for a test's stub, whose
  // attempts are then made without waiting for a connection first.
  static absl::StatusOr<std::unique_ptr<AlertOutbox>> Open(
      const ClientOptions& options, std::shared_ptr<Stub> stub,
      std::shared_ptr<grpc::ChannelInterface> channel = nullptr);
  // Cancels attempts in flight and joins the sender threads; pending alerts
  // stay in the store.
  ~AlertOutbox();

  // Stores `request` and starts delivering it. Never fails: a store error
  // leaves the alert in memory only. `note_repaired` and `note_trimmed` say
  // what Raise did to the note (AlertProgress).
  std::shared_ptr<PendingAlertImpl> Add(const mayday::v1::RaiseAlertRequest& request,
                                        AlertCallback on_change, bool note_repaired,
                                        bool note_trimmed);
  // Alerts not yet acknowledged or failed.
  std::vector<std::shared_ptr<PendingAlert>> Pending();
  // Alerts found pending in the store at Open.
  std::vector<std::shared_ptr<PendingAlert>> Resumed() const { return resumed_; }
  // Alerts other members left queued in the store, oldest first; empty if
  // the store cannot be read.
  std::vector<QueuedForAnotherMember> WaitingForOthers();

 private:
  struct Sender {
    std::shared_ptr<PendingAlertImpl> alert;
    std::thread thread;
    bool done = false;
  };

  // How waiting for the connection ended.
  enum class Connection { kUp, kStillConnecting, kStopping };

  AlertOutbox(const ClientOptions& options, std::shared_ptr<Stub> stub,
              std::shared_ptr<grpc::ChannelInterface> channel, std::unique_ptr<OutboxStore> store);
  std::shared_ptr<PendingAlertImpl> Start(std::shared_ptr<PendingAlertImpl> alert,
                                          const mayday::v1::RaiseAlertRequest& request);
  // A sender thread's body.
  void Deliver(mayday::v1::RaiseAlertRequest request, std::shared_ptr<PendingAlertImpl> alert,
               Sender* self);
  // Waits `delay` or until shutdown; false on shutdown.
  bool Sleep(absl::Duration delay);
  // Waits up to kConnectPatience for the channel to be connected or to have
  // failed to connect (a refusal, a TLS handshake that failed: the attempt
  // then fails at once with gRPC's reason). kStillConnecting: the server
  // has not answered at all (a host that is down, a port that drops
  // packets); the connection attempt goes on.
  Connection AwaitConnection();

  const ClientOptions options_;
  const std::shared_ptr<Stub> stub_;
  const std::shared_ptr<grpc::ChannelInterface> channel_;
  const std::unique_ptr<OutboxStore> store_;
  // Set by Open before any other thread sees the outbox; then immutable.
  std::vector<std::shared_ptr<PendingAlert>> resumed_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::list<Sender> senders_ ABSL_GUARDED_BY(mu_);
  std::vector<grpc::ClientContext*> in_flight_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_OUTBOX_H_
