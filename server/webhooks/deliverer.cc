#include "webhooks/deliverer.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "log/log.h"
#include "services/audit_trail.h"
#include "webhooks/payload.h"
#include "webhooks/signature.h"

namespace mayday::server::webhooks {
namespace {

using ::mayday::v1::CaseEvent;

constexpr int kCommitsPerRead = 256;
constexpr int kDuePerRead = 64;
// The most events an EIDO body carries (a case's timeline up to the event).
constexpr int kMaxTimeline = 10'000;
// How often delivered rows older than keep_delivered are removed.
constexpr absl::Duration kPruneEvery = absl::Hours(1);

// Makes the calling thread's reads use the store's background reader, and
// lowers its priority (Linux: a thread's own nice value) to kNice: when the
// cores are short, the threads that take alerts, run dispatch and commit go
// first, and deliveries wait.
constexpr int kNice = 10;
void YieldToAlerts() {
  MarkBackgroundThread();
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), kNice) != 0) {
    LogWarning("webhook_nice_failed", "could not lower the priority of a webhook thread: %s",
               std::strerror(errno));
  }
}

}  // namespace

absl::Duration Deliverer::Backoff(const DelivererOptions& options, int64_t attempts) {
  absl::Duration delay = options.first_backoff;
  for (int64_t i = 1; i < attempts && delay < options.max_backoff; ++i) delay *= 2;
  return std::min(delay, options.max_backoff);
}

// One endpoint's fetcher and lanes.
class Deliverer::EndpointWorker {
 public:
  EndpointWorker(Deliverer& owner, WebhookEndpoint endpoint)
      : owner_(owner),
        endpoint_(std::move(endpoint)),
        name_(absl::StrCat("webhooks/", endpoint_.id)),
        queues_(std::max(1, owner.options_.lanes)) {
    fetcher_ = std::thread([this] {
      YieldToAlerts();
      Fetch();
    });
    for (size_t i = 0; i < queues_.size(); ++i) {
      lanes_.emplace_back([this, i] {
        YieldToAlerts();
        Lane(i);
      });
    }
  }
  ~EndpointWorker() { Stop(); }

