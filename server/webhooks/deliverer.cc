#include "webhooks/deliverer.h"

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "log/log.h"
#include "webhooks/endpoint_worker.h"
#include "webhooks/payload.h"

namespace mayday::server::webhooks {
namespace {

using ::mayday::v1::CaseEvent;

constexpr int kCommitsPerRead = 256;
// How often delivered rows older than keep_delivered are removed.
constexpr absl::Duration kPruneEvery = absl::Hours(1);

}  // namespace

absl::Duration Deliverer::Backoff(const DelivererOptions& options, int64_t attempts) {
  absl::Duration delay = options.first_backoff;
  for (int64_t i = 1; i < attempts && delay < options.max_backoff; ++i) delay *= 2;
  return std::min(delay, options.max_backoff);
}

Deliverer::Deliverer(Store* store, const base::Clock* clock, EventHub* hub,
                     DelivererOptions options, Fence fence,
                     std::function<void(const AttemptReport&)> on_attempt)
    : store_(store),
      clock_(clock),
      hub_(hub),
      options_(std::move(options)),
      fence_(std::move(fence)),
      on_attempt_(std::move(on_attempt)) {}

Deliverer::~Deliverer() { Stop(); }

void Deliverer::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return;
    started_ = true;
    poked_ = true;
  }
  if (hub_ != nullptr) hub_->SubscribeAll(this);
  planner_ = std::thread([this] {
    YieldToAlerts("mayday-hookplan");
    Plan();
  });
}

void Deliverer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!started_ || stopping_) return;
    stopping_ = true;
  }
  if (hub_ != nullptr) hub_->UnsubscribeAll(this);
  if (planner_.joinable()) planner_.join();
  workers_.clear();
}

void Deliverer::Deliver(const CaseEvent& /*event*/) { WakePlanner(); }

void Deliverer::WakePlanner() {
  absl::MutexLock lock(&mu_);
  poked_ = true;
}

void Deliverer::Poke() {
  absl::MutexLock lock(&mu_);
  poked_ = true;
  rows_poked_ = true;
}

void Deliverer::Plan() {
  absl::Time next_prune = clock_->Now();
  while (true) {
    bool rows_poked = false;
    {
      absl::MutexLock lock(&mu_);
      clock_->AwaitWithTimeout(&mu_, absl::Condition(this, &Deliverer::Woken), options_.poll);
      if (stopping_) return;
      poked_ = false;
      rows_poked = std::exchange(rows_poked_, false);
    }
    absl::StatusOr<std::vector<WebhookEndpoint>> endpoints = store_->ListWebhooks(false);
    if (!endpoints.ok()) {
      LogWarning("webhook_read_failed", "cannot read the webhook endpoints: %s",
                 endpoints.status().ToString());
      continue;
    }
    // Endpoints removed: their threads end (a POST in flight abandoned).
    for (auto it = workers_.begin(); it != workers_.end();) {
      const bool kept = std::any_of(endpoints->begin(), endpoints->end(),
                                    [&](const WebhookEndpoint& e) { return e.id == it->first; });
      if (kept) {
        ++it;
      } else {
        scanned_.erase(it->first);
        it = workers_.erase(it);
      }
    }
    // Endpoints new to this deliverer: from their mark, with the cases
    // whose deliveries wait in rows.
    for (const WebhookEndpoint& endpoint : *endpoints) {
      if (workers_.contains(endpoint.id)) continue;
      absl::StatusOr<std::vector<std::string>> open = store_->OpenWebhookCases(endpoint.id);
      if (!open.ok()) {
        LogWarning("webhook_read_failed", "cannot read the deliveries waiting for webhooks/%s: %s",
                   endpoint.id, open.status().ToString());
        continue;
      }
      scanned_[endpoint.id] = endpoint.scanned_commit;
      workers_.emplace(endpoint.id,
                       std::make_unique<EndpointWorker>(*this, endpoint, *std::move(open)));
    }
    ScanAll(*endpoints);
    if (rows_poked) {
      for (auto& [id, worker] : workers_) worker->Poke();
    }
    if (clock_->Now() >= next_prune) {
      next_prune = clock_->Now() + kPruneEvery;
      const absl::Time before = clock_->Now() - options_.keep_delivered;
      Write([before](WriteTxn& txn) { return txn.PruneDeliveries(before).status(); }).IgnoreError();
    }
  }
}

