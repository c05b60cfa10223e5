// "An alert never stays on the phone": an app raises an alert and is killed
// (SIGKILL) before the server's answer reaches it; a new Client on the same
// data_dir resends it with the same request_id, and the server ends up with
// exactly one case for the press.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "child_process.h"
#include "mayday/sdk/client.h"
#include "tcp_proxy.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

// The number of the member's cases the server holds.
int CountCases(TestServer& server, const std::string& token) {
  mayday::v1::ListCasesResponse response;
  grpc::Status status =
      server.Alerts()->ListCases(Call(token).get(), mayday::v1::ListCasesRequest(), &response);
  REQUIRE(status.ok());
  return response.cases_size();
}

TEST_CASE("An alert raised by a killed app is delivered once by the next Client", "[sdk][outbox]") {
  // Row 1: the server never heard of the alert (network refused).
  // Row 2: the server committed it, but the answer never came back.
  auto [mode, committed_before_kill] = GENERATE(table<TcpProxy::Mode, int>({
      {TcpProxy::Mode::kRefuse, 0},
      {TcpProxy::Mode::kDropReplies, 1},
  }));
  INFO("cases committed before the kill: " << committed_before_kill);
  TestServer server;
  TcpProxy proxy(server.server().port());
  // kDropReplies needs the connection up first: gRPC waits for the
  // server's HTTP/2 settings before it sends a call.
  if (mode != TcpProxy::Mode::kDropReplies) proxy.SetMode(mode);
  TempDir data_dir;
  const std::string token = server.Token("member", "m-killed");

  std::vector<std::string> argv = {MAYDAY_RAISE_CHILD, proxy.address(), token,
                                   data_dir.path().string()};
  // Row 2 drops the server's bytes from "connected" on: a connection still
  // being set up then would never be (its settings never arrive).
  if (mode == TcpProxy::Mode::kDropReplies) argv.push_back("until-connected");
  ChildProcess child(argv);
  REQUIRE(child.ReadLine(absl::Seconds(20)).value_or("") == "connected");
  proxy.SetMode(mode);
  const std::string request_id = child.ReadLine(absl::Seconds(20)).value_or("");
  REQUIRE(request_id.size() == 32);
  // Let it try a few times, and in row 2 let the server commit the case.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline &&
         (proxy.accepted() < 2 || CountCases(server, token) < committed_before_kill)) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  REQUIRE(CountCases(server, token) == committed_before_kill);
  child.Kill();
  const std::optional<int> wait_status = child.Wait(absl::Seconds(10));
  REQUIRE(wait_status.has_value());
  REQUIRE(WIFSIGNALED(*wait_status));

  proxy.SetMode(TcpProxy::Mode::kPass);
  sdk::ClientOptions options;
  options.server = proxy.address();
  options.token = token;
  options.data_dir = data_dir.path().string();
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(500);
  auto client = sdk::Client::Create(options);
  REQUIRE(client.ok());
  auto pending = (*client)->ResumedAlerts();
  REQUIRE(pending.size() == 1);
  CHECK(pending[0]->request_id() == request_id);
  REQUIRE(pending[0]->WaitDone(absl::Seconds(20)));
  const sdk::AlertProgress progress = pending[0]->progress();
  REQUIRE(progress.state == sdk::AlertState::kAcknowledged);
  CHECK(progress.opened.request_id() == request_id);
  CHECK(CountCases(server, token) == 1);

  // Acknowledged durably: a third Client resends nothing.
  client->reset();
  auto again = sdk::Client::Create(options);
  REQUIRE(again.ok());
  CHECK((*again)->ResumedAlerts().empty());
  CHECK((*again)->PendingAlerts().empty());
  CHECK(CountCases(server, token) == 1);
}

}  // namespace
}  // namespace mayday::testing
