// Uses the installed SDK: makes a client for a server that is not there and
// checks that a call fails the documented way (UNAVAILABLE or
// DEADLINE_EXCEEDED) rather than crashing. Exit 0 on success.
#include <iostream>

#include "mayday/mayday.h"
#include "mayday/sdk/client.h"

int main() {
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
