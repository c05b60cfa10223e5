// The relay from a standby replica to the one that dispatches; see
// dispatch_relay.h.
#include "services/dispatch_relay.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "rpc/queued_writer.h"
#include "rpc/status.h"
#include "rpc/stream_caps.h"
#include "rpc/validation.h"
#include "services/fleet_batch.h"
#include "services/service_context.h"

namespace mayday::server {
namespace {

// The mark of a relayed call.
constexpr char kRelayedKey[] = "x-mayday-relayed";

// The standby's side of a relayed stream and its call on the holder share
// this: the call's context, which must outlive the call whichever side
// ends first, and the lock under which each side reaches the other while
// it is still there (gRPC runs no reaction inline from a Start* call, so
// holding it there deadlocks nothing).
template <typename Downstream, typename Up = void>
struct Link {
  // The holder's channel: the call performs its operations through it, so
  // it must outlive the call even if the relay meanwhile found another
  // holder.
  std::shared_ptr<grpc::Channel> channel;
  grpc::ClientContext upstream;
  absl::Mutex mu;
  Downstream* downstream ABSL_GUARDED_BY(mu) = nullptr;
  Up* up ABSL_GUARDED_BY(mu) = nullptr;
};

// The status a relayed stream ends with when the holder's ended: the
// holder's own, named.
grpc::Status HolderEnded(const std::string& address, const grpc::Status& status) {
  return ToGrpcStatus(DispatchRelay::FromHolder(address, status));
}

// A server stream on a standby (a crew's Subscribe, a member's WatchCrew):
// the holder's stream, passed through. `start` makes the call on the
// holder's stub.
template <typename Request, typename Response>
class StreamRelay : public QueuedWriter<Response>, public CappedStream {
 public:
  using Start = std::function<void(std::shared_ptr<grpc::Channel>, grpc::ClientContext*,
                                   const Request*, grpc::ClientReadReactor<Response>*)>;

  StreamRelay(const ServiceContext& services, grpc::CallbackServerContext* context,
              const Request& request, Role role, const Start& start)
      : QueuedWriter<Response>(/*max_queued=*/256), link_(std::make_shared<Link<StreamRelay>>()) {
    auto principal = services.auth->Require(*context, role);
    absl::StatusOr<DispatchRelay::Holder> holder =
        principal.ok() ? services.relay->FindHolder() : principal.status();
    if (!holder.ok()) {
      this->End(ToGrpcStatus(holder.status()));
      return;
    }
    session_.Open(services.sessions, *principal, this);
    {
      absl::MutexLock lock(&link_->mu);
      link_->downstream = this;
    }
    link_->channel = holder->channel;
    services.relay->Carry(*context, &link_->upstream, /*unary=*/false);
    auto* upstream = new Upstream(link_, holder->address);
    start(holder->channel, &link_->upstream, &request, upstream);
    upstream->Start();
  }

  void Evict(absl::Status status) override {
    this->EndNow(ToGrpcStatus(status));
    link_->upstream.TryCancel();
  }

 private:
  // The holder's stream: each message goes on to the caller.
  class Upstream : public grpc::ClientReadReactor<Response> {
   public:
    Upstream(std::shared_ptr<Link<StreamRelay>> link, std::string address)
        : link_(std::move(link)), address_(std::move(address)) {}

    void Start() {
      this->StartRead(&message_);
      this->StartCall();
    }

   private:
    void OnReadInitialMetadataDone(bool ok) override {
      if (!ok) return;  // the call failed: OnDone says how
      absl::MutexLock lock(&link_->mu);
      // The holder attached the stream: what it sends from now on reaches it.
      if (link_->downstream != nullptr) link_->downstream->SendHeaders();
    }

