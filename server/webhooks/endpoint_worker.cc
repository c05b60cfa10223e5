#include "webhooks/endpoint_worker.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "log/log.h"
#include "webhooks/signature.h"

namespace mayday::server::webhooks {
namespace {

using ::mayday::v1::CaseEvent;

// The most events an EIDO body carries (a case's timeline up to the event).
constexpr int kMaxTimeline = 10'000;
constexpr int kNice = 19;

}  // namespace

void YieldToAlerts(const char* name) {
  ::pthread_setname_np(::pthread_self(), name);
  MarkBackgroundThread();
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), kNice) != 0) {
    LogWarning("webhook_nice_failed", "could not lower the priority of a webhook thread: %s",
               std::strerror(errno));
  }
}

Deliverer::EndpointWorker::EndpointWorker(Deliverer& owner, WebhookEndpoint endpoint,
                                          std::vector<std::string> open_cases)
    : owner_(owner),
      endpoint_(std::move(endpoint)),
      name_(absl::StrCat("webhooks/", endpoint_.id)),
      capacity_(2 * static_cast<size_t>(std::max(1, owner.options_.lanes))),
      lane_count_(static_cast<size_t>(std::max(1, owner.options_.lanes))),
      blocked_(open_cases.begin(), open_cases.end()),
      offered_(endpoint_.scanned_commit),
      settled_mark_(endpoint_.scanned_commit),
      queues_(lane_count_) {
  fetcher_ = std::thread([this] {
    YieldToAlerts("mayday-hookread");
    Fetch();
  });
  for (size_t i = 0; i < lane_count_; ++i) {
    lanes_.emplace_back([this, i] {
      YieldToAlerts("mayday-hooksend");
      Lane(i);
    });
  }
}

void Deliverer::EndpointWorker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopping_ = true;
  }
  cancel_.store(true);
  if (fetcher_.joinable()) fetcher_.join();
  for (std::thread& lane : lanes_) {
    if (lane.joinable()) lane.join();
  }
  // The writes in progress call back into this worker.
  std::optional<Pending> last;
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &EndpointWorker::Recorded));
    last = TakeWrite(/*force=*/true);
  }
  if (last.has_value()) Record(*std::move(last));
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &EndpointWorker::Recorded));
  stopped_ = true;
}

size_t Deliverer::EndpointWorker::Room() {
  absl::MutexLock lock(&mu_);
  const size_t most = std::max<size_t>(1, owner_.options_.max_unsettled);
  return fresh_ < most ? most - fresh_ : 0;
}

void Deliverer::EndpointWorker::Offer(std::vector<Item> items, int64_t last) {
  absl::MutexLock lock(&mu_);
  for (Item& item : items) {
    ++unsettled_[item.commit];
    ++fresh_;
    queues_[LaneOf(item.row.case_id)].push_back(std::move(item));
  }
  offered_ = std::max(offered_, last);
  PokeToSettle();
}

int64_t Deliverer::EndpointWorker::MarkWith(const std::vector<Item>& rows) const {
  if (unsettled_.empty()) return offered_;
  std::map<int64_t, int64_t> writing;
  for (const Item& item : rows) {
    if (item.commit != 0) ++writing[item.commit];
  }
  for (const auto& [commit, count] : unsettled_) {
    auto in_rows = writing.find(commit);
    if (count > (in_rows == writing.end() ? 0 : in_rows->second)) return commit - 1;
  }
  return offered_;
}

std::optional<Deliverer::EndpointWorker::Pending> Deliverer::EndpointWorker::TakeWrite(bool force) {
  const int64_t mark = MarkWith(rows_);
  const bool moved = mark > settled_mark_ || delivered_ > 0;
  const bool due = force || absl::Now() >= last_write_ + kSettleEvery;
  if (rows_.empty() && attempted_.empty() && !(moved && due)) return std::nullopt;
  Pending write{.rows = std::move(rows_),
                .attempted = std::move(attempted_),
                .mark = std::max(mark, settled_mark_),
                .delivered = delivered_};
  rows_.clear();
  attempted_.clear();
  delivered_ = 0;
  last_write_ = absl::Now();
  ++recording_;
  return write;
}

void Deliverer::EndpointWorker::Settle(int64_t commit) {
  auto it = unsettled_.find(commit);
  if (it != unsettled_.end() && --it->second == 0) unsettled_.erase(it);
  // Room again: the planner may offer the commits it left.
  if (fresh_-- == std::max<size_t>(1, owner_.options_.max_unsettled / 2)) owner_.WakePlanner();
  PokeToSettle();
}

void Deliverer::EndpointWorker::QueueRow(Item item) {
  blocked_.insert(item.row.case_id);
  ++unwritten_[item.row.case_id];
  rows_.push_back(std::move(item));
  poked_ = true;
}

