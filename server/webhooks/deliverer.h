// The webhook delivery engine: takes the case events committed since each
// endpoint's mark (store/webhook_records.h) and POSTs them, signed, to the
// endpoint, at least once, each case's in sequence order.
//
//   planner   one thread: for each endpoint with room, reads the commit
//             chain after where it read last and offers the events its
//             filter matches to the endpoint's threads, in memory (one
//             shared object per event: its case is read, and each format's
//             body made, once for every endpoint).
//   endpoint  per endpoint, `lanes` delivering threads and a fetcher. Each
//             event offered goes to the lane its case hashes to, which
//             POSTs it: made, it is only counted; not made (or an earlier
//             event of its case waits in a row), it is queued as a row,
//             with its attempt, and its case's later events queue behind
//             it. The fetcher hands the rows that may go (of each case,
//             the first not made, if due) to the lanes, one in flight per
//             case, retried with exponential backoff and jitter until the
//             retry limit, then dead; and writes, one write at a time in
//             the background, the rows queued and attempts made since the
//             last, with the endpoint's mark (the commit before the first
//             one with an event neither made nor in a row) and count. A
//             row's case goes on only once its attempt is recorded.
//
// So a healthy endpoint costs the store a few small writes a second (its
// mark and count), not one per event; a crash delivers again the events
// after the mark (under the same idempotency keys). An endpoint's threads
// wait only on that endpoint's answers: a slow or dead endpoint never
// delays another, nor alerts or dispatch, and holds at most max_unsettled
// events in memory (the rest wait in the chain). Its writes are the
// store's background writes: committed together, in batches of their
// own, never in an alert's. Every thread of the deliverer runs at the
// lowest priority (nice 19): when the cores are short, alerts, dispatch
// and commits go first and deliveries wait (their events in the chain,
// past max_unsettled). With replicas, only the one that holds dispatch
// runs a deliverer, and its writes pass the same fence
// (WriteTxn::CheckDispatchLease): a deliverer that lost the lease records
// nothing, and what it sent since its last write is sent again by the
// next.
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
  // Events read from the commit chain and neither delivered nor queued as
  // rows yet, per endpoint: past that, the planner leaves the next commits
  // in the chain until the endpoint catches up (a slow endpoint costs
  // memory up to this).
  size_t max_unsettled = 4096;
  // Deliveries made are forgotten this long after.
  absl::Duration keep_delivered = absl::Hours(24 * 7);
  // The sender of CAP alerts and the agency of EIDO incidents: the
  // organisation's domain.
  std::string agency = "mayday.invalid";
};

// What happened to one attempt, for metrics and tests: a first attempt once
// made (on a lane), a retry once recorded (on the store's completer
// thread). Must be quick.
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
  // Stops every thread: a POST in flight is abandoned (the delivery goes
  // again, with the same idempotency key); what the threads left to write
  // is written. Idempotent.
  void Stop();

  // EventSink: a committed event wakes the planner.
  void Deliver(const mayday::v1::CaseEvent& event) override;
  // Wakes the planner and every endpoint's fetcher (a registration or a
  // redeliver was committed).
  void Poke();

  // The delay before retry number `attempts` + 1 after `attempts` failed
  // attempts, before jitter: first_backoff * 2^(attempts - 1), at most
  // max_backoff. For tests and docs.
  static absl::Duration Backoff(const DelivererOptions& options, int64_t attempts);

 private:
  class EndpointWorker;

  bool Woken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return poked_ || stopping_; }
  void WakePlanner();
  void Plan();
  // Runs `job` behind the fence through the store's group commit, as a
  // background write (Store::SubmitBackground: a few commits a second of
  // their own, however many jobs, none in an alert's batch), then `done`
  // on the store's completer thread.
  void WriteInBackground(std::function<absl::Status(WriteTxn&)> job,
                         std::function<void(absl::Status)> done);
  // WriteInBackground, waiting until it is on disk.
  absl::Status Write(std::function<absl::Status(WriteTxn&)> job);
  // Offers each endpoint with room the deliveries of the commits after
  // those it was offered; on a store failure, tried again at the next
  // round.
  void ScanAll(const std::vector<WebhookEndpoint>& endpoints);

  Store* const store_;
  const base::Clock* const clock_;
  EventHub* const hub_;
  const DelivererOptions options_;
  const Fence fence_;
  const std::function<void(const AttemptReport&)> on_attempt_;

  absl::Mutex mu_;
  bool poked_ ABSL_GUARDED_BY(mu_) = false;
  bool rows_poked_ ABSL_GUARDED_BY(mu_) = false;  // Poke: the fetchers read too
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  // Planner thread only: the endpoints' workers, by id.
  std::map<std::string, std::unique_ptr<EndpointWorker>> workers_;
  // Planner thread only: how far each endpoint's commits were read and
  // offered (from its stored mark when its worker began).
  std::map<std::string, int64_t> scanned_;
  std::thread planner_;
};

}  // namespace mayday::server::webhooks

#endif  // MAYDAY_SERVER_WEBHOOKS_DELIVERER_H_
