// What a reader of docs/sdk.md's C++ examples already has: the names the
// examples use without declaring them (tests/docs/snippets.py).
#ifndef MAYDAY_TESTS_DOCS_SNIPPET_CONTEXT_HH_
#define MAYDAY_TESTS_DOCS_SNIPPET_CONTEXT_HH_

#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "mayday/sdk/client.h"
#include "mayday/v1/resources.pb.h"

namespace {

// From the app's login flow, its storage and its bundle.
const std::string member_token = "token";
const std::string app_data_directory = "/tmp";
const std::string bundled_ca_pem;
// The PINs the member chose in the app's settings, and the one typed.
const std::string cancel_pin = "2468";
const std::string duress_pin = "1357";
const std::string typed_pin = "2468";
// The phone's newest fix.
mayday::v1::Location newest_fix;
// What earlier examples on the page made.
mayday::sdk::ClientOptions options;
absl::StatusOr<std::unique_ptr<mayday::sdk::Client>> client;
absl::StatusOr<mayday::v1::Case> opened;

// The app's timeline on screen.
void show(const std::string& line) { std::printf("%s\n", line.c_str()); }

}  // namespace

#endif  // MAYDAY_TESTS_DOCS_SNIPPET_CONTEXT_HH_
