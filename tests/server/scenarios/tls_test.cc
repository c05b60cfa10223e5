// maydayd over TLS, with certificates made by the test (test_certificates.h):
// members connect through the SDK trusting the server's CA; clients that do
// not trust it, or speak plaintext, get nowhere; with a client CA (mutual
// TLS) the responder and operator services need a device certificate that
// CA signed, while members' phones, which have none, still raise alerts;
// bad TLS files stop the server before it opens the database.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "crew.h"
#include "grpcpp/grpcpp.h"
#include "mayday/mayday.h"
#include "mayday/sdk/client.h"
#include "sdk_alert.h"
#include "test_certificates.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// One CA for maydayd and its devices, and a stranger's CA.
struct Pki {
  TestCa ca{"Mayday test CA"};
  TestCa other_ca{"Some other CA"};
  Issued server = ca.IssueServer("maydayd.test");
  Issued device = ca.IssueClient("unit-7");
  Issued foreign_device = other_ca.IssueClient("unit-7");
  TempDir files;

  // The server's files; with `mutual`, also the client CA.
  server::ServerTlsOptions ServerFiles(bool mutual) {
    server::ServerTlsOptions tls;
    tls.cert_file = WriteTextFile(files.path() / "server.pem", server.cert_pem);
    tls.key_file = WriteTextFile(files.path() / "server.key", server.key_pem);
    if (mutual) tls.client_ca_file = WriteTextFile(files.path() / "ca.pem", ca.cert_pem());
    return tls;
  }
};

// A TLS channel to `server` trusting `ca_pem`, with `client` as its client
// certificate when not null.
std::shared_ptr<grpc::Channel> TlsChannel(const TestServer& server, const std::string& ca_pem,
                                          const Issued* client) {
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ca_pem;
  if (client != nullptr) {
    ssl.pem_cert_chain = client->cert_pem;
    ssl.pem_private_key = client->key_pem;
  }
  return grpc::CreateChannel(server.address(), grpc::SslCredentials(ssl));
}

sdk::ClientOptions MemberOptions(const TestServer& server, const std::string& token) {
  sdk::ClientOptions options;
  options.server = server.address();
  options.token = token;
  options.call_timeout = absl::Seconds(5);
  options.raise_deadline = absl::Seconds(10);
  return options;
}

// What a watch delivered.
struct Seen {
  absl::Mutex mu;
  std::vector<v1::CaseEvent> events ABSL_GUARDED_BY(mu);

  // Until some event delivered so far is in `state` (dispatch may already
  // have escalated the case by the time the watch replays it).
  bool WaitForState(v1::CaseState state) {
    absl::MutexLock lock(&mu);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return std::any_of(events.begin(), events.end(),
                         [&](const v1::CaseEvent& e) { return e.state() == state; });
    };
    return mu.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(10));
  }
};

TEST_CASE("TLS: a member's SDK trusting the server's CA raises an alert and watches it") {
  Pki pki;
  TestServer server(absl::Seconds(30), pki.ServerFiles(/*mutual=*/false));
  sdk::ClientOptions options = MemberOptions(server, server.Token("member", "alice"));
  options.tls.enabled = true;
  options.tls.ca_pem = pki.ca.cert_pem();
  auto client = sdk::Client::Create(options);
  REQUIRE(client.ok());

  auto opened = (*client)->RaiseAlert(SdkAlert(v1::CASE_KIND_ROAD));
  REQUIRE(opened.ok());
  CHECK(opened->state() == v1::CASE_STATE_DISPATCHING);
  Seen seen;
  absl::Status end = absl::UnknownError("not ended");
  auto watch = (*client)->WatchCase(
      opened->name(), 0,
      [&](const v1::CaseEvent& event) {
        absl::MutexLock lock(&seen.mu);
        seen.events.push_back(event);
      },
      [&](const absl::Status& status) { end = status; });
  REQUIRE(watch.ok());
  REQUIRE(seen.WaitForState(v1::CASE_STATE_DISPATCHING));
  REQUIRE((*client)->CancelCase(opened->name(), "false alarm").ok());
  REQUIRE((*watch)->WaitDone(absl::Seconds(10)));
  CHECK(end.ok());
  absl::MutexLock lock(&seen.mu);
  REQUIRE(seen.events.size() >= 2);
  CHECK(seen.events.front().sequence() == 1);
  CHECK(seen.events.back().state() == v1::CASE_STATE_CANCELLED);
}

