// A real maydayd in the test process: temp SQLite file, 127.0.0.1:0, real
// gRPC. Plus helpers to issue tokens and make stubs that carry them.
#ifndef MAYDAY_TESTS_SERVER_TEST_SERVER_H_
#define MAYDAY_TESTS_SERVER_TEST_SERVER_H_

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/fleet_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "mayday/v1/responder_service.grpc.pb.h"
#include "server.h"

namespace mayday::testing {

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Starts maydayd on 127.0.0.1:0 with a database in a temp dir.
class TestServer {
 public:
  // `offer_timeout`: how long responders have to answer offers. `tls`:
  // the server's TLS files (default: plaintext); Channel() and the stubs
  // below speak plaintext, so TLS tests make their own channels. `store`:
  // how the database is opened (e.g. through a fault-injecting VFS).
  explicit TestServer(absl::Duration offer_timeout = absl::Seconds(30),
                      server::ServerTlsOptions tls = {}, server::StoreOptions store = {});
  TestServer(absl::Duration offer_timeout, server::StoreOptions store)
      : TestServer(offer_timeout, server::ServerTlsOptions{}, std::move(store)) {}
  // Lets `configure` change the options (limits, clock, ...) before every
  // start.
  explicit TestServer(std::function<void(server::ServerOptions&)> configure);
  ~TestServer();

  // Stops the server (keeping the database), runs `while_stopped` if set
  // (e.g. to leave the files as a power cut would), and starts it again on a
  // new port.
  void Restart(const std::function<void()>& while_stopped = nullptr);

  std::string address() const;
  std::string db_path() const { return (dir_.path() / "mayday.db").string(); }
  // The medical key file every start is given (written with
  // kTestMedicalKey on the first start unless it exists already).
  std::string medical_key_path() const { return (dir_.path() / "medical.keys").string(); }
  server::Server& server() { return *server_; }

  // A new token for `subject` in `role` ("member", "responder", "operator").
  std::string Token(const std::string& role, const std::string& subject);

  std::shared_ptr<grpc::Channel> Channel() const;
  std::unique_ptr<mayday::v1::AlertService::Stub> Alerts() const;
  std::unique_ptr<mayday::v1::ResponderService::Stub> Responders() const;
  std::unique_ptr<mayday::v1::OperatorService::Stub> Operators() const;
  std::unique_ptr<mayday::v1::FleetService::Stub> Fleets() const;

 private:
  void Start();

  TempDir dir_;
  absl::Duration offer_timeout_;
  server::ServerTlsOptions tls_;
  server::StoreOptions store_;
  std::function<void(server::ServerOptions&)> configure_;
  std::unique_ptr<server::Server> server_;
};

// A medical key (64 hex digits) for tests; never one a server should use.
inline constexpr char kTestMedicalKey[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

// Writes a medical key file at `path` listing `keys` (id, 64 hex digits),
// the first sealing, readable by its owner only.
void WriteMedicalKeyFile(const std::string& path,
                         const std::vector<std::pair<std::string, std::string>>& keys);

// A client context carrying `token` and a deadline `timeout` from now.
std::unique_ptr<grpc::ClientContext> Call(const std::string& token,
                                          absl::Duration timeout = absl::Seconds(10));

// The first `count` events of case `case_name` as `token` (its member, or a
// care agent) watches it: WatchCase replays the stored ones and waits for the
// rest, up to `timeout`, so a test waits for an event without polling.
std::vector<mayday::v1::CaseEvent> WatchTimeline(TestServer& server, const std::string& token,
                                                 const std::string& case_name, int64_t count,
                                                 absl::Duration timeout = absl::Seconds(10));

// The events of `case_name` as the care desk lists them (ListCaseEvents, as
// "operators/desk-1"), once there are `count` of them, or after 10 s of real
// time with what there is: for events a member's WatchCase does not carry.
std::vector<mayday::v1::CaseEvent> DeskTimeline(TestServer& server, const std::string& case_name,
                                                int64_t count);

// A valid RaiseAlert request near Amsterdam.
mayday::v1::RaiseAlertRequest Alert(const std::string& request_id,
                                    mayday::v1::CaseKind kind = mayday::v1::CASE_KIND_ROAD);

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_SERVER_TEST_SERVER_H_