    void OnReadDone(bool ok) override {
      if (!ok) return;  // the holder's stream ended: OnDone says how
      {
        absl::MutexLock lock(&link_->mu);
        if (link_->downstream == nullptr) return;  // the caller left; OnDone follows the cancel
        link_->downstream->Push(std::move(message_));
      }
      message_.Clear();
      this->StartRead(&message_);
    }

    void OnDone(const grpc::Status& status) override {
      {
        absl::MutexLock lock(&link_->mu);
        if (link_->downstream != nullptr) link_->downstream->End(HolderEnded(address_, status));
      }
      delete this;
    }

    const std::shared_ptr<Link<StreamRelay>> link_;
    const std::string address_;
    Response message_;
  };

  void OnStreamDone() override {
    session_.Close();
    {
      absl::MutexLock lock(&link_->mu);
      link_->downstream = nullptr;
    }
    link_->upstream.TryCancel();  // the caller left: so does the holder's stream
  }

  const std::shared_ptr<Link<StreamRelay>> link_;
  TokenSessions::Ticket session_;
};

// A client stream on a standby (a crew's ReportLocation, a fleet's
// ReportPositions): each message, checked here, goes on to the holder's
// same call; the next is read once the holder took it. Finishing goes
// through mu_ (the caller's side may end from the holder's side, a
// revocation or a check here): Finish() is called once.
template <typename Request, typename Response>
class UploadRelay : public grpc::ServerReadReactor<Request>, public CappedStream {
  class Upstream;

 public:
  // What the relay is for: who may call, what it is called (for the
  // stream caps), how many such streams one caller may hold, the check of
  // each message, and the call on the holder's stub.
  struct Call {
    Role role;
    const char* name;
    size_t cap;
    std::function<absl::Status(const Principal&, const Request&)> check;
    std::function<void(std::shared_ptr<grpc::Channel>, grpc::ClientContext*, Response*,
                       grpc::ClientWriteReactor<Request>*)>
        start;
  };

  UploadRelay(const ServiceContext& services, grpc::CallbackServerContext* context,
              Response* response, Call call)
      : streams_(services.streams),
        response_(response),
        call_(std::move(call)),
        link_(std::make_shared<Link<UploadRelay, Upstream>>()) {
    auto principal = services.auth->Require(*context, call_.role);
    absl::StatusOr<DispatchRelay::Holder> holder =
        principal.ok() ? services.relay->FindHolder() : principal.status();
    if (!holder.ok()) {
      FinishOnce(ToGrpcStatus(holder.status()));
      return;
    }
    principal_ = *principal;
    stream_owner_ = absl::StrCat(call_.name, " ", principal->Name());
    streams_->Open(stream_owner_, call_.cap, this, call_.name, principal->Name());
    session_.Open(services.sessions, *principal, this);
    link_->channel = holder->channel;
    services.relay->Carry(*context, &link_->upstream, /*unary=*/false);
    auto* upstream = new Upstream(link_, holder->address);
    {
      absl::MutexLock lock(&link_->mu);
      link_->downstream = this;
      link_->up = upstream;
    }
    call_.start(holder->channel, &link_->upstream, &upstream->response, upstream);
    upstream->StartCall();
    ReadNext();
  }

  void Evict(absl::Status status) override {
    FinishOnce(ToGrpcStatus(status));
    link_->upstream.TryCancel();
  }

 private:
  // The holder's call; the caller's side writes to it under the link's
  // lock, while it is there (its OnDone takes it away).
  class Upstream : public grpc::ClientWriteReactor<Request> {
   public:
    Upstream(std::shared_ptr<Link<UploadRelay, Upstream>> link, std::string address)
        : link_(std::move(link)), address_(std::move(address)) {}

    Response response;
    Request pending;  // the message being written

   private:
    void OnWriteDone(bool ok) override {
      if (!ok) return;  // the holder's call broke: OnDone says how
      absl::MutexLock lock(&link_->mu);
      if (link_->downstream != nullptr) link_->downstream->ReadNext();
    }

