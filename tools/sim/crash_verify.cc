// The crash test's final read; see crash_verify.h.
#include "sim/crash_verify.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "maydayctl/json.h"
#include "maydayctl/rpc.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

constexpr absl::Duration kCallTimeout = absl::Seconds(30);
constexpr int kCasesPerPage = 100;
constexpr int kEventsPerPage = 1000;
// Problems listed by name; the rest are only counted.
constexpr size_t kMaxProblems = 20;

struct Acknowledgement {
  std::string request_id;
  std::string case_name;
  std::string member;
  size_t token_index = 0;
  int64_t ack_ms = 0;  // when it was acknowledged, if the line says
};

absl::StatusOr<std::vector<Acknowledgement>> ReadAcknowledgements(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::vector<Acknowledgement> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream fields(line);
    Acknowledgement a;
    if (!(fields >> a.request_id >> a.case_name >> a.member >> a.token_index)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", number, ": expected REQUEST_ID CASE MEMBER TOKEN_INDEX"));
    }
    fields >> a.ack_ms;  // optional
    out.push_back(std::move(a));
  }
  return out;
}

// Runs work(i) for i in [0, n) on `threads` threads.
void ParallelFor(size_t n, int threads, const std::function<void(size_t)>& work) {
  std::atomic<size_t> next = 0;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++) work(i);
    });
  }
  for (std::thread& thread : pool) thread.join();
}

class Verifier {
 public:
  Verifier(const CrashVerifyOptions& options, std::shared_ptr<grpc::Channel> channel)
      : options_(options),
        keep_events_(options.dispatch_checks || !options.watch_log.empty() ||
                     !options.faults_path.empty()),
        operators_(v1::OperatorService::NewStub(channel)),
        members_(v1::AlertService::NewStub(channel)) {}

