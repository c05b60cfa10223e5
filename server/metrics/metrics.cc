// maydayd's metrics on prometheus-cpp; see metrics.h.
#include "metrics/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <exception>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "api/proto_time.h"

namespace mayday::server {
namespace {

using mayday::v1::Case;
using mayday::v1::CaseEvent;
using mayday::v1::CaseKind;
using mayday::v1::CaseState;
using prometheus::Counter;
using prometheus::Histogram;

// Bucket bounds, in the metric's unit.
const Histogram::BucketBoundaries kOfferSeconds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                   1,     2.5,  5,     10,   30,  60,   120};
const Histogram::BucketBoundaries kAssignmentSeconds = {5,   10,  20,   30,   60,  120,
                                                        300, 600, 1200, 1800, 3600};
const Histogram::BucketBoundaries kCommitSeconds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,   0.1,   0.25,   0.5,   1,    2.5};
const Histogram::BucketBoundaries kBatchJobs = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000};
const Histogram::BucketBoundaries kRoundSeconds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                   0.01,   0.025,   0.05,   0.1,   0.25,   1};

// Kinds as labels: index = CaseKind value.
constexpr std::array<const char*, 3> kKinds = {"unspecified", "road", "medical"};
int KindIndex(CaseKind kind) {
  return kind >= 0 && kind < static_cast<int>(kKinds.size()) ? kind : 0;
}

// "CASE_STATE_EN_ROUTE" -> "en_route".
std::string StateLabel(CaseState state) {
  std::string name = mayday::v1::CaseState_Name(state);
  constexpr absl::string_view kPrefix = "CASE_STATE_";
  if (absl::StartsWith(name, kPrefix)) name = name.substr(kPrefix.size());
  return absl::AsciiStrToLower(name);
}

constexpr std::array<const char*, kCallClassCount> kCallClasses = {
    "member_reads", "member_updates", "responder_updates", "staff_reads", "staff_updates"};

double Seconds(absl::Duration d) { return absl::ToDoubleSeconds(d); }

prometheus::ClientMetric GaugeValue(double value, std::vector<prometheus::ClientMetric::Label> l) {
  prometheus::ClientMetric metric;
  metric.label = std::move(l);
  metric.gauge.value = value;
  return metric;
}

prometheus::MetricFamily GaugeFamily(std::string name, std::string help) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = prometheus::MetricType::Gauge;
  return family;
}