  // Ends the threads; a POST in flight is abandoned. Idempotent.
  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    cancel_.store(true);
    if (fetcher_.joinable()) fetcher_.join();
    for (std::thread& lane : lanes_) {
      if (lane.joinable()) lane.join();
    }
  }

  void Poke() {
    absl::MutexLock lock(&mu_);
    poked_ = true;
  }

 private:
  bool Woken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return poked_ || stopping_; }

  // Hands out the deliveries that may go, each to its case's lane, and
  // waits to be poked (a lane finished, the planner queued more) or for
  // the next one due.
  void Fetch() {
    const base::Clock& clock = *owner_.clock_;
    while (true) {
      size_t in_flight = 0;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        poked_ = false;
        in_flight = in_flight_.size();
        finished_.clear();
      }
      const absl::Time now = clock.Now();
      absl::Time wake = now + owner_.options_.poll;
      absl::StatusOr<DueDeliveries> due = owner_.store_->DueWebhookDeliveries(
          endpoint_.id, now, kDuePerRead + static_cast<int>(in_flight));
      if (due.ok()) {
        if (due->next_due.has_value()) wake = std::min(wake, *due->next_due);
        absl::MutexLock lock(&mu_);
        for (WebhookDelivery& row : due->rows) {
          if (in_flight_.size() >= 2 * queues_.size()) break;  // a lane's turn first
          // A case whose attempt was recorded since the read may have been
          // read before the record: read again (poked_ is set).
          if (finished_.contains(row.case_id)) continue;
          if (!in_flight_.insert(row.case_id).second) continue;
          queues_[absl::HashOf(row.case_id) % queues_.size()].push_back(std::move(row));
        }
      } else {
        LogWarning("webhook_read_failed", "%s: cannot read its deliveries: %s", name_,
                   due.status().ToString());
      }
      absl::MutexLock lock(&mu_);
      clock.AwaitWithDeadline(&mu_, absl::Condition(this, &EndpointWorker::Woken), wake);
    }
  }

  void Lane(size_t index) {
    HttpPoster poster(LimitsWithCancel());
    absl::BitGen random;
    while (true) {
      WebhookDelivery row;
      {
        absl::MutexLock lock(&mu_);
        const auto has_work = [this, index]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
          return stopping_ || !queues_[index].empty();
        };
        mu_.Await(absl::Condition(&has_work));
        if (stopping_) return;
        row = std::move(queues_[index].front());
        queues_[index].pop_front();
      }
      const bool recorded = DeliverOne(poster, random, row);
      absl::MutexLock lock(&mu_);
      in_flight_.erase(row.case_id);
      finished_.insert(row.case_id);
      poked_ = true;
      if (!recorded && !stopping_) {
        // The store failed or refused (the lease moved): the delivery is
        // still pending; let the store settle before it goes again.
        owner_.clock_->AwaitWithTimeout(&mu_,
                                        absl::Condition(
                                            +[](bool* stopping) { return *stopping; }, &stopping_),
                                        owner_.options_.poll);
      }
    }
  }

  PostLimits LimitsWithCancel() const {
    PostLimits limits = owner_.options_.limits;
    limits.cancel = &cancel_;
    return limits;
  }

  // Makes one attempt and records it; false if nothing was recorded (the
  // store failed, the lease moved, or the worker is stopping).
  bool DeliverOne(HttpPoster& poster, absl::BitGen& random, const WebhookDelivery& row) {
    Store& store = *owner_.store_;
    const std::string key = IdempotencyKey(row.case_id, row.sequence);
    absl::StatusOr<mayday::v1::Case> stored = store.GetCase(row.case_id);
    const bool eido = endpoint_.format == "eido";
    absl::StatusOr<std::vector<CaseEvent>> timeline =
        stored.ok()
            ? store.ListEvents(
                  row.case_id,
                  eido ? std::max<int64_t>(0, row.sequence - kMaxTimeline) : row.sequence - 1,
                  eido ? static_cast<int>(std::min<int64_t>(row.sequence, kMaxTimeline)) : 1)
            : absl::StatusOr<std::vector<CaseEvent>>(stored.status());
    if (!timeline.ok()) {
      LogWarning("webhook_read_failed", "%s: cannot read %s: %s", name_, key,
                 timeline.status().ToString());
      return false;
    }
    const absl::Time now = owner_.clock_->Now();
    DeliveryAttempt attempt{
        .endpoint = endpoint_.id, .case_id = row.case_id, .sequence = row.sequence, .time = now};
    absl::StatusOr<Payload> payload =
        timeline->empty() || timeline->back().sequence() != row.sequence
            ? absl::DataLossError(absl::StrCat(key, " is not stored"))
            : BuildPayload(endpoint_.format, name_, *stored, *timeline, owner_.options_.agency);
    if (payload.ok() && payload->body.size() > owner_.options_.limits.max_request_bytes) {
      payload = absl::ResourceExhaustedError(
          absl::StrCat("a body of ", payload->body.size(), " bytes, over the limit of ",
                       owner_.options_.limits.max_request_bytes));
    }
    PostResult result;
    if (payload.ok()) {
      PostRequest request{.url = endpoint_.url, .headers = {}, .body = payload->body};
      request.headers = {
          {"Content-Type", payload->content_type},
          {"Idempotency-Key", key},
          {"Mayday-Signature", SignatureHeaderValue(endpoint_.secret, now, payload->body)},
          {"Mayday-Endpoint", name_},
          {"Mayday-Event", ChangeName(timeline->back())},
          {"Mayday-Attempt", absl::StrCat(row.attempts + 1)},
      };
      result = poster.Post(request);
      if (cancel_.load()) return false;
    } else {
      // Nothing to send will ever be made of it: a retry would fail alike.
      result.outcome = PostResult::Outcome::kFailed;
      result.words = absl::StrCat("cannot make the body: ", payload.status().message());
    }
    attempt.result = result.words;
    const absl::Time give_up = row.retry_from + owner_.options_.retry_for;
    if (result.outcome == PostResult::Outcome::kDelivered) {
      attempt.state = DeliveryState::kDelivered;
    } else if (!payload.ok() || now >= give_up) {
      attempt.state = DeliveryState::kDead;
    } else {
      const absl::Duration backoff = Backoff(owner_.options_, row.attempts + 1);
      attempt.state = DeliveryState::kPending;
      attempt.next_attempt = std::min(give_up, now + backoff * absl::Uniform(random, 0.5, 1.0));
    }
    const absl::Status written =
        owner_.Write([attempt](WriteTxn& txn) { return txn.RecordAttempts({attempt}); });
    if (!written.ok()) {
      LogWarning("webhook_record_failed", "%s: %s was attempted (%s) but not recorded: %s", name_,
                 key, result.words, written.ToString());
      return false;
    }
    if (attempt.state == DeliveryState::kDead) {
      LogWarning("webhook_dead",
                 "%s: gave up on %s after %d attempts (last: %s); its case's later events wait "
                 "until `maydayctl webhooks redeliver %s`",
                 name_, key, row.attempts + 1, result.words, endpoint_.id);
    }
    if (owner_.on_attempt_) {
      owner_.on_attempt_(AttemptReport{.endpoint = endpoint_.id,
                                       .outcome = result.outcome,
                                       .took = result.took,
                                       .dead = attempt.state == DeliveryState::kDead});
    }
    return true;
  }

  Deliverer& owner_;
  const WebhookEndpoint endpoint_;
  const std::string name_;  // "webhooks/{id}"
  std::atomic<bool> cancel_{false};
  absl::Mutex mu_;
  bool poked_ ABSL_GUARDED_BY(mu_) = true;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<std::string> in_flight_ ABSL_GUARDED_BY(mu_);  // case ids
  // Cases whose attempt ended since the fetcher's last read began.
  absl::flat_hash_set<std::string> finished_ ABSL_GUARDED_BY(mu_);
  std::vector<std::deque<WebhookDelivery>> queues_ ABSL_GUARDED_BY(mu_);
  std::thread fetcher_;
  std::vector<std::thread> lanes_;
};

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
    YieldToAlerts();
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

