// The case life cycle rules, table by table.
#include "cases/case_rules.h"

#include <catch2/catch.hpp>

namespace mayday::server {
namespace {

using S = mayday::v1::CaseState;
constexpr S kDispatching = mayday::v1::CASE_STATE_DISPATCHING;
constexpr S kAssigned = mayday::v1::CASE_STATE_ASSIGNED;
constexpr S kEnRoute = mayday::v1::CASE_STATE_EN_ROUTE;
constexpr S kOnScene = mayday::v1::CASE_STATE_ON_SCENE;
constexpr S kResolved = mayday::v1::CASE_STATE_RESOLVED;
constexpr S kCancelled = mayday::v1::CASE_STATE_CANCELLED;
constexpr S kEscalated = mayday::v1::CASE_STATE_ESCALATED;

TEST_CASE("CheckProgress allows only forward steps of an assigned case") {
  using absl::StatusCode;
  auto [from, to, code] = GENERATE(table<S, S, StatusCode>({
      {kAssigned, kEnRoute, StatusCode::kOk},
      {kAssigned, kOnScene, StatusCode::kOk},
      {kAssigned, kResolved, StatusCode::kOk},
      {kEnRoute, kOnScene, StatusCode::kOk},
      {kEnRoute, kResolved, StatusCode::kOk},
      {kOnScene, kResolved, StatusCode::kOk},
      {kEnRoute, kEnRoute, StatusCode::kFailedPrecondition},
      {kOnScene, kEnRoute, StatusCode::kFailedPrecondition},
      {kDispatching, kEnRoute, StatusCode::kFailedPrecondition},
      {kEscalated, kOnScene, StatusCode::kFailedPrecondition},
      {kResolved, kResolved, StatusCode::kFailedPrecondition},
      {kCancelled, kEnRoute, StatusCode::kFailedPrecondition},
      {kAssigned, kAssigned, StatusCode::kInvalidArgument},
      {kAssigned, kCancelled, StatusCode::kInvalidArgument},
      {kAssigned, kDispatching, StatusCode::kInvalidArgument},
      {kAssigned, mayday::v1::CASE_STATE_UNSPECIFIED, StatusCode::kInvalidArgument},
  }));
  CAPTURE(StateName(from), StateName(to));
  CHECK(CheckProgress(from, to).code() == code);
}

TEST_CASE("Open cases can be cancelled and moved, closed ones can't") {
  auto [state, open] = GENERATE(table<S, bool>({
      {kDispatching, true},
      {kAssigned, true},
      {kEnRoute, true},
      {kOnScene, true},
      {kEscalated, true},
      {kResolved, false},
      {kCancelled, false},
  }));
  CAPTURE(StateName(state));
  CHECK(CheckCancel(state).ok() == open);
  CHECK(CheckMove(state).ok() == open);
  CHECK(IsTerminal(state) == !open);
  if (!open) CHECK(CheckCancel(state).code() == absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace mayday::server
