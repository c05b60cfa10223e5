// The rows of the authorisation matrix (authz_matrix_test.cc): every RPC
// of every mayday.v1 service, how to call it in a scene (authz_scene.h),
// and the status each principal must get.
#ifndef MAYDAY_TESTS_SERVER_AUTHZ_MATRIX_ROWS_H_
#define MAYDAY_TESTS_SERVER_AUTHZ_MATRIX_ROWS_H_

#include <array>
#include <functional>
#include <vector>

#include "authz_scene.h"
#include "grpcpp/grpcpp.h"

namespace mayday::testing {

using Code = grpc::StatusCode;
using Expected = std::array<Code, kPrincipalCount>;

inline constexpr Code OK = grpc::OK;
inline constexpr Code NF = grpc::NOT_FOUND;
inline constexpr Code PD = grpc::PERMISSION_DENIED;
inline constexpr Code UA = grpc::UNAUTHENTICATED;
inline constexpr Code FP = grpc::FAILED_PRECONDITION;

using CallFn = std::function<grpc::Status(Scene&, Principal)>;

struct Row {
  const char* rpc;  // "Service.Method"
  Service service;
  // May change a case, a token or a crew's standing: each allowed cell gets
  // a fresh scene.
  bool changes;
  CallFn call;
  Expected expected;
  // Runs on each fresh scene before the row's calls (nullptr: nothing).
  std::function<void(Scene&)> prepare = nullptr;
};

// One row per RPC, in the services' order.
std::vector<Row> Rows();
// OperatorService's webhook rows (authz_matrix_webhook_rows.cc), which
// Rows() appends after the other operator rows.
void AddWebhookRows(std::vector<Row>& rows);

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_SERVER_AUTHZ_MATRIX_ROWS_H_
