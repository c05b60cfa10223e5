#include "webhooks/deliverer.h"

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "absl/types/span.h"
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
// The mark and count of an endpoint, when they are all there is to write,
// are written at most this often (real time: it is about the disk). The
// events of the commits after the mark are delivered again after a crash,
// under the same idempotency keys.
constexpr absl::Duration kSettleEvery = absl::Milliseconds(250);

// Names the calling thread (`name`, at most 15 bytes, as top -H shows it),
// makes its reads use the store's background reader, and lowers its
// priority (Linux: a thread's own nice value) to kNice: when the cores are
// short, the threads that take alerts, run dispatch and commit go first,
// and deliveries wait. (Not SCHED_IDLE: under another process's load it
// starved deliveries for seconds, where nice 19 kept them within 0.2 s.)
constexpr int kNice = 19;
void YieldToAlerts(const char* name) {
  ::pthread_setname_np(::pthread_self(), name);
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

namespace {

// One event read from the chain, shared by the endpoints delivering it: the
// first to need its case reads it, and each format's body is made once
// (JSON bodies differ only by the endpoint's name), so an event costs one
// read and one rendering however many endpoints take it. The case is as
// it was when the first of them read it.
class SharedEvent {
 public:
  explicit SharedEvent(CaseEvent event) : event_(std::move(event)) {}
  const CaseEvent& event() const { return event_; }

  // The body in `format` ("json" or "cap") for `endpoint_name`; if the case
  // could not be read, says so in `read_failed` (and the next call reads
  // again).
  absl::StatusOr<Payload> Body(Store& store, const std::string& format,
                               absl::string_view endpoint_name, const std::string& agency,
                               bool& read_failed) {
    absl::MutexLock lock(&mu_);
    if (!case_.has_value()) {
      absl::StatusOr<mayday::v1::Case> read =
          store.GetCase(std::string(absl::StripPrefix(event_.case_(), "cases/")));
      if (!read.ok()) {
        read_failed = true;
        return read.status();
      }
      case_ = *std::move(read);
    }
    if (format == "json") {
      if (!json_.has_value()) json_ = MakeJsonParts(*case_, event_);
      if (!json_->ok()) return json_->status();
      return JsonPayload(**json_, endpoint_name);
    }
    auto made = bodies_.find(format);
    if (made == bodies_.end()) {
      made = bodies_
                 .emplace(format, BuildPayload(format, endpoint_name, *case_,
                                               absl::MakeConstSpan(&event_, 1), agency))
                 .first;
    }
    return made->second;
  }

 private:
  const CaseEvent event_;
  absl::Mutex mu_;
  std::optional<mayday::v1::Case> case_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::StatusOr<JsonParts>> json_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::StatusOr<Payload>> bodies_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

// One endpoint's fetcher and lanes.
class Deliverer::EndpointWorker {
 public:
  // A delivery for a lane: read from commit `commit` of the chain (not yet
  // attempted), or, commit 0, a stored row that is due.
  struct Item {
    WebhookDelivery row;
    int64_t commit = 0;
    std::shared_ptr<SharedEvent> shared;  // read from the chain: its event
  };

 private:
  // An attempt made on a stored row, waiting to be recorded.
  struct Attempted {
    DeliveryAttempt attempt;
    PostResult::Outcome outcome = PostResult::Outcome::kFailed;
    absl::Duration took;
    int64_t number = 0;  // of attempts made, this one included
  };
  // One write: rows to queue, attempts to record, the mark and the count.
  struct Pending {
    std::vector<Item> rows;
    std::vector<Attempted> attempted;
    int64_t mark = 0;
    int64_t delivered = 0;
  };

 public:
  // `open_cases`: the cases with deliveries waiting as rows (their next
  // events queue behind them).
  EndpointWorker(Deliverer& owner, WebhookEndpoint endpoint, std::vector<std::string> open_cases)
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
  ~EndpointWorker() { Stop(); }

  // Ends the threads (a POST in flight is abandoned), then writes what
  // they left to write: the rows, attempts, mark and count. Idempotent.
  void Stop() {
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

  // How many more deliveries read from the chain may be offered.
  size_t Room() {
    absl::MutexLock lock(&mu_);
    const size_t most = std::max<size_t>(1, owner_.options_.max_unsettled);
    return fresh_ < most ? most - fresh_ : 0;
  }

  // The deliveries of the commits after those offered before, up to commit
  // `last` (the commits without any are settled with it), in commit order:
  // each to the lane its case hashes to.
  void Offer(std::vector<Item> items, int64_t last) {
    absl::MutexLock lock(&mu_);
    for (Item& item : items) {
      ++unsettled_[item.commit];
      ++fresh_;
      queues_[LaneOf(item.row.case_id)].push_back(std::move(item));
    }
    offered_ = std::max(offered_, last);
    PokeToSettle();
  }

  // Rows may be due (a redeliver was committed).
  void Poke() {
    absl::MutexLock lock(&mu_);
    poked_ = true;
  }

 private:
  bool Woken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return poked_ || stopping_; }
  bool Recorded() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return recording_ == 0; }
  size_t LaneOf(const std::string& case_id) const { return absl::HashOf(case_id) % lane_count_; }

  // The mark once `rows` are written: the commit before the first one with
  // a delivery neither made nor in a row written (or in `rows`); every
  // commit offered if there is none.
  int64_t MarkWith(const std::vector<Item>& rows) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
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

  // The next write, if there is one to make: the rows queued and attempts
  // made since the last, with the mark and count; the mark and count alone
  // at most every kSettleEvery (real time), unless `force`.
  std::optional<Pending> TakeWrite(bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
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

  // When a write of the mark and count alone is due (real time), if one is
  // waiting.
  std::optional<absl::Time> SettleDue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (MarkWith({}) <= settled_mark_ && delivered_ == 0) return std::nullopt;
    return last_write_ + kSettleEvery;
  }

  // A delivery read from the chain was made or written as a row.
  void Settle(int64_t commit) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = unsettled_.find(commit);
    if (it != unsettled_.end() && --it->second == 0) unsettled_.erase(it);
    // Room again: the planner may offer the commits it left.
    if (fresh_-- == std::max<size_t>(1, owner_.options_.max_unsettled / 2)) owner_.WakePlanner();
    PokeToSettle();
  }

  // The mark or count may have moved: wakes the fetcher if it waits on the
  // clock with nothing written (it then waits for the next mark-only write
  // in real time, and a write ending wakes it anyway).
  void PokeToSettle() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!settle_armed_ && recording_ == 0) poked_ = true;
  }

  // Queues `item` to be written as a row; its case's next events wait
  // behind it.
  void QueueRow(Item item) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    blocked_.insert(item.row.case_id);
    ++unwritten_[item.row.case_id];
    rows_.push_back(std::move(item));
    poked_ = true;
  }

  // Writes what the lanes did since the last write (in the background,
  // one write at a time), then hands out the stored deliveries that may
  // go, each to its case's lane, and waits to be poked (a lane finished a
  // stored one or queued a row, a write ended, deliveries were offered) or
  // for the next one due. A stored delivery's case stays in flight until
  // its attempt is recorded, so its next event never goes before that;
  // meanwhile the lanes deliver other cases' events.
  void Fetch() {
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

  // Writes `write` in one background write; when it is done, its rows'
  // commits are settled and its attempts' cases leave flight (cases with
  // nothing left in rows free to go straight again), or, if the store
  // failed or refused, all of it waits for the next write and reading
  // pauses for a while.
  void Record(Pending write) {
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

  // Logs a dead letter and reports the attempt.
  void Report(const Attempted& done) {
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

  void Lane(size_t index) {
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

  // Nothing could be read: lets the store settle before the lane goes on.
  void PauseLane() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (stopping_) return;
    owner_.clock_->AwaitWithTimeout(&mu_,
                                    absl::Condition(
                                        +[](bool* stopping) { return *stopping; }, &stopping_),
                                    owner_.options_.poll);
  }

  PostLimits LimitsWithCancel() const {
    PostLimits limits = owner_.options_.limits;
    limits.cancel = &cancel_;
    return limits;
  }

  // The body for `item` and the change its event records; nullopt if the
  // case could not be read (the body's own error, a delivery that can
  // never be made, is in the StatusOr).
  std::optional<std::pair<absl::StatusOr<Payload>, std::string>> MakeBody(const Item& item) {
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
    if (timeline->empty() || timeline->back().sequence() != row.sequence) {
      return std::pair(absl::DataLossError(absl::StrCat(key, " is not stored")), std::string());
    }
    return std::pair(
        BuildPayload(endpoint_.format, name_, *stored, *timeline, owner_.options_.agency),
        ChangeName(timeline->back()));
  }

  // Makes one attempt; nullopt if none was made (the case could not be
  // read, or the worker is stopping).
  std::optional<Attempted> DeliverOne(HttpPoster& poster, absl::BitGen& random, const Item& item) {
    const WebhookDelivery& row = item.row;
    const std::string key = IdempotencyKey(row.case_id, row.sequence);
    std::optional<std::pair<absl::StatusOr<Payload>, std::string>> made = MakeBody(item);
    if (!made.has_value()) return std::nullopt;
    absl::StatusOr<Payload>& payload = made->first;
    const absl::Time now = owner_.clock_->Now();
    DeliveryAttempt attempt{
        .endpoint = endpoint_.id, .case_id = row.case_id, .sequence = row.sequence, .time = now};
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

  Deliverer& owner_;
  const WebhookEndpoint endpoint_;
  const std::string name_;  // "webhooks/{id}"
  // The most stored deliveries in flight at once: one on each lane and
  // one waiting its turn. Each case in flight has at most one row due (its
  // first not made), so reading this many rows finds every one there is
  // room for.
  const size_t capacity_;
  const size_t lane_count_;
  std::atomic<bool> cancel_{false};
  absl::Mutex mu_;
  bool poked_ ABSL_GUARDED_BY(mu_) = true;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  // Stored deliveries handed to a lane whose attempt is not yet recorded,
  // by case, of which handed_ are with a lane (the rest being recorded).
  absl::flat_hash_set<std::string> in_flight_ ABSL_GUARDED_BY(mu_);
  size_t handed_ ABSL_GUARDED_BY(mu_) = 0;
  // Cases whose record was written since the fetcher's last read began.
  absl::flat_hash_set<std::string> finished_ ABSL_GUARDED_BY(mu_);
  // Cases with a delivery pending or dead in a row, or about to be: their
  // next events are queued as rows behind it, unattempted. A case leaves
  // once a record finds it has none left and none is being written.
  absl::flat_hash_set<std::string> blocked_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> unwritten_ ABSL_GUARDED_BY(mu_);
  // Deliveries read from the chain, not yet made nor written as rows: by
  // commit, and how many in all.
  std::map<int64_t, int64_t> unsettled_ ABSL_GUARDED_BY(mu_);
  size_t fresh_ ABSL_GUARDED_BY(mu_) = 0;
  // The last commit offered, and the mark as written.
  int64_t offered_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t settled_mark_ ABSL_GUARDED_BY(mu_) = 0;
  // What the next write holds: deliveries made at their first attempt
  // (counted), rows to queue, attempts on stored rows to record.
  int64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Item> rows_ ABSL_GUARDED_BY(mu_);
  std::vector<Attempted> attempted_ ABSL_GUARDED_BY(mu_);
  // Writes in progress (one at a time, and the last one Stop makes); when
  // the last began (real time); the fetcher waits for the next mark-only
  // write in real time (settle_armed_), and is not poked for it meanwhile.
  int recording_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_write_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool settle_armed_ ABSL_GUARDED_BY(mu_) = false;
  // A write failed: reading and writing wait until then.
  absl::Time paused_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  std::vector<std::deque<Item>> queues_ ABSL_GUARDED_BY(mu_);
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
