// A real maydayd in the test process; see test_server.h.
#include "test_server.h"

#include <fstream>
#include <random>
#include <stdexcept>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/token.h"

namespace mayday::testing {

TempDir::TempDir() {
  std::random_device random;
  path_ = std::filesystem::temp_directory_path() /
          absl::StrCat("mayday-test-", random(), "-", random());
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

TestServer::TestServer(absl::Duration offer_timeout, server::ServerTlsOptions tls,
                       server::StoreOptions store)
    : offer_timeout_(offer_timeout), tls_(std::move(tls)), store_(std::move(store)) {
  Start();
}

TestServer::TestServer(std::function<void(server::ServerOptions&)> configure)
    : offer_timeout_(absl::Seconds(30)), configure_(std::move(configure)) {
  Start();
}

TestServer::~TestServer() {
  if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
}

void TestServer::Start() {
  server::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.db_path = db_path();
  options.store = store_;
  options.dispatch.offer_timeout = offer_timeout_;
  options.tls = tls_;
  options.medical_key_file = medical_key_path();
  if (!std::filesystem::exists(options.medical_key_file)) {
    WriteMedicalKeyFile(options.medical_key_file, {{"test-1", kTestMedicalKey}});
  }
  if (configure_) configure_(options);
  auto started = server::Server::Start(options);
  if (!started.ok()) throw std::runtime_error(started.status().ToString());
  server_ = std::move(*started);
}

void TestServer::Restart(const std::function<void()>& while_stopped) {
  server_->Shutdown(absl::Seconds(1));
  server_.reset();
  if (while_stopped) while_stopped();
  Start();
}

void WriteMedicalKeyFile(const std::string& path,
                         const std::vector<std::pair<std::string, std::string>>& keys) {
  {
    std::ofstream out(path, std::ios::trunc);
    out << "# test keys\n";
    for (const auto& [id, hex] : keys) out << id << " " << hex << "\n";
    if (!out) throw std::runtime_error("cannot write " + path);
  }
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

std::string TestServer::address() const { return absl::StrCat("127.0.0.1:", server_->port()); }

std::string TestServer::Token(const std::string& role, const std::string& subject) {
  auto parsed = server::ParseRole(role);
  if (!parsed.ok()) throw std::runtime_error(parsed.status().ToString());
  auto token = server::IssueToken(server_->store(), *parsed, subject, server_->clock().Now());
  if (!token.ok()) throw std::runtime_error(token.status().ToString());
  return *token;
}

std::shared_ptr<grpc::Channel> TestServer::Channel() const {
  return grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
}

std::unique_ptr<mayday::v1::AlertService::Stub> TestServer::Alerts() const {
  return mayday::v1::AlertService::NewStub(Channel());
}

std::unique_ptr<mayday::v1::ResponderService::Stub> TestServer::Responders() const {
  return mayday::v1::ResponderService::NewStub(Channel());
}

std::unique_ptr<mayday::v1::FleetService::Stub> TestServer::Fleets() const {
  return mayday::v1::FleetService::NewStub(Channel());
}

std::unique_ptr<mayday::v1::OperatorService::Stub> TestServer::Operators() const {
  return mayday::v1::OperatorService::NewStub(Channel());
}

std::unique_ptr<grpc::ClientContext> Call(const std::string& token, absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

mayday::v1::RaiseAlertRequest Alert(const std::string& request_id, mayday::v1::CaseKind kind) {
  mayday::v1::RaiseAlertRequest request;
  request.set_request_id(request_id);
  request.set_kind(kind);
  request.mutable_location()->set_latitude(52.3676);
  request.mutable_location()->set_longitude(4.9041);
  request.mutable_location()->set_horizontal_accuracy_meters(12);
  request.set_note("blue car, hazard lights on");
  return request;
}

std::vector<mayday::v1::CaseEvent> WatchTimeline(TestServer& server, const std::string& token,
                                                 const std::string& case_name, int64_t count,
                                                 absl::Duration timeout) {
  mayday::v1::WatchCaseRequest watch;
  watch.set_name(case_name);
  auto context = Call(token, timeout);
  auto reader = server.Alerts()->WatchCase(context.get(), watch);
  std::vector<mayday::v1::CaseEvent> events;
  mayday::v1::CaseEvent event;
  while (static_cast<int64_t>(events.size()) < count && reader->Read(&event)) {
    events.push_back(event);
  }
  context->TryCancel();
  return events;
}

std::vector<mayday::v1::CaseEvent> DeskTimeline(TestServer& server, const std::string& case_name,
                                                int64_t count) {
  const std::string desk = server.Token("operator", "desk-1");
  mayday::v1::ListCaseEventsRequest request;
  request.set_parent(case_name);
  request.set_page_size(1000);
  mayday::v1::ListCaseEventsResponse events;
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (absl::Now() < give_up) {
    events.Clear();
    const grpc::Status status =
        server.Operators()->ListCaseEvents(Call(desk).get(), request, &events);
    if (!status.ok()) throw std::runtime_error("ListCaseEvents: " + status.error_message());
    if (events.events_size() >= count) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return {events.events().begin(), events.events().end()};
}

}  // namespace mayday::testing
