// A scripted AlertService for the SDK's tests, on the gRPC callback API:
// each RPC answers from a queue the test fills, and every request is recorded
// with its "authorization" metadata so the test can check what the SDK sent.
#ifndef MAYDAY_TESTS_SDK_FAKE_ALERT_SERVICE_H_
#define MAYDAY_TESTS_SDK_FAKE_ALERT_SERVICE_H_

#include <grpcpp/server.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "mayday/v1/alert_service.grpc.pb.h"

namespace mayday::sdk::testing {

// What one WatchCase call does: write `events`, then finish with `status`,
// or, if `hold_open`, keep the stream open until the client cancels it.
struct WatchScript {
  std::vector<mayday::v1::CaseEvent> events;
  grpc::Status status = grpc::Status::OK;
  bool hold_open = false;
};

// One answer of a unary RPC: `status`, and `result` when status is OK.
struct CaseReply {
  grpc::Status status = grpc::Status::OK;
  mayday::v1::Case result;
};

class FakeAlertService final : public mayday::v1::AlertService::CallbackService {
 public:
  // Scripts; consumed in order. An RPC with an empty queue answers
  // UNIMPLEMENTED ("no scripted reply").
  void AddRaiseReply(CaseReply reply);
  void AddGetReply(CaseReply reply);
  // Shared by CancelCase and UpdateCaseLocation.
  void AddChangeReply(CaseReply reply);
  void AddWatchScript(WatchScript script);

  // What the SDK sent, in arrival order.
  std::vector<mayday::v1::RaiseAlertRequest> raise_requests() const;
  std::vector<mayday::v1::WatchCaseRequest> watch_requests() const;
  // "Method request-in-text-format" of every unary call but RaiseAlert.
  std::vector<std::string> call_log() const;
  // The "authorization" metadata of every call, in arrival order.
  std::vector<std::string> authorizations() const;
  // Waits until `count` WatchCase calls arrived; false after `timeout`.
  bool WaitForWatchCalls(size_t count, absl::Duration timeout) const;
  // Number of WatchCase streams that ended because the client cancelled.
  int cancelled_watches() const;

  grpc::ServerUnaryReactor* RaiseAlert(grpc::CallbackServerContext* context,
                                       const mayday::v1::RaiseAlertRequest* request,
                                       mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext* context,
                                    const mayday::v1::GetCaseRequest* request,
                                    mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* ListCases(grpc::CallbackServerContext* context,
                                      const mayday::v1::ListCasesRequest* request,
                                      mayday::v1::ListCasesResponse* response) override;
  grpc::ServerUnaryReactor* CancelCase(grpc::CallbackServerContext* context,
                                       const mayday::v1::CancelCaseRequest* request,
                                       mayday::v1::Case* response) override;
  grpc::ServerUnaryReactor* UpdateCaseLocation(grpc::CallbackServerContext* context,
                                               const mayday::v1::UpdateCaseLocationRequest* request,
                                               mayday::v1::Case* response) override;
  grpc::ServerWriteReactor<mayday::v1::CaseEvent>* WatchCase(
      grpc::CallbackServerContext* context, const mayday::v1::WatchCaseRequest* request) override;

  // Called by a watch stream when the client cancelled it.
  void NoteCancelledWatch();

 private:
  void RecordAuthorization(const grpc::CallbackServerContext& context)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context,
                                   std::deque<CaseReply>* replies, mayday::v1::Case* response)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::deque<CaseReply> raise_replies_ ABSL_GUARDED_BY(mu_);
  std::deque<CaseReply> get_replies_ ABSL_GUARDED_BY(mu_);
  std::deque<CaseReply> change_replies_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> call_log_ ABSL_GUARDED_BY(mu_);
  std::deque<WatchScript> watch_scripts_ ABSL_GUARDED_BY(mu_);
  std::vector<mayday::v1::RaiseAlertRequest> raise_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<mayday::v1::WatchCaseRequest> watch_requests_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> authorizations_ ABSL_GUARDED_BY(mu_);
  int cancelled_watches_ ABSL_GUARDED_BY(mu_) = 0;
};

// A FakeAlertService served on 127.0.0.1 at a port the kernel picks.
class FakeServer {
 public:
  FakeServer();  // starts serving; aborts the test binary if it cannot
  ~FakeServer();

  FakeAlertService& service() { return service_; }
  // "127.0.0.1:<port>".
  const std::string& address() const { return address_; }

 private:
  FakeAlertService service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

// A CaseEvent of `case_name` with `sequence` and `state`.
mayday::v1::CaseEvent MakeEvent(const std::string& case_name, int64_t sequence,
                                mayday::v1::CaseState state);

}  // namespace mayday::sdk::testing

#endif  // MAYDAY_TESTS_SDK_FAKE_ALERT_SERVICE_H_
