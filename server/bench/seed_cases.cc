// mayday-seed: fills a database with a large, realistic history of cases
// for the restart benchmark (tools/bench/scenarios.sh): N cases spread over the
// past year, of which `--open` are still open (dispatching, escalated after a
// lapsed offer, or assigned), the rest resolved or cancelled with a full
// timeline. Writes through the real store (its group commit, schema and
// encoding), many cases per job so that a million cases take a minute or
// two, not the hours one commit per case would.
//
//   mayday-seed --db FILE --cases 1000000 --open 100000
#include <atomic>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/proto_time.h"
#include "cases/case_log.h"
#include "mayday/base/clock.h"
#include "store/store.h"

namespace {

namespace v1 = ::mayday::v1;
using mayday::server::ToProtoTime;

// Cases written per group-commit job.
constexpr int kCasesPerJob = 2000;
// Jobs queued at most: enough to keep the writer busy.
constexpr int kJobsQueued = 4;

// Builds one case's snapshot and timeline. `shape` (0-9) picks its end:
// open cases end dispatching (0-2), escalated after a lapsed offer (3-6) or
// assigned (7-9); the others cancelled (9) or resolved.
struct Timeline {
  v1::Case snapshot;
  std::vector<v1::CaseEvent> events;
};

// Case n of `cases` is created at a random moment of the n-th of as many
// equal slots of the year before `now` (its last five minutes left out, so
// that no timeline ends in the future): in order, as a server's cases are,
// so that each index takes new entries at its end, as it does in service.
class Writer {
 public:
  Writer(std::mt19937_64& random, absl::Time now, int64_t cases)
      : random_(random),
        first_(now - absl::Hours(365 * 24)),
        slot_((absl::Hours(365 * 24) - absl::Minutes(5)) / cases) {}

  Timeline Make(int64_t n, bool open, int shape) {
    Timeline t;
    const absl::Time created =
        first_ + slot_ * (n + std::uniform_real_distribution<double>(0, 1)(random_));
    v1::Case& c = t.snapshot;
    c.set_name(absl::StrCat("cases/", mayday::server::NewCaseId(created)));
    c.set_member(absl::StrCat("members/seed-", n % 200000));
    c.set_kind(n % 2 == 0 ? v1::CASE_KIND_ROAD : v1::CASE_KIND_MEDICAL);
    c.set_request_id(absl::StrFormat("%016x%016x", random_(), random_()));
    std::uniform_real_distribution<double> latitude(51.0, 53.4), longitude(3.5, 7.1);
    c.mutable_location()->set_latitude(latitude(random_));
    c.mutable_location()->set_longitude(longitude(random_));
    c.mutable_location()->set_horizontal_accuracy_meters(12);
    *c.mutable_location()->mutable_fix_time() = ToProtoTime(created);
    c.set_note("seeded: hazard lights on");
    *c.mutable_create_time() = ToProtoTime(created);
    c.set_state(v1::CASE_STATE_DISPATCHING);

    absl::Time at = created;
    auto add = [&](v1::CaseState state, const std::string& actor) -> v1::CaseEvent& {
      v1::CaseEvent& e = t.events.emplace_back();
      e.set_case_(c.name());
      e.set_sequence(static_cast<int64_t>(t.events.size()));
      *e.mutable_event_time() = ToProtoTime(at);
      e.set_state(state);
      e.set_actor(actor);
      c.set_state(state);
      at += absl::Seconds(30);
      return e;
    };
    auto* raised = add(v1::CASE_STATE_DISPATCHING, c.member()).mutable_raised();
    raised->set_kind(c.kind());
    *raised->mutable_location() = c.location();
    raised->set_note(c.note());

    // A responder holds one case at a time: each open case has a crew of its
    // own (maydayd refuses to start on a file where two share one), the
    // closed ones share 10,000 crews.
    const std::string responder = open ? absl::StrCat("responders/seed-open-", n)
                                       : absl::StrCat("responders/seed-", n % 10000);
    if (open && shape < 3) {
      // Still dispatching: nothing after the alert.
    } else if (open && shape < 7) {
      auto* offered = add(v1::CASE_STATE_DISPATCHING, "dispatch").mutable_offered();
      offered->set_responder(responder);
      offered->set_distance_meters(4200);
      offered->set_eta_seconds(420);
      auto* ended = add(v1::CASE_STATE_DISPATCHING, "dispatch").mutable_offer_ended();
      ended->set_responder(responder);
      ended->set_reason(v1::CaseEvent::OfferEnded::REASON_EXPIRED);
      add(v1::CASE_STATE_ESCALATED, "dispatch")
          .mutable_escalated()
          ->set_reason("no capable responder accepted within 50 km");
    } else {
      auto* assigned = add(v1::CASE_STATE_ASSIGNED, "dispatch").mutable_assigned();
      assigned->set_responder(responder);
      assigned->set_eta_seconds(420);
      assigned->set_distance_meters(4200);
      c.set_responder(responder);
      if (!open) {
        if (shape == 9) {
          add(v1::CASE_STATE_CANCELLED, c.member())
              .mutable_cancelled()
              ->set_reason("member is safe");
        } else {
          for (v1::CaseState state :
               {v1::CASE_STATE_EN_ROUTE, v1::CASE_STATE_ON_SCENE, v1::CASE_STATE_RESOLVED}) {
            add(state, responder).mutable_progressed()->set_responder(responder);
          }
        }
      }
    }
    c.set_last_sequence(static_cast<int64_t>(t.events.size()));
    *c.mutable_update_time() = t.events.back().event_time();
    return t;
  }

