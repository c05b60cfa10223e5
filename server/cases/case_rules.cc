// The case life cycle as rules; see case_rules.h.
#include "cases/case_rules.h"

#include "absl/strings/str_cat.h"

namespace mayday::server {
namespace {

using mayday::v1::CaseState;

// Position along the happy path; progress may only move forward.
int Rank(CaseState state) {
  switch (state) {
    case mayday::v1::CASE_STATE_ASSIGNED:
      return 1;
    case mayday::v1::CASE_STATE_EN_ROUTE:
      return 2;
    case mayday::v1::CASE_STATE_ON_SCENE:
      return 3;
    case mayday::v1::CASE_STATE_RESOLVED:
      return 4;
    default:
      return 0;
  }
}

}  // namespace

bool IsTerminal(CaseState state) {
  return state == mayday::v1::CASE_STATE_RESOLVED || state == mayday::v1::CASE_STATE_CANCELLED;
}

bool IsAssigned(CaseState state) {
  return state == mayday::v1::CASE_STATE_ASSIGNED || state == mayday::v1::CASE_STATE_EN_ROUTE ||
         state == mayday::v1::CASE_STATE_ON_SCENE;
}

absl::Status CheckCancel(CaseState state) {
  if (IsTerminal(state)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the case is already ", StateName(state), " and can no longer be cancelled"));
  }
  return absl::OkStatus();
}

absl::Status CheckProgress(CaseState from, CaseState to) {
  if (to != mayday::v1::CASE_STATE_EN_ROUTE && to != mayday::v1::CASE_STATE_ON_SCENE &&
      to != mayday::v1::CASE_STATE_RESOLVED) {
    return absl::InvalidArgumentError(
        "state must be CASE_STATE_EN_ROUTE, CASE_STATE_ON_SCENE or CASE_STATE_RESOLVED");
  }
  if (!IsAssigned(from)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the case is ", StateName(from), ", not assigned; progress can't be reported"));
  }
  if (Rank(to) <= Rank(from)) {
    return absl::FailedPreconditionError(absl::StrCat("the case is already ", StateName(from),
                                                      "; it can't move back to ", StateName(to)));
  }
  return absl::OkStatus();
}

absl::Status CheckMove(CaseState state) {
  if (IsTerminal(state)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the case is ", StateName(state), "; its location can no longer change"));
  }
  return absl::OkStatus();
}

const char* StateName(CaseState state) {
  switch (state) {
    case mayday::v1::CASE_STATE_DISPATCHING:
      return "DISPATCHING";
    case mayday::v1::CASE_STATE_ASSIGNED:
      return "ASSIGNED";
    case mayday::v1::CASE_STATE_EN_ROUTE:
      return "EN_ROUTE";
    case mayday::v1::CASE_STATE_ON_SCENE:
      return "ON_SCENE";
    case mayday::v1::CASE_STATE_RESOLVED:
      return "RESOLVED";
    case mayday::v1::CASE_STATE_CANCELLED:
      return "CANCELLED";
    case mayday::v1::CASE_STATE_ESCALATED:
      return "ESCALATED";
    default:
      return "UNSPECIFIED";
  }
}

}  // namespace mayday::server
