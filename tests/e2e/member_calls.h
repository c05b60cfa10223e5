// A member's calls to a real maydayd, as its phone makes them, for the
// end-to-end tests.
#ifndef MAYDAY_TESTS_E2E_MEMBER_CALLS_H_
#define MAYDAY_TESTS_E2E_MEMBER_CALLS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::testing {

// A context for a call as the holder of `token`, with a deadline `timeout`
// from now.
std::unique_ptr<grpc::ClientContext> As(const std::string& token,
                                        absl::Duration timeout = absl::Seconds(10));

// RaiseAlert with `request_id`: a medical alert in Paris, as `token`'s
// member, waiting up to 10 s. The case acknowledged goes to `out`.
grpc::Status Raise(const std::string& address, const std::string& token,
                   const std::string& request_id, mayday::v1::Case* out);

// The names of the member's cases (ListCases, one page), newest first.
grpc::Status ListOwnCases(const std::string& address, const std::string& token,
                          std::vector<std::string>* names);

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_E2E_MEMBER_CALLS_H_