// The gauges read at each scrape.
class LiveCollectable final : public prometheus::Collectable {
 public:
  void Set(std::function<LiveFigures()> live) {
    absl::MutexLock lock(&mu_);
    live_ = std::move(live);
  }

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::function<LiveFigures()> live;
    {
      absl::MutexLock lock(&mu_);
      live = live_;
    }
    if (!live) return {};
    const LiveFigures figures = live();
    std::vector<prometheus::MetricFamily> families;
    if (figures.open_cases.has_value()) {
      auto family = GaugeFamily("mayday_cases_open", "Cases not closed, by state and kind.");
      // Every open state and kind, 0 included, so that a rule can compare.
      for (CaseState state : {mayday::v1::CASE_STATE_DISPATCHING, mayday::v1::CASE_STATE_ASSIGNED,
                              mayday::v1::CASE_STATE_EN_ROUTE, mayday::v1::CASE_STATE_ON_SCENE,
                              mayday::v1::CASE_STATE_ESCALATED}) {
        for (CaseKind kind : {mayday::v1::CASE_KIND_ROAD, mayday::v1::CASE_KIND_MEDICAL}) {
          int64_t count = 0;
          for (const OpenCaseCount& row : *figures.open_cases) {
            if (row.state == state && row.kind == kind) count += row.count;
          }
          family.metric.push_back(
              GaugeValue(static_cast<double>(count),
                         {{"kind", kKinds[KindIndex(kind)]}, {"state", StateLabel(state)}}));
        }
      }
      families.push_back(std::move(family));
    }
    if (figures.oldest_untaken_escalation.has_value()) {
      auto oldest = GaugeFamily(
          "mayday_escalation_untaken_oldest_seconds",
          "How long the oldest escalated case that no care agent has taken has waited since it "
          "last changed; 0 when there is none.");
      oldest.metric.push_back(GaugeValue(Seconds(*figures.oldest_untaken_escalation), {}));
      families.push_back(std::move(oldest));
    }
    if (figures.store_bytes.has_value()) {
      auto family = GaugeFamily("mayday_store_size_bytes",
                                "Bytes the store takes: the SQLite file and its write-ahead "
                                "log, or the PostgreSQL database.");
      family.metric.push_back(GaugeValue(static_cast<double>(*figures.store_bytes), {}));
      families.push_back(std::move(family));
    }
    if (figures.disk_free_bytes.has_value()) {
      auto family = GaugeFamily("mayday_store_disk_free_bytes",
                                "Bytes free for maydayd on the SQLite file's disk.");
      family.metric.push_back(GaugeValue(static_cast<double>(*figures.disk_free_bytes), {}));
      families.push_back(std::move(family));
    }
    if (figures.disk_size_bytes.has_value()) {
      auto family = GaugeFamily("mayday_store_disk_size_bytes",
                                "Size of the SQLite file's disk (its file system).");
      family.metric.push_back(GaugeValue(static_cast<double>(*figures.disk_size_bytes), {}));
      families.push_back(std::move(family));
    }
    auto streams = GaugeFamily("mayday_open_streams", "Streams open now, by call.");
    for (const char* call : {"WatchCase", "WatchCases", "ReportLocation", "Subscribe"}) {
      auto it = figures.open_streams.find(call);
      streams.metric.push_back(
          GaugeValue(it == figures.open_streams.end() ? 0 : static_cast<double>(it->second),
                     {{"call", call}}));
    }
    families.push_back(std::move(streams));
    auto flag = [&](const char* name, const char* help, bool value) {
      auto family = GaugeFamily(name, help);
      family.metric.push_back(GaugeValue(value ? 1 : 0, {}));
      families.push_back(std::move(family));
    };
    flag("mayday_dispatch_holder",
         "1 while this process runs dispatch (always on a SQLite file; on PostgreSQL, the "
         "replica holding the dispatch lease).",
         figures.dispatching);
    flag("mayday_serving", "1 while grpc.health.v1 says SERVING for this process.",
         figures.serving);
    flag("mayday_store_writable", "1 while the store takes writes.", figures.store_writable);
    flag("mayday_dispatch_stalled",
         "1 while dispatch has a case undecided past the watchdog's bound.",
         figures.dispatch_stalled);
    return families;
  }

 private:
  mutable absl::Mutex mu_;
  std::function<LiveFigures()> live_ ABSL_GUARDED_BY(mu_);
};

