// The webhook delivery engine: takes the case events committed since each
// endpoint's mark (store/webhook_records.h) and POSTs them, signed, to the
// endpoint, at least once, each case's in sequence order.
//
//   planner   one thread: for each endpoint, reads the commit chain after
//             its mark, queues a delivery for each event its filter
//             matches and moves the mark, in one transaction (so a commit
//             is queued once the deliverer has read it, whatever happens
//             to maydayd after the commit).
//   endpoint  per endpoint, a fetcher thread and `lanes` delivering
//             threads: the fetcher reads the deliveries that may go (of
//             each case, the first not made, if due) and hands each to the
//             lane its case hashes to, one in flight per case; a lane
//             POSTs it and hands the attempt back (made, retry at a time
//             with exponential backoff and jitter, or dead once the retry
//             limit passed); the fetcher records the attempts made since
//             its last round in one write, and only once it is on disk may
//             a case's next event go (meanwhile the lanes deliver other
//             cases').
//
// An endpoint's threads wait only on that endpoint's answers: a slow or
// dead endpoint never delays another, nor alerts or dispatch. Its writes
// (a planner round's queued rows, a fetcher round's attempts) are the
// store's background writes: committed together, a few times a second, in
// batches of their own, never in an alert's. Every thread of the deliverer
// runs at the lowest priority (nice 19): when the cores are short, alerts,
// dispatch and commits go first and deliveries wait. With replicas, only the one
// that holds dispatch runs a deliverer, and its writes pass the same fence
// (WriteTxn::CheckDispatchLease): a deliverer that lost the lease records
// nothing, and its last POST is at worst sent twice.
#ifndef MAYDAY_SERVER_WEBHOOKS_DELIVERER_H_
#define MAYDAY_SERVER_WEBHOOKS_DELIVERER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cases/event_hub.h"
#include "mayday/base/clock.h"
#include "store/store.h"
#include "webhooks/http_post.h"

namespace mayday::server::webhooks {

struct DelivererOptions {
  // How each POST is made: timeouts, size caps, the address guard, CAs.
  PostLimits limits;
  // Retries stop this long after an event was queued (or redelivered):
  // the delivery is then dead until RedeliverWebhooks.
  absl::Duration retry_for = absl::Hours(24);
  // The first retry comes about this long after a failure; each next one
  // waits twice as long, at most `max_backoff`; each wait is drawn between
  // half and all of that (jitter, so that a receiver coming back is not
  // hit by every case at once).
  absl::Duration first_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Hours(1);
  // The longest the planner and the fetchers wait, on the clock, before
  // reading the store without being woken (another replica's commits, a
  // registration made through another replica).
  absl::Duration poll = absl::Seconds(1);
  // Deliveries in flight at once per endpoint (a case's always on one
  // lane).
  int lanes = 4;
  // Deliveries made are forgotten this long after.
  absl::Duration keep_delivered = absl::Hours(24 * 7);
  // The sender of CAP alerts and the agency of EIDO incidents: the
  // organisation's domain.
  std::string agency = "mayday.invalid";
};

// What happened to one attempt, for metrics and tests, once it is recorded.
// Called on the store's completer thread; must be quick.
struct AttemptReport {
  std::string endpoint;  // id
  PostResult::Outcome outcome = PostResult::Outcome::kFailed;
  absl::Duration took;
  bool dead = false;  // the delivery gave up with this attempt
};

// Thread-safe.
class Deliverer final : public EventSink {
 public:
  // Checks, inside each of the deliverer's writes, that this replica may
  // still write (the dispatch lease); null: always.
  using Fence = std::function<absl::Status(WriteTxn&)>;
  // `store`, `clock` and `hub` are not owned and must outlive it.
  Deliverer(Store* store, const base::Clock* clock, EventHub* hub, DelivererOptions options,
            Fence fence = nullptr, std::function<void(const AttemptReport&)> on_attempt = nullptr);
  ~Deliverer() override;
  Deliverer(const Deliverer&) = delete;
  Deliverer& operator=(const Deliverer&) = delete;

  // Starts the planner (and, through it, each endpoint's threads).
  void Start();
  // Stops every thread: a POST in flight is abandoned, and so is an attempt
  // not yet recorded (the delivery stays pending and goes again, with the
  // same idempotency key). Idempotent.
  void Stop();

  // EventSink: a committed event wakes the planner.
  void Deliver(const mayday::v1::CaseEvent& event) override;
  // Wakes the planner (a registration or a redeliver was committed).
  void Poke();

  // The delay before retry number `attempts` + 1 after `attempts` failed
  // attempts, before jitter: first_backoff * 2^(attempts - 1), at most
  // max_backoff. For tests and docs.
  static absl::Duration Backoff(const DelivererOptions& options, int64_t attempts);

 private:
  class EndpointWorker;

  bool Woken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return poked_ || stopping_; }
  void Plan();
  // Runs `job` behind the fence through the store's group commit, as a
  // background write (Store::SubmitBackground: a few commits a second of
  // their own, however many jobs, none in an alert's batch), then `done`
  // on the store's completer thread.
  void WriteInBackground(std::function<absl::Status(WriteTxn&)> job,
                         std::function<void(absl::Status)> done);
  // WriteInBackground, waiting until it is on disk.
  absl::Status Write(std::function<absl::Status(WriteTxn&)> job);
  // Queues the deliveries of the commits after each endpoint's mark, every
  // endpoint's in one write per round; on a store failure, tried again at
  // the next round.
  void ScanAll(const std::vector<WebhookEndpoint>& endpoints);

  Store* const store_;
  const base::Clock* const clock_;
  EventHub* const hub_;
  const DelivererOptions options_;
  const Fence fence_;
  const std::function<void(const AttemptReport&)> on_attempt_;

  absl::Mutex mu_;
  bool poked_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  // Planner thread only: the endpoints' workers, by id.
  std::map<std::string, std::unique_ptr<EndpointWorker>> workers_;
  // Planner thread only: how far each endpoint's commits were read (past
  // the stored mark when its filter skipped every event since).
  std::map<std::string, int64_t> scanned_;
  std::thread planner_;
};

}  // namespace mayday::server::webhooks

#endif  // MAYDAY_SERVER_WEBHOOKS_DELIVERER_H_
