// What dispatch hears, on the replica that holds it, of the case changes
// committed through any replica of a shared database: the commit follower
// (cases/commit_follower.h) hands it every commit, in commit order, and
// the feed tells the dispatcher what the services would have told it after
// their own commits (CaseObserver): a case raised, moved, cancelled, moved
// along by its crew, written on, rated. What dispatch decided itself
// (offers, answers, escalations, a care agent's hold or assignment) it
// already knows, and is not fed back.
//
// Commits that come before dispatch started here are held, then given in
// order once it has (Begin): dispatch rebuilds itself from the store when
// it takes over, so a commit can be both in what it restored and fed; the
// dispatcher takes a case it already has as taken, and a change it already
// applied changes nothing more.
#ifndef MAYDAY_SERVER_DISPATCHER_DISPATCH_FEED_H_
#define MAYDAY_SERVER_DISPATCHER_DISPATCH_FEED_H_

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cases/case_log.h"
#include "store/store.h"

namespace mayday::server {

// Whether dispatch is told of `event` as a change made outside it (the
// services' changes); false for dispatch's own decisions and desk actions.
bool FeedsDispatch(const mayday::v1::CaseEvent& event);

// Thread-safe.
class DispatchFeed {
 public:
  // `dispatch` and `store` are not owned and must outlive the feed.
  DispatchFeed(CaseObserver* dispatch, Store* store) : dispatch_(dispatch), store_(store) {}

  // A commit, from the follower's thread.
  void Commit(const CommitRecord& commit);
  // Dispatch is running: the held commits go to it, in order, then every
  // later one as it comes.
  void Begin();

 private:
  void Feed(const CommitRecord& commit);

  CaseObserver* const dispatch_;
  Store* const store_;
  absl::Mutex mu_;
  bool begun_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<CommitRecord> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_DISPATCHER_DISPATCH_FEED_H_
