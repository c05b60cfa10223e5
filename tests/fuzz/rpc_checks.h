// Calling maydayd from a fuzz input and checking the answer. Whatever the
// request, an answer must be one the API documents: a status code a client
// can act on (never UNKNOWN, INTERNAL, DATA_LOSS or UNIMPLEMENTED, never
// UNAVAILABLE from a live server, never a unary call left to its deadline),
// with a message when it is not OK; UNAUTHENTICATED without a valid token,
// PERMISSION_DENIED for the wrong role; and OK only when the request is
// valid, which each harness checks with its own, independent, reading of
// the API's rules (an "oracle"). Any breach aborts, so libFuzzer keeps the
// input.
#ifndef MAYDAY_TESTS_FUZZ_RPC_CHECKS_H_
#define MAYDAY_TESTS_FUZZ_RPC_CHECKS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "fuzz_input.h"
#include "fuzz_world.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/resources.pb.h"
#include "test_server.h"

namespace mayday::fuzz {

// A set of callers, as bits.
using Callers = uint32_t;
constexpr Callers Bit(Caller caller) { return 1u << static_cast<int>(caller); }
constexpr Callers kMembers = Bit(Caller::kMemberA) | Bit(Caller::kMemberB);
constexpr Callers kResponders = Bit(Caller::kResponder1) | Bit(Caller::kResponder2);
constexpr Callers kOperators = Bit(Caller::kOperator) | Bit(Caller::kAdmin);
constexpr Callers kAdmins = Bit(Caller::kAdmin);

// One input on its way to the server.
struct RpcCall {
  absl::string_view harness;
  FuzzInput input;
  Caller caller;
  World* world;
};

// Parses the input's request and resolves its "@x" names; false to skip it.
bool ReadRequest(const RpcCall& call, google::protobuf::Message* request);

// Checks the status of `rpc` (see the file comment); `allowed` are the
// callers whose role may succeed. Streams may also end CANCELLED or
// DEADLINE_EXCEEDED (the harness cancels them or gives them a short
// deadline). Aborts on a breach. With MAYDAY_FUZZ_VERBOSE set in the
// environment, prints every call and its answer (to debug a harness).
void CheckStatus(const RpcCall& call, absl::string_view rpc, Callers allowed,
                 const grpc::Status& status, const google::protobuf::Message& request, bool stream);

// An oracle: "" if OK is a right answer to `request` with `response`, else
// what is wrong.
template <typename Request, typename Response>
using Oracle = std::function<std::string(const Request&, const Response&)>;

// Fuzzes one unary RPC: reads the request, calls `method` on `stub` as the
// input's caller, checks the status, then (when OK) the oracle, and marks
// the world changed if `mutates`.
template <typename Stub, typename Request, typename Response>
void FuzzUnary(const RpcCall& call, absl::string_view rpc, Stub& stub,
               grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
               Callers allowed, bool mutates, Oracle<Request, Response> oracle = nullptr) {
  Request request;
  if (!ReadRequest(call, &request)) return;
  auto context = testing::Call(call.world->Token(call.caller));
  Response response;
  const grpc::Status status = (stub.*method)(context.get(), request, &response);
  CheckStatus(call, rpc, allowed, status, request, /*stream=*/false);
  if (!status.ok()) return;
  if (mutates) call.world->MarkChanged();
  if (oracle) {
    if (std::string wrong = oracle(request, response); !wrong.empty()) {
      Fail(call.harness, std::string(rpc) + " answered OK, but " + wrong, &request);
    }
  }
}

// Fuzzes one client-streaming RPC: reads `request`, writes it 1 + (bits 3-4
// of byte 1) times on one stream opened by `method` as the input's caller,
// closes it and checks the status as a unary call's. When OK, marks the world
// changed and returns how many were written (for the oracle, with
// `response`); nullopt otherwise.
template <typename Stub, typename Request, typename Response>
std::optional<int> FuzzUpload(
    const RpcCall& call, absl::string_view rpc, Stub& stub,
    std::unique_ptr<grpc::ClientWriter<Request>> (Stub::*method)(grpc::ClientContext*, Response*),
    Callers allowed, Request& request, Response& response) {
  if (!ReadRequest(call, &request)) return std::nullopt;
  auto context = testing::Call(call.world->Token(call.caller));
  auto writer = (stub.*method)(context.get(), &response);
  const int writes = 1 + (call.input.number & 3);
  for (int i = 0; i < writes && writer->Write(request); ++i) {
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  CheckStatus(call, rpc, allowed, status, request, /*stream=*/false);
  if (!status.ok()) return std::nullopt;
  call.world->MarkChanged();
  return writes;
}

// Independent readings of the API's field rules, for the oracles.
// A location with finite latitude in [-90, 90], longitude in [-180, 180],
// accuracy >= 0 and, if set, a fix_time between 1970 and 9999.
bool IsValidLocation(const mayday::v1::Location& location);
// A timestamp between 1970 and 9999 with nanos in 0..999999999.
bool IsValidTimestamp(const google::protobuf::Timestamp& time);
// At most 1000 bytes.
bool IsValidText(const std::string& text);
// 1 to 1000 bytes.
bool IsValidMessageText(const std::string& text);
// "cases/" then 46 (or, for old cases, 32) lowercase hex digits.
bool IsCaseName(const std::string& name);

}  // namespace mayday::fuzz

#endif  // MAYDAY_TESTS_FUZZ_RPC_CHECKS_H_
