// Client against the scripted AlertService: RaiseAlert's retries and
// request_id, the note as sent, the bearer token, status conversion, option
// validation.
#include "mayday/sdk/client.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "fake_alert_service.h"

namespace mayday::sdk {
namespace {

using testing::CaseReply;
using testing::FakeServer;

ClientOptions FastOptions(const std::string& address) {
  ClientOptions options;
  options.server = address;
  options.token = "member-token-1";
  options.call_timeout = absl::Seconds(2);
  options.raise_deadline = absl::Seconds(10);
  options.initial_backoff = absl::Milliseconds(10);
  options.max_backoff = absl::Milliseconds(50);
  return options;
}

std::unique_ptr<Client> MakeClient(const ClientOptions& options) {
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(options);
  REQUIRE(client.ok());
  return std::move(*client);
}

Alert RoadAlert() {
  Alert alert;
  alert.kind = mayday::v1::CASE_KIND_ROAD;
  alert.latitude = 52.3702;
  alert.longitude = 4.8952;
  alert.horizontal_accuracy_meters = 12;
  alert.note = "blue car, hazard lights on";
  return alert;
}

CaseReply Fails(grpc::StatusCode code, const std::string& message) {
  return CaseReply{grpc::Status(code, message), {}};
}

CaseReply Opens(const std::string& case_name) {
  CaseReply reply;
  reply.result.set_name(case_name);
  reply.result.set_state(mayday::v1::CASE_STATE_DISPATCHING);
  return reply;
}

TEST_CASE("RaiseAlert retries UNAVAILABLE with the same request_id", "[sdk][raise]") {
  FakeServer server;
  server.service().AddRaiseReply(Fails(grpc::StatusCode::UNAVAILABLE, "a"));
  server.service().AddRaiseReply(Fails(grpc::StatusCode::UNAVAILABLE, "b"));
  server.service().AddRaiseReply(Opens("cases/c-1"));
  std::unique_ptr<Client> client = MakeClient(FastOptions(server.address()));

  absl::StatusOr<mayday::v1::Case> opened = client->RaiseAlert(RoadAlert());

  REQUIRE(opened.ok());
  CHECK(opened->name() == "cases/c-1");
  const auto requests = server.service().raise_requests();
  REQUIRE(requests.size() == 3);
  const std::string& id = requests[0].request_id();
  CHECK(id.size() == 32);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  for (const auto& request : requests) {
    CHECK(request.request_id() == id);
    CHECK(request.kind() == mayday::v1::CASE_KIND_ROAD);
    CHECK(request.location().latitude() == 52.3702);
    CHECK(request.location().longitude() == 4.8952);
    CHECK(request.location().horizontal_accuracy_meters() == 12);
    CHECK(request.note() == "blue car, hazard lights on");
  }
}

TEST_CASE("RaiseAlert does not retry INVALID_ARGUMENT", "[sdk][raise]") {
  FakeServer server;
  server.service().AddRaiseReply(Fails(grpc::StatusCode::INVALID_ARGUMENT, "kind is required"));
  server.service().AddRaiseReply(Opens("cases/never"));
  std::unique_ptr<Client> client = MakeClient(FastOptions(server.address()));

  absl::StatusOr<mayday::v1::Case> opened = client->RaiseAlert(RoadAlert());

  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(opened.status().message() == "kind is required");
  CHECK(server.service().raise_requests().size() == 1);
}

TEST_CASE("RaiseAlert keeps a caller's request_id and fresh ids differ", "[sdk][raise]") {
  FakeServer server;
  server.service().AddRaiseReply(Opens("cases/c-1"));
  server.service().AddRaiseReply(Opens("cases/c-2"));
  server.service().AddRaiseReply(Opens("cases/c-3"));
  std::unique_ptr<Client> client = MakeClient(FastOptions(server.address()));
  Alert mine = RoadAlert();
  mine.request_id = "press-42";

  REQUIRE(client->RaiseAlert(mine).ok());
  REQUIRE(client->RaiseAlert(RoadAlert()).ok());
  REQUIRE(client->RaiseAlert(RoadAlert()).ok());

  const auto requests = server.service().raise_requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].request_id() == "press-42");
  CHECK(requests[1].request_id() != requests[2].request_id());
}

