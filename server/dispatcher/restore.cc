// Rebuilding the engine from the store; see restore.h.
#include "dispatcher/restore.h"

#include <algorithm>
#include <utility>

#include "api/names.h"
#include "api/proto_time.h"
#include "cases/case_rules.h"
#include "dispatcher/mapping.h"

namespace mayday::server {

using mayday::v1::CaseEvent;

absl::StatusOr<RestoredCases> RestoreOpenCases(Store& store, dispatch::Engine& engine) {
  auto open = store.ListOpenCases();
  if (!open.ok()) return open.status();
  RestoredCases restored;
  restored.open_cases = open->size();
  for (const OpenCase& open_case : *open) {
    const mayday::v1::Case& c = open_case.snapshot;
    const std::string id = CaseIdFromName(c.name());
    const absl::Time raised = FromProtoTime(c.create_time());
    const dispatch::CaseKind kind = ToEngineKind(c.kind());
    const dispatch::GeoPoint where = ToGeoPoint(c.location());
    if (IsAssigned(c.state())) {
      auto s = engine.AddAssignedCase(id, kind, where, raised, ResponderIdFromName(c.responder()));
      if (s.ok() && !c.second_responder().empty()) {
        s = engine.AddSecondAssigned(id, ResponderIdFromName(c.second_responder()));
      } else if (s.ok() && c.stall().second_crew_sought() &&
                 c.state() != mayday::v1::CASE_STATE_ON_SCENE) {
        s = engine.SeekSecond(id);
      }
      if (!s.ok()) return s;
      absl::Time assigned_at = raised;
      std::string open_second_offer;
      for (const CaseEvent& e : open_case.events) {
        if (e.has_assigned() && !e.assigned().second_crew()) {
          assigned_at = FromProtoTime(e.event_time());
        }
        if (e.has_offered() && e.offered().second_crew())
          open_second_offer = e.offered().responder();
        if (e.has_offer_ended() || e.has_assigned()) open_second_offer.clear();
      }
      if (!open_second_offer.empty()) {
        restored.lapsed.push_back({id, std::move(open_second_offer), /*second_crew=*/true});
      }
      if (c.state() == mayday::v1::CASE_STATE_ON_SCENE) continue;
      restored.on_the_way.push_back({id, ResponderIdFromName(c.responder()), where,
                                     absl::Seconds(c.eta_seconds()), assigned_at});
      continue;
    }
    // The timeline says whom the case was offered to (never again), and
    // whether an offer was left unanswered when the server stopped.
    std::vector<dispatch::ResponderId> tried;
    std::string open_offer;
    for (const CaseEvent& e : open_case.events) {
      if (e.has_offered()) {
        open_offer = e.offered().responder();
        tried.push_back(ResponderIdFromName(open_offer));
      }
      // An offer a care agent withdrew, or that ended because the member
      // moved away, does not count as tried: the crew never said no.
      if (e.has_offer_ended() &&
          (e.offer_ended().reason() == CaseEvent::OfferEnded::REASON_WITHDRAWN ||
           e.offer_ended().reason() == CaseEvent::OfferEnded::REASON_MEMBER_MOVED)) {
        std::erase(tried, ResponderIdFromName(e.offer_ended().responder()));
      }
      if (e.has_offer_ended() || e.has_assigned()) open_offer.clear();
    }
    if (!open_offer.empty()) restored.lapsed.push_back({id, std::move(open_offer), false});
    auto s = c.state() == mayday::v1::CASE_STATE_ESCALATED
                 ? engine.AddEscalatedCase(id, kind, where, raised, tried)
                 : engine.AddCase(id, kind, where, raised, tried);
    // A case a care agent owns stays out of automatic matching.
    if (s.ok() && !c.operator_().empty()) s = engine.Hold(id);
    if (!s.ok()) return s;
  }
  return restored;
}

}  // namespace mayday::server