void Deliverer::EndpointWorker::Fetch() {
  const base::Clock& clock = *owner_.clock_;
  while (true) {
    const absl::Time now = clock.Now();
    std::optional<Pending> write;
    absl::Time wake = now + owner_.options_.poll;
    size_t handed = 0;
    size_t recording = 0;
    bool paused = false;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      poked_ = false;
      // A write failed (the store, or the lease moved): what it held is
      // still to write; let the store settle before trying again.
      paused = now < paused_until_;
      if (paused) wake = std::min(wake, paused_until_);
      if (recording_ == 0 && !paused) write = TakeWrite(/*force=*/false);
      handed = handed_;
      recording = in_flight_.size() - handed_;
      finished_.clear();
    }
    if (write.has_value()) Record(*std::move(write));
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
        const size_t lane = LaneOf(row.case_id);
        queues_[lane].push_back(Item{.row = std::move(row), .commit = 0});
      }
    } else {
      LogWarning("webhook_read_failed", "%s: cannot read its deliveries: %s", name_,
                 due.status().ToString());
    }
    absl::MutexLock lock(&mu_);
    // The mark and count wait for their time in real time (a manual
    // clock's test sees them written all the same); the rest on the
    // clock.
    const std::optional<absl::Time> settle =
        recording_ == 0 && clock.Now() >= paused_until_ ? SettleDue() : std::nullopt;
    settle_armed_ = settle.has_value();
    if (settle_armed_) {
      mu_.AwaitWithDeadline(absl::Condition(this, &EndpointWorker::Woken),
                            std::min(*settle, absl::Now() + (wake - clock.Now())));
    } else {
      clock.AwaitWithDeadline(&mu_, absl::Condition(this, &EndpointWorker::Woken), wake);
    }
    settle_armed_ = false;
  }
}

void Deliverer::EndpointWorker::Record(Pending write) {
  DeliverySettlement settled{
      .endpoint = endpoint_.id, .mark = write.mark, .delivered = write.delivered, .rows = {}};
  settled.rows.reserve(write.rows.size());
  for (const Item& item : write.rows) settled.rows.push_back(item.row);
  std::vector<DeliveryAttempt> attempts;
  attempts.reserve(write.attempted.size());
  for (const Attempted& done : write.attempted) attempts.push_back(done.attempt);
  auto clear = std::make_shared<std::vector<std::string>>();
  owner_.WriteInBackground(
      [settled = std::move(settled), attempts = std::move(attempts),
       clear](WriteTxn& txn) -> absl::Status {
        if (absl::Status done = txn.SettleDeliveries(settled); !done.ok()) return done;
        if (attempts.empty()) return absl::OkStatus();
        absl::StatusOr<std::vector<std::string>> recorded = txn.RecordAttempts(attempts);
        if (!recorded.ok()) return recorded.status();
        *clear = *std::move(recorded);
        return absl::OkStatus();
      },
      [this, write = std::move(write), clear](absl::Status written) mutable {
        if (!written.ok()) {
          LogWarning("webhook_record_failed",
                     "%s: %d deliveries to queue and %d attempts made could not be written: %s",
                     name_, write.rows.size(), write.attempted.size(), written.ToString());
        } else {
          for (const Attempted& done : write.attempted) Report(done);
        }
        absl::MutexLock lock(&mu_);
        for (const Attempted& done : write.attempted) {
          in_flight_.erase(done.attempt.case_id);
          finished_.insert(done.attempt.case_id);
        }
        if (written.ok()) {
          settled_mark_ = std::max(settled_mark_, write.mark);
          for (const Item& item : write.rows) {
            if (item.commit != 0) Settle(item.commit);
            auto left = unwritten_.find(item.row.case_id);
            if (left != unwritten_.end() && --left->second == 0) unwritten_.erase(left);
          }
          for (const std::string& case_id : *clear) {
            if (!unwritten_.contains(case_id)) blocked_.erase(case_id);
          }
        } else {
          delivered_ += write.delivered;
          write.rows.insert(write.rows.end(), std::make_move_iterator(rows_.begin()),
                            std::make_move_iterator(rows_.end()));
          rows_ = std::move(write.rows);
          paused_until_ = owner_.clock_->Now() + owner_.options_.poll;
        }
        --recording_;
        poked_ = true;
      });
}