  absl::Status Check(const std::vector<Acknowledgement>& acked, CrashVerifyResult& result) {
    auto cases = ListAllCases();
    if (!cases.ok()) return cases.status();
    result.cases = static_cast<int64_t>(cases->size());

    // Exactly once: by request_id, and by the case each answer named.
    absl::flat_hash_map<std::string, const v1::Case*> by_name;
    absl::flat_hash_map<std::string, int> per_request;  // "member request_id" -> cases
    for (const v1::Case& c : *cases) {
      by_name[c.name()] = &c;
      if (++per_request[absl::StrCat(c.member(), " ", c.request_id())] == 2) {
        Problem(result, result.duplicated,
                absl::StrCat("request_id ", c.request_id(), " of ", c.member(),
                             " has more than one case"));
      }
    }
    absl::flat_hash_map<std::string, int> named;
    for (const Acknowledgement& a : acked) {
      if (++named[a.case_name] == 2) {
        Problem(result, result.duplicated,
                absl::StrCat(a.case_name, " was acknowledged for two request_ids"));
      }
      auto it = by_name.find(a.case_name);
      if (it == by_name.end()) {
        Problem(result, result.lost,
                absl::StrCat("lost: ", a.case_name, " (request_id ", a.request_id, ")"));
      } else if (it->second->request_id() != a.request_id || it->second->member() != a.member) {
        Problem(result, result.mismatched,
                absl::StrCat(a.case_name, " is stored for request_id ", it->second->request_id(),
                             " of ", it->second->member(), ", acknowledged for ", a.request_id,
                             " of ", a.member));
      }
    }
    for (const v1::Case& c : *cases) {
      if (!absl::StartsWith(c.member(), options_.members_prefix)) continue;
      if (!named.contains(c.name())) {
        Problem(result, result.unacknowledged,
                absl::StrCat(c.name(), " is stored but was never acknowledged"));
      }
    }

    ParallelFor(cases->size(), options_.threads,
                [&](size_t i) { CheckEvents((*cases)[i], result); });
    ParallelFor(acked.size(), options_.threads, [&](size_t i) { CheckRetry(acked[i], result); });
    absl::MutexLock lock(&mu_);
    if (options_.dispatch_checks) CheckDispatch(result);
    if (!options_.watch_log.empty()) {
      if (auto s = CheckWatchers(result); !s.ok()) return s;
    }
    if (!options_.faults_path.empty()) {
      if (auto s = TimeFaults(acked, result); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<std::vector<v1::Case>> ListAllCases() {
    std::vector<v1::Case> out;
    std::string token;
    do {
      grpc::ClientContext context;
      PrepareContext(&context, options_.operator_token, kCallTimeout);
      v1::ListAllCasesRequest request;
      request.set_page_size(kCasesPerPage);
      request.set_page_token(token);
      v1::ListCasesResponse page;
      const grpc::Status status = operators_->ListCases(&context, request, &page);
      if (!status.ok()) {
        return absl::UnavailableError(
            absl::StrCat("ListCases: ", DescribeStatus(FromGrpc(status))));
      }
      for (v1::Case& c : *page.mutable_cases()) out.push_back(std::move(c));
      token = page.next_page_token();
    } while (!token.empty());
    return out;
  }

  // The case's events, read from 0: sequences 1, 2, ... last_sequence.
  void CheckEvents(const v1::Case& c, CrashVerifyResult& result) {
    int64_t expected = 1;
    std::string token;
    do {
      grpc::ClientContext context;
      PrepareContext(&context, options_.operator_token, kCallTimeout);
      v1::ListCaseEventsRequest request;
      request.set_parent(c.name());
      request.set_page_size(kEventsPerPage);
      request.set_page_token(token);
      v1::ListCaseEventsResponse page;
      const grpc::Status status = operators_->ListCaseEvents(&context, request, &page);
      if (!status.ok()) {
        Problem(result, result.event_gaps,
                absl::StrCat(c.name(), ": ListCaseEvents: ", DescribeStatus(FromGrpc(status))));
        return;
      }
      if (keep_events_) {
        absl::MutexLock lock(&mu_);
        auto& kept = events_[c.name()];
        kept.insert(kept.end(), page.events().begin(), page.events().end());
      }
      for (const v1::CaseEvent& e : page.events()) {
        if (e.sequence() != expected) {
          Problem(
              result, result.event_gaps,
              absl::StrCat(c.name(), ": event ", e.sequence(), " where ", expected, " was due"));
          return;
        }
        ++expected;
      }
      {
        absl::MutexLock lock(&mu_);
        result.events += page.events_size();
      }
      token = page.next_page_token();
    } while (!token.empty());
    // Fewer than the case said when listed: lost events. More: later ones
    // (dispatch may still write while this reads).
    if (expected - 1 < c.last_sequence()) {
      Problem(
          result, result.event_gaps,
          absl::StrCat(c.name(), ": ", expected - 1, " events, last_sequence ", c.last_sequence()));
    }
  }

  // The member presses again with the same request_id: the same case.
  void CheckRetry(const Acknowledgement& a, CrashVerifyResult& result) {
    if (a.token_index >= options_.member_tokens.size()) {
      Problem(result, result.retry_mismatches,
              absl::StrCat(a.request_id, ": token index ", a.token_index, " out of range"));
      return;
    }
    grpc::ClientContext context;
    PrepareContext(&context, options_.member_tokens[a.token_index], kCallTimeout);
    v1::RaiseAlertRequest request;
    request.set_request_id(a.request_id);
    request.set_kind(v1::CASE_KIND_ROAD);
    request.mutable_location()->set_latitude(52.0);
    request.mutable_location()->set_longitude(5.0);
    v1::Case reply;
    const grpc::Status status = members_->RaiseAlert(&context, request, &reply);
    if (!status.ok()) {
      Problem(result, result.retry_mismatches,
              absl::StrCat("retry of ", a.request_id, ": ", DescribeStatus(FromGrpc(status))));
    } else if (reply.name() != a.case_name) {
      Problem(result, result.retry_mismatches,
              absl::StrCat("retry of ", a.request_id, " returned ", reply.name(), ", not ",
                           a.case_name));
    }
  }

  void Problem(CrashVerifyResult& result, int64_t& counter, std::string what) {
    absl::MutexLock lock(&mu_);
    ProblemLocked(result, counter, std::move(what));
  }
  void ProblemLocked(CrashVerifyResult& result, int64_t& counter, std::string what)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++counter;
    if (result.problems.size() < kMaxProblems) result.problems.push_back(std::move(what));
  }

  static absl::Time TimeOf(const v1::CaseEvent& e) {
    return absl::FromUnixSeconds(e.event_time().seconds()) +
           absl::Nanoseconds(e.event_time().nanos());
  }

  // No case offered to a crew while another held its offer; no crew with
  // two cases at once (from its assignment to the case's end).
  void CheckDispatch(CrashVerifyResult& result) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    struct Held {
      absl::Time from, to;
      std::string name;
    };
    absl::flat_hash_map<std::string, std::vector<Held>> by_crew;
    for (const auto& [name, events] : events_) {
      std::string outstanding, crew;
      absl::Time from;
      for (const v1::CaseEvent& e : events) {
        if (e.has_offered()) {
          if (!outstanding.empty()) {
            ProblemLocked(result, result.double_offers,
                          absl::StrCat(name, " offered to ", e.offered().responder(), " while ",
                                       outstanding, " held its offer"));
          }
          outstanding = e.offered().responder();
        } else if (e.has_offer_ended() || e.has_assigned()) {
          outstanding.clear();
        }
        if (e.has_assigned()) {
          if (!crew.empty()) by_crew[crew].push_back({from, TimeOf(e), name});
          crew = e.assigned().responder();
          from = TimeOf(e);
        } else if (!crew.empty() &&
                   (e.state() == v1::CASE_STATE_RESOLVED || e.state() == v1::CASE_STATE_CANCELLED ||
                    e.state() == v1::CASE_STATE_DISPATCHING ||
                    e.state() == v1::CASE_STATE_ESCALATED)) {
          by_crew[crew].push_back({from, TimeOf(e), name});
          crew.clear();
        }
      }
      if (!crew.empty()) by_crew[crew].push_back({from, absl::InfiniteFuture(), name});
    }
    for (auto& [crew, held] : by_crew) {
      std::sort(held.begin(), held.end(),
                [](const Held& a, const Held& b) { return a.from < b.from; });
      for (size_t i = 1; i < held.size(); ++i) {
        if (held[i].from < held[i - 1].to) {
          ProblemLocked(result, result.double_assignments,
                        absl::StrCat(crew, " was assigned ", held[i].name, " while it held ",
                                     held[i - 1].name));
        }
      }
    }
  }

  // Each watched case's events as the watcher got them: 1, 2, 3, ... each
  // once, in order, with the state stored.
  absl::Status CheckWatchers(CrashVerifyResult& result) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::ifstream in(options_.watch_log);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", options_.watch_log));
    absl::flat_hash_map<std::string, int64_t> last;  // case -> last sequence delivered
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string name;
      int64_t sequence = 0;
      int state = 0;
      if (!(fields >> name >> sequence >> state)) continue;  // a line cut by the end
      int64_t& seen = last[name];
      if (sequence != seen + 1) {
        ProblemLocked(
            result, result.watch_errors,
            absl::StrCat("a watcher of ", name, " got event ", sequence, " after ", seen));
      }
      seen = std::max(seen, sequence);
      auto stored = events_.find(name);
      if (stored == events_.end() || sequence < 1 ||
          sequence > static_cast<int64_t>(stored->second.size()) ||
          static_cast<int>(stored->second[sequence - 1].state()) != state) {
        ProblemLocked(
            result, result.watch_errors,
            absl::StrCat("a watcher of ", name, " got event ", sequence, " not as stored"));
      }
    }
    result.watched_cases = static_cast<int64_t>(last.size());
    return absl::OkStatus();
  }

  // From each fault to the next acknowledgement and the next offer.
  absl::Status TimeFaults(const std::vector<Acknowledgement>& acked, CrashVerifyResult& result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::ifstream in(options_.faults_path);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", options_.faults_path));
    std::vector<int64_t> acks, offers;
    for (const Acknowledgement& a : acked) acks.push_back(a.ack_ms);
    for (const auto& [name, events] : events_) {
      for (const v1::CaseEvent& e : events) {
        if (e.has_offered()) offers.push_back(absl::ToUnixMillis(TimeOf(e)));
      }
    }
    std::sort(acks.begin(), acks.end());
    std::sort(offers.begin(), offers.end());
    std::vector<double> to_ack, to_offer;
    const auto next_after = [](const std::vector<int64_t>& times, int64_t at) -> double {
      auto it = std::lower_bound(times.begin(), times.end(), at);
      return it == times.end() ? -1 : static_cast<double>(*it - at);
    };
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      int64_t at = 0;
      std::string kind;
      if (!(fields >> at >> kind)) continue;
      ++result.faults[kind];
      to_ack.push_back(next_after(acks, at));
      to_offer.push_back(next_after(offers, at));
      for (auto [by_kind, value] : {std::pair{&result.to_ack_max_ms_by_kind, to_ack.back()},
                                    std::pair{&result.to_offer_max_ms_by_kind, to_offer.back()}}) {
        auto [it, first] = by_kind->emplace(kind, value);
        // -1 (nothing came) is the worst.
        if (!first && it->second >= 0 && (value < 0 || value > it->second)) it->second = value;
      }
    }
    const auto quantiles = [](std::vector<double> values, double& p50, double& p99, double& max) {
      if (values.empty()) return;
      // A fault after which nothing came counts as the longest.
      for (double& v : values) {
        if (v < 0) v = std::numeric_limits<double>::infinity();
      }
      std::sort(values.begin(), values.end());
      const auto at = [&](double q) {
        const double v =
            values[std::min(values.size() - 1, static_cast<size_t>(q * values.size()))];
        return std::isinf(v) ? -1.0 : v;
      };
      p50 = at(0.5);
      p99 = at(0.99);
      max = at(1.0);
    };
    quantiles(to_ack, result.to_ack_p50_ms, result.to_ack_p99_ms, result.to_ack_max_ms);
    quantiles(to_offer, result.to_offer_p50_ms, result.to_offer_p99_ms, result.to_offer_max_ms);
    return absl::OkStatus();
  }

  const CrashVerifyOptions& options_;
  const bool keep_events_;  // the events are kept for the chaos checks
  absl::flat_hash_map<std::string, std::vector<v1::CaseEvent>> events_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<v1::OperatorService::Stub> operators_;
  std::unique_ptr<v1::AlertService::Stub> members_;
  absl::Mutex mu_;
};

