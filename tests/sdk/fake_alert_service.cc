// The scripted AlertService; see fake_alert_service.h.
#include "fake_alert_service.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <utility>

namespace mayday::sdk::testing {
namespace {

using mayday::v1::CaseEvent;

// Plays one WatchScript. Decisions are taken under mu_, gRPC is called
// outside it, because reactions may run concurrently with each other.
class ScriptedWatch final : public grpc::ServerWriteReactor<CaseEvent> {
 public:
  ScriptedWatch(FakeAlertService* service, WatchScript script)
      : service_(service), script_(std::move(script)) {
    const CaseEvent* next = nullptr;
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      Plan(&next, &finish);
    }
    Act(next, finish);
  }

  void OnWriteDone(bool ok) override {
    const CaseEvent* next = nullptr;
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok || cancelled_) {
        finish = Claim(grpc::Status::CANCELLED);
      } else {
        Plan(&next, &finish);
      }
    }
    Act(next, finish);
  }

  void OnCancel() override {
    service_->NoteCancelledWatch();
    std::optional<grpc::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      if (!writing_) finish = Claim(grpc::Status::CANCELLED);
    }
    Act(nullptr, finish);
  }

  void OnDone() override { delete this; }

 private:
  void Plan(const CaseEvent** next, std::optional<grpc::Status>* finish)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (next_ < script_.events.size()) {
      writing_ = true;
      *next = &script_.events[next_++];
    } else if (!script_.hold_open) {
      *finish = Claim(script_.status);
    }
  }

  std::optional<grpc::Status> Claim(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return std::nullopt;
    finished_ = true;
    return status;
  }

  void Act(const CaseEvent* next, const std::optional<grpc::Status>& finish) {
    if (next != nullptr) StartWrite(next);
    if (finish.has_value()) Finish(*finish);
  }

  FakeAlertService* const service_;
  const WatchScript script_;
  absl::Mutex mu_;
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

void FakeAlertService::AddRaiseReply(CaseReply reply) {
  absl::MutexLock lock(&mu_);
  raise_replies_.push_back(std::move(reply));
}

void FakeAlertService::AddGetReply(CaseReply reply) {
  absl::MutexLock lock(&mu_);
  get_replies_.push_back(std::move(reply));
}

void FakeAlertService::AddChangeReply(CaseReply reply) {
  absl::MutexLock lock(&mu_);
  change_replies_.push_back(std::move(reply));
}

std::vector<std::string> FakeAlertService::call_log() const {
  absl::MutexLock lock(&mu_);
  return call_log_;
}

void FakeAlertService::AddWatchScript(WatchScript script) {
  absl::MutexLock lock(&mu_);
  watch_scripts_.push_back(std::move(script));
}

std::vector<mayday::v1::RaiseAlertRequest> FakeAlertService::raise_requests() const {
  absl::MutexLock lock(&mu_);
  return raise_requests_;
}

std::vector<mayday::v1::WatchCaseRequest> FakeAlertService::watch_requests() const {
  absl::MutexLock lock(&mu_);
  return watch_requests_;
}

std::vector<std::string> FakeAlertService::authorizations() const {
  absl::MutexLock lock(&mu_);
  return authorizations_;
}

bool FakeAlertService::WaitForWatchCalls(size_t count, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto arrived = [this, count]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return watch_requests_.size() >= count; };
  return mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout);
}

int FakeAlertService::cancelled_watches() const {
  absl::MutexLock lock(&mu_);
  return cancelled_watches_;
}

void FakeAlertService::NoteCancelledWatch() {
  absl::MutexLock lock(&mu_);
  ++cancelled_watches_;
}

void FakeAlertService::RecordAuthorization(const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  authorizations_.push_back(
      it == metadata.end() ? "" : std::string(it->second.data(), it->second.size()));
}

grpc::ServerUnaryReactor* FakeAlertService::Answer(grpc::CallbackServerContext* context,
                                                   std::deque<CaseReply>* replies,
                                                   mayday::v1::Case* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (replies->empty()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no scripted reply"));
    return reactor;
  }
  CaseReply reply = std::move(replies->front());
  replies->pop_front();
  if (reply.status.ok()) *response = reply.result;
  reactor->Finish(reply.status);
  return reactor;
}

grpc::ServerUnaryReactor* FakeAlertService::RaiseAlert(grpc::CallbackServerContext* context,
                                                       const mayday::v1::RaiseAlertRequest* request,
                                                       mayday::v1::Case* response) {
  absl::MutexLock lock(&mu_);
  RecordAuthorization(*context);
  raise_requests_.push_back(*request);
  return Answer(context, &raise_replies_, response);
}

grpc::ServerUnaryReactor* FakeAlertService::GetCase(grpc::CallbackServerContext* context,
                                                    const mayday::v1::GetCaseRequest* request,
                                                    mayday::v1::Case* response) {
  absl::MutexLock lock(&mu_);
  RecordAuthorization(*context);
  call_log_.push_back("GetCase " + request->ShortDebugString());
  return Answer(context, &get_replies_, response);
}

grpc::ServerUnaryReactor* FakeAlertService::ListCases(grpc::CallbackServerContext* context,
                                                      const mayday::v1::ListCasesRequest* request,
                                                      mayday::v1::ListCasesResponse* response) {
  absl::MutexLock lock(&mu_);
  RecordAuthorization(*context);
  call_log_.push_back("ListCases " + request->ShortDebugString());
  response->set_next_page_token("page-2");
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* FakeAlertService::CancelCase(grpc::CallbackServerContext* context,
                                                       const mayday::v1::CancelCaseRequest* request,
                                                       mayday::v1::Case* response) {
  absl::MutexLock lock(&mu_);
  RecordAuthorization(*context);
  call_log_.push_back("CancelCase " + request->ShortDebugString());
  return Answer(context, &change_replies_, response);
}

grpc::ServerUnaryReactor* FakeAlertService::UpdateCaseLocation(
    grpc::CallbackServerContext* context, const mayday::v1::UpdateCaseLocationRequest* request,
    mayday::v1::Case* response) {
  absl::MutexLock lock(&mu_);
  RecordAuthorization(*context);
  call_log_.push_back("UpdateCaseLocation " + request->ShortDebugString());
  return Answer(context, &change_replies_, response);
}

grpc::ServerWriteReactor<CaseEvent>* FakeAlertService::WatchCase(
    grpc::CallbackServerContext* context, const mayday::v1::WatchCaseRequest* request) {
  WatchScript script;
  {
    absl::MutexLock lock(&mu_);
    RecordAuthorization(*context);
    watch_requests_.push_back(*request);
    if (watch_scripts_.empty()) {
      script.status = grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no scripted watch");
    } else {
      script = std::move(watch_scripts_.front());
      watch_scripts_.pop_front();
    }
  }
  return new ScriptedWatch(this, std::move(script));
}

FakeServer::FakeServer() {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service_);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port == 0) {
    throw std::runtime_error("fake AlertService failed to start");
  }
  address_ = "127.0.0.1:" + std::to_string(port);
}

FakeServer::~FakeServer() {
  // Streams still held open are cancelled at the deadline.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_->Wait();
}

mayday::v1::CaseEvent MakeEvent(const std::string& case_name, int64_t sequence,
                                mayday::v1::CaseState state) {
  mayday::v1::CaseEvent event;
  event.set_case_(case_name);
  event.set_sequence(sequence);
  event.set_state(state);
  event.set_actor("dispatch");
  return event;
}

}  // namespace mayday::sdk::testing
