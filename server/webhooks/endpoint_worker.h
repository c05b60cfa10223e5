// One webhook endpoint's fetcher and delivering lanes (webhooks/deliverer.h
// says what they do). Internal to the deliverer.
#ifndef MAYDAY_SERVER_WEBHOOKS_ENDPOINT_WORKER_H_
#define MAYDAY_SERVER_WEBHOOKS_ENDPOINT_WORKER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/random/random.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "webhooks/deliverer.h"
#include "webhooks/http_post.h"
#include "webhooks/payload.h"
#include "webhooks/shared_event.h"

namespace mayday::server::webhooks {

// The mark and count of an endpoint, when they are all there is to write,
// are written at most this often (real time: it is about the disk). The
// events of the commits after the mark are delivered again after a crash,
// under the same idempotency keys.
inline constexpr absl::Duration kSettleEvery = absl::Milliseconds(250);

// Names the calling thread (`name`, at most 15 bytes, as top -H shows it),
// makes its reads use the store's background reader, and lowers its
// priority (Linux: a thread's own nice value) to 19: when the cores are
// short, the threads that take alerts, run dispatch and commit go first,
// and deliveries wait. (Not SCHED_IDLE: under another process's load it
// starved deliveries for seconds, where nice 19 kept them within 0.2 s.)
void YieldToAlerts(const char* name);

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
  EndpointWorker(Deliverer& owner, WebhookEndpoint endpoint, std::vector<std::string> open_cases);
  ~EndpointWorker() { Stop(); }

  // Ends the threads (a POST in flight is abandoned), then writes what
  // they left to write: the rows, attempts, mark and count. Idempotent.
  void Stop();

  // How many more deliveries read from the chain may be offered.
  size_t Room();

  // The deliveries of the commits after those offered before, up to commit
  // `last` (the commits without any are settled with it), in commit order:
  // each to the lane its case hashes to.
  void Offer(std::vector<Item> items, int64_t last);

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
  int64_t MarkWith(const std::vector<Item>& rows) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The next write, if there is one to make: the rows queued and attempts
  // made since the last, with the mark and count; the mark and count alone
  // at most every kSettleEvery (real time), unless `force`.
  std::optional<Pending> TakeWrite(bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // When a write of the mark and count alone is due (real time), if one is
  // waiting.
  std::optional<absl::Time> SettleDue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (MarkWith({}) <= settled_mark_ && delivered_ == 0) return std::nullopt;
    return last_write_ + kSettleEvery;
  }

  // A delivery read from the chain was made or written as a row.
  void Settle(int64_t commit) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The mark or count may have moved: wakes the fetcher if it waits on the
  // clock with nothing written (it then waits for the next mark-only write
  // in real time, and a write ending wakes it anyway).
  void PokeToSettle() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!settle_armed_ && recording_ == 0) poked_ = true;
  }

  // Queues `item` to be written as a row; its case's next events wait
  // behind it.
  void QueueRow(Item item) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Writes what the lanes did since the last write (in the background,
  // one write at a time), then hands out the stored deliveries that may
  // go, each to its case's lane, and waits to be poked (a lane finished a
  // stored one or queued a row, a write ended, deliveries were offered) or
  // for the next one due. A stored delivery's case stays in flight until
  // its attempt is recorded, so its next event never goes before that;
  // meanwhile the lanes deliver other cases' events.
  void Fetch();

  // Writes `write` in one background write; when it is done, its rows'
  // commits are settled and its attempts' cases leave flight (cases with
  // nothing left in rows free to go straight again), or, if the store
  // failed or refused, all of it waits for the next write and reading
  // pauses for a while.
  void Record(Pending write);

  // Logs a dead letter and reports the attempt.
  void Report(const Attempted& done);

  void Lane(size_t index);

  // Nothing could be read: lets the store settle before the lane goes on.
  void PauseLane() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  PostLimits LimitsWithCancel() const;

  // The body for `item` and the change its event records; nullopt if the
  // case could not be read (the body's own error, a delivery that can
  // never be made, is in the StatusOr).
  std::optional<std::pair<absl::StatusOr<Payload>, std::string>> MakeBody(const Item& item);

  // Makes one attempt; nullopt if none was made (the case could not be
  // read, or the worker is stopping).
  std::optional<Attempted> DeliverOne(HttpPoster& poster, absl::BitGen& random, const Item& item);

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

}  // namespace mayday::server::webhooks

#endif  // MAYDAY_SERVER_WEBHOOKS_ENDPOINT_WORKER_H_
