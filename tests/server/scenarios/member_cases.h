// A member's cases as the member sees them, for Catch2 tests (header-only:
// the fuzz harnesses share test_server.cc without Catch2).
#ifndef MAYDAY_TESTS_SERVER_MEMBER_CASES_H_
#define MAYDAY_TESTS_SERVER_MEMBER_CASES_H_

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "test_server.h"

namespace mayday::testing {

// The cases of the member holding `token`, as AlertService.ListCases lists
// them (newest first, up to 100); fails the test if the call fails.
inline std::vector<mayday::v1::Case> MemberCases(TestServer& server, const std::string& token) {
  mayday::v1::ListCasesRequest request;
  request.set_page_size(100);
  mayday::v1::ListCasesResponse response;
  const grpc::Status status = server.Alerts()->ListCases(Call(token).get(), request, &response);
  INFO(status.error_message());
  REQUIRE(status.ok());
  return {response.cases().begin(), response.cases().end()};
}

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_SERVER_MEMBER_CASES_H_
