// maydayctl's read commands: cases list, cases show, responders list. (cases
// watch lives in watch.cc, the commands that change a case in actions.cc,
// stats and export in report.cc.)
#include "maydayctl/commands.h"

#include <iostream>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "mayday/sdk/event_text.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "maydayctl/format.h"
#include "maydayctl/operator_call.h"
#include "maydayctl/views.h"

namespace mayday::tools {
namespace {

namespace v1 = ::mayday::v1;

// How long `cases show` waits for where the crew is: it comes at once when
// the crew has a position.
constexpr absl::Duration kCrewNowWait = absl::Seconds(2);

}  // namespace

absl::Status ListCases(const CtlOptions& options, const CaseListQuery& query) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::ListAllCasesRequest request;
  for (v1::CaseState state : query.states) request.add_states(state);
  request.set_kind(query.kind);
  request.set_member(query.member);
  request.set_responder(query.responder);
  const absl::Time now = absl::Now();
  if (query.newer_than > absl::ZeroDuration()) {
    *request.mutable_min_create_time() = ToTimestamp(now - query.newer_than);
  }
  if (query.older_than > absl::ZeroDuration()) {
    *request.mutable_max_create_time() = ToTimestamp(now - query.older_than);
  }
  request.set_page_size(query.page_size);
  request.set_page_token(query.page_token);

  v1::ListCasesResponse all;
  while (true) {
    v1::ListCasesResponse page;
    absl::Status status =
        FromGrpc((*stub)->ListCases(NewCallContext(options).get(), request, &page));
    if (!status.ok()) return status;
    all.mutable_cases()->MergeFrom(page.cases());
    all.set_next_page_token(page.next_page_token());
    if (!query.all || page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }

  if (options.json) return PrintJson(all);
  std::cout << FormatCaseTable(all, absl::Now());
  if (!all.next_page_token().empty()) {
    std::cerr << "more cases: add --page-token " << all.next_page_token() << " (or --all)\n";
  }
  return absl::OkStatus();
}

absl::Status ShowCase(const CtlOptions& options, const std::string& case_name) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();

  absl::StatusOr<v1::Case> found = GetCase(**stub, options, case_name);
  if (!found.ok()) return found.status();
  const v1::Case& the_case = *found;

  absl::StatusOr<v1::ListCaseEventsResponse> timeline =
      ListAllCaseEvents(**stub, options, case_name);
  if (!timeline.ok()) return timeline.status();

  v1::ListCaseNotesRequest list_notes;
  list_notes.set_parent(case_name);
  v1::ListCaseNotesResponse notes;
  absl::Status status =
      FromGrpc((*stub)->ListCaseNotes(NewCallContext(options).get(), list_notes, &notes));
  if (!status.ok()) return status;

  v1::ListCaseTrackRequest get_track;
  get_track.set_parent(case_name);
  v1::ListCaseTrackResponse track;
  status = FromGrpc((*stub)->ListCaseTrack(NewCallContext(options).get(), get_track, &track));
  if (!status.ok()) return status;

  // Where the crew coming is now: the first message of the desk's crew
  // stream, sent at once while the case is ASSIGNED or EN_ROUTE.
  std::optional<v1::CrewPosition> crew_now;
  if (the_case.state() == v1::CASE_STATE_ASSIGNED || the_case.state() == v1::CASE_STATE_EN_ROUTE) {
    grpc::ClientContext context;
    PrepareContext(&context, options.token, kCrewNowWait);
    v1::WatchCrewRequest watch;
    watch.set_name(case_name);
    auto reader = (*stub)->WatchCrew(&context, watch);
    v1::CrewPosition position;
    if (reader->Read(&position)) crew_now = position;
    context.TryCancel();
    while (reader->Read(&position)) {
    }
    (void)reader->Finish();  // cancelled, or the crew has no position yet
  }

  if (options.json) {
    absl::StatusOr<std::string> case_json = ToJson(the_case);
    if (!case_json.ok()) return case_json.status();
    absl::StatusOr<std::string> events_json = ToJsonArray(timeline->events());
    if (!events_json.ok()) return events_json.status();
    absl::StatusOr<std::string> notes_json = ToJsonArray(notes.notes());
    if (!notes_json.ok()) return notes_json.status();
    absl::StatusOr<std::string> track_json = ToJsonArray(track.points());
    if (!track_json.ok()) return track_json.status();
    std::string crew_json = "null";
    if (crew_now.has_value()) {
      absl::StatusOr<std::string> json = ToJson(*crew_now);
      if (!json.ok()) return json.status();
      crew_json = *json;
    }
    std::cout << "{\"case\":" << *case_json << ",\"events\":" << *events_json
              << ",\"notes\":" << *notes_json << ",\"track\":" << *track_json
              << ",\"crew_now\":" << crew_json << "}\n";
    return absl::OkStatus();
  }
  const absl::TimeZone zone = absl::LocalTimeZone();
  std::cout << FormatCaseDetails(the_case, absl::Now(), zone);
  if (crew_now.has_value()) std::cout << "crew now: " << sdk::FormatCrewLine(*crew_now) << "\n";
  std::cout << "\ntimeline:\n"
            << FormatTimeline(*timeline, zone) << "\ncrew track:\n"
            << FormatTrack(track, zone) << "\nnotes (internal):\n"
            << FormatNotes(notes, zone);
  return absl::OkStatus();
}

absl::Status WatchCaseCrew(const CtlOptions& options, const std::string& case_name) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  grpc::ClientContext context;
  PrepareContext(&context, options.token, absl::ZeroDuration());
  v1::WatchCrewRequest watch;
  watch.set_name(case_name);
  auto reader = (*stub)->WatchCrew(&context, watch);
  const absl::TimeZone zone = absl::LocalTimeZone();
  v1::CrewPosition position;
  while (reader->Read(&position)) {
    if (options.json) {
      absl::StatusOr<std::string> json = ToJson(position);
      if (!json.ok()) return json.status();
      std::cout << *json << std::endl;
    } else {
      std::cout << FormatTimestamp(ToTimestamp(absl::Now()), "%H:%M:%S", zone) << "  "
                << sdk::FormatCrewLine(position) << std::endl;
    }
    if (!std::cout) break;  // stdout closed (piped into head)
  }
  context.TryCancel();
  return FromGrpc(reader->Finish());
}

absl::Status ListResponders(const CtlOptions& options) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  absl::StatusOr<v1::ListRespondersResponse> all = ListAllResponders(**stub, options);
  if (!all.ok()) return all.status();
  if (options.json) return PrintJson(*all);
  std::cout << FormatResponderTable(*all, absl::Now());
  return absl::OkStatus();
}

absl::Status ListTimers(const CtlOptions& options) {
  auto stub = ConnectOperator(options);
  if (!stub.ok()) return stub.status();
  v1::ListSafetyTimersRequest request;
  request.set_page_size(1000);
  v1::ListSafetyTimersResponse timers;
  if (absl::Status s =
          FromGrpc((*stub)->ListSafetyTimers(NewCallContext(options).get(), request, &timers));
      !s.ok()) {
    return s;
  }
  if (options.json) return PrintJson(timers);
  std::cout << FormatTimerTable(timers, absl::Now());
  return absl::OkStatus();
}

}  // namespace mayday::tools