    void OnDone(const grpc::Status& status) override {
      {
        absl::MutexLock lock(&link_->mu);
        link_->up = nullptr;
        if (link_->downstream != nullptr) {
          if (status.ok()) *link_->downstream->response_ = response;
          link_->downstream->FinishOnce(HolderEnded(address_, status));
        }
      }
      delete this;
    }

    const std::shared_ptr<Link<UploadRelay, Upstream>> link_;
    const std::string address_;
  };

  void ReadNext() {
    absl::MutexLock lock(&mu_);
    if (!finished_) this->StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (ok) {
      if (absl::Status s = call_.check(principal_, request_); !s.ok()) {
        FinishOnce(ToGrpcStatus(s));
        link_->upstream.TryCancel();
        return;
      }
    }
    absl::MutexLock lock(&link_->mu);
    // Gone: the holder's call ended, and its end ended this one.
    if (link_->up == nullptr) return;
    if (ok) {
      link_->up->pending = std::move(request_);
      link_->up->StartWrite(&link_->up->pending);
    } else {
      // The caller is done: so is the holder's call, whose end ends this one.
      link_->up->StartWritesDone();
    }
  }

  void OnCancel() override { link_->upstream.TryCancel(); }

  void FinishOnce(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    this->Finish(std::move(status));
  }

  void OnDone() override {
    if (!stream_owner_.empty()) streams_->Close(stream_owner_, this);
    session_.Close();
    {
      absl::MutexLock lock(&link_->mu);
      link_->downstream = nullptr;
    }
    link_->upstream.TryCancel();  // ends the holder's call if this one ended first
    delete this;
  }

