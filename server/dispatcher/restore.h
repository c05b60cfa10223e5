// The restart path: the dispatch engine rebuilt from the store, as maydayd
// does on start (and as a replica taking over dispatch will). The store is the
// truth; the engine holds only what dispatch needs to decide.
#ifndef MAYDAY_SERVER_DISPATCHER_RESTORE_H_
#define MAYDAY_SERVER_DISPATCHER_RESTORE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mayday/dispatch/engine.h"
#include "store/store.h"

namespace mayday::server {

// An offer that was pending when the server stopped: it is over, and is to
// be recorded as lapsed (the crew may never have seen it).
struct LapsedOffer {
  std::string case_id;
  std::string responder;     // "responders/{id}"
  bool second_crew = false;  // an offer for a second crew
};

// A case whose crew is on its way (ASSIGNED or EN_ROUTE): dispatch watches
// it again for stalls.
struct RestoredAssignment {
  std::string case_id;
  std::string responder_id;
  dispatch::GeoPoint where;  // the member's latest location
  absl::Duration eta;        // given at acceptance; zero if none
  absl::Time assigned_at;
};

struct RestoredCases {
  size_t open_cases = 0;
  std::vector<LapsedOffer> lapsed;
  std::vector<RestoredAssignment> on_the_way;
};

// Loads every open case of `store` into `engine`, which must know no case
// yet: an assigned case keeps its responder, its second crew, or its search
// for one (afresh: crews that let such an offer lapse or declined it may be
// asked again); a waiting case keeps the
// responders it was already offered to (never asked again; an offer a care
// agent withdrew does not count) and its state (an escalated case comes back
// escalated); a case a care agent owns stays held. Returns the offers left
// pending, for the caller to record, and the crews on their way, for it to
// watch. UNAVAILABLE if the store can't be read;
// the engine's error if the stored cases break its rules (two open cases
// assigned to one responder).
absl::StatusOr<RestoredCases> RestoreOpenCases(Store& store, dispatch::Engine& engine);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_DISPATCHER_RESTORE_H_
