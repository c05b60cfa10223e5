// Against a real maydayd: an alert is never refused over its note. A note cut
// inside a character (an app cutting at a byte limit), one with invalid bytes
// or terminal escapes, one over the server's 1000 bytes and one over its
// 64 KiB request limit are all acknowledged, through the C++ API and the C
// ABI, with the note stored as valid UTF-8 within the limit; a message and a
// cancel reason with broken UTF-8 are accepted too.
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "mayday/mayday.h"
#include "mayday/sdk/client.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

sdk::ClientOptions MemberOptions(const TestServer& server, const std::string& token) {
  sdk::ClientOptions options;
  options.server = server.address();
  options.token = token;
  options.call_timeout = absl::Seconds(5);
  options.raise_deadline = absl::Seconds(10);
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(500);
  return options;
}

// The case as the server stored it.
v1::Case Stored(TestServer& server, const std::string& token, const std::string& name) {
  v1::GetCaseRequest request;
  request.set_name(name);
  v1::Case stored;
  const grpc::Status status = server.Alerts()->GetCase(Call(token).get(), request, &stored);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return stored;
}

TEST_CASE("An alert is never refused over its note: repaired and cut, it is acknowledged",
          "[sdk][text]") {
  struct Row {
    const char* what;
    std::string note;
    std::string stored;
  };
  const std::string kFffd = "\xEF\xBF\xBD";
  auto row = GENERATE_COPY(values<Row>({
      {"cut inside a character", "Unfall auf der Br\xC3", "Unfall auf der Br"},
      {"an invalid byte and a terminal escape",
       "Br\xFC"
       "cke \x1b]0;owned\a!",
       "Br" + kFffd + "cke ]0;owned!"},
      {"2000 bytes", std::string(2000, 'a'), std::string(1000, 'a')},
      {"70 KiB, over the server's 64 KiB request limit", std::string(70 * 1024, 'b'),
       std::string(1000, 'b')},
  }));
  INFO(row.what);
  TestServer server;
  const std::string token = server.Token("member", "alice");
  auto client = sdk::Client::Create(MemberOptions(server, token));
  REQUIRE(client.ok());
  sdk::Alert alert;
  alert.kind = v1::CASE_KIND_MEDICAL;
  alert.latitude = 52.36;
  alert.longitude = 4.88;
  alert.note = row.note;

  absl::StatusOr<v1::Case> opened = (*client)->RaiseAlert(alert);
  INFO(opened.status());
  REQUIRE(opened.ok());
  CHECK(Stored(server, token, opened->name()).note() == row.stored);
}

TEST_CASE("C ABI: a note cut inside a character is sent, repaired", "[sdk][text][c_abi]") {
  TestServer server;
  const std::string token = server.Token("member", "c-member");
  mayday_client_options options;
  mayday_client_options_init(&options);
  const std::string address = server.address();
  options.server = address.c_str();
  options.token = token.c_str();
  options.raise_deadline_ms = 10000;
  mayday_client* client = nullptr;
  REQUIRE(mayday_client_create(&options, &client) == MAYDAY_OK);

  char case_name[64] = {};
  const mayday_status status = mayday_raise(client, MAYDAY_KIND_MEDICAL, 52.36, 4.88, 10,
                                            "Unfall auf der Br\xC3", case_name, sizeof(case_name));
  INFO(mayday_status_name(status) << ": " << mayday_last_error_message());
  CHECK(status == MAYDAY_OK);
  mayday_client_destroy(client);
  if (status == MAYDAY_OK) {
    CHECK(Stored(server, token, case_name).note() == "Unfall auf der Br");
  }
}

TEST_CASE("A message and a cancel reason with broken UTF-8 are accepted, repaired", "[sdk][text]") {
  TestServer server;
  const std::string token = server.Token("member", "alice");
  auto client = sdk::Client::Create(MemberOptions(server, token));
  REQUIRE(client.ok());
  sdk::Alert alert;
  alert.kind = v1::CASE_KIND_ROAD;
  alert.latitude = 52.36;
  alert.longitude = 4.88;
  absl::StatusOr<v1::Case> opened = (*client)->RaiseAlert(alert);
  REQUIRE(opened.ok());

  absl::StatusOr<v1::CaseEvent> posted =
      (*client)->PostMessage(opened->name(), "Wir stehen auf der Br\xC3");
  INFO(posted.status());
  REQUIRE(posted.ok());
  CHECK(posted->message_posted().text() == "Wir stehen auf der Br");

  absl::StatusOr<v1::Case> cancelled = (*client)->CancelCase(opened->name(), "Fehlalarm \xFF");
  INFO(cancelled.status());
  REQUIRE(cancelled.ok());
  CHECK(cancelled->state() == v1::CASE_STATE_CANCELLED);
}

}  // namespace
}  // namespace mayday::testing
