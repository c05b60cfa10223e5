// Small builders of Mayday protos shared by the tools tests: timestamps,
// locations and one case event of each kind.
#ifndef MAYDAY_TESTS_TOOLS_TEST_PROTOS_H_
#define MAYDAY_TESTS_TOOLS_TEST_PROTOS_H_

#include <cstdint>
#include <string>

#include "google/protobuf/timestamp.pb.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::tools::testing {

namespace v1 = ::mayday::v1;

// 2024-05-01 12:00:00 UTC.
inline constexpr int64_t kNoon = 1714564800;

inline google::protobuf::Timestamp At(int64_t seconds) {
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  return timestamp;
}

inline v1::Location Loc(double latitude, double longitude, double accuracy = 0) {
  v1::Location location;
  location.set_latitude(latitude);
  location.set_longitude(longitude);
  location.set_horizontal_accuracy_meters(accuracy);
  return location;
}

// One event of each kind of change, named by `text_proto_kind` ("raised",
// "offered", "ended-declined", ..., "message-member", "rated", "taken");
// cases/ab12, sequence 3, 12:00:05, DISPATCHING, by dispatch unless the kind
// needs otherwise. An unknown kind leaves the change unset.
inline v1::CaseEvent Event(const std::string& text_proto_kind) {
  v1::CaseEvent event;
  event.set_case_("cases/ab12");
  event.set_sequence(3);
  event.mutable_event_time()->CopyFrom(At(kNoon + 5));
  event.set_state(v1::CASE_STATE_DISPATCHING);
  event.set_actor("dispatch");
  if (text_proto_kind == "raised") {
    auto* raised = event.mutable_raised();
    raised->set_kind(v1::CASE_KIND_MEDICAL);
    *raised->mutable_location() = Loc(52.37, 4.89, 15);
    raised->set_note("blue car\n\033[2J");
  } else if (text_proto_kind == "offered") {
    auto* offered = event.mutable_offered();
    offered->set_responder("responders/r-2");
    offered->set_distance_meters(1234);
    offered->set_eta_seconds(125);
  } else if (text_proto_kind.starts_with("ended")) {
    auto* ended = event.mutable_offer_ended();
    ended->set_responder("responders/r-3");
    if (text_proto_kind == "ended-declined") {
      ended->set_reason(v1::CaseEvent::OfferEnded::REASON_DECLINED);
    } else if (text_proto_kind == "ended-expired") {
      ended->set_reason(v1::CaseEvent::OfferEnded::REASON_EXPIRED);
    } else if (text_proto_kind == "ended-unavailable") {
      ended->set_reason(v1::CaseEvent::OfferEnded::REASON_RESPONDER_UNAVAILABLE);
    }
  } else if (text_proto_kind.starts_with("assigned")) {
    event.set_state(v1::CASE_STATE_ASSIGNED);
    auto* assigned = event.mutable_assigned();
    assigned->set_responder("responders/r-2");
    assigned->set_distance_meters(640);
    assigned->set_eta_seconds(45);
    if (text_proto_kind == "assigned-from") {
      *assigned->mutable_responder_location() = Loc(52.366, 4.885);
    }
  } else if (text_proto_kind.starts_with("progressed")) {
    event.mutable_progressed()->set_responder("responders/r-2");
    if (text_proto_kind == "progressed-en-route") {
      event.set_state(v1::CASE_STATE_EN_ROUTE);
    } else if (text_proto_kind == "progressed-on-scene") {
      event.set_state(v1::CASE_STATE_ON_SCENE);
    } else {
      event.set_state(v1::CASE_STATE_RESOLVED);
    }
    if (text_proto_kind == "progressed-on-scene-at") {
      event.set_state(v1::CASE_STATE_ON_SCENE);
      *event.mutable_progressed()->mutable_responder_location() = Loc(52.37, 4.89);
    }
    if (text_proto_kind == "progressed-resolved-by-operator") {
      event.set_actor("operators/desk");
      event.mutable_progressed()->clear_responder();
    }
  } else if (text_proto_kind == "moved") {
    *event.mutable_location_updated()->mutable_location() = Loc(52.5, 4.9);
  } else if (text_proto_kind == "cancelled") {
    event.set_state(v1::CASE_STATE_CANCELLED);
    event.mutable_cancelled()->set_reason("false alarm");
  } else if (text_proto_kind == "cancelled-false-alarm") {
    event.set_state(v1::CASE_STATE_CANCELLED);
    event.mutable_cancelled()->set_reason("pocket press");
    event.mutable_cancelled()->set_false_alarm(true);
  } else if (text_proto_kind == "cancelled-silently") {
    event.set_state(v1::CASE_STATE_CANCELLED);
    event.mutable_cancelled();
  } else if (text_proto_kind == "escalated") {
    event.set_state(v1::CASE_STATE_ESCALATED);
    event.mutable_escalated()->set_reason("no ambulance within 50 km");
  } else if (text_proto_kind == "redispatched") {
    event.mutable_redispatched();
  } else if (text_proto_kind.starts_with("message")) {
    const bool member = text_proto_kind == "message-member";
    event.set_actor(member ? "members/m-1" : "operators/desk");
    event.mutable_message_posted()->set_author(event.actor());
    event.mutable_message_posted()->set_text(member ? "I am \"behind\" the\ttruck"
                                                    : "help is coming");
  } else if (text_proto_kind.starts_with("rated")) {
    event.set_state(v1::CASE_STATE_RESOLVED);
    event.set_actor("members/m-1");
    auto* rating = event.mutable_rated()->mutable_rating();
    rating->set_stars(4);
    if (text_proto_kind == "rated") rating->set_comment("quick\nand kind");
  } else if (text_proto_kind == "taken") {
    event.set_actor("operators/desk");
    event.mutable_taken()->set_operator_("operators/desk");
  } else if (text_proto_kind == "released") {
    event.set_actor("operators/desk-2");
    event.mutable_released()->set_operator_("operators/desk");
  }
  return event;
}

}  // namespace mayday::tools::testing

#endif  // MAYDAY_TESTS_TOOLS_TEST_PROTOS_H_