void Deliverer::EndpointWorker::Report(const Attempted& done) {
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

void Deliverer::EndpointWorker::Lane(size_t index) {
  HttpPoster poster(LimitsWithCancel());
  absl::BitGen random;
  while (true) {
    Item item;
    {
      absl::MutexLock lock(&mu_);
      const auto has_work = [this, index]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
        return stopping_ || !queues_[index].empty();
      };
      mu_.Await(absl::Condition(&has_work));
      if (stopping_) return;
      item = std::move(queues_[index].front());
      queues_[index].pop_front();
      if (item.commit != 0 && blocked_.contains(item.row.case_id)) {
        // An earlier event of its case waits in a row: this one goes
        // behind it.
        QueueRow(std::move(item));
        continue;
      }
    }
    std::optional<Attempted> done = DeliverOne(poster, random, item);
    if (item.commit != 0 && done.has_value()) Report(*done);
    absl::MutexLock lock(&mu_);
    if (item.commit == 0) {
      // A stored row: the fetcher records the attempt.
      --handed_;
      poked_ = true;
      if (done.has_value()) {
        attempted_.push_back(*std::move(done));
      } else {
        in_flight_.erase(item.row.case_id);
        PauseLane();
      }
      continue;
    }
    if (!done.has_value()) {
      // Stopping: left unsettled, it goes again after the restart.
      if (stopping_) continue;
      // Its case could not be read: queued as a row, due after a pause.
      item.row.next_attempt = owner_.clock_->Now() + owner_.options_.poll;
      QueueRow(std::move(item));
      PauseLane();
      continue;
    }
    if (done->attempt.state == DeliveryState::kDelivered) {
      ++delivered_;
      Settle(item.commit);
      continue;
    }
    // Not made at its first attempt: from now on a row, retried from
    // there.
    item.row.state = done->attempt.state;
    item.row.attempts = done->number;
    item.row.last_attempt = done->attempt.time;
    item.row.last_result = done->attempt.result;
    item.row.next_attempt = done->attempt.state == DeliveryState::kPending
                                ? done->attempt.next_attempt
                                : done->attempt.time;
    QueueRow(std::move(item));
  }
}

void Deliverer::EndpointWorker::PauseLane() {
  if (stopping_) return;
  owner_.clock_->AwaitWithTimeout(&mu_,
                                  absl::Condition(
                                      +[](bool* stopping) { return *stopping; }, &stopping_),
                                  owner_.options_.poll);
}

PostLimits Deliverer::EndpointWorker::LimitsWithCancel() const {
  PostLimits limits = owner_.options_.limits;
  limits.cancel = &cancel_;
  return limits;
}

std::optional<std::pair<absl::StatusOr<Payload>, std::string>> Deliverer::EndpointWorker::MakeBody(
    const Item& item) {
  const WebhookDelivery& row = item.row;
  const std::string key = IdempotencyKey(row.case_id, row.sequence);
  const bool eido = endpoint_.format == "eido";
  if (item.shared != nullptr && !eido) {
    bool read_failed = false;
    absl::StatusOr<Payload> body = item.shared->Body(*owner_.store_, endpoint_.format, name_,
                                                     owner_.options_.agency, read_failed);
    if (read_failed) {
      LogWarning("webhook_read_failed", "%s: cannot read %s: %s", name_, key,
                 body.status().ToString());
      return std::nullopt;
    }
    return std::pair(std::move(body), ChangeName(item.shared->event()));
  }
  // A stored row, or an EIDO body (the case's timeline): read here.
  Store& store = *owner_.store_;
  absl::StatusOr<mayday::v1::Case> stored = store.GetCase(row.case_id);
  absl::StatusOr<std::vector<CaseEvent>> timeline =
      stored.ok() ? store.ListEvents(
                        row.case_id,
                        eido ? std::max<int64_t>(0, row.sequence - kMaxTimeline) : row.sequence - 1,
                        eido ? static_cast<int>(std::min<int64_t>(row.sequence, kMaxTimeline)) : 1)
                  : absl::StatusOr<std::vector<CaseEvent>>(stored.status());
  if (!timeline.ok()) {
    LogWarning("webhook_read_failed", "%s: cannot read %s: %s", name_, key,
               timeline.status().ToString());
    return std::nullopt;
  }
  if (timeline->empty() || timeline->back().sequence() != row.sequence) {
    return std::pair(absl::DataLossError(absl::StrCat(key, " is not stored")), std::string());
  }
  return std::pair(
      BuildPayload(endpoint_.format, name_, *stored, *timeline, owner_.options_.agency),
      ChangeName(timeline->back()));
}

std::optional<Deliverer::EndpointWorker::Attempted> Deliverer::EndpointWorker::DeliverOne(
    HttpPoster& poster, absl::BitGen& random, const Item& item) {
  const WebhookDelivery& row = item.row;
  const std::string key = IdempotencyKey(row.case_id, row.sequence);
  std::optional<std::pair<absl::StatusOr<Payload>, std::string>> made = MakeBody(item);
  if (!made.has_value()) return std::nullopt;
  absl::StatusOr<Payload>& payload = made->first;
  const absl::Time now = owner_.clock_->Now();
  DeliveryAttempt attempt{
      .endpoint = endpoint_.id, .case_id = row.case_id, .sequence = row.sequence, .time = now};
  if (payload.ok() && payload->body.size() > owner_.options_.limits.max_request_bytes) {
    payload = absl::ResourceExhaustedError(absl::StrCat("a body of ", payload->body.size(),
                                                        " bytes, over the limit of ",
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
        {"Mayday-Event", made->second},
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

}  // namespace mayday::server::webhooks
