// The commands of maydayctl, the care agents' CLI against OperatorService.
// Each prints its result to stdout (a table, or JSON with --output json) and
// returns the failed call's status; main() turns that into
// "maydayctl: <CODE>: <message>" and exit code 1.
#ifndef MAYDAY_TOOLS_MAYDAYCTL_COMMANDS_H_
#define MAYDAY_TOOLS_MAYDAYCTL_COMMANDS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "mayday/v1/operator_service.pb.h"
#include "mayday/v1/resources.pb.h"
#include "maydayctl/rpc.h"

namespace mayday::tools {

// What every command needs: where the server is, who the caller is, how to
// print.
struct CtlOptions {
  ServerOptions server;
  // The operator's bearer token.
  std::string token;
  // Print JSON (one object per response, or per event for watch) instead of
  // tables.
  bool json = false;
  // Deadline of each unary call; zero or infinite means none. Streams have
  // no deadline.
  absl::Duration timeout = absl::Seconds(10);
};

// Filter and paging of `cases list`.
struct CaseListQuery {
  std::vector<mayday::v1::CaseState> states;
  mayday::v1::CaseKind kind = mayday::v1::CASE_KIND_UNSPECIFIED;
  // "members/{id}" / "responders/{id}"; empty: any.
  std::string member;
  std::string responder;
  // Only cases created within this long before now (`--since`), and only
  // cases older than this (`--older-than`); zero: no bound.
  absl::Duration newer_than;
  absl::Duration older_than;
  int page_size = 0;
  std::string page_token;
  // Follow next_page_token to the end (JSON prints all cases as one object).
  bool all = false;
};

// `cases list`: one page (and, in table mode, a hint on stderr with the next
// page's token) or, with query.all, every page.
absl::Status ListCases(const CtlOptions& options, const CaseListQuery& query);

// `cases show`: the case's fields, where its crew is now (while ASSIGNED or
// EN_ROUTE: distance left and an ETA recomputed from its position), its
// whole timeline, the crew's track and the internal notes. `case_name` is
// "cases/{id}". In JSON: {"case": {...}, "events": [...], "notes": [...],
// "track": [...], "crew_now": {...} or null}.
absl::Status ShowCase(const CtlOptions& options, const std::string& case_name);

// `cases crew`: where the crew coming to the case is, a line at once and
// then whenever it moved 100 m or 10 s passed (OperatorService.WatchCrew),
// until it is on scene or the case is over (or Ctrl-C). JSON: one
// CrewPosition per line.
absl::Status WatchCaseCrew(const CtlOptions& options, const std::string& case_name);

// `cases message`: posts `text` on the case (OperatorService.PostMessage)
// for the member and the assigned responder; prints the committed event as a
// timeline line (JSON: the CaseEvent). FAILED_PRECONDITION once the case is
// closed.
absl::Status PostCaseMessage(const CtlOptions& options, const std::string& case_name,
                             const std::string& text);

// `cases note`: adds an internal note (CreateCaseNote), seen by care agents
// only; prints it (JSON: the CaseNote).
absl::Status AddCaseNote(const CtlOptions& options, const std::string& case_name,
                         const std::string& text);

// `cases cancel`: cancels an open case with `reason` (CancelCase), as a
// false alarm if `false_alarm`; prints the case (JSON: the Case).
// FAILED_PRECONDITION if it is already closed.
absl::Status CancelCase(const CtlOptions& options, const std::string& case_name,
                        const std::string& reason, bool false_alarm);

// `cases resolve`: closes an open case as RESOLVED (ResolveCase); prints the
// case (JSON: the Case). FAILED_PRECONDITION if it is already closed.
absl::Status ResolveCase(const CtlOptions& options, const std::string& case_name);

// `cases take`, `cases release`, `cases escalate` and `cases assign`: the
// OperatorService calls of the same names (see operator_service.proto for
// what each allows); each prints the case as the server left it (JSON: the
// Case). FAILED_PRECONDITION, with the server's reason, when the case or
// responder does not allow it.
absl::Status TakeCase(const CtlOptions& options, const std::string& case_name);
absl::Status ReleaseCase(const CtlOptions& options, const std::string& case_name);
absl::Status EscalateCase(const CtlOptions& options, const std::string& case_name,
                          const std::string& reason);
// `responder_name` is "responders/{id}".
absl::Status AssignCase(const CtlOptions& options, const std::string& case_name,
                        const std::string& responder_name);
// `cases export --format cap`: the case (GetCase) as an OASIS CAP 1.2 alert
// on stdout,
// `sender` as its <sender> (mayday/exports/cap.h). INVALID_ARGUMENT for a
// bad sender.
absl::Status ExportCaseCap(const CtlOptions& options, const std::string& case_name,
                           const std::string& sender);
// `cases export --format eido`: the case, its timeline (ListCaseEvents) and
// its crews' capabilities (GetResponder) as a NENA EIDO JSON document,
// `agency` its agency (mayday/exports/eido.h).
absl::Status ExportCaseEido(const CtlOptions& options, const std::string& case_name,
                            const std::string& agency);

// `cases keep`: KeepCrew, `responder_name` ("responders/{id}") stays.
absl::Status KeepCrew(const CtlOptions& options, const std::string& case_name,
                      const std::string& responder_name);

// `responders show`: one responder (GetResponder) and the cases assigned to
// it (ListCases by responder). JSON: {"responder": ..., "cases": [...]}.
absl::Status ShowResponder(const CtlOptions& options, const std::string& responder_name);

// `members show`: every case of the member ("members/{id}"), every message
// on them and every rating (people.h). Reading a member's record is a
// privileged act; the server answers it like any operator read.
absl::Status ShowMember(const CtlOptions& options, const std::string& member_name);

// `members medical-profile`: the member's ("members/{id}") medical profile,
// if it keeps one; the server audits the read.
absl::Status ShowMedicalProfile(const CtlOptions& options, const std::string& member_name);

// `tokens create|list|revoke` (admin tokens only). Create prints the new
// token's secret on the first line of stdout (so scripts can capture it)
// and its record on stderr; JSON: the CreateTokenResponse. `expires_in`
// empty: valid until revoked; otherwise how long it is valid ("8h", "90m",
// "30d").
absl::Status CreateToken(const CtlOptions& options, mayday::v1::Role role,
                         const std::string& subject, const std::string& expires_in = "");
absl::Status ListTokens(const CtlOptions& options);
// `token_name` is "tokens/{id}"; prints the revoked token's record.
absl::Status RevokeToken(const CtlOptions& options, const std::string& token_name);

// `audit list` (admin tokens only): every entry of the audit trail, oldest
// first, following all pages (JSON: one ListAuditEntriesResponse).
absl::Status ListAuditEntries(const CtlOptions& options);
// Heads for `audit verify` recorded earlier (maydayd's log line, or an
// earlier verify): an audit entry and a case history commit, each with its
// hash; sequence 0: none.
struct HistoryHeadArgs {
  int64_t audit_sequence = 0;
  std::string audit_hash;
  int64_t case_sequence = 0;
  std::string case_hash;
};

// `--audit-head` and `--case-head` as typed, "SEQUENCE:HASH" or empty.
// INVALID_ARGUMENT naming the flag if one is not of that form (the server
// checks the hash).
absl::StatusOr<HistoryHeadArgs> ParseHistoryHeads(const std::string& audit_head,
                                                  const std::string& case_head);

// `audit verify` (admin tokens only): the server checks the audit trail's
// hash chain and the case history's (each case's events, the chain of
// commits), and that the heads given are still in them. Intact: prints the
// counts and both heads, returns OK. Broken: DATA_LOSS naming the first
// broken entry, or case and event, or commit, and what is wrong (so
// maydayctl exits 1); INVALID_ARGUMENT for a malformed head. JSON: the
// VerifyAuditTrailResponse, then the same.
absl::Status VerifyAuditTrail(const CtlOptions& options, const HistoryHeadArgs& heads);

// `stats`: the figures of stats.h over the cases created in the last
// `window`, computed here from ListCases (newest first, so paging stops at
// the first older case) and one ListCaseEvents per case. Table, or the
// stable JSON object of FormatStatsJson.
absl::Status ShowStats(const CtlOptions& options, absl::Duration window);

// `export --format geojson`: every open case (DISPATCHING, ASSIGNED,
// EN_ROUTE, ON_SCENE, ESCALATED) and every located responder as one GeoJSON
// FeatureCollection on stdout (geojson.h). options.json does not apply.
absl::Status ExportGeoJson(const CtlOptions& options);

// `responders list`: every responder, following all pages.
absl::Status ListResponders(const CtlOptions& options);
// `timers list`: members' safety timers, the running ones first (soonest
// deadline first), then the latest ended or fired.
absl::Status ListTimers(const CtlOptions& options);

// `cases watch`: a live tail of every case event until SIGINT or SIGTERM
// (then OK). Reconnects with backoff when the stream breaks with
// UNAVAILABLE; other errors are returned. Must be called before this process
// creates any other thread or gRPC channel: it blocks SIGINT and SIGTERM in
// the calling thread so that the threads it starts inherit the mask.
absl::Status WatchCases(const CtlOptions& options);

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_MAYDAYCTL_COMMANDS_H_
