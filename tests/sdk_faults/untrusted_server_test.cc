// A maydayd over TLS whose certificate the member's SDK does not accept
// (signed by a CA the app does not trust, or for another name) is a
// configuration error, not a network blip: the SDK reports it on the first
// attempt, through the C++ API and the C ABI, instead of retrying it as
// UNAVAILABLE until raise_deadline; the alert stays queued, and a client with
// the right settings on the same data_dir delivers it. This also pins gRPC's
// wording of both failures, which IsCertificateFailure reads.
#include <catch2/catch.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "mayday/mayday.h"
#include "mayday/sdk/client.h"
#include "sdk_alert.h"
#include "test_certificates.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// Far below the 20 s raise_deadline the tests set: without the change,
// RaiseAlert retried UNAVAILABLE until then.
constexpr absl::Duration kAtOnce = absl::Seconds(5);

// maydayd over TLS with a certificate for "maydayd.test", localhost and
// 127.0.0.1 from `ca`.
struct TlsServer {
  TestCa ca{"Mayday test CA"};
  TestCa stranger{"Some other CA"};
  TempDir files;
  TestServer server;

  TlsServer() : server(absl::Seconds(30), ServerFiles()) {}

  server::ServerTlsOptions ServerFiles() {
    const Issued issued = ca.IssueServer("maydayd.test");
    server::ServerTlsOptions tls;
    tls.cert_file = WriteTextFile(files.path() / "server.pem", issued.cert_pem);
    tls.key_file = WriteTextFile(files.path() / "server.key", issued.key_pem);
    return tls;
  }
};

// How the app is misconfigured.
struct Misconfiguration {
  const char* what;
  bool trusts_stranger;     // trusts another CA than the server's
  const char* server_name;  // expects this name ("": the host, 127.0.0.1)
};

Misconfiguration AnyMisconfiguration() {
  return GENERATE(values<Misconfiguration>({
      {"the CA that signed the server's certificate is not trusted", true, ""},
      {"the server's certificate is for another name", false, "elsewhere.test"},
  }));
}

sdk::ClientOptions MemberOptions(TlsServer& tls, const std::string& token,
                                 const std::string& data_dir) {
  sdk::ClientOptions options;
  options.server = tls.server.address();
  options.token = token;
  options.data_dir = data_dir;
  options.call_timeout = absl::Seconds(5);
  options.raise_deadline = absl::Seconds(20);
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(500);
  options.tls.enabled = true;
  options.tls.ca_pem = tls.ca.cert_pem();
  return options;
}

TEST_CASE("An untrusted server certificate is reported at once and the alert stays queued",
          "[sdk][tls]") {
  const Misconfiguration bad = AnyMisconfiguration();
  INFO(bad.what);
  TlsServer tls;
  TempDir app_data;
  const std::string token = tls.server.Token("member", "alice");
  sdk::ClientOptions wrong = MemberOptions(tls, token, app_data.path().string());
  if (bad.trusts_stranger) wrong.tls.ca_pem = tls.stranger.cert_pem();
  wrong.tls.server_name = bad.server_name;
  // What Raise's callback saw; declared before the client, whose sender
  // threads call it.
  absl::Mutex mu;
  std::vector<sdk::AlertProgress> seen;
  auto client = sdk::Client::Create(wrong);
  REQUIRE(client.ok());

  // RaiseAlert returns the configuration error at once.
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::Case> opened = (*client)->RaiseAlert(SdkAlert(v1::CASE_KIND_MEDICAL));
  const absl::Duration took = absl::Now() - start;
  INFO(opened.status() << " after " << absl::FormatDuration(took));
  REQUIRE_FALSE(opened.ok());
  CHECK(took < kAtOnce);
  std::cout << "untrusted server (" << bad.what << "): RaiseAlert returned after "
            << absl::FormatDuration(took) << std::endl;
  CHECK(opened.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(sdk::IsUntrustedServerError(opened.status()));
  CHECK_THAT(
      std::string(opened.status().message()),
      Catch::Contains("TLS certificate was not accepted") && Catch::Contains("ClientOptions.tls"));
  // ... and the alert is still queued, not failed.
  auto pending = (*client)->PendingAlerts();
  REQUIRE(pending.size() == 1);
  CHECK(pending[0]->progress().state != sdk::AlertState::kFailed);

  // Raise tells its callback on the first attempt, in kQueued's error.
  auto untrusted_reported = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    for (const sdk::AlertProgress& p : seen) {
      if (p.state == sdk::AlertState::kQueued && sdk::IsUntrustedServerError(p.error)) return true;
    }
    return false;
  };
  auto raised =
      (*client)->Raise(SdkAlert(v1::CASE_KIND_MEDICAL), [&](const sdk::AlertProgress& progress) {
        absl::MutexLock lock(&mu);
        seen.push_back(progress);
      });
  REQUIRE(raised.ok());
  {
    absl::MutexLock lock(&mu);
    CHECK(mu.AwaitWithTimeout(absl::Condition(&untrusted_reported), kAtOnce));
    CHECK(seen.front().attempts == 1);
  }

  // A one-attempt call keeps gRPC's UNAVAILABLE, and is told apart too:
  // this pins gRPC's wording that IsCertificateFailure reads.
  absl::StatusOr<v1::ListCasesResponse> listed = (*client)->ListCases(0, "");
  INFO(listed.status());
  CHECK(listed.status().code() == absl::StatusCode::kUnavailable);
  CHECK(sdk::IsUntrustedServerError(listed.status()));

  // A watch ends with the configuration error instead of reconnecting.
  absl::Status end = absl::UnknownError("not ended");
  auto watch = (*client)->WatchCase(
      "cases/00000000000000000000000000000000", 0, [](const v1::CaseEvent&) {},
      [&](const absl::Status& status) { end = status; });
  REQUIRE(watch.ok());
  CHECK((*watch)->WaitDone(kAtOnce));
  CHECK(sdk::IsUntrustedServerError(end));
  watch->reset();

  // The app is fixed: the next client on the same data_dir delivers both
  // queued alerts (one case: the member's open medical case).
  client->reset();
  auto fixed = sdk::Client::Create(MemberOptions(tls, token, app_data.path().string()));
  REQUIRE(fixed.ok());
  auto resumed = (*fixed)->ResumedAlerts();
  REQUIRE(resumed.size() == 2);
  for (const auto& alert : resumed) {
    REQUIRE(alert->WaitDone(absl::Seconds(10)));
    CHECK(alert->progress().state == sdk::AlertState::kAcknowledged);
    CHECK(alert->progress().opened.name() == resumed[0]->progress().opened.name());
  }
}