TEST_CASE("RaiseAlert gives up with the last error at raise_deadline", "[sdk][raise]") {
  FakeServer server;
  for (int i = 0; i < 100; ++i) {
    server.service().AddRaiseReply(Fails(grpc::StatusCode::UNAVAILABLE, "storage down"));
  }
  ClientOptions options = FastOptions(server.address());
  options.raise_deadline = absl::Milliseconds(300);
  std::unique_ptr<Client> client = MakeClient(options);

  const absl::Time start = absl::Now();
  absl::StatusOr<mayday::v1::Case> opened = client->RaiseAlert(RoadAlert());
  const absl::Duration took = absl::Now() - start;

  REQUIRE_FALSE(opened.ok());
  CHECK(opened.status().code() == absl::StatusCode::kUnavailable);
  CHECK(opened.status().message() == "storage down");
  CHECK(took < absl::Seconds(2));
  CHECK(server.service().raise_requests().size() >= 3);
}

TEST_CASE("Raise retries a rate limit's RESOURCE_EXHAUSTED but not a request too large",
          "[sdk][raise]") {
  FakeServer server;
  server.service().AddRaiseReply(Fails(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                       "too many calls from members/alice; retry in 50 ms"));
  server.service().AddRaiseReply(Opens("cases/c-1"));
  server.service().AddRaiseReply(Fails(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                       "Received message larger than max (70123 vs. 65536)"));
  server.service().AddRaiseReply(Opens("cases/never"));
  std::unique_ptr<Client> client = MakeClient(FastOptions(server.address()));

  absl::StatusOr<mayday::v1::Case> later = client->RaiseAlert(RoadAlert());
  REQUIRE(later.ok());
  CHECK(later->name() == "cases/c-1");
  CHECK(server.service().raise_requests().size() == 2);

  absl::StatusOr<mayday::v1::Case> too_large = client->RaiseAlert(RoadAlert());
  REQUIRE_FALSE(too_large.ok());
  CHECK(too_large.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK_THAT(std::string(too_large.status().message()),
             Catch::Contains("cannot be sent as it is") &&
                 Catch::Contains("larger than max (70123 vs. 65536)"));
  CHECK(server.service().raise_requests().size() == 3);  // not retried
}

TEST_CASE("Raise sends a broken or long note as valid UTF-8 within 1000 bytes, and says so",
          "[sdk][raise][text]") {
  struct Row {
    const char* what;
    std::string note;
    std::string sent;
    bool repaired;
    bool trimmed;
  };
  auto row = GENERATE_COPY(values<Row>({
      {"valid",
       "Unfall auf der Br\xC3\xBC"
       "cke",
       "Unfall auf der Br\xC3\xBC"
       "cke",
       false, false},
      {"cut inside a character", "Unfall auf der Br\xC3", "Unfall auf der Br", true, false},
      {"an invalid byte and an escape sequence", "a\xFF b \x1b[2J", "a\xEF\xBF\xBD b [2J", true,
       false},
      {"70 KiB", std::string(70 * 1024, 'n'), std::string(1000, 'n'), false, true},
  }));
  INFO(row.what);
  FakeServer server;
  server.service().AddRaiseReply(Opens("cases/c-1"));
  absl::Mutex mu;
  std::vector<AlertProgress> seen;
  std::unique_ptr<Client> client = MakeClient(FastOptions(server.address()));
  Alert alert = RoadAlert();
  alert.note = row.note;
  auto pending = client->Raise(alert, [&](const AlertProgress& progress) {
    absl::MutexLock lock(&mu);
    seen.push_back(progress);
  });
  REQUIRE(pending.ok());
  CHECK((*pending)->progress().note_repaired == row.repaired);
  CHECK((*pending)->progress().note_trimmed == row.trimmed);
  REQUIRE((*pending)->WaitDone(absl::Seconds(10)));
  CHECK((*pending)->progress().state == AlertState::kAcknowledged);
  const auto requests = server.service().raise_requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].note() == row.sent);
  client.reset();  // joins the sender: every callback has run
  absl::MutexLock lock(&mu);
  REQUIRE(seen.size() == 2);  // kSending, kAcknowledged
  for (const AlertProgress& progress : seen) {
    CHECK(progress.note_repaired == row.repaired);
    CHECK(progress.note_trimmed == row.trimmed);
  }
}

