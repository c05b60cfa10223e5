// The member's WatchCase stream; see watch_case.h.
#include "services/watch_case.h"

#include "absl/strings/str_cat.h"
#include "api/names.h"
#include "cases/case_rules.h"
#include "cases/member_view.h"
#include "rpc/status.h"
#include "rpc/validation.h"

namespace mayday::server {
namespace {

// How many events one store read returns during replay.
constexpr int kReplayBatch = 256;
// How far a watcher may fall behind before it is told to reconnect.
constexpr size_t kMaxQueued = 4096;

class WatchCaseReactor : public QueuedWriter<mayday::v1::CaseEvent>,
                         public EventSink,
                         public CappedStream {
 public:
  WatchCaseReactor(const ServiceContext& services, grpc::CallbackServerContext* context,
                   const mayday::v1::WatchCaseRequest& request)
      : QueuedWriter(kMaxQueued), hub_(services.hub), streams_(services.streams) {
    absl::Status status = Begin(services, *context, request);
    if (!status.ok()) End(ToGrpcStatus(status));
  }

  void Deliver(const mayday::v1::CaseEvent& event) override {
    absl::MutexLock lock(&mu_);
    if (replaying_) {
      held_back_.push_back(event);
      return;
    }
    SendLocked(event);
  }

  void Evict(absl::Status status) override { EndNow(ToGrpcStatus(status)); }

 private:
  absl::Status Begin(const ServiceContext& services, const grpc::CallbackServerContext& context,
                     const mayday::v1::WatchCaseRequest& request) {
    auto principal = services.auth->Require(context, Role::kMember);
    if (!principal.ok()) return principal.status();
    auto id = ParseCaseName("name", request.name());
    if (!id.ok()) return id.status();
    if (request.after_sequence() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("after_sequence must be >= 0 (0 for the whole timeline); got ",
                       request.after_sequence()));
    }
    auto snapshot = services.store->GetCase(*id);
    if (absl::IsNotFound(snapshot.status()) ||
        (snapshot.ok() && !MemberReads(*snapshot, principal->Name()))) {
      return absl::NotFoundError(absl::StrCat(request.name(), " not found"));
    }
    if (!snapshot.ok()) return snapshot.status();
    // The case as the member reads it (cases/member_view.h).
    const mayday::v1::Case view = MemberView(*snapshot);
    if (request.after_sequence() > view.last_sequence()) {
      return absl::OutOfRangeError(absl::StrCat("after_sequence ", request.after_sequence(),
                                                " is past the case's last event, ",
                                                view.last_sequence()));
    }

    // Counted against the member's cap from here on; a stream beyond it ends
    // the member's oldest.
    stream_owner_ = absl::StrCat("WatchCase ", principal->Name());
    streams_->Open(stream_owner_, services.stream_caps.watch_case_per_member, this, "WatchCase",
                   principal->Name());
    session_.Open(services.sessions, *principal, this);
    case_name_ = request.name();
    hub_->SubscribeCase(case_name_, this);
    subscribed_ = true;
    {
      absl::MutexLock lock(&mu_);
      last_sent_ = request.after_sequence();
      if (IsTerminal(view.state()) && last_sent_ >= view.last_sequence()) {
        End(grpc::Status::OK);  // the client has seen the whole, closed timeline
        return absl::OkStatus();
      }
    }
    // After a duress cancel the member reads the stored timeline up to it,
    // then the events it was given instead; otherwise all of it (a duress
    // cancel met on the way reads as its CANCELLED event: SendLocked).
    const int64_t shared = snapshot->has_duress() ? LastSharedSequence(*snapshot) : INT64_MAX;
    int64_t after = request.after_sequence();
    while (after < shared) {
      auto batch = services.store->ListEvents(*id, after, kReplayBatch);
      if (!batch.ok()) return batch.status();
      absl::MutexLock lock(&mu_);
      for (const auto& event : *batch) {
        if (event.sequence() > shared) break;
        SendLocked(event);
      }
      if (static_cast<int>(batch->size()) < kReplayBatch) break;
      after = batch->back().sequence();
    }
    if (snapshot->has_duress()) {
      absl::MutexLock lock(&mu_);
      for (const auto& event : snapshot->duress().member_events()) SendLocked(event);
    }
    {
      absl::MutexLock lock(&mu_);
      replaying_ = false;
      for (const auto& event : held_back_) SendLocked(event);
      held_back_.clear();
    }
    SendHeaders();  // live from here, even if nothing needed replaying
    return absl::OkStatus();
  }

  void SendLocked(const mayday::v1::CaseEvent& stored) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (ended_) return;  // the member's timeline ended
    const mayday::v1::CaseEvent& event = MemberEvent(stored);
    if (event.sequence() <= last_sent_) return;  // already sent
    last_sent_ = event.sequence();
    const bool terminal = IsTerminal(event.state());
    Push(event);
    if (terminal) {
      ended_ = true;
      End(grpc::Status::OK);
    }
  }

  void OnStreamDone() override {
    if (subscribed_) hub_->UnsubscribeCase(case_name_, this);
    if (!stream_owner_.empty()) streams_->Close(stream_owner_, this);
    session_.Close();
  }

  EventHub* const hub_;
  StreamCaps* const streams_;
  std::string stream_owner_;  // set once, in the constructor; empty if not counted
  TokenSessions::Ticket session_;
  std::string case_name_;
  bool subscribed_ = false;  // set once, in the constructor
  absl::Mutex mu_;
  bool replaying_ ABSL_GUARDED_BY(mu_) = true;
  int64_t last_sent_ ABSL_GUARDED_BY(mu_) = 0;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;  // a terminal event was sent
  std::vector<mayday::v1::CaseEvent> held_back_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

grpc::ServerWriteReactor<mayday::v1::CaseEvent>* StartWatchCase(
    const ServiceContext& services, grpc::CallbackServerContext* context,
    const mayday::v1::WatchCaseRequest& request) {
  return new WatchCaseReactor(services, context, request);
}

}  // namespace mayday::server