 private:
  std::mt19937_64& random_;
  const absl::Time first_;
  const absl::Duration slot_;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mayday-seed: fill a Mayday database with a large case history (benchmarks)"};
  std::string db;
  int64_t cases = 1'000'000, open = 100'000;
  uint64_t seed = 1;
  app.add_option("--db", db, "SQLite database file (created if missing)")->required();
  app.add_option("--cases", cases, "cases in all")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--open", open, "of which still open")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--seed", seed, "random seed")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (open > cases) {
    std::fprintf(stderr, "mayday-seed: --open (%lld) exceeds --cases (%lld)\n",
                 static_cast<long long>(open), static_cast<long long>(cases));
    return 2;
  }
  auto store = mayday::server::Store::Open(db);
  if (!store.ok()) {
    std::fprintf(stderr, "mayday-seed: %s\n", store.status().ToString().c_str());
    return 1;
  }
  std::mt19937_64 random(seed);
  Writer writer(random, mayday::base::SystemClock()->Now(), cases);
  const absl::Time start = mayday::base::SystemClock()->Now();
  const int64_t jobs = (cases + kCasesPerJob - 1) / kCasesPerJob;
  absl::BlockingCounter finished(static_cast<int>(jobs));
  std::atomic<bool> failed = false;
  // Jobs queued and not yet committed: a few, so that memory stays small.
  absl::Mutex mu;
  int queued = 0;
  // Open cases are spread evenly over the history, one every cases/open.
  const int64_t open_every = open > 0 ? cases / open : 0;
  for (int64_t job = 0; job < jobs; ++job) {
    {
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(
          +[](int* q) { return *q < kJobsQueued; }, &queued));
      ++queued;
    }
    auto batch = std::make_shared<std::vector<Timeline>>();
    for (int64_t n = job * kCasesPerJob; n < std::min(cases, (job + 1) * kCasesPerJob); ++n) {
      const bool is_open = open_every > 0 && n % open_every == 0 && n / open_every < open;
      // The open cases' own count picks their shape: n % 10 is the same for
      // every one of them when they come every 10th case.
      const int shape = static_cast<int>((is_open ? n / open_every : n) % 10);
      batch->push_back(writer.Make(n, is_open, shape));
    }
    (*store)->Submit(
        [batch](mayday::server::WriteTxn& txn) -> absl::Status {
          for (const Timeline& t : *batch) {
            v1::Case first = t.snapshot;
            first.set_state(t.events.front().state());
            first.set_last_sequence(1);
            first.clear_responder();
            if (auto created = txn.CreateCase(first, t.events.front()); !created.ok()) {
              return created.status();
            }
            for (size_t i = 1; i < t.events.size(); ++i) {
              v1::Case after = t.snapshot;
              after.set_last_sequence(static_cast<int64_t>(i + 1));
              if (i + 1 < t.events.size()) after.set_state(t.events[i].state());
              if (auto s = txn.AppendEvent(after, t.events[i]); !s.ok()) return s;
            }
          }
          return absl::OkStatus();
        },
        [&](absl::Status status) {
          if (!status.ok()) {
            std::fprintf(stderr, "mayday-seed: %s\n", status.ToString().c_str());
            failed = true;
          }
          {
            absl::MutexLock lock(&mu);
            --queued;
          }
          finished.DecrementCount();
        });
  }
  finished.Wait();
  if (failed) return 1;
  std::printf("{\"cases\":%lld,\"open\":%lld,\"seconds\":%.1f}\n", static_cast<long long>(cases),
              static_cast<long long>(open),
              absl::ToDoubleSeconds(mayday::base::SystemClock()->Now() - start));
  return 0;
}