// What mayday_raise_with_progress and the watch's end reported.
struct CSeen {
  absl::Mutex mu;
  std::vector<mayday_alert_state> states;
  std::vector<mayday_status> errors;
  mayday_status watch_end = MAYDAY_OK;
  int watch_ends = 0;
};

extern "C" void RecordProgress(const mayday_alert_progress* progress, void* user) {
  auto* seen = static_cast<CSeen*>(user);
  absl::MutexLock lock(&seen->mu);
  seen->states.push_back(progress->state);
  seen->errors.push_back(progress->error);
}

extern "C" void IgnoreEvent(const mayday_event*, void*) {}

extern "C" void RecordWatchEnd(mayday_status status, const char*, void* user) {
  auto* seen = static_cast<CSeen*>(user);
  absl::MutexLock lock(&seen->mu);
  seen->watch_end = status;
  ++seen->watch_ends;
}

TEST_CASE("C ABI: an untrusted server certificate is MAYDAY_UNTRUSTED_SERVER at once",
          "[sdk][tls][c_abi]") {
  const Misconfiguration bad = AnyMisconfiguration();
  INFO(bad.what);
  TlsServer tls;
  TempDir app_data;
  const std::string token = tls.server.Token("member", "c-member");
  const std::string address = tls.server.address();
  const std::string data_dir = app_data.path().string();
  const std::string ca = bad.trusts_stranger ? tls.stranger.cert_pem() : tls.ca.cert_pem();
  mayday_client_options options;
  mayday_client_options_init(&options);
  options.server = address.c_str();
  options.token = token.c_str();
  options.data_dir = data_dir.c_str();
  options.raise_deadline_ms = 20000;
  options.initial_backoff_ms = 50;
  options.max_backoff_ms = 500;
  options.tls = 1;
  options.tls_ca_pem = ca.c_str();
  options.tls_server_name = bad.server_name;
  CSeen seen;  // before the client, whose threads call back into it
  mayday_client* raw_client = nullptr;
  REQUIRE(mayday_client_create(&options, &raw_client) == MAYDAY_OK);
  // Destroying the client joins its sender threads: no callback after it.
  std::unique_ptr<mayday_client, void (*)(mayday_client*)> owned(raw_client, mayday_client_destroy);
  mayday_client* client = owned.get();

  char case_name[64] = {};
  const absl::Time start = absl::Now();
  const mayday_status status = mayday_raise(client, MAYDAY_KIND_MEDICAL, 52.36, 4.88, 10,
                                            "chest pain", case_name, sizeof(case_name));
  const absl::Duration took = absl::Now() - start;
  INFO(mayday_status_name(status) << ": " << mayday_last_error_message() << " after "
                                  << absl::FormatDuration(took));
  CHECK(status == MAYDAY_UNTRUSTED_SERVER);
  CHECK(std::string(mayday_status_name(status)) == "UNTRUSTED_SERVER");
  CHECK(took < kAtOnce);

  char request_id[64] = {};
  REQUIRE(mayday_raise_with_progress(client, MAYDAY_KIND_MEDICAL, 52.36, 4.88, 10, nullptr,
                                     RecordProgress, &seen, request_id,
                                     sizeof(request_id)) == MAYDAY_OK);
  CHECK(std::string(request_id).size() == 32);
  mayday_watch* watch = nullptr;
  REQUIRE(mayday_watch_start(client, "cases/00000000000000000000000000000000", 0, IgnoreEvent,
                             RecordWatchEnd, &seen, &watch) == MAYDAY_OK);
  CHECK(mayday_watch_wait(watch, static_cast<int32_t>(absl::ToInt64Milliseconds(kAtOnce))) == 1);
  mayday_watch_destroy(watch);
  {
    absl::MutexLock lock(&seen.mu);
    auto reported = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(seen.mu) {
      for (size_t i = 0; i < seen.states.size(); ++i) {
        if (seen.states[i] == MAYDAY_ALERT_QUEUED && seen.errors[i] == MAYDAY_UNTRUSTED_SERVER) {
          return true;
        }
      }
      return false;
    };
    CHECK(seen.mu.AwaitWithTimeout(absl::Condition(&reported), kAtOnce));
    CHECK(seen.watch_ends == 1);
    CHECK(seen.watch_end == MAYDAY_UNTRUSTED_SERVER);
  }
}

}  // namespace
}  // namespace mayday::testing