class MetricsImpl final : public Metrics {
 public:
  MetricsImpl()
      : registry_(std::make_shared<prometheus::Registry>()),
        live_(std::make_shared<LiveCollectable>()) {
    auto& received = prometheus::BuildCounter()
                         .Name("mayday_alerts_received_total")
                         .Help("RaiseAlert calls received, by kind.")
                         .Register(*registry_);
    auto& acknowledged = prometheus::BuildCounter()
                             .Name("mayday_alerts_acknowledged_total")
                             .Help("RaiseAlert calls answered OK (the case stored), by kind.")
                             .Register(*registry_);
    failed_ = &prometheus::BuildCounter()
                   .Name("mayday_alerts_failed_total")
                   .Help("RaiseAlert calls answered with an error, by kind and status code.")
                   .Register(*registry_);
    auto& opened = prometheus::BuildCounter()
                       .Name("mayday_cases_opened_total")
                       .Help("Cases opened (an alert that joined an open case opens none).")
                       .Register(*registry_);
    auto& to_offer = prometheus::BuildHistogram()
                         .Name("mayday_alert_to_first_offer_seconds")
                         .Help("From a case's alert to its first offer to a crew, by kind.")
                         .Register(*registry_);
    auto& to_assignment = prometheus::BuildHistogram()
                              .Name("mayday_alert_to_assignment_seconds")
                              .Help("From a case's alert to its first assignment, by kind.")
                              .Register(*registry_);
    for (size_t k = 0; k < kKinds.size(); ++k) {
      const prometheus::Labels kind = {{"kind", kKinds[k]}};
      received_[k] = &received.Add(kind);
      acknowledged_[k] = &acknowledged.Add(kind);
      opened_[k] = &opened.Add(kind);
      to_offer_[k] = &to_offer.Add(kind, kOfferSeconds);
      to_assignment_[k] = &to_assignment.Add(kind, kAssignmentSeconds);
    }
    auto& events = prometheus::BuildCounter()
                       .Name("mayday_case_events_total")
                       .Help("Case events committed by this process, by type.")
                       .Register(*registry_);
    const google::protobuf::OneofDescriptor* change = CaseEvent::descriptor()->oneof_decl(0);
    for (int i = 0; i < change->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* field = change->field(i);
      events_[field->number()] = &events.Add({{"type", field->name()}});
    }
    auto& duress = prometheus::BuildCounter()
                       .Name("mayday_duress_total")
                       .Help(
                           "Members who asked for help under duress, by how: a cancel or a "
                           "safety timer ended with the duress PIN. Each one's phone shows "
                           "nothing is happening: a care agent must act.")
                       .Register(*registry_);
    duress_cancel_ = &duress.Add({{"via", "cancel"}});
    duress_timer_ = &duress.Add({{"via", "safety_timer"}});
    auto& escalations = prometheus::BuildCounter()
                            .Name("mayday_escalations_total")
                            .Help("Cases escalated to the care desk, by cause.")
                            .Register(*registry_);
    for (int cause = 0; cause < static_cast<int>(escalations_.size()); ++cause) {
      std::string name = CaseEvent::Escalated::Cause_Name(cause);
      escalations_[cause] =
          &escalations.Add({{"cause", absl::AsciiStrToLower(name.substr(sizeof("CAUSE_") - 1))}});
    }
    auto& stalls = prometheus::BuildCounter()
                       .Name("mayday_crew_stalls_total")
                       .Help(
                           "Assigned crews dispatch saw not getting closer, by rule: silent (no "
                           "position), not_closer, late (ETA overrun). The desk is shown each.")
                       .Register(*registry_);
    for (int reason = 1; reason < static_cast<int>(stalls_.size()); ++reason) {
      std::string name = mayday::v1::CrewStall::Reason_Name(reason);
      stalls_[reason] =
          &stalls.Add({{"reason", absl::AsciiStrToLower(name.substr(sizeof("REASON_") - 1))}});
    }
    auto& offers = prometheus::BuildCounter()
                       .Name("mayday_offers_total")
                       .Help(
                           "Offers to crews: made, accepted, and how the others ended "
                           "(declined, expired, responder_unavailable, withdrawn, "
                           "member_moved).")
                       .Register(*registry_);
    offers_made_ = &offers.Add({{"outcome", "made"}});
    offers_accepted_ = &offers.Add({{"outcome", "accepted"}});
    for (int reason = 0; reason < static_cast<int>(offers_ended_.size()); ++reason) {
      std::string name = CaseEvent::OfferEnded::Reason_Name(reason);
      offers_ended_[reason] =
          &offers.Add({{"outcome", absl::AsciiStrToLower(name.substr(sizeof("REASON_") - 1))}});
    }
    commit_seconds_ = &prometheus::BuildHistogram()
                           .Name("mayday_store_commit_seconds")
                           .Help(
                               "Time to commit one batch of writes (group commit), fsync "
                               "included.")
                           .Register(*registry_)
                           .Add({}, kCommitSeconds);
    batch_jobs_ = &prometheus::BuildHistogram()
                       .Name("mayday_store_commit_batch_writes")
                       .Help("Writes committed together in one batch.")
                       .Register(*registry_)
                       .Add({}, kBatchJobs);
    auto& commits = prometheus::BuildCounter()
                        .Name("mayday_store_commits_total")
                        .Help("Batches the store committed (ok) or failed to (failed).")
                        .Register(*registry_);
    commits_ok_ = &commits.Add({{"outcome", "ok"}});
    commits_failed_ = &commits.Add({{"outcome", "failed"}});
    round_seconds_ = &prometheus::BuildHistogram()
                          .Name("mayday_dispatch_round_seconds")
                          .Help("Time for dispatch to decide a round and commit its decisions.")
                          .Register(*registry_)
                          .Add({}, kRoundSeconds);
    auto& limited = prometheus::BuildCounter()
                        .Name("mayday_rate_limited_total")
                        .Help("Calls refused by their rate limit, by class.")
                        .Register(*registry_);
    for (int c = 0; c < kCallClassCount; ++c) {
      rate_limited_[c] = &limited.Add({{"class", kCallClasses[c]}});
    }
    auto& positions = prometheus::BuildCounter()
                          .Name("mayday_position_reports_total")
                          .Help(
                              "Crews' position reports that reached dispatch: applied at once "
                              "(urgent), held for the next batch (held), or refused (crew "
                              "not on duty).")
                          .Register(*registry_);
    positions_[0] = &positions.Add({{"route", "urgent"}});
    positions_[1] = &positions.Add({{"route", "held"}});
    positions_[2] = &positions.Add({{"route", "refused"}});
    merged_ = &prometheus::BuildCounter()
                   .Name("mayday_position_reports_coalesced_total")
                   .Help(
                       "Held position reports replaced by a newer one of the same crew "
                       "before dispatch used them.")
                   .Register(*registry_)
                   .Add({});
    auto& hooks = prometheus::BuildCounter()
                      .Name("mayday_webhook_attempts_total")
                      .Help(
                          "Webhook delivery attempts by outcome: delivered (2xx), rejected "
                          "(another status), failed (no answer), forbidden (the address guard "
                          "or the scheme).")
                      .Register(*registry_);
    for (size_t i = 0; i < kWebhookOutcomes.size(); ++i) {
      webhook_attempts_[i] = &hooks.Add({{"outcome", kWebhookOutcomes[i]}});
    }
    webhook_dead_ = &prometheus::BuildCounter()
                         .Name("mayday_webhook_dead_total")
                         .Help(
                             "Webhook deliveries given up on after the retry limit: their "
                             "cases' later events wait until `maydayctl webhooks redeliver`.")
                         .Register(*registry_)
                         .Add({});
  }

