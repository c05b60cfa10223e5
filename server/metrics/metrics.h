// Prometheus metrics of maydayd: what the people who run it watch (alerts,
// cases by state, escalations, offers, how long help takes to be offered and
// assigned, commits, dispatch rounds, streams, refusals, position reports,
// the store's size, which replica dispatches). The counters and histograms
// are updated where things happen, through the methods below; the gauges of
// what is (cases open, streams open, the store's size) are read when
// Prometheus scrapes, from a LiveFigures function. Served over HTTP at
// /metrics by Expose(); Text() gives the same page without HTTP.
//
// Labels take bounded values only (kinds, states, causes, status codes,
// classes): never a case, member or responder id.
#ifndef MAYDAY_SERVER_METRICS_METRICS_H_
#define MAYDAY_SERVER_METRICS_METRICS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "mayday/v1/resources.pb.h"
#include "rpc/rate_limits.h"
#include "store/store.h"

namespace mayday::server {

// What a scrape reads as it happens.
struct LiveFigures {
  // Cases not closed, by state and kind; nullopt if the store could not be
  // read (the gauges are left out of the page then, not shown as 0).
  std::optional<std::vector<OpenCaseCount>> open_cases;
  // How long the oldest escalated case no care agent has taken has waited
  // since it last changed (among the oldest StoreFigures::kOldestEscalated
  // escalated cases); 0 if there is none, nullopt if the store could not be
  // read.
  std::optional<absl::Duration> oldest_untaken_escalation;
  // Bytes the store takes (a SQLite file and its log; a PostgreSQL
  // database as it reports), and bytes free on the SQLite file's disk.
  std::optional<int64_t> store_bytes;
  std::optional<int64_t> disk_free_bytes;
  std::optional<int64_t> disk_size_bytes;
  // Streams open now, by call ("WatchCase", "WatchCases",
  // "ReportLocation", "Subscribe").
  std::map<std::string, int64_t> open_streams;
  // Whether this process runs dispatch now (always, on a SQLite file).
  bool dispatching = false;
  // What grpc.health.v1 says for "", and why not (ServingState).
  bool serving = false;
  bool store_writable = true;
  bool dispatch_stalled = false;
};

// Thread-safe: any thread may call any method.
class Metrics {
 public:
  // Every metric, at zero. `live` is called at each scrape, on the HTTP
  // server's thread (or Text()'s caller); it may be set later, and may read
  // the store.
  static std::unique_ptr<Metrics> Create();
  virtual ~Metrics() = default;

  // What the scrape reads; not owned. Until it is set, the live gauges are
  // left out of the page.
  virtual void SetLiveFigures(std::function<LiveFigures()> live) = 0;

  // Serves GET /metrics on `address` ("127.0.0.1:9433"; port 0 picks a
  // free one) until destroyed. INVALID_ARGUMENT for an address that is not
  // HOST:PORT; UNAVAILABLE naming the address if it cannot be bound.
  virtual absl::Status Expose(const std::string& address) = 0;
  // Stops serving /metrics, waiting for a scrape in progress to finish:
  // after it returns, the LiveFigures function is not called again.
  virtual void StopServing() = 0;
  // The port Expose() listens on; 0 before.
  virtual int port() const = 0;
  // The page a scrape gets, in Prometheus's text format.
  virtual std::string Text() = 0;

  // A RaiseAlert call of `kind` came in; it was answered with `code`
  // (OK: acknowledged, the case stored).
  virtual void AlertReceived(mayday::v1::CaseKind kind) = 0;
  virtual void AlertAnswered(mayday::v1::CaseKind kind, absl::StatusCode code) = 0;
  // An event this process committed (each event is committed by exactly
  // one replica), with the case after it: cases opened, escalations by
  // cause, offers made and how they ended, and the time from the alert to
  // the first offer and to an assignment.
  virtual void EventCommitted(const mayday::v1::Case& snapshot,
                              const mayday::v1::CaseEvent& event) = 0;
  // The store committed a batch of `jobs` writes in `took` (ok), or failed.
  virtual void CommitDone(size_t jobs, absl::Duration took, bool ok) = 0;
  // Dispatch decided a round (`decisions` > 0) and committed it, in `took`.
  virtual void DispatchRound(size_t decisions, absl::Duration took) = 0;
  // A call of class `calls` was refused by its rate limit.
  virtual void RateLimited(CallClass calls) = 0;
  // A crew's position report reached dispatch: `urgent` (applied at once)
  // or held for the next batch, `merged` into a report already held (so
  // dispatch never sees the older one), or `refused` (crew not on duty).
  enum class PositionRoute { kUrgent, kHeld, kRefused };
  virtual void PositionReport(PositionRoute route, bool merged) = 0;
  // A webhook delivery attempt ended: "delivered", "rejected", "failed" or
  // "forbidden" (webhooks/http_post.h's OutcomeName); `dead` if the
  // delivery was given up on with it.
  virtual void WebhookAttempt(absl::string_view outcome, bool dead) = 0;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_METRICS_METRICS_H_