void Deliverer::Deliver(const CaseEvent& /*event*/) { Poke(); }

void Deliverer::Poke() {
  absl::MutexLock lock(&mu_);
  poked_ = true;
}

void Deliverer::Plan() {
  absl::Time next_prune = clock_->Now();
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      clock_->AwaitWithTimeout(&mu_, absl::Condition(this, &Deliverer::Woken), options_.poll);
      if (stopping_) return;
      poked_ = false;
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
    for (const WebhookEndpoint& endpoint : *endpoints) {
      Scan(endpoint);
      auto [worker, added] = workers_.try_emplace(endpoint.id);
      if (added) worker->second = std::make_unique<EndpointWorker>(*this, endpoint);
      worker->second->Poke();
    }
    if (clock_->Now() >= next_prune) {
      next_prune = clock_->Now() + kPruneEvery;
      const absl::Time before = clock_->Now() - options_.keep_delivered;
      Write([before](WriteTxn& txn) { return txn.PruneDeliveries(before).status(); }).IgnoreError();
    }
  }
}

absl::Status Deliverer::Write(std::function<absl::Status(WriteTxn&)> job) {
  return SubmitAndWait(*store_, [this, job = std::move(job)](WriteTxn& txn) {
    if (fence_) {
      if (absl::Status fenced = fence_(txn); !fenced.ok()) return fenced;
    }
    return job(txn);
  });
}

bool Deliverer::Scan(const WebhookEndpoint& endpoint) {
  // Commits whose events the filter all skipped move only this mark: the
  // stored one moves with the next delivery queued (a restart reads them
  // again, and queues nothing again).
  int64_t& scanned = scanned_[endpoint.id];
  scanned = std::max(scanned, endpoint.scanned_commit);
  while (true) {
    absl::StatusOr<std::vector<CommitRecord>> commits =
        store_->ReadCommits(scanned, kCommitsPerRead);
    if (!commits.ok()) {
      LogWarning("webhook_read_failed", "cannot read the case history for webhooks/%s: %s",
                 endpoint.id, commits.status().ToString());
      return false;
    }
    if (commits->empty()) return true;
    const int64_t last = commits->back().sequence;
    std::vector<WebhookDelivery> rows;
    const absl::Time now = clock_->Now();
    for (const CommitRecord& commit : *commits) {
      for (const CaseEvent& event : commit.events) {
        if (!Matches(endpoint.events, event)) continue;
        WebhookDelivery& row = rows.emplace_back();
        row.case_id = std::string(absl::StripPrefix(event.case_(), "cases/"));
        row.sequence = event.sequence();
        row.create_time = now;
      }
    }
    if (!rows.empty()) {
      const absl::Status queued = Write([id = endpoint.id, last, rows](WriteTxn& txn) {
        return txn.QueueDeliveries(id, last, rows);
      });
      if (!queued.ok()) {
        LogWarning("webhook_queue_failed", "cannot queue deliveries for webhooks/%s: %s",
                   endpoint.id, queued.ToString());
        return false;
      }
    }
    scanned = last;
  }
}

}  // namespace mayday::server::webhooks
