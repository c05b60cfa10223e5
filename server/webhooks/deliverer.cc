#include "webhooks/deliverer.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "log/log.h"
#include "webhooks/payload.h"
#include "webhooks/signature.h"

namespace mayday::server::webhooks {
namespace {

using ::mayday::v1::CaseEvent;

constexpr int kCommitsPerRead = 256;
// The most events an EIDO body carries (a case's timeline up to the event).
constexpr int kMaxTimeline = 10'000;
// How often delivered rows older than keep_delivered are removed.
constexpr absl::Duration kPruneEvery = absl::Hours(1);

// Makes the calling thread's reads use the store's background reader, and
// lowers its priority (Linux: a thread's own nice value) to kNice: when the
// cores are short, the threads that take alerts, run dispatch and commit go
// first, and deliveries wait.
constexpr int kNice = 19;
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
  // An attempt made, waiting to be recorded.
  struct Attempted {
    DeliveryAttempt attempt;
    PostResult::Outcome outcome = PostResult::Outcome::kFailed;
    absl::Duration took;
    int64_t number = 0;  // of attempts made, this one included
  };

 public:
  EndpointWorker(Deliverer& owner, WebhookEndpoint endpoint)
      : owner_(owner),
        endpoint_(std::move(endpoint)),
        name_(absl::StrCat("webhooks/", endpoint_.id)),
        capacity_(2 * static_cast<size_t>(std::max(1, owner.options_.lanes))),
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
    // The records being written call back into this worker.
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &EndpointWorker::Recorded));
  }

  void Poke() {
    absl::MutexLock lock(&mu_);
    poked_ = true;
  }

 private:
  bool Woken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return poked_ || stopping_; }
  bool Recorded() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return recording_ == 0; }

  // Records the attempts the lanes made since the last round (one write for
  // them all, in the background), then hands out the deliveries that may
  // go, each to its case's lane, and waits to be poked (a lane finished, a
  // record was written, the planner queued more) or for the next one due.
  // A case stays in flight until its attempt is recorded, so its next
  // event never goes before that; meanwhile the lanes deliver other
  // cases' events.
  void Fetch() {
    const base::Clock& clock = *owner_.clock_;
    while (true) {
      std::vector<Attempted> attempted;
      {
        absl::MutexLock lock(&mu_);
        if (stopping_) return;
        poked_ = false;
        // One record at a time: what the lanes attempt meanwhile goes in
        // the next (a record's end pokes).
        if (recording_ == 0) attempted.swap(attempted_);
      }
      if (!attempted.empty()) Record(std::move(attempted));
      const absl::Time now = clock.Now();
      absl::Time wake = now + owner_.options_.poll;
      size_t handed = 0;
      size_t recording = 0;
      absl::Time paused_until;
      {
        absl::MutexLock lock(&mu_);
        handed = handed_;
        recording = in_flight_.size() - handed_;
        paused_until = paused_until_;
        finished_.clear();
      }
      // A record failed (the store, or the lease moved): those deliveries
      // are still pending; let the store settle before reading again.
      const bool paused = now < paused_until;
      if (paused) wake = std::min(wake, paused_until);
      // Each case has at most one row due (its first not made): reading
      // as many rows as there is room for, plus the cases in flight, finds
      // every one there is room for.
      absl::StatusOr<DueDeliveries> due =
          !paused && handed < capacity_
              ? owner_.store_->DueWebhookDeliveries(endpoint_.id, now,
                                                    static_cast<int>(capacity_ + recording))
              : absl::StatusOr<DueDeliveries>(DueDeliveries{});
      if (due.ok()) {
        if (due->next_due.has_value()) wake = std::min(wake, *due->next_due);
        absl::MutexLock lock(&mu_);
        for (WebhookDelivery& row : due->rows) {
          if (handed_ >= capacity_) break;
          // Recorded while this read ran: the row may be older than the
          // record (read again: poked_ is set).
          if (finished_.contains(row.case_id)) continue;
          if (!in_flight_.insert(row.case_id).second) continue;
          ++handed_;
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

  // Writes the lanes' attempts in one background write; when it is done,
  // their cases leave flight (or, if the store failed or refused, reading
  // pauses for a while).
  void Record(std::vector<Attempted> attempted) {
    {
      absl::MutexLock lock(&mu_);
      ++recording_;
    }
    std::vector<DeliveryAttempt> attempts;
    attempts.reserve(attempted.size());
    for (const Attempted& done : attempted) attempts.push_back(done.attempt);
    owner_.WriteInBackground(
        [attempts = std::move(attempts)](WriteTxn& txn) { return txn.RecordAttempts(attempts); },
        [this, attempted = std::move(attempted)](absl::Status written) {
          if (!written.ok()) {
            LogWarning("webhook_record_failed", "%s: %d attempts were made but not recorded: %s",
                       name_, attempted.size(), written.ToString());
          } else {
            Recorded(attempted);
          }
          absl::MutexLock lock(&mu_);
          for (const Attempted& done : attempted) {
            in_flight_.erase(done.attempt.case_id);
            finished_.insert(done.attempt.case_id);
          }
          if (!written.ok()) paused_until_ = owner_.clock_->Now() + owner_.options_.poll;
          --recording_;
          poked_ = true;
        });
  }

  // Logs the dead letters among attempts just recorded and reports each.
  void Recorded(const std::vector<Attempted>& attempted) {
    for (const Attempted& done : attempted) {
      const bool dead = done.attempt.state == DeliveryState::kDead;
      if (dead) {
        LogWarning("webhook_dead",
                   "%s: gave up on %s after %d attempts (last: %s); its case's later events wait "
                   "until `maydayctl webhooks redeliver %s`",
                   name_, IdempotencyKey(done.attempt.case_id, done.attempt.sequence), done.number,
                   done.attempt.result, endpoint_.id);
      }
      if (owner_.on_attempt_) {
        owner_.on_attempt_(AttemptReport{
            .endpoint = endpoint_.id, .outcome = done.outcome, .took = done.took, .dead = dead});
      }
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
      std::optional<Attempted> done = DeliverOne(poster, random, row);
      absl::MutexLock lock(&mu_);
      --handed_;
      poked_ = true;
      if (done.has_value()) {
        attempted_.push_back(std::move(*done));  // the fetcher records it
      } else {
        in_flight_.erase(row.case_id);
        if (!stopping_) {
          // Nothing could be read or the worker is stopping: the delivery
          // is still pending; let the store settle before it goes again.
          owner_.clock_->AwaitWithTimeout(
              &mu_,
              absl::Condition(
                  +[](bool* stopping) { return *stopping; }, &stopping_),
              owner_.options_.poll);
        }
      }
    }
  }

  PostLimits LimitsWithCancel() const {
    PostLimits limits = owner_.options_.limits;
    limits.cancel = &cancel_;
    return limits;
  }

  // Makes one attempt; nullopt if none was made (the case could not be
  // read, or the worker is stopping).
  std::optional<Attempted> DeliverOne(HttpPoster& poster, absl::BitGen& random,
                                      const WebhookDelivery& row) {
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
      return std::nullopt;
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
      if (cancel_.load()) return std::nullopt;
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
    return Attempted{.attempt = std::move(attempt),
                     .outcome = result.outcome,
                     .took = result.took,
                     .number = row.attempts + 1};
  }

  Deliverer& owner_;
  const WebhookEndpoint endpoint_;
  const std::string name_;  // "webhooks/{id}"
  // The most cases in flight at once: a delivery on each lane and one
  // waiting its turn. Each case in flight has at most one row due (its
  // first not made), so reading this many rows finds every one there is
  // room for.
  const size_t capacity_;
  std::atomic<bool> cancel_{false};
  absl::Mutex mu_;
  bool poked_ ABSL_GUARDED_BY(mu_) = true;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Cases handed to a lane whose attempt is not yet recorded, of which
  // handed_ are with a lane (the rest being recorded).
  absl::flat_hash_set<std::string> in_flight_ ABSL_GUARDED_BY(mu_);
  size_t handed_ ABSL_GUARDED_BY(mu_) = 0;
  // Cases whose record was written since the fetcher's last read began.
  absl::flat_hash_set<std::string> finished_ ABSL_GUARDED_BY(mu_);
  // Background writes of attempts not yet done; reading waits until
  // paused_until_ after one failed.
  int recording_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time paused_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Attempts made, for the fetcher to record.
  std::vector<Attempted> attempted_ ABSL_GUARDED_BY(mu_);
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
    ScanAll(*endpoints);
    for (const WebhookEndpoint& endpoint : *endpoints) {
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
  // Commits whose events a filter all skipped move only scanned_: the
  // stored mark moves with the next delivery queued (a restart reads them
  // again, and queues nothing again).
  for (const WebhookEndpoint& endpoint : endpoints) {
    int64_t& scanned = scanned_[endpoint.id];
    scanned = std::max(scanned, endpoint.scanned_commit);
  }
  // Rounds of up to kCommitsPerRead commits per endpoint, each round's
  // deliveries queued in one write; endpoints at the same mark (the usual
  // case) share one read.
  bool more = true;
  while (more) {
    more = false;
    std::map<int64_t, std::vector<CommitRecord>> read;  // by the mark read after
    struct Queued {
      std::string endpoint;
      int64_t last = 0;
      std::vector<WebhookDelivery> rows;
    };
    std::vector<Queued> queued;
    const absl::Time now = clock_->Now();
    for (const WebhookEndpoint& endpoint : endpoints) {
      const int64_t after = scanned_[endpoint.id];
      auto cached = read.find(after);
      if (cached == read.end()) {
        absl::StatusOr<std::vector<CommitRecord>> commits =
            store_->ReadCommits(after, kCommitsPerRead);
        if (!commits.ok()) {
          LogWarning("webhook_read_failed", "cannot read the case history for webhooks/%s: %s",
                     endpoint.id, commits.status().ToString());
          continue;
        }
        cached = read.emplace(after, *std::move(commits)).first;
      }
      const std::vector<CommitRecord>& commits = cached->second;
      if (commits.empty()) continue;
      more = more || commits.size() == static_cast<size_t>(kCommitsPerRead);
      Queued& next = queued.emplace_back();
      next.endpoint = endpoint.id;
      next.last = commits.back().sequence;
      for (const CommitRecord& commit : commits) {
        for (const CaseEvent& event : commit.events) {
          if (!Matches(endpoint.events, event)) continue;
          WebhookDelivery& row = next.rows.emplace_back();
          row.case_id = std::string(absl::StripPrefix(event.case_(), "cases/"));
          row.sequence = event.sequence();
          row.create_time = now;
        }
      }
    }
    const bool any_rows =
        std::any_of(queued.begin(), queued.end(), [](const Queued& q) { return !q.rows.empty(); });
    if (any_rows) {
      const absl::Status written = Write([&queued](WriteTxn& txn) -> absl::Status {
        for (const Queued& q : queued) {
          if (q.rows.empty()) continue;
          if (absl::Status done = txn.QueueDeliveries(q.endpoint, q.last, q.rows); !done.ok()) {
            return done;
          }
        }
        return absl::OkStatus();
      });
      if (!written.ok()) {
        LogWarning("webhook_queue_failed", "cannot queue webhook deliveries: %s",
                   written.ToString());
        return;  // tried again at the next round
      }
    }
    for (const Queued& q : queued) scanned_[q.endpoint] = q.last;
  }
}

}  // namespace mayday::server::webhooks