TEST_CASE("TLS: only clients that trust the server's CA and name get an answer") {
  Pki pki;
  TestServer server(absl::Seconds(30), pki.ServerFiles(/*mutual=*/false));
  const std::string token = server.Token("member", "alice");
  // Catch re-runs the test for each row with a fresh Pki, so rows name what
  // to trust rather than carrying one run's certificates.
  enum Trust { kTheServersCa, kAnotherCa, kSystemRoots };
  struct Row {
    const char* client;
    bool tls;
    Trust trust;
    const char* server_name;
    absl::StatusCode expected;
  };
  auto row = GENERATE(values<Row>({
      {"trusts the CA", true, kTheServersCa, "", absl::StatusCode::kOk},
      {"trusts the CA, checks the certificate's DNS name", true, kTheServersCa, "maydayd.test",
       absl::StatusCode::kOk},
      {"trusts the CA, expects another name", true, kTheServersCa, "elsewhere.test",
       absl::StatusCode::kUnavailable},
      {"trusts another CA", true, kAnotherCa, "", absl::StatusCode::kUnavailable},
      {"trusts the system's roots", true, kSystemRoots, "", absl::StatusCode::kUnavailable},
      {"speaks plaintext", false, kSystemRoots, "", absl::StatusCode::kUnavailable},
  }));
  INFO("the client " << row.client);
  sdk::ClientOptions options = MemberOptions(server, token);
  options.tls.enabled = row.tls;
  options.tls.ca_pem = row.trust == kTheServersCa ? pki.ca.cert_pem()
                       : row.trust == kAnotherCa  ? pki.other_ca.cert_pem()
                                                  : "";
  options.tls.server_name = row.server_name;
  auto client = sdk::Client::Create(options);
  REQUIRE(client.ok());
  auto listed = (*client)->ListCases(0, "");
  INFO(listed.status());
  CHECK(listed.status().code() == row.expected);
}

TEST_CASE("TLS: staff services need a device certificate only when a client CA is set") {
  Pki pki;
  enum Peer { kNoCertificate, kSignedByTheCa, kSignedByAnotherCa };
  struct Row {
    const char* setting;
    bool mutual;
    Peer peer;
    absl::StatusCode member, responder, operator_;
  };
  using absl::StatusCode;
  auto row = GENERATE(values<Row>({
      {"server-only TLS, no client certificate", false, kNoCertificate, StatusCode::kOk,
       StatusCode::kOk, StatusCode::kOk},
      {"mutual TLS, no client certificate", true, kNoCertificate, StatusCode::kOk,
       StatusCode::kUnauthenticated, StatusCode::kUnauthenticated},
      {"mutual TLS, certificate signed by the CA", true, kSignedByTheCa, StatusCode::kOk,
       StatusCode::kOk, StatusCode::kOk},
      {"mutual TLS, certificate signed by another CA", true, kSignedByAnotherCa,
       StatusCode::kUnavailable, StatusCode::kUnavailable, StatusCode::kUnavailable},
  }));
  INFO(row.setting);
  TestServer server(absl::Seconds(30), pki.ServerFiles(row.mutual));
  const Issued* client = row.peer == kSignedByTheCa       ? &pki.device
                         : row.peer == kSignedByAnotherCa ? &pki.foreign_device
                                                          : nullptr;
  auto channel = TlsChannel(server, pki.ca.cert_pem(), client);

  v1::Case opened;
  grpc::Status member = v1::AlertService::NewStub(channel)->RaiseAlert(
      Call(server.Token("member", "alice")).get(), Alert("tls-1"), &opened);
  v1::SetDutyRequest duty;
  duty.set_on_duty(true);
  duty.add_capabilities(v1::CAPABILITY_TOW);
  v1::Responder responder_reply;
  grpc::Status responder = v1::ResponderService::NewStub(channel)->SetDuty(
      Call(server.Token("responder", "unit-7")).get(), duty, &responder_reply);
  v1::ListCasesResponse listed;
  grpc::Status operator_ = v1::OperatorService::NewStub(channel)->ListCases(
      Call(server.Token("operator", "agent-1")).get(), v1::ListAllCasesRequest(), &listed);

  for (const auto& [service, status, expected] :
       {std::tuple{"AlertService.RaiseAlert", member, row.member},
        std::tuple{"ResponderService.SetDuty", responder, row.responder},
        std::tuple{"OperatorService.ListCases", operator_, row.operator_}}) {
    INFO(service << ": " << status.error_code() << " " << status.error_message());
    CHECK(static_cast<int>(status.error_code()) == static_cast<int>(expected));
    if (expected == StatusCode::kUnauthenticated) {
      CHECK_THAT(status.error_message(),
                 Catch::Contains("client certificate signed by the CA configured with "
                                 "--tls-client-ca"));
    }
  }
  // The member's alert is stored exactly when it was acknowledged.
  v1::ListCasesResponse all;
  REQUIRE(v1::OperatorService::NewStub(TlsChannel(server, pki.ca.cert_pem(), &pki.device))
              ->ListCases(Call(server.Token("operator", "agent-2")).get(),
                          v1::ListAllCasesRequest(), &all)
              .ok());
  CHECK(all.cases_size() == (member.ok() ? 1 : 0));
}