// PRAGMA integrity_check on the file: "ok" or what SQLite found.
std::string IntegrityCheck(const std::string& path) {
  sqlite3* db = nullptr;
  // Read-write, so that a WAL left by a killed server can be recovered.
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string error = absl::StrCat("cannot open ", path, ": ", sqlite3_errmsg(db));
    sqlite3_close(db);
    return error;
  }
  std::vector<std::string> rows;
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &statement, nullptr);
  while (rc == SQLITE_OK && sqlite3_step(statement) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(statement, 0);
    rows.push_back(text == nullptr ? "" : reinterpret_cast<const char*>(text));
  }
  if (rc != SQLITE_OK) rows.push_back(absl::StrCat("integrity_check: ", sqlite3_errmsg(db)));
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return rows.empty() ? "integrity_check returned nothing" : absl::StrJoin(rows, "; ");
}

}  // namespace

bool CrashVerifyResult::ok() const {
  return lost == 0 && duplicated == 0 && mismatched == 0 && unacknowledged == 0 &&
         retry_mismatches == 0 && event_gaps == 0 && double_offers == 0 &&
         double_assignments == 0 && watch_errors == 0 && (integrity.empty() || integrity == "ok");
}

absl::StatusOr<CrashVerifyResult> VerifyCrash(const CrashVerifyOptions& options) {
  auto acked = ReadAcknowledgements(options.acked_path);
  if (!acked.ok()) return acked.status();
  CrashVerifyResult result;
  result.acknowledged = static_cast<int64_t>(acked->size());
  if (!options.address.empty()) {
    if (options.threads < 1) return absl::InvalidArgumentError("--threads must be at least 1");
    ServerOptions server;
    server.address = options.address;
    auto channel = OpenChannel(server);
    if (!channel.ok()) return channel.status();
    Verifier verifier(options, *channel);
    if (auto s = verifier.Check(*acked, result); !s.ok()) return s;
  }
  if (!options.db_path.empty()) result.integrity = IntegrityCheck(options.db_path);
  return result;
}

