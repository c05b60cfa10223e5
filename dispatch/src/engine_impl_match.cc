// EngineImpl::Match: the surge rule of engine.h, as a bipartite matching
// between the waiting cases of one Step() and the responders eligible for
// them at that moment.
//
// Pass 1 (who is served) is Kuhn's augmenting-path algorithm run in priority
// order: a case is served iff an augmenting path from it exists, which keeps
// every case served before it served (possibly by another responder). The
// served cases form the priority-greedy basis of a transversal matroid, so
// their number is the largest possible.
// Pass 2 (who serves whom) fixes the served cases in priority order, each on
// its best-ranked candidate for which the cases not yet fixed can still all
// be served: taking a candidate held by a later case is tried by letting that
// case look for an augmenting path, with the fixed cases' responders off
// limits.
//
// Candidates come from NearestEligible() in rank order, a few at a time (2,
// then 8, 32, ...), so that the usual step (cases far apart, responders to
// spare) computes one short list per case.
#include <functional>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "engine_impl.h"

namespace mayday::dispatch {

std::vector<std::optional<EngineImpl::Candidate>> EngineImpl::Match(
    const std::vector<const CaseId*>& waiting, absl::Time now) const {
  struct Pending {
    const Case* c = nullptr;
    std::vector<Candidate> candidates;  // a prefix of its ranked candidates
    size_t asked = 0;                   // how many were asked for
    std::optional<uint32_t> responder;  // handle, while matched
    bool fixed = false;                 // pass 2 settled it
  };
  const size_t n = waiting.size();
  std::vector<Pending> cases(n);
  for (size_t i = 0; i < n; ++i) cases[i].c = &cases_.at(*waiting[i]);
  absl::flat_hash_map<uint32_t, size_t> owner;  // responder handle -> case

  // The handle of case i's j-th ranked candidate; nullopt past the last.
  auto candidate = [&](size_t i, size_t j) -> std::optional<uint32_t> {
    Pending& p = cases[i];
    while (j >= p.candidates.size() && p.candidates.size() == p.asked) {
      p.asked = p.asked == 0 ? 2 : p.asked * 4;
      p.candidates = NearestEligible(*p.c, now, p.asked);
    }
    if (j >= p.candidates.size()) return std::nullopt;
    return p.candidates[j].handle;
  };

  // Finds an augmenting path from the unmatched case i, trying candidates in
  // rank order; responders in `visited` are not tried again, and cases fixed
  // by pass 2 keep theirs. Changes the matching only on success.
  std::function<bool(size_t, absl::flat_hash_set<uint32_t>&)> augment =
      [&](size_t i, absl::flat_hash_set<uint32_t>& visited) -> bool {
    for (size_t j = 0;; ++j) {
      const std::optional<uint32_t> handle = candidate(i, j);
      if (!handle.has_value()) return false;
      if (!visited.insert(*handle).second) continue;
      auto it = owner.find(*handle);
      if (it != owner.end()) {
        const size_t other = it->second;
        if (cases[other].fixed || !augment(other, visited)) continue;
      }
      cases[i].responder = *handle;
      owner[*handle] = i;
      return true;
    }
  };

  // Pass 1: who is served.
  for (size_t i = 0; i < n; ++i) {
    absl::flat_hash_set<uint32_t> visited;
    augment(i, visited);
  }

  // Pass 2: who serves whom.
  for (size_t i = 0; i < n; ++i) {
    Pending& p = cases[i];
    if (!p.responder.has_value()) continue;
    for (size_t j = 0;; ++j) {
      const uint32_t handle = *candidate(i, j);  // reaches p.responder at the latest
      if (handle == *p.responder) break;
      auto it = owner.find(handle);
      const uint32_t old = *p.responder;
      if (it == owner.end()) {  // free: take it
        owner.erase(old);
        owner[handle] = i;
        p.responder = handle;
        break;
      }
      const size_t other = it->second;
      if (cases[other].fixed) continue;
      // Take it from `other`, which must then find another responder.
      owner.erase(old);
      owner[handle] = i;
      p.responder = handle;
      cases[other].responder.reset();
      absl::flat_hash_set<uint32_t> visited = {handle};
      if (augment(other, visited)) break;
      owner[handle] = other;
      cases[other].responder = handle;
      owner[old] = i;
      p.responder = old;
    }
    p.fixed = true;
  }

  std::vector<std::optional<Candidate>> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (!cases[i].responder.has_value()) continue;
    for (const Candidate& c : cases[i].candidates) {
      if (c.handle == *cases[i].responder) out[i] = c;
    }
  }
  return out;
}

}  // namespace mayday::dispatch
