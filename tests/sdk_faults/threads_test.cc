// One Client shared by many threads of an app: alerts, watches, messages and
// lookups all at once, against a real in-process maydayd (no proxy).
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "mayday/sdk/client.h"
#include "test_server.h"
#include "test_support.h"

namespace mayday::testing {
namespace {

TEST_CASE("One Client used from many threads at once", "[sdk][threads]") {
  TestServer server;
  sdk::ClientOptions options;
  options.server = server.address();
  options.token = server.Token("member", "alice");
  auto client = sdk::Client::Create(options);
  REQUIRE(client.ok());

  constexpr int kThreads = 6;
  constexpr int kPressesPerThread = 8;
  absl::Mutex mu;
  std::vector<std::string> names;
  // The case each kind's presses got: a member has one open case of a
  // kind, so every road press gets the same case, and every medical one.
  std::map<mayday::v1::CaseKind, std::set<std::string>> by_kind;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPressesPerThread; ++i) {
        sdk::Alert alert;
        alert.kind = i % 2 == 0 ? mayday::v1::CASE_KIND_ROAD : mayday::v1::CASE_KIND_MEDICAL;
        alert.latitude = 52.37 + 0.001 * t;
        alert.longitude = 4.90 + 0.001 * i;
        alert.request_id = absl::StrCat("thread-", t, "-press-", i);
        auto opened = (*client)->RaiseAlert(alert);
        // The same press again from the same thread: same case.
        auto again = (*client)->RaiseAlert(alert);
        absl::MutexLock lock(&mu);
        if (!opened.ok() || !again.ok()) {
          errors.push_back(
              std::string(opened.ok() ? again.status().message() : opened.status().message()));
          continue;
        }
        if (again->name() != opened->name()) errors.push_back("retry opened another case");
        names.push_back(opened->name());
        by_kind[alert.kind].insert(opened->name());
      }
      // Each thread also watches, messages and lists with the same Client.
      std::string mine;
      {
        absl::MutexLock lock(&mu);
        if (names.empty()) return;
        mine = names.back();
      }
      auto watch = (*client)->WatchCase(
          mine, 0, [](const mayday::v1::CaseEvent&) {}, [](const absl::Status&) {});
      auto message = (*client)->PostMessage(mine, absl::StrCat("from thread ", t));
      auto listed = (*client)->ListCases(100, "");
      absl::MutexLock lock(&mu);
      if (!watch.ok()) errors.push_back(std::string(watch.status().message()));
      if (!message.ok()) errors.push_back(std::string(message.status().message()));
      if (!listed.ok()) errors.push_back(std::string(listed.status().message()));
      if (watch.ok()) (*watch)->Cancel();
    });
  }
  for (auto& thread : threads) thread.join();

  INFO("first error: " << (errors.empty() ? "" : errors.front()));
  CHECK(errors.empty());
  CHECK(names.size() == kThreads * kPressesPerThread);
  REQUIRE(by_kind.size() == 2);
  CHECK(by_kind[mayday::v1::CASE_KIND_ROAD].size() == 1);
  CHECK(by_kind[mayday::v1::CASE_KIND_MEDICAL].size() == 1);
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == 2);
  // The server holds those two cases, and every press once: 2 opened them,
  // the other presses joined them.
  CHECK(server::testing::QueryInt(server.db_path(),
                                  "SELECT count(*) FROM case_presses WHERE member = "
                                  "'members/alice'") == kThreads * kPressesPerThread - 2);
  int total = 0;
  std::string token;
  do {
    auto page = (*client)->ListCases(100, token);
    REQUIRE(page.ok());
    total += page->cases_size();
    token = page->next_page_token();
  } while (!token.empty());
  CHECK(total == 2);
}

}  // namespace
}  // namespace mayday::testing
