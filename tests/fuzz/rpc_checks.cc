// Checking maydayd's answers to fuzz inputs; see rpc_checks.h.
#include "rpc_checks.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace mayday::fuzz {

bool ReadRequest(const RpcCall& call, google::protobuf::Message* request) {
  if (!ParsePayload(call.input, request)) return false;
  call.world->Substitute(request);
  return true;
}

void CheckStatus(const RpcCall& call, absl::string_view rpc, Callers allowed,
                 const grpc::Status& status, const google::protobuf::Message& request,
                 bool stream) {
  static const bool verbose = std::getenv("MAYDAY_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "%.*s as %d: %d %s | %s\n", static_cast<int>(rpc.size()), rpc.data(),
                 static_cast<int>(call.caller), status.error_code(), status.error_message().c_str(),
                 request.ShortDebugString().c_str());
  }
  const auto fail = [&](absl::string_view why) {
    Fail(call.harness,
         absl::StrCat(rpc, " as caller ", static_cast<int>(call.caller), ": ", why, " (code ",
                      status.error_code(), ": \"", status.error_message(), "\")"),
         &request);
  };
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:  // a rate limit or a stream cap
    case grpc::StatusCode::ABORTED:
      break;
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      if (stream) return;  // the harness ended it
      fail("a unary call was not answered in time");
    default:
      fail("a status code no valid or invalid request should get");
  }
  if (!status.ok() && status.error_message().empty()) fail("an error without a message");
  if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) return;
  const bool authenticated = call.caller != Caller::kNoToken && call.caller != Caller::kBadToken;
  if (!authenticated) {
    if (status.error_code() != grpc::StatusCode::UNAUTHENTICATED) {
      fail("a call without a valid token must be UNAUTHENTICATED");
    }
    return;
  }
  if ((allowed & Bit(call.caller)) == 0 &&
      status.error_code() != grpc::StatusCode::PERMISSION_DENIED) {
    fail("a caller whose role may not make this call must get PERMISSION_DENIED");
  }
}

bool IsValidTimestamp(const google::protobuf::Timestamp& time) {
  return time.seconds() >= 0 && time.seconds() <= 253402300799 && time.nanos() >= 0 &&
         time.nanos() <= 999999999;
}

bool IsValidLocation(const mayday::v1::Location& location) {
  const double latitude = location.latitude();
  const double longitude = location.longitude();
  const double accuracy = location.horizontal_accuracy_meters();
  return std::isfinite(latitude) && latitude >= -90 && latitude <= 90 && std::isfinite(longitude) &&
         longitude >= -180 && longitude <= 180 && std::isfinite(accuracy) && accuracy >= 0 &&
         (!location.has_fix_time() || IsValidTimestamp(location.fix_time()));
}

bool IsValidText(const std::string& text) { return text.size() <= 1000; }

bool IsValidMessageText(const std::string& text) { return !text.empty() && text.size() <= 1000; }

bool IsCaseName(const std::string& name) {
  if (!absl::StartsWith(name, "cases/")) return false;
  const std::string id = name.substr(6);
  if (id.size() != 46 && id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace mayday::fuzz
