// libFuzzer harness: FleetService, the tracking feeds' API. The payload is
// a batch (see fuzz_input.h), written 1 + (bits 3-4 of byte 1)
// times on one ReportPositions stream, as the fleet "fz" (whose crews are
// @1 @2 @3), a responder, an operator, a member, without a token or with a
// token nobody issued. Byte 0 is unused (one RPC).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "fuzz_input.h"
#include "fuzz_world.h"
#include "mayday/v1/fleet_service.grpc.pb.h"
#include "rpc_checks.h"

namespace {

namespace v1 = mayday::v1;
using mayday::fuzz::Caller;
using mayday::fuzz::RpcCall;
using Stub = v1::FleetService::Stub;

constexpr mayday::fuzz::CallerTable kCallers = {
    Caller::kFleet,    Caller::kFleet,   Caller::kFleet,   Caller::kResponder1,
    Caller::kOperator, Caller::kMemberA, Caller::kNoToken, Caller::kBadToken};

// The API's rules for a batch taken whole, read from fleet_service.proto:
// 1 to 1,000 positions, each of a crew "responders/fz-..." with a valid
// location. "" if `batch` keeps them.
std::string BatchFault(const v1::ReportPositionsRequest& batch) {
  if (batch.positions_size() < 1 || batch.positions_size() > 1'000) {
    return "a batch of " + std::to_string(batch.positions_size()) + " positions";
  }
  for (const v1::FleetPosition& p : batch.positions()) {
    if (!absl::StartsWith(p.responder(), "responders/fz-") ||
        p.responder().size() == std::string("responders/fz-").size()) {
      return "a crew outside the fleet: " + p.responder();
    }
    if (!p.has_location() || !mayday::fuzz::IsValidLocation(p.location())) {
      return "a missing or bad location";
    }
  }
  return "";
}

void FuzzReportPositions(const RpcCall& call, Stub& stub) {
  v1::ReportPositionsRequest request;
  v1::ReportPositionsResponse response;
  const std::optional<int> writes =
      mayday::fuzz::FuzzUpload(call, "ReportPositions", stub, &Stub::ReportPositions,
                               mayday::fuzz::Bit(Caller::kFleet), request, response);
  if (!writes.has_value()) return;
  if (std::string fault = BatchFault(request); !fault.empty()) {
    mayday::fuzz::Fail(call.harness, "ReportPositions accepted " + fault, &request);
  }
  const int64_t sent = static_cast<int64_t>(*writes) * request.positions_size();
  if (response.accepted_count() + response.skipped_count() != sent ||
      response.accepted_count() < 0 || response.skipped_count() < 0 ||
      response.clock_off_count() > response.accepted_count() || response.clock_off_count() < 0) {
    mayday::fuzz::Fail(call.harness, "ReportPositions miscounted what it took", &request);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  mayday::fuzz::QuietLibraries();
  mayday::fuzz::World::Get();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto input = mayday::fuzz::SplitInput(data, size);
  if (!input.has_value()) return 0;
  mayday::fuzz::World& world = mayday::fuzz::World::Get();
  world.BeforeInput();
  static Stub* stub = v1::FleetService::NewStub(world.channel()).release();
  const RpcCall call{"fleet_rpc_fuzz", *input, kCallers[input->caller], &world};
  FuzzReportPositions(call, *stub);
  return 0;
}