std::string CrashVerifyResultJson(const CrashVerifyResult& r) {
  std::vector<std::string> problems;
  for (const std::string& p : r.problems) problems.push_back(JsonString(p));
  std::string faults = "{";
  for (const auto& [kind, count] : r.faults) {
    absl::StrAppend(&faults, faults.size() > 1 ? "," : "", JsonString(kind), ":", count);
  }
  faults += "}";
  const auto by_kind = [](const std::map<std::string, double>& values) {
    std::string out = "{";
    for (const auto& [kind, ms] : values) {
      absl::StrAppend(&out, out.size() > 1 ? "," : "", JsonString(kind), ":", JsonNumber(ms, 0));
    }
    return out + "}";
  };
  return absl::StrCat("{\"ok\":", r.ok() ? "true" : "false", ",\"acknowledged\":", r.acknowledged,
                      ",\"cases\":", r.cases, ",\"events\":", r.events, ",\"lost\":", r.lost,
                      ",\"duplicated\":", r.duplicated, ",\"mismatched\":", r.mismatched,
                      ",\"unacknowledged\":", r.unacknowledged,
                      ",\"retry_mismatches\":", r.retry_mismatches,
                      ",\"event_gaps\":", r.event_gaps, ",\"double_offers\":", r.double_offers,
                      ",\"double_assignments\":", r.double_assignments,
                      ",\"watched_cases\":", r.watched_cases, ",\"watch_errors\":", r.watch_errors,
                      ",\"faults\":", faults, ",\"to_ack_p50_ms\":", JsonNumber(r.to_ack_p50_ms, 0),
                      ",\"to_ack_p99_ms\":", JsonNumber(r.to_ack_p99_ms, 0),
                      ",\"to_ack_max_ms\":", JsonNumber(r.to_ack_max_ms, 0),
                      ",\"to_offer_p50_ms\":", JsonNumber(r.to_offer_p50_ms, 0),
                      ",\"to_offer_p99_ms\":", JsonNumber(r.to_offer_p99_ms, 0),
                      ",\"to_offer_max_ms\":", JsonNumber(r.to_offer_max_ms, 0),
                      ",\"to_ack_max_ms_by_kind\":", by_kind(r.to_ack_max_ms_by_kind),
                      ",\"to_offer_max_ms_by_kind\":", by_kind(r.to_offer_max_ms_by_kind),
                      ",\"integrity\":", JsonString(r.integrity), ",\"problems\":[",
                      absl::StrJoin(problems, ","), "]}");
}

}  // namespace mayday::tools
