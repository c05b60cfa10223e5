// Changes to a case shared by several services; see case_changes.h.
#include "cases/case_changes.h"

#include "absl/strings/str_cat.h"
#include "cases/case_rules.h"

namespace mayday::server {

absl::Status PostMessage(const std::string& author, const std::string& text,
                         const mayday::v1::Case& current, mayday::v1::Case&,
                         mayday::v1::CaseEvent& event) {
  if (IsTerminal(current.state())) {
    return absl::FailedPreconditionError(absl::StrCat("the case is ", StateName(current.state()),
                                                      "; messages can no longer be posted"));
  }
  auto* posted = event.mutable_message_posted();
  posted->set_author(author);
  posted->set_text(text);
  return absl::OkStatus();
}

absl::Status CheckOpen(const mayday::v1::Case& current) {
  if (auto s = CheckCancel(current.state()); !s.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the case is already ", StateName(current.state())));
  }
  return absl::OkStatus();
}

absl::Status CloseCase(mayday::v1::CaseState state, const std::string& reason, bool false_alarm,
                       const mayday::v1::Case& current, mayday::v1::Case& next,
                       mayday::v1::CaseEvent& event) {
  if (auto s = CheckOpen(current); !s.ok()) return s;
  next.set_state(state);
  if (state == mayday::v1::CASE_STATE_CANCELLED) {
    next.set_cancel_reason(reason);
    event.mutable_cancelled()->set_reason(reason);
    event.mutable_cancelled()->set_false_alarm(false_alarm);
  } else {
    // Closed by `actor` (a care agent); the responder, if any, is recorded.
    event.mutable_progressed()->set_responder(current.responder());
  }
  return absl::OkStatus();
}

absl::Status Rate(const mayday::v1::Rating& rating, const mayday::v1::Case& current,
                  mayday::v1::Case& next, mayday::v1::CaseEvent& event) {
  if (!IsTerminal(current.state())) {
    return absl::FailedPreconditionError(absl::StrCat("the case is ", StateName(current.state()),
                                                      "; it can be rated once it is closed"));
  }
  if (current.has_rating()) {
    return absl::FailedPreconditionError("the case was already rated; a rating is given once");
  }
  *next.mutable_rating() = rating;
  *event.mutable_rated()->mutable_rating() = rating;
  return absl::OkStatus();
}

}  // namespace mayday::server
