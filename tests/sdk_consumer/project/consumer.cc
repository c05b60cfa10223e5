// Uses the installed SDK. With no arguments: makes a client for a server
// that is not there and checks that a call fails the documented way
// (UNAVAILABLE or DEADLINE_EXCEEDED) rather than crashing. With SERVER
// TOKEN (a member's): raises a road alert there and checks that the server
// acknowledged it with a case (the packaged maydayd, tests/package). Exit 0
// on success.
#include <iostream>

#include "mayday/mayday.h"
#include "mayday/sdk/client.h"

namespace {

int NoServer() {
  mayday::sdk::ClientOptions options;
  options.server = "127.0.0.1:1";
  options.token = "no-token";
  options.call_timeout = absl::Milliseconds(500);
  auto client = mayday::sdk::Client::Create(options);
  if (!client.ok()) {
    std::cerr << client.status() << "\n";
    return 1;
  }
  auto got = (*client)->GetCase("cases/none");
  const bool expected = got.status().code() == absl::StatusCode::kUnavailable ||
                        got.status().code() == absl::StatusCode::kDeadlineExceeded;
  std::cout << "mayday SDK " << mayday_version() << ": GetCase -> " << got.status() << "\n";
  return expected ? 0 : 1;
}

int RaiseRoadAlert(const char* server, const char* token) {
  mayday::sdk::ClientOptions options;
  options.server = server;
  options.token = token;
  auto client = mayday::sdk::Client::Create(options);
  if (!client.ok()) {
    std::cerr << client.status() << "\n";
    return 1;
  }
  mayday::sdk::Alert alert;
  alert.kind = mayday::v1::CASE_KIND_ROAD;
  alert.latitude = 52.3676;
  alert.longitude = 4.9041;
  auto opened = (*client)->RaiseAlert(alert);
  if (!opened.ok()) {
    std::cerr << "RaiseAlert: " << opened.status() << "\n";
    return 1;
  }
  std::cout << "mayday SDK " << mayday_version() << ": RaiseAlert -> " << opened->name() << "\n";
  return opened->name().rfind("cases/", 0) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3) return RaiseRoadAlert(argv[1], argv[2]);
  if (argc != 1) {
    std::cerr << "usage: consumer [SERVER MEMBER_TOKEN]\n";
    return 2;
  }
  return NoServer();
}