TEST_CASE("TLS: over mutual TLS a crew's device takes the case of a member without one") {
  Pki pki;
  TestServer server(absl::Seconds(30), pki.ServerFiles(/*mutual=*/true));
  Crew crew(server, "tow-1", TlsChannel(server, pki.ca.cert_pem(), &pki.device));
  REQUIRE(crew.GoOnDuty(v1::CAPABILITY_TOW, 52.36, 4.88).ok());
  crew.Subscribe();

  sdk::ClientOptions options = MemberOptions(server, server.Token("member", "alice"));
  options.tls.enabled = true;
  options.tls.ca_pem = pki.ca.cert_pem();
  auto client = sdk::Client::Create(options);
  REQUIRE(client.ok());
  auto opened = (*client)->RaiseAlert(SdkAlert(v1::CASE_KIND_ROAD));
  REQUIRE(opened.ok());
  auto offer = crew.NextOffer();
  REQUIRE(offer.has_value());
  CHECK(offer->case_() == opened->name());
  REQUIRE(crew.Accept(offer->case_()).ok());
  auto now = (*client)->GetCase(opened->name());
  REQUIRE(now.ok());
  CHECK(now->state() == v1::CASE_STATE_ASSIGNED);
}

TEST_CASE("TLS: bad certificate, key or CA files stop the server before it opens the database") {
  Pki pki;
  const std::filesystem::path d = pki.files.path();
  WriteTextFile(d / "server.pem", pki.server.cert_pem);
  WriteTextFile(d / "server.key", pki.server.key_pem);
  WriteTextFile(d / "ca.pem", pki.ca.cert_pem());
  WriteTextFile(d / "other.key", pki.device.key_pem);
  WriteTextFile(d / "notes.txt", "not a certificate\n");
  WriteTextFile(d / "damaged.pem",
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
  // File names, and the message with each "@" standing for the directory
  // (a fresh one on each of Catch's runs of this test).
  struct Row {
    const char* what;
    const char* cert;
    const char* key;
    const char* client_ca;
    const char* peer_ca;
    const char* message;
  };
  auto row = GENERATE(values<Row>({
      {"a certificate without a key", "server.pem", "", "", "",
       "--tls-cert and --tls-key go together"},
      {"a key without a certificate", "", "server.key", "", "",
       "--tls-cert and --tls-key go together"},
      {"a client CA without TLS", "", "", "ca.pem", "",
       "--tls-client-ca needs --tls-cert and --tls-key"},
      {"a missing certificate file", "missing.pem", "server.key", "", "",
       "--tls-cert @missing.pem: cannot read it: No such file or directory"},
      {"a certificate file that is a directory", ".", "server.key", "", "",
       "--tls-cert @.: cannot read it"},
      {"a certificate file that is not PEM", "notes.txt", "server.key", "", "",
       "--tls-cert @notes.txt: holds no PEM certificate"},
      {"a damaged certificate", "damaged.pem", "server.key", "", "",
       "--tls-cert @damaged.pem: holds a damaged PEM certificate"},
      {"a key file that is not PEM", "server.pem", "notes.txt", "", "",
       "--tls-key @notes.txt: holds no unencrypted PEM private key"},
      {"the key of another certificate", "server.pem", "other.key", "", "",
       "--tls-key @other.key is not the key of the certificate in --tls-cert @server.pem"},
      {"a missing client CA file", "server.pem", "server.key", "missing.pem", "",
       "--tls-client-ca @missing.pem: cannot read it"},
      {"a client CA file that is not PEM", "server.pem", "server.key", "notes.txt", "",
       "--tls-client-ca @notes.txt: holds no PEM certificate"},
      {"a peer CA without TLS", "", "", "", "ca.pem",
       "--tls-peer-ca needs --tls-cert and --tls-key"},
      {"a peer CA file that is not PEM", "server.pem", "server.key", "", "notes.txt",
       "--tls-peer-ca @notes.txt: holds no PEM certificate"},
  }));
  INFO(row.what);
  const auto path = [&](const char* name) {
    return *name == '\0' ? std::string() : (d / name).string();
  };
  std::string message = row.message;
  for (size_t at; (at = message.find('@')) != std::string::npos;) {
    message.replace(at, 1, d.string() + "/");
  }
  server::ServerOptions options;
  options.listen_address = "127.0.0.1:0";
  options.db_path = (d / "mayday.db").string();
  options.tls = {.cert_file = path(row.cert),
                 .key_file = path(row.key),
                 .client_ca_file = path(row.client_ca),
                 .peer_ca_file = path(row.peer_ca)};
  auto started = server::Server::Start(options);
  REQUIRE_FALSE(started.ok());
  INFO(started.status());
  CHECK(started.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(started.status().message()), Catch::Contains(message));
  CHECK(std::string(started.status().message()).find('\n') == std::string::npos);
  CHECK_FALSE(std::filesystem::exists(options.db_path));
}

TEST_CASE("TLS: the C ABI connects with the CA in its options, and older structs stay plaintext") {
  Pki pki;
  TestServer server(absl::Seconds(30), pki.ServerFiles(/*mutual=*/true));
  const std::string token = server.Token("member", "alice");
  const std::string ca_file = WriteTextFile(pki.files.path() / "ca-for-c.pem", pki.ca.cert_pem());
  const std::string address = server.address();

  mayday_client_options options;
  mayday_client_options_init(&options);
  options.server = address.c_str();
  options.token = token.c_str();
  options.raise_deadline_ms = 10000;
  options.tls = 1;
  options.tls_ca_file = ca_file.c_str();
  options.tls_server_name = "maydayd.test";
  mayday_client* client = nullptr;
  REQUIRE(mayday_client_create(&options, &client) == MAYDAY_OK);
  char case_name[64] = {};
  CHECK(mayday_raise(client, MAYDAY_KIND_MEDICAL, 52.37, 4.90, 10, nullptr, case_name,
                     sizeof case_name) == MAYDAY_OK);
  CHECK(std::string(case_name).rfind("cases/", 0) == 0);
  mayday_client_destroy(client);

  options.tls_ca_pem = pki.ca.cert_pem().c_str();
  CHECK(mayday_client_create(&options, &client) == MAYDAY_INVALID_ARGUMENT);
  CHECK_THAT(mayday_last_error_message(), Catch::Contains("not both"));
  options.tls_ca_pem = nullptr;
  options.tls = 2;
  CHECK(mayday_client_create(&options, &client) == MAYDAY_INVALID_ARGUMENT);

  // A caller built before the TLS fields existed passes a shorter struct:
  // what lies beyond it is not read, so the client is plaintext.
  options.tls = 1;
  options.tls_ca_file = "/nonexistent/ca.pem";
  options.struct_size = offsetof(mayday_client_options, tls);
  REQUIRE(mayday_client_create(&options, &client) == MAYDAY_OK);
  CHECK(mayday_cancel_case(client, case_name, "test") == MAYDAY_UNAVAILABLE);
  mayday_client_destroy(client);
}

}  // namespace
}  // namespace mayday::testing
