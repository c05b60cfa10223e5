// The SDK against a real maydayd through TcpProxy: connections dropped
// mid-call and mid-stream, replies lost, the server restarted behind the
// same address, the network cut for 30 s (longer than the SDK's call
// deadline and keepalive timeout, so calls fail and reconnect). Every
// press opens exactly one case and every watch sees 1..n once, in order.
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "crew.h"
#include "mayday/sdk/client.h"
#include "member_cases.h"
#include "sdk_alert.h"
#include "tcp_proxy.h"
#include "test_server.h"
#include "test_support.h"

namespace mayday::testing {
namespace {

using mayday::v1::CaseState;

sdk::ClientOptions Through(const TcpProxy& proxy, const std::string& token,
                           const std::string& data_dir) {
  sdk::ClientOptions options;
  options.server = proxy.address();
  options.token = token;
  options.data_dir = data_dir;
  options.call_timeout = absl::Seconds(2);
  options.initial_backoff = absl::Milliseconds(50);
  options.max_backoff = absl::Milliseconds(500);
  return options;
}

// Records a watch's events and end.
class WatchLog {
 public:
  std::function<void(const mayday::v1::CaseEvent&)> OnEvent() {
    return [this](const mayday::v1::CaseEvent& event) {
      absl::MutexLock lock(&mu_);
      sequences_.push_back(event.sequence());
    };
  }
  std::function<void(const absl::Status&)> OnEnd() {
    return [this](const absl::Status& status) {
      absl::MutexLock lock(&mu_);
      end_ = status;
      ++ends_;
    };
  }
  // Waits until at least `count` events arrived.
  bool WaitFor(size_t count, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return sequences_.size() >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  // Checks 1..n, each once, in order, and one OK end.
  void CheckComplete(int64_t last_sequence) {
    absl::MutexLock lock(&mu_);
    REQUIRE(sequences_.size() == static_cast<size_t>(last_sequence));
    for (size_t i = 0; i < sequences_.size(); ++i) {
      INFO("event #" << i);
      CHECK(sequences_[i] == static_cast<int64_t>(i + 1));
    }
    CHECK(ends_ == 1);
    CHECK(end_.ok());
  }

 private:
  absl::Mutex mu_;
  std::vector<int64_t> sequences_ ABSL_GUARDED_BY(mu_);
  absl::Status end_ ABSL_GUARDED_BY(mu_);
  int ends_ ABSL_GUARDED_BY(mu_) = 0;
};

// The request_ids the server stored for `member`'s presses: those that
// opened a case and those that joined one, with the case each belongs to.
std::set<std::pair<std::string, std::string>> StoredPresses(TestServer& server,
                                                            const std::string& member) {
  const std::string rows = server::testing::QueryText(
      server.db_path(),
      "SELECT group_concat(request_id || ' cases/' || id, char(10)) FROM ("
      "SELECT request_id, id FROM cases WHERE member = '" +
          member + "' UNION ALL SELECT request_id, case_id FROM case_presses WHERE member = '" +
          member + "')");
  std::set<std::pair<std::string, std::string>> out;
  for (absl::string_view line : absl::StrSplit(rows, '\n', absl::SkipEmpty())) {
    const std::vector<std::string> parts = absl::StrSplit(line, ' ');
    REQUIRE(parts.size() == 2);
    // Each request_id once: a press stored twice is a bug.
    CHECK(out.emplace(parts[0], parts[1]).second);
  }
  return out;
}

// Every press is stored once: the first opens the member's case, the ones
// after it join that open case (a member has one open case of a kind); a
// retry that went out with a new request_id would show as a press too many.
TEST_CASE("Faults: every press is stored once through drops, lost replies and a cut",
          "[sdk][faults]") {
  TestServer server;
  TcpProxy proxy(server.server().port());
  TempDir data_dir;
  const std::string token = server.Token("member", "m-faults");
  auto client = sdk::Client::Create(Through(proxy, token, data_dir.path().string()));
  REQUIRE(client.ok());

  std::vector<std::shared_ptr<sdk::PendingAlert>> presses;
  auto press = [&](const std::string& note) {
    auto raised = (*client)->Raise(SdkAlert(mayday::v1::CASE_KIND_ROAD, note));
    REQUIRE(raised.ok());
    presses.push_back(*raised);
  };

  // 1. The server commits, the reply is lost, the connection drops. (The
  // connection must be up first: gRPC sends nothing before the server's
  // HTTP/2 settings.)
  REQUIRE((*client)->ListCases(1, "").ok());
  proxy.SetMode(TcpProxy::Mode::kDropReplies);
  press("reply lost");
  const absl::Time committed_by = absl::Now() + absl::Seconds(10);
  while (MemberCases(server, token).empty() && absl::Now() < committed_by) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  REQUIRE(MemberCases(server, token).size() == 1);
  proxy.DropAll();
  proxy.SetMode(TcpProxy::Mode::kPass);

  // 2. Connections dropped again and again while presses are in flight.
  for (int i = 0; i < 4; ++i) {
    press("dropped " + std::to_string(i));
    absl::SleepFor(absl::Milliseconds(30));
    proxy.DropAll();
  }

  // 3. The network cut: nothing moves, then everything does.
  const absl::Duration cut = absl::Seconds(30);
  proxy.SetMode(TcpProxy::Mode::kStall);
  press("during the cut");
  press("during the cut, again");
  absl::SleepFor(cut);
  proxy.SetMode(TcpProxy::Mode::kPass);

  const auto cases = MemberCases(server, token);
  REQUIRE(cases.size() == 1);
  const std::string& opened = cases[0].name();
  CHECK(cases[0].request_id() == presses.front()->request_id());
  std::set<std::pair<std::string, std::string>> answered;
  for (const auto& pending : presses) {
    INFO("press " << pending->request_id());
    REQUIRE(pending->WaitDone(absl::Seconds(30)));
    const sdk::AlertProgress progress = pending->progress();
    REQUIRE(progress.state == sdk::AlertState::kAcknowledged);
    CHECK(progress.opened.name() == opened);
    CHECK(answered.emplace(pending->request_id(), opened).second);
  }
  CHECK(answered.size() == presses.size());
  CHECK(StoredPresses(server, "members/m-faults") == answered);
  CHECK((*client)->PendingAlerts().empty());
}

TEST_CASE("Faults: a watch sees 1..n once through drops, a restart and a cut", "[sdk][faults]") {
  TestServer server;
  TcpProxy proxy(server.server().port());
  TempDir data_dir;
  const std::string token = server.Token("member", "m-watch");
  auto client = sdk::Client::Create(Through(proxy, token, data_dir.path().string()));
  REQUIRE(client.ok());
  auto crew = std::make_unique<Crew>(server, "tow-w");
  REQUIRE(crew->GoOnDuty(mayday::v1::CAPABILITY_TOW, 52.3680, 4.9040).ok());
  crew->Subscribe();

  auto opened = (*client)->RaiseAlert(SdkAlert(mayday::v1::CASE_KIND_ROAD, "watch me"));
  REQUIRE(opened.ok());
  const std::string case_name = opened->name();
  WatchLog log;
  auto watch = (*client)->WatchCase(case_name, 0, log.OnEvent(), log.OnEnd());
  REQUIRE(watch.ok());
  REQUIRE(crew->NextOffer().has_value());  // #2 offered
  REQUIRE(log.WaitFor(2, absl::Seconds(10)));

  // Mid-stream drop, then an event while the client reconnects.
  proxy.DropAll();
  REQUIRE(crew->Accept(case_name).ok());  // #3 assigned
  REQUIRE(log.WaitFor(3, absl::Seconds(10)));

  // The server restarts on another port; the proxy keeps the address.
  crew.reset();
  server.Restart();
  proxy.SetUpstream(server.server().port());
  proxy.DropAll();
  crew = std::make_unique<Crew>(server, "tow-w");
  REQUIRE(crew->Progress(case_name, mayday::v1::CASE_STATE_EN_ROUTE).ok());
  REQUIRE(log.WaitFor(4, absl::Seconds(15)));

  // The network cut: the event happens while nothing gets through.
  proxy.SetMode(TcpProxy::Mode::kStall);
  REQUIRE(crew->Progress(case_name, mayday::v1::CASE_STATE_ON_SCENE).ok());
  absl::SleepFor(absl::Seconds(30));
  proxy.SetMode(TcpProxy::Mode::kPass);
  REQUIRE(log.WaitFor(5, absl::Seconds(60)));

  REQUIRE(crew->Progress(case_name, mayday::v1::CASE_STATE_RESOLVED).ok());
  REQUIRE((*watch)->WaitDone(absl::Seconds(20)));
  mayday::v1::GetCaseRequest get;
  get.set_name(case_name);
  mayday::v1::Case final_case;
  REQUIRE(server.Alerts()->GetCase(Call(token).get(), get, &final_case).ok());
  CHECK(final_case.state() == mayday::v1::CASE_STATE_RESOLVED);
  log.CheckComplete(final_case.last_sequence());
}

}  // namespace
}  // namespace mayday::testing