  StreamCaps* const streams_;
  Response* const response_;
  const Call call_;
  const std::shared_ptr<Link<UploadRelay, Upstream>> link_;
  Principal principal_;       // set once, in the constructor
  std::string stream_owner_;  // set once, in the constructor; empty if not counted
  TokenSessions::Ticket session_;
  Request request_;  // written by the one read in flight
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

bool DispatchRelay::Relayed(const grpc::ServerContextBase& context) {
  return context.client_metadata().count(kRelayedKey) > 0;
}

absl::StatusOr<DispatchRelay::Holder> DispatchRelay::FindHolder() {
  std::optional<std::string> address = options_.holder ? options_.holder() : std::nullopt;
  if (!address.has_value() || address->empty()) {
    return absl::UnavailableError(
        "no replica holds dispatch right now (one takes it over within seconds); try again");
  }
  absl::MutexLock lock(&mu_);
  if (!holder_.has_value() || holder_->address != *address) {
    grpc::ChannelArguments arguments;
    // Calls fail at once while the holder is unreachable, rather than
    // wait for it: the caller's retry finds the next holder.
    arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    holder_ =
        Holder{*address, grpc::CreateCustomChannel(*address, options_.credentials, arguments)};
  }
  return *holder_;
}

void DispatchRelay::Carry(const grpc::ServerContextBase& from, grpc::ClientContext* to,
                          bool unary) const {
  const auto& metadata = from.client_metadata();
  auto authorization = metadata.find("authorization");
  if (authorization != metadata.end()) {
    to->AddMetadata("authorization",
                    std::string(authorization->second.data(), authorization->second.size()));
  }
  to->AddMetadata(kRelayedKey, "1");
  if (unary) {
    const auto longest = std::chrono::system_clock::now() +
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             absl::ToChronoNanoseconds(options_.unary_deadline));
    to->set_deadline(std::min(from.deadline(), longest));
  }
}

absl::Status DispatchRelay::FromHolder(const std::string& address, const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      // Most likely the holder itself: it stopped, or dispatch moved.
      return absl::Status(
          code, absl::StrCat("the replica that dispatches (", address,
                             ", through this one): ", status.error_message(), "; try again"));
    default:
      return absl::Status(code, status.error_message());
  }
}

grpc::ServerWriteReactor<mayday::v1::ResponderUpdate>* RelaySubscribe(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    const mayday::v1::SubscribeRequest& request) {
  using Relay = StreamRelay<mayday::v1::SubscribeRequest, mayday::v1::ResponderUpdate>;
  return new Relay(services, context, request, Role::kResponder,
                   [](std::shared_ptr<grpc::Channel> channel, grpc::ClientContext* upstream,
                      const mayday::v1::SubscribeRequest* request,
                      grpc::ClientReadReactor<mayday::v1::ResponderUpdate>* reactor) {
                     mayday::v1::ResponderService::Stub(channel).async()->Subscribe(
                         upstream, request, reactor);
                   });
}

grpc::ServerWriteReactor<mayday::v1::CrewPosition>* RelayWatchCrew(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    const mayday::v1::WatchCrewRequest& request, bool desk) {
  using Relay = StreamRelay<mayday::v1::WatchCrewRequest, mayday::v1::CrewPosition>;
  return new Relay(
      services, context, request, desk ? Role::kOperator : Role::kMember,
      [desk](std::shared_ptr<grpc::Channel> channel, grpc::ClientContext* upstream,
             const mayday::v1::WatchCrewRequest* request,
             grpc::ClientReadReactor<mayday::v1::CrewPosition>* reactor) {
        if (desk) {
          mayday::v1::OperatorService::Stub(channel).async()->WatchCrew(upstream, request, reactor);
        } else {
          mayday::v1::AlertService::Stub(channel).async()->WatchCrew(upstream, request, reactor);
        }
      });
}

grpc::ServerReadReactor<mayday::v1::ReportLocationRequest>* RelayReportLocation(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    mayday::v1::ReportLocationResponse* response) {
  using Request = mayday::v1::ReportLocationRequest;
  using Response = mayday::v1::ReportLocationResponse;
  using Relay = UploadRelay<Request, Response>;
  return new Relay(
      services, context, response,
      Relay::Call{Role::kResponder, "ReportLocation",
                  services.stream_caps.report_location_per_responder,
                  [](const Principal&, const Request& request) {
                    return ValidateLocation("location", request.location(), request.has_location());
                  },
                  [](std::shared_ptr<grpc::Channel> channel, grpc::ClientContext* upstream,
                     Response* reply, grpc::ClientWriteReactor<Request>* reactor) {
                    mayday::v1::ResponderService::Stub(channel).async()->ReportLocation(
                        upstream, reply, reactor);
                  }});
}

grpc::ServerReadReactor<mayday::v1::ReportPositionsRequest>* RelayReportPositions(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    mayday::v1::ReportPositionsResponse* response) {
  using Request = mayday::v1::ReportPositionsRequest;
  using Response = mayday::v1::ReportPositionsResponse;
  using Relay = UploadRelay<Request, Response>;
  return new Relay(
      services, context, response,
      Relay::Call{Role::kFleet, "ReportPositions", services.stream_caps.report_positions_per_fleet,
                  [](const Principal& fleet, const Request& request) {
                    return CheckFleetBatch(fleet.subject, request);
                  },
                  [](std::shared_ptr<grpc::Channel> channel, grpc::ClientContext* upstream,
                     Response* reply, grpc::ClientWriteReactor<Request>* reactor) {
                    mayday::v1::FleetService::Stub(channel).async()->ReportPositions(
                        upstream, reply, reactor);
                  }});
}

std::string AdvertisedAddress(absl::string_view listen_address, absl::string_view host, int port) {
  absl::string_view listen_host = listen_address.substr(0, listen_address.rfind(':'));
  if (listen_address.find(':') == absl::string_view::npos) listen_host = "";
  if (listen_host.empty() || listen_host == "0.0.0.0" || listen_host == "[::]" ||
      listen_host == "::") {
    listen_host = host;
  }
  return absl::StrCat(listen_host, ":", port);
}

}  // namespace mayday::server
