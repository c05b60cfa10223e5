// Dispatch's feed of every replica's commits; see dispatch_feed.h.
#include "dispatcher/dispatch_feed.h"

#include <cstdio>
#include <utility>

#include "api/names.h"
#include "log/log.h"

namespace mayday::server {

bool FeedsDispatch(const mayday::v1::CaseEvent& event) {
  switch (event.change_case()) {
    case mayday::v1::CaseEvent::kRaised:
    case mayday::v1::CaseEvent::kProgressed:
    case mayday::v1::CaseEvent::kLocationUpdated:
    case mayday::v1::CaseEvent::kCancelled:
    case mayday::v1::CaseEvent::kMessagePosted:
    case mayday::v1::CaseEvent::kRated:
      return true;
    default:
      return false;
  }
}

void DispatchFeed::Commit(const CommitRecord& commit) {
  {
    absl::MutexLock lock(&mu_);
    if (!begun_) {
      held_.push_back(commit);
      return;
    }
  }
  Feed(commit);
}

void DispatchFeed::Begin() {
  // The follower's thread feeds nothing meanwhile: Commit() waits for mu_.
  absl::MutexLock lock(&mu_);
  for (const CommitRecord& commit : held_) Feed(commit);
  held_.clear();
  begun_ = true;
}

void DispatchFeed::Feed(const CommitRecord& commit) {
  for (const mayday::v1::CaseEvent& event : commit.events) {
    if (!FeedsDispatch(event)) continue;
    if (event.has_raised()) {
      // What CaseOpened reads of a new case, all in its first event.
      mayday::v1::Case opened;
      opened.set_name(event.case_());
      opened.set_kind(event.raised().kind());
      *opened.mutable_location() = event.raised().location();
      *opened.mutable_create_time() = event.event_time();
      opened.set_state(event.state());
      dispatch_->CaseOpened(opened);
      continue;
    }
    // The case as stored now (its responder, its location): at this event
    // or later, which dispatch takes as the later change it will also hear.
    // (A case it cannot read now: dispatch finds out when it next acts on
    // the case, whose commit the store refuses if the case moved on.)
    absl::StatusOr<mayday::v1::Case> stored = store_->GetCase(CaseIdFromName(event.case_()));
    if (!stored.ok()) {
      LogWarning("dispatch_feed_error", "dispatch could not read %s after its event %lld: %s",
                 event.case_().c_str(), static_cast<long long>(event.sequence()),
                 stored.status().ToString().c_str());
      continue;
    }
    dispatch_->CaseChanged(CommittedChange{*std::move(stored), event});
  }
}

}  // namespace mayday::server