  void SetLiveFigures(std::function<LiveFigures()> live) override { live_->Set(std::move(live)); }

  absl::Status Expose(const std::string& address) override {
    const size_t colon = address.rfind(':');
    int port = 0;
    if (colon == std::string::npos || colon == 0 ||
        !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 || port > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--metrics-listen ", address, ": expected HOST:PORT, for example 127.0.0.1:9433"));
    }
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(address, /*num_threads=*/1);
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
    }
    const std::vector<int> ports = exposer_->GetListeningPorts();
    if (ports.empty()) {
      exposer_.reset();
      return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", address));
    }
    port_ = ports.front();
    exposer_->RegisterCollectable(registry_);
    exposer_->RegisterCollectable(live_);
    return absl::OkStatus();
  }

  void StopServing() override {
    exposer_.reset();  // joins its threads
    live_->Set(nullptr);
  }

  int port() const override { return port_; }

  std::string Text() override {
    std::vector<prometheus::MetricFamily> families = registry_->Collect();
    for (prometheus::MetricFamily& family : live_->Collect()) families.push_back(std::move(family));
    return prometheus::TextSerializer().Serialize(families);
  }

  void AlertReceived(CaseKind kind) override { received_[KindIndex(kind)]->Increment(); }

  void AlertAnswered(CaseKind kind, absl::StatusCode code) override {
    const int k = KindIndex(kind);
    if (code == absl::StatusCode::kOk) {
      acknowledged_[k]->Increment();
      return;
    }
    // Made on first use (a lookup under the family's lock): failures are
    // few, and most code and kind pairs never occur.
    failed_->Add({{"kind", kKinds[k]}, {"code", absl::StatusCodeToString(code)}}).Increment();
  }

  void EventCommitted(const Case& snapshot, const CaseEvent& event) override {
    if (auto it = events_.find(static_cast<int>(event.change_case())); it != events_.end()) {
      it->second->Increment();
    }
    const int k = KindIndex(snapshot.kind());
    const absl::Duration since_alert =
        FromProtoTime(event.event_time()) - FromProtoTime(snapshot.create_time());
    switch (event.change_case()) {
      case CaseEvent::kRaised:
        opened_[k]->Increment();
        if (snapshot.has_duress()) duress_timer_->Increment();  // raised hidden, under duress
        break;
      case CaseEvent::kDuressCancelled:
        duress_cancel_->Increment();
        break;
      case CaseEvent::kOffered:
        offers_made_->Increment();
        if (FirstTime(snapshot.name(), /*offer=*/true)) to_offer_[k]->Observe(Seconds(since_alert));
        break;
      case CaseEvent::kOfferEnded: {
        const int reason = event.offer_ended().reason();
        if (reason >= 0 && reason < static_cast<int>(offers_ended_.size())) {
          offers_ended_[reason]->Increment();
        }
        break;
      }
      case CaseEvent::kAssigned:
        if (absl::StartsWith(event.actor(), "responders/")) offers_accepted_->Increment();
        if (FirstTime(snapshot.name(), /*offer=*/false)) {
          to_assignment_[k]->Observe(Seconds(since_alert));
        }
        break;
      case CaseEvent::kStalled: {
        const int reason = event.stalled().reason();
        if (reason > 0 && reason < static_cast<int>(stalls_.size())) stalls_[reason]->Increment();
        break;
      }
      case CaseEvent::kEscalated: {
        const int cause = event.escalated().cause();
        escalations_[cause >= 0 && cause < static_cast<int>(escalations_.size()) ? cause : 0]
            ->Increment();
        break;
      }
      default:
        break;
    }
    if (snapshot.state() == mayday::v1::CASE_STATE_RESOLVED ||
        snapshot.state() == mayday::v1::CASE_STATE_CANCELLED) {
      absl::MutexLock lock(&firsts_mu_);
      firsts_.erase(snapshot.name());
    }
  }

  void CommitDone(size_t jobs, absl::Duration took, bool ok) override {
    if (!ok) {
      commits_failed_->Increment();
      return;
    }
    commits_ok_->Increment();
    commit_seconds_->Observe(Seconds(took));
    batch_jobs_->Observe(static_cast<double>(jobs));
  }

  void DispatchRound(size_t, absl::Duration took) override {
    round_seconds_->Observe(Seconds(took));
  }

  void RateLimited(CallClass calls) override {
    const int c = static_cast<int>(calls);
    if (c >= 0 && c < kCallClassCount) rate_limited_[c]->Increment();
  }

  void WebhookAttempt(absl::string_view outcome, bool dead) override {
    for (size_t i = 0; i < kWebhookOutcomes.size(); ++i) {
      if (outcome == kWebhookOutcomes[i]) webhook_attempts_[i]->Increment();
    }
    if (dead) webhook_dead_->Increment();
  }

  void PositionReport(PositionRoute route, bool merged) override {
    positions_[static_cast<int>(route)]->Increment();
    if (merged) merged_->Increment();
  }

 private:
  // Whether this is the case's first offer (offer) or first assignment
  // since this process knew it; remembered until the case closes.
  bool FirstTime(const std::string& case_name, bool offer) {
    absl::MutexLock lock(&firsts_mu_);
    Firsts& firsts = firsts_[case_name];
    bool& seen = offer ? firsts.offered : firsts.assigned;
    if (seen) return false;
    seen = true;
    return true;
  }

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<LiveCollectable> live_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;

  std::array<Counter*, kKinds.size()> received_{};
  std::array<Counter*, kKinds.size()> acknowledged_{};
  prometheus::Family<Counter>* failed_ = nullptr;
  std::array<Counter*, kKinds.size()> opened_{};
  std::array<Histogram*, kKinds.size()> to_offer_{};
  std::array<Histogram*, kKinds.size()> to_assignment_{};
  absl::flat_hash_map<int, Counter*> events_;
  Counter* duress_cancel_ = nullptr;
  Counter* duress_timer_ = nullptr;
  std::array<Counter*, CaseEvent::Escalated::Cause_ARRAYSIZE> escalations_{};
  std::array<Counter*, mayday::v1::CrewStall::Reason_ARRAYSIZE> stalls_{};
  Counter* offers_made_ = nullptr;
  Counter* offers_accepted_ = nullptr;
  std::array<Counter*, CaseEvent::OfferEnded::Reason_ARRAYSIZE> offers_ended_{};
  Histogram* commit_seconds_ = nullptr;
  Histogram* batch_jobs_ = nullptr;
  Counter* commits_ok_ = nullptr;
  Counter* commits_failed_ = nullptr;
  Histogram* round_seconds_ = nullptr;
  std::array<Counter*, kCallClassCount> rate_limited_{};
  std::array<Counter*, 3> positions_{};
  Counter* merged_ = nullptr;
  static constexpr std::array<const char*, 4> kWebhookOutcomes = {"delivered", "rejected", "failed",
                                                                  "forbidden"};
  std::array<Counter*, 4> webhook_attempts_{};
  Counter* webhook_dead_ = nullptr;

  struct Firsts {
    bool offered = false;
    bool assigned = false;
  };
  absl::Mutex firsts_mu_;
  absl::flat_hash_map<std::string, Firsts> firsts_ ABSL_GUARDED_BY(firsts_mu_);
};

}  // namespace

std::unique_ptr<Metrics> Metrics::Create() { return std::make_unique<MetricsImpl>(); }

}  // namespace mayday::server