TEST_CASE("An app's request_id the server would refuse is sent as the same stable key",
          "[sdk][raise]") {
  FakeServer server;
  for (int i = 0; i < 3; ++i) server.service().AddRaiseReply(Opens("cases/c-1"));
  std::unique_ptr<Client> client = MakeClient(FastOptions(server.address()));
  Alert mine = RoadAlert();
  mine.request_id =
      "dr\xC3\xBC"
      "cken 42";  // not ASCII, a space
  Alert again = mine;
  Alert long_key = RoadAlert();
  long_key.request_id = std::string(300, 'k');

  auto first = client->Raise(mine);
  REQUIRE(first.ok());
  REQUIRE((*first)->WaitDone(absl::Seconds(10)));
  auto second = client->Raise(again);
  REQUIRE(second.ok());
  REQUIRE((*second)->WaitDone(absl::Seconds(10)));
  auto third = client->Raise(long_key);
  REQUIRE(third.ok());
  REQUIRE((*third)->WaitDone(absl::Seconds(10)));

  const auto requests = server.service().raise_requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].request_id().rfind("key-", 0) == 0);
  CHECK(requests[0].request_id().size() == 36);
  CHECK(requests[1].request_id() == requests[0].request_id());
  CHECK((*first)->request_id() == requests[0].request_id());
  CHECK(requests[2].request_id().size() == 36);
  CHECK((*third)->progress().state == AlertState::kAcknowledged);
}

TEST_CASE("Every call carries the bearer token", "[sdk][auth]") {
  FakeServer server;
  server.service().AddRaiseReply(Opens("cases/c-1"));
  server.service().AddGetReply(Opens("cases/c-1"));
  std::unique_ptr<Client> client = MakeClient(FastOptions(server.address()));

  REQUIRE(client->RaiseAlert(RoadAlert()).ok());
  REQUIRE(client->GetCase("cases/c-1").ok());

  const auto seen = server.service().authorizations();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == "Bearer member-token-1");
  CHECK(seen[1] == "Bearer member-token-1");
}

