// mayday-echo: the limit of the RPC stack itself, for the intake benchmark.
// A gRPC callback-API server with maydayd's server settings that answers
// mayday.v1.AlertService/RaiseAlert at once with a Case as large as the one
// maydayd returns, built from the request: no token check, no storage, no
// dispatch. Whatever maydayd does beyond this costs the difference. For the
// position benchmark it also takes a crew's ResponderService calls the same
// way: SetDuty answers at once, Subscribe stays open and silent,
// ReportLocation counts the reports and throws them away.
//
//   mayday-echo --listen 127.0.0.1:0     (prints "mayday-echo: serving on port N")
#include <csignal>
#include <cstdio>
#include <random>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/responder_service.grpc.pb.h"

namespace {

namespace v1 = ::mayday::v1;
using ::google::protobuf::util::TimeUtil;

class EchoAlerts final : public v1::AlertService::CallbackService {
 public:
  grpc::ServerUnaryReactor* RaiseAlert(grpc::CallbackServerContext* context,
                                       const v1::RaiseAlertRequest* request,
                                       v1::Case* reply) override {
    // The fields maydayd fills in, with values of the same sizes.
    thread_local std::mt19937_64 random{std::random_device{}()};
    reply->set_name(absl::StrFormat("cases/%014x%016x%016x", absl::ToUnixMicros(absl::Now()),
                                    random(), random()));
    reply->set_member("members/load-0001");
    reply->set_kind(request->kind());
    reply->set_state(v1::CASE_STATE_DISPATCHING);
    *reply->mutable_location() = request->location();
    *reply->mutable_location()->mutable_fix_time() = TimeUtil::GetCurrentTime();
    reply->set_note(request->note());
    reply->set_request_id(request->request_id());
    *reply->mutable_create_time() = TimeUtil::GetCurrentTime();
    *reply->mutable_update_time() = reply->create_time();
    reply->set_last_sequence(1);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

// Reads a crew's reports, counting them; answers the count when the crew
// closes its side.
class CountReports final : public grpc::ServerReadReactor<v1::ReportLocationRequest> {
 public:
  explicit CountReports(v1::ReportLocationResponse* response) : response_(response) {
    StartRead(&request_);
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      response_->set_accepted_count(accepted_);
      Finish(grpc::Status::OK);
      return;
    }
    ++accepted_;
    StartRead(&request_);
  }
  void OnDone() override { delete this; }

 private:
  v1::ReportLocationResponse* const response_;
  v1::ReportLocationRequest request_;
  int64_t accepted_ = 0;
};

// A Subscribe stream that never has anything to say; ends when the crew
// cancels it.
class Silent final : public grpc::ServerWriteReactor<v1::ResponderUpdate> {
 public:
  void OnCancel() override { Finish(grpc::Status::CANCELLED); }
  void OnDone() override { delete this; }
};

class EchoResponders final : public v1::ResponderService::CallbackService {
 public:
  grpc::ServerUnaryReactor* SetDuty(grpc::CallbackServerContext* context,
                                    const v1::SetDutyRequest* request,
                                    v1::Responder* reply) override {
    reply->set_name("responders/load-0001");
    reply->set_status(request->on_duty() ? v1::Responder::STATUS_AVAILABLE
                                         : v1::Responder::STATUS_OFF_DUTY);
    *reply->mutable_capabilities() = request->capabilities();
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  grpc::ServerReadReactor<v1::ReportLocationRequest>* ReportLocation(
      grpc::CallbackServerContext*, v1::ReportLocationResponse* response) override {
    return new CountReports(response);
  }
  grpc::ServerWriteReactor<v1::ResponderUpdate>* Subscribe(grpc::CallbackServerContext*,
                                                           const v1::SubscribeRequest*) override {
    return new Silent;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mayday-echo: a bare RaiseAlert echo server, the RPC stack's limit"};
  std::string listen = "127.0.0.1:0";
  app.add_option("--listen", listen, "host:port")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  EchoAlerts service;
  EchoResponders responders;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  builder.RegisterService(&responders);
  builder.SetMaxReceiveMessageSize(64 * 1024);  // as maydayd
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "mayday-echo: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  std::fprintf(stderr, "mayday-echo: serving on port %d\n", port);
  int signal = 0;
  sigwait(&stop, &signal);
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  return 0;
}
