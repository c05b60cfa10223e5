// sdk_raise_child: the app that gets killed. Raises one road alert with the
// SDK on a data_dir, prints its request_id once Raise has returned (the
// alert is in the outbox), then waits to be killed by the test. Before
// raising, it makes one call (which may fail) and prints "connected", so a
// test can break the link after gRPC's connection is up.
//
//   sdk_raise_child SERVER TOKEN DATA_DIR
#include <cstdio>
#include <iostream>

#include "absl/time/clock.h"
#include "mayday/sdk/client.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: sdk_raise_child SERVER TOKEN DATA_DIR\n";
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
  (void)(*client)->ListCases(1, "");
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
