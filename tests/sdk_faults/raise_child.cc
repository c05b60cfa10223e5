// sdk_raise_child: the app that gets killed. Raises one road alert with the
// SDK on a data_dir, prints its request_id once Raise has returned (the
// alert is in the outbox), then waits to be killed by the test. Before
// raising, it makes one call (which may fail) and prints "connected", so a
// test can break the link after gRPC's connection is up; with
// `until-connected`, it makes that call again until one succeeds (up to 20
// tries), so that "connected" means the connection is up even on a machine
// slow enough for the first call's 1 s deadline to pass.
//
//   sdk_raise_child SERVER TOKEN DATA_DIR [until-connected]
#include <cstdio>
#include <iostream>
#include <string>

#include "absl/time/clock.h"
#include "mayday/sdk/client.h"

int main(int argc, char** argv) {
  const bool until_connected = argc == 5 && std::string(argv[4]) == "until-connected";
  if (argc != 4 && !until_connected) {
    std::cerr << "usage: sdk_raise_child SERVER TOKEN DATA_DIR [until-connected]\n";
    return 2;
  }
  mayday::sdk::ClientOptions options;
  options.server = argv[1];
  options.token = argv[2];
  options.data_dir = argv[3];
  options.call_timeout = absl::Seconds(1);
  options.initial_backoff = absl::Milliseconds(100);
  options.max_backoff = absl::Milliseconds(500);
  auto client = mayday::sdk::Client::Create(options);
  if (!client.ok()) {
    std::cerr << client.status() << "\n";
    return 1;
  }
  for (int tries = until_connected ? 20 : 1; tries > 0; --tries) {
    if ((*client)->ListCases(1, "").ok()) break;
  }
  std::cout << "connected" << std::endl;
  absl::SleepFor(absl::Seconds(1));
  mayday::sdk::Alert alert;
  alert.kind = mayday::v1::CASE_KIND_ROAD;
  alert.latitude = 52.3702;
  alert.longitude = 4.8952;
  auto raised = (*client)->Raise(alert);
  if (!raised.ok()) {
    std::cerr << raised.status() << "\n";
    return 1;
  }
  std::cout << (*raised)->request_id() << std::endl;
  // Never acknowledged through the test's proxy; the test kills us first.
  absl::SleepFor(absl::Seconds(60));
  return 3;
}