void Deliverer::WriteInBackground(std::function<absl::Status(WriteTxn&)> job,
                                  std::function<void(absl::Status)> done) {
  store_->SubmitBackground(
      [this, job = std::move(job)](WriteTxn& txn) {
        if (fence_) {
          if (absl::Status fenced = fence_(txn); !fenced.ok()) return fenced;
        }
        return job(txn);
      },
      std::move(done));
}

absl::Status Deliverer::Write(std::function<absl::Status(WriteTxn&)> job) {
  absl::Notification finished;
  absl::Status outcome;
  WriteInBackground(std::move(job), [&](absl::Status status) {
    outcome = std::move(status);
    finished.Notify();
  });
  finished.WaitForNotification();
  return outcome;
}

void Deliverer::ScanAll(const std::vector<WebhookEndpoint>& endpoints) {
  // Rounds of up to kCommitsPerRead commits per endpoint with room for
  // more; endpoints at the same place (the usual case) share one read.
  bool more = true;
  while (more) {
    more = false;
    // What was read, by the commit read after: the commits, and each
    // event's SharedEvent once an endpoint takes it.
    struct Page {
      std::vector<CommitRecord> commits;
      std::vector<std::vector<std::shared_ptr<SharedEvent>>> shared;
    };
    std::map<int64_t, Page> read;
    const absl::Time now = clock_->Now();
    for (const WebhookEndpoint& endpoint : endpoints) {
      auto worker = workers_.find(endpoint.id);
      if (worker == workers_.end()) continue;
      const size_t room = worker->second->Room();
      if (room == 0) continue;
      int64_t& scanned = scanned_[endpoint.id];
      auto cached = read.find(scanned);
      if (cached == read.end()) {
        absl::StatusOr<std::vector<CommitRecord>> commits =
            store_->ReadCommits(scanned, kCommitsPerRead);
        if (!commits.ok()) {
          LogWarning("webhook_read_failed", "cannot read the case history for webhooks/%s: %s",
                     endpoint.id, commits.status().ToString());
          continue;
        }
        Page page{.commits = *std::move(commits), .shared = {}};
        page.shared.resize(page.commits.size());
        for (size_t i = 0; i < page.commits.size(); ++i) {
          page.shared[i].resize(page.commits[i].events.size());
        }
        cached = read.emplace(scanned, std::move(page)).first;
      }
      const std::vector<CommitRecord>& commits = cached->second.commits;
      if (commits.empty()) continue;
      // Whole commits, as many as there is room for (at least one).
      std::vector<EndpointWorker::Item> items;
      int64_t last = scanned;
      bool cut = false;
      for (size_t i = 0; i < commits.size(); ++i) {
        const CommitRecord& commit = commits[i];
        const size_t before = items.size();
        for (size_t j = 0; j < commit.events.size(); ++j) {
          const CaseEvent& event = commit.events[j];
          if (!Matches(endpoint.events, event)) continue;
          std::shared_ptr<SharedEvent>& shared = cached->second.shared[i][j];
          if (shared == nullptr) shared = std::make_shared<SharedEvent>(event);
          EndpointWorker::Item& item = items.emplace_back();
          item.commit = commit.sequence;
          item.shared = shared;
          item.row.endpoint = endpoint.id;
          item.row.case_id = std::string(absl::StripPrefix(event.case_(), "cases/"));
          item.row.sequence = event.sequence();
          item.row.create_time = now;
          item.row.retry_from = now;
          item.row.next_attempt = now;
        }
        if (items.size() > room && before > 0) {
          items.resize(before);
          cut = true;
          break;
        }
        last = commit.sequence;
      }
      more = more || cut || commits.size() == static_cast<size_t>(kCommitsPerRead);
      worker->second->Offer(std::move(items), last);
      scanned = last;
    }
  }
}

}  // namespace mayday::server::webhooks
