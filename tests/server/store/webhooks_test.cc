// Webhook endpoints and their deliveries in the store (webhook_records.h),
// on both engines: an endpoint starts at the commit chain's head; its mark
// only moves on and its count adds up; queued deliveries go one per case,
// in sequence order, behind any earlier one not made (pending or dead);
// attempts move them on and tell which cases have nothing left waiting;
// redeliver resumes the dead; removing an endpoint takes its deliveries
// with it.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "store/store.h"
#include "test_support.h"

namespace mayday::server {
namespace {

using testing::NewCase;
using testing::NextStep;
using testing::RaisedEvent;

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

WebhookEndpoint Endpoint(const std::string& id) {
  WebhookEndpoint endpoint;
  endpoint.id = id;
  endpoint.url = "https://hooks.example.org/" + id;
  endpoint.events = {"raised", "cancelled"};
  endpoint.format = "json";
  endpoint.secret = "a secret of sixteen bytes or more";
  endpoint.creator = "operators/root";
  endpoint.create_time = kT0;
  return endpoint;
}

WebhookDelivery Queued(const std::string& case_id, int64_t sequence) {
  WebhookDelivery row;
  row.case_id = case_id;
  row.sequence = sequence;
  row.create_time = kT0;
  row.retry_from = kT0;
  row.next_attempt = kT0;
  return row;
}

DeliverySettlement Settled(const std::string& endpoint, int64_t mark, int64_t delivered,
                           std::vector<WebhookDelivery> rows) {
  return DeliverySettlement{
      .endpoint = endpoint, .mark = mark, .delivered = delivered, .rows = std::move(rows)};
}

// RecordAttempts: the cases it found clear, sorted.
std::vector<std::string> Record(Store& store, const std::vector<DeliveryAttempt>& attempts) {
  std::vector<std::string> clear;
  REQUIRE(testing::Write(store, [&](WriteTxn& txn) {
            absl::StatusOr<std::vector<std::string>> found = txn.RecordAttempts(attempts);
            if (!found.ok()) return found.status();
            clear = *std::move(found);
            return absl::OkStatus();
          }).ok());
  std::sort(clear.begin(), clear.end());
  return clear;
}

std::vector<std::string> OpenCases(Store& store, const std::string& endpoint) {
  absl::StatusOr<std::vector<std::string>> open = store.OpenWebhookCases(endpoint);
  REQUIRE(open.ok());
  std::sort(open->begin(), open->end());
  return *open;
}

DeliveryAttempt Attempt(const std::string& endpoint, const std::string& case_id, int64_t sequence,
                        DeliveryState state, absl::Time next = kT0) {
  return DeliveryAttempt{.endpoint = endpoint,
                         .case_id = case_id,
                         .sequence = sequence,
                         .time = kT0,
                         .result = state == DeliveryState::kDelivered ? "HTTP 200" : "HTTP 500",
                         .state = state,
                         .next_attempt = next};
}

// The due deliveries' keys, "case:sequence".
std::vector<std::string> DueKeys(Store& store, const std::string& endpoint, absl::Time now) {
  absl::StatusOr<DueDeliveries> due = store.DueWebhookDeliveries(endpoint, now, 100);
  REQUIRE(due.ok());
  std::vector<std::string> keys;
  for (const WebhookDelivery& row : due->rows) {
    keys.push_back(row.case_id + ":" + std::to_string(row.sequence));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST_CASE("An endpoint starts at the commit chain's head and keeps its secret", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  auto store = at.Open();
  const mayday::v1::Case c = NewCase("c1", "members/ann", "p1");
  REQUIRE(store->CreateCase(c, RaisedEvent(c)).ok());
  REQUIRE(
      testing::Write(*store, [](WriteTxn& txn) { return txn.PutWebhook(Endpoint("wh-1")); }).ok());
  CHECK(absl::IsAlreadyExists(
      testing::Write(*store, [](WriteTxn& txn) { return txn.PutWebhook(Endpoint("wh-1")); })));
  absl::StatusOr<HistoryHeads> heads = store->Heads();
  REQUIRE(heads.ok());
  auto listed = store->ListWebhooks(true);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 1);
  const WebhookEndpoint& stored = listed->front();
  CHECK(stored.scanned_commit == heads->commit_sequence);
  CHECK(stored.scanned_commit > 0);
  CHECK(stored.secret == "a secret of sixteen bytes or more");
  CHECK(stored.events == std::vector<std::string>{"raised", "cancelled"});
  CHECK(stored.url == "https://hooks.example.org/wh-1");
  CHECK(stored.create_time == kT0);
  CHECK(stored.pending + stored.dead + stored.delivered == 0);
}

TEST_CASE("An endpoint's mark only moves on and its count adds up", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  auto store = at.Open();
  REQUIRE(
      testing::Write(*store, [](WriteTxn& txn) { return txn.PutWebhook(Endpoint("wh-1")); }).ok());
  const auto settle = [&](int64_t mark, int64_t delivered) {
    REQUIRE(testing::Write(*store, [&](WriteTxn& txn) {
              return txn.SettleDeliveries(Settled("wh-1", mark, delivered, {}));
            }).ok());
    auto listed = store->ListWebhooks(false);
    REQUIRE(listed.ok());
    return std::pair(listed->front().scanned_commit, listed->front().delivered);
  };
  CHECK(settle(40, 7) == std::pair<int64_t, int64_t>(40, 7));
  // A write older than the last (another replica's, a stale one): the
  // mark stays, the count still adds.
  CHECK(settle(12, 2) == std::pair<int64_t, int64_t>(40, 9));
  CHECK(settle(41, 0) == std::pair<int64_t, int64_t>(41, 9));
  // An endpoint gone: nothing is stored for it.
  REQUIRE(testing::Write(*store, [](WriteTxn& txn) { return txn.DeleteWebhook("wh-1"); }).ok());
  REQUIRE(testing::Write(*store, [&](WriteTxn& txn) {
            return txn.SettleDeliveries(Settled("wh-1", 50, 1, {Queued("a", 1)}));
          }).ok());
  CHECK(at.QueryInt("SELECT count(*) FROM webhook_deliveries") == 0);
  CHECK(at.QueryInt("SELECT count(*) FROM webhook_endpoints") == 0);
}

TEST_CASE("Deliveries go one per case in sequence order behind any not made", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  auto store = at.Open();
  REQUIRE(
      testing::Write(*store, [](WriteTxn& txn) { return txn.PutWebhook(Endpoint("wh-1")); }).ok());
  CHECK(OpenCases(*store, "wh-1").empty());
  // a:1 failed at its first attempt (due again in a second), and a:2,
  // a:3 wait behind it; b:1 and b:2 are queued unattempted.
  WebhookDelivery failed = Queued("a", 1);
  failed.attempts = 1;
  failed.last_attempt = kT0;
  failed.last_result = "HTTP 500";
  failed.next_attempt = kT0 + absl::Seconds(1);
  const std::vector<WebhookDelivery> rows = {failed, Queued("a", 2), Queued("a", 3), Queued("b", 1),
                                             Queued("b", 2)};
  REQUIRE(testing::Write(*store, [&](WriteTxn& txn) {
            return txn.SettleDeliveries(Settled("wh-1", 5, 0, rows));
          }).ok());
  // Queued again (a restart read the commits anew): nothing changes.
  REQUIRE(testing::Write(*store, [&](WriteTxn& txn) {
            return txn.SettleDeliveries(Settled("wh-1", 5, 0, {Queued("a", 1), Queued("b", 1)}));
          }).ok());
  CHECK(OpenCases(*store, "wh-1") == std::vector<std::string>{"a", "b"});
  CHECK(DueKeys(*store, "wh-1", kT0) == std::vector<std::string>{"b:1"});
  auto pending = store->ListWebhookDeliveries({.endpoint = "wh-1"});
  REQUIRE(pending.ok());
  REQUIRE(pending->size() == 5);
  CHECK(pending->front().case_id == "a");
  CHECK(pending->front().attempts == 1);
  CHECK(pending->front().last_attempt == kT0);
  CHECK(pending->front().last_result == "HTTP 500");
  CHECK(pending->back().last_attempt == absl::InfinitePast());

  // b:1 is made, so b:2 is due; b still has one waiting.
  CHECK(Record(*store, {Attempt("wh-1", "b", 1, DeliveryState::kDelivered)}).empty());
  CHECK(DueKeys(*store, "wh-1", kT0) == std::vector<std::string>{"b:2"});
  auto due = store->DueWebhookDeliveries("wh-1", kT0, 100);
  REQUIRE(due.ok());
  REQUIRE(due->next_due.has_value());
  CHECK(*due->next_due == kT0 + absl::Seconds(1));
  CHECK(DueKeys(*store, "wh-1", kT0 + absl::Seconds(1)) == std::vector<std::string>{"a:1", "b:2"});

  // a:1 dies: a:2 and a:3 wait behind it, counted pending; b:2 is made,
  // and b has nothing left waiting.
  CHECK(Record(*store, {Attempt("wh-1", "a", 1, DeliveryState::kDead),
                        Attempt("wh-1", "b", 2, DeliveryState::kDelivered)}) ==
        std::vector<std::string>{"b"});
  CHECK(OpenCases(*store, "wh-1") == std::vector<std::string>{"a"});
  CHECK(DueKeys(*store, "wh-1", kT0 + absl::Hours(1)).empty());
  auto listed = store->ListWebhooks(true);
  REQUIRE(listed.ok());
  CHECK(listed->front().dead == 1);
  CHECK(listed->front().pending == 2);
  CHECK(listed->front().delivered == 2);
  auto dead = store->ListWebhookDeliveries({.endpoint = "wh-1", .states = {DeliveryState::kDead}});
  REQUIRE(dead.ok());
  REQUIRE(dead->size() == 1);
  CHECK(dead->front().case_id == "a");
  CHECK(dead->front().attempts == 2);
  CHECK(dead->front().last_result == "HTTP 500");

  // An attempt on a delivery no longer pending changes nothing, nor counts.
  CHECK(Record(*store, {Attempt("wh-1", "a", 1, DeliveryState::kDelivered)}).empty());
  CHECK(DueKeys(*store, "wh-1", kT0 + absl::Hours(1)).empty());
  listed = store->ListWebhooks(true);
  REQUIRE(listed.ok());
  CHECK(listed->front().delivered == 2);

  // Redeliver makes it pending, due now, with a fresh retry limit.
  const absl::Time later = kT0 + absl::Hours(30);
  absl::StatusOr<int64_t> resumed = 0;
  REQUIRE(testing::Write(*store, [&](WriteTxn& txn) {
            resumed = txn.Redeliver("wh-1", "", later);
            return resumed.status();
          }).ok());
  CHECK(*resumed == 1);
  auto again = store->DueWebhookDeliveries("wh-1", later, 100);
  REQUIRE(again.ok());
  REQUIRE(again->rows.size() == 1);
  CHECK(again->rows.front().case_id == "a");
  CHECK(again->rows.front().retry_from == later);
  CHECK(absl::IsNotFound(testing::Write(
      *store, [&](WriteTxn& txn) { return txn.Redeliver("wh-none", "", later).status(); })));

  // Removing the endpoint removes its deliveries.
  REQUIRE(testing::Write(*store, [](WriteTxn& txn) { return txn.DeleteWebhook("wh-1"); }).ok());
  CHECK(absl::IsNotFound(
      testing::Write(*store, [](WriteTxn& txn) { return txn.DeleteWebhook("wh-1"); })));
  CHECK(at.QueryInt("SELECT count(*) FROM webhook_deliveries") == 0);
  CHECK(OpenCases(*store, "wh-1").empty());
}

TEST_CASE("Deliveries made are pruned once old, the others kept", "[store]") {
  EACH_STORE_ENGINE(engine);
  testing::ScratchDir dir;
  const testing::StoreTarget at(engine, dir);
  auto store = at.Open();
  REQUIRE(
      testing::Write(*store, [](WriteTxn& txn) { return txn.PutWebhook(Endpoint("wh-1")); }).ok());
  REQUIRE(testing::Write(*store, [](WriteTxn& txn) {
            return txn.SettleDeliveries(Settled("wh-1", 3, 0, {Queued("a", 1), Queued("b", 1)}));
          }).ok());
  CHECK(Record(*store, {Attempt("wh-1", "a", 1, DeliveryState::kDelivered)}) ==
        std::vector<std::string>{"a"});
  absl::StatusOr<int64_t> pruned = 0;
  REQUIRE(testing::Write(*store, [&](WriteTxn& txn) {
            pruned = txn.PruneDeliveries(kT0 + absl::Seconds(1));
            return pruned.status();
          }).ok());
  CHECK(*pruned == 1);
  CHECK(at.QueryInt("SELECT count(*) FROM webhook_deliveries") == 1);
}

}  // namespace
}  // namespace mayday::server