TEST_CASE("Case calls send what they are given", "[sdk][calls]") {
  FakeServer server;
  CaseReply cancelled = Opens("cases/c-1");
  cancelled.result.set_state(mayday::v1::CASE_STATE_CANCELLED);
  server.service().AddChangeReply(Fails(grpc::StatusCode::FAILED_PRECONDITION, "case is closed"));
  server.service().AddChangeReply(cancelled);
  std::unique_ptr<Client> client = MakeClient(FastOptions(server.address()));
  mayday::v1::Location moved;
  moved.set_latitude(52.5);
  moved.set_longitude(4.5);

  absl::StatusOr<mayday::v1::ListCasesResponse> page = client->ListCases(20, "page-1");
  absl::StatusOr<mayday::v1::Case> updated = client->UpdateCaseLocation("cases/c-1", moved);
  absl::StatusOr<mayday::v1::Case> closed = client->CancelCase("cases/c-1", "false alarm");

  REQUIRE(page.ok());
  CHECK(page->next_page_token() == "page-2");
  CHECK(updated.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(updated.status().message() == "case is closed");
  REQUIRE(closed.ok());
  CHECK(closed->state() == mayday::v1::CASE_STATE_CANCELLED);
  CHECK(server.service().call_log() ==
        std::vector<std::string>{"ListCases page_size: 20 page_token: \"page-1\"",
                                 "UpdateCaseLocation name: \"cases/c-1\" location { latitude: "
                                 "52.5 longitude: 4.5 }",
                                 "CancelCase name: \"cases/c-1\" reason: \"false alarm\""});
}

TEST_CASE("Server errors keep their code and message", "[sdk][status]") {
  const grpc::StatusCode code =
      GENERATE(grpc::StatusCode::NOT_FOUND, grpc::StatusCode::PERMISSION_DENIED,
               grpc::StatusCode::UNAUTHENTICATED, grpc::StatusCode::FAILED_PRECONDITION,
               grpc::StatusCode::UNAVAILABLE);
  CAPTURE(static_cast<int>(code));
  FakeServer server;
  server.service().AddGetReply(Fails(code, "the server says no"));
  std::unique_ptr<Client> client = MakeClient(FastOptions(server.address()));

  absl::StatusOr<mayday::v1::Case> got = client->GetCase("cases/c-9");

  REQUIRE_FALSE(got.ok());
  CHECK(static_cast<int>(got.status().code()) == static_cast<int>(code));
  CHECK(got.status().message() == "the server says no");
  CHECK(server.service().authorizations().size() == 1);  // no retry
}

TEST_CASE("Create rejects unusable options", "[sdk][options]") {
  auto [name, mutate] = GENERATE(table<std::string, void (*)(ClientOptions*)>({
      {"no server", [](ClientOptions* o) { o->server.clear(); }},
      {"no token", [](ClientOptions* o) { o->token.clear(); }},
      {"zero call_timeout", [](ClientOptions* o) { o->call_timeout = absl::ZeroDuration(); }},
      {"negative raise_deadline", [](ClientOptions* o) { o->raise_deadline = -absl::Seconds(1); }},
      {"zero initial_backoff", [](ClientOptions* o) { o->initial_backoff = absl::ZeroDuration(); }},
  }));
  CAPTURE(name);
  ClientOptions options = FastOptions("dns:///mayday.invalid");
  mutate(&options);
  CHECK(Client::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("A server address pasted as a URL is used, or refused saying how to write it",
          "[sdk][options]") {
  FakeServer server;
  server.service().AddGetReply(Opens("cases/c-1"));

  // http:// and a trailing slash: the plaintext address they name.
  std::unique_ptr<Client> client =
      MakeClient(FastOptions(absl::StrCat("http://", server.address(), "/")));
  absl::StatusOr<mayday::v1::Case> got = client->GetCase("cases/c-1");
  INFO(got.status());
  CHECK(got.ok());

  struct Row {
    const char* what;
    std::string server;
    bool tls;
    const char* says;
  };
  auto row = GENERATE(values<Row>({
      {"https:// without TLS", "https://mayday.example:7433", false,
       "says TLS (https://): write the address as HOST:PORT and set tls.enabled"},
      {"http:// with TLS", "http://mayday.example:7433", true,
       "says plaintext (http://) but tls.enabled is set"},
      {"a path after the port", "http://mayday.example:7433/v1/alerts", false,
       "write the address as HOST:PORT (127.0.0.1:7433)"},
      {"only a scheme", "http://", false, "write the address as HOST:PORT"},
  }));
  INFO(row.what);
  ClientOptions options = FastOptions(row.server);
  options.tls.enabled = row.tls;
  const absl::Status refused = Client::Create(options).status();
  CHECK(refused.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(refused.message()),
             Catch::StartsWith("ClientOptions.server " + row.server) && Catch::Contains(row.says));
}

}  // namespace
}  // namespace mayday::sdk
