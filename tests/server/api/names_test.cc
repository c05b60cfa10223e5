// Resource names (api/names.h): built one way, read one way, and a malformed
// name refused with a message naming the field and showing a valid one.
#include "api/names.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace mayday::server {
namespace {

constexpr char kCaseId[] = "0661d37d79572a4e8466bac71e53f25d3b9f7163f955e1";

TEST_CASE("Names are built and read back") {
  CHECK(CaseName(kCaseId) == std::string("cases/") + kCaseId);
  CHECK(CaseIdFromName(CaseName(kCaseId)) == kCaseId);
  CHECK(ResponderName("tow-1") == "responders/tow-1");
  CHECK(ResponderIdFromName("responders/tow-1") == "tow-1");
  CHECK(ResponderIdFromName("members/tow-1").empty());
  CHECK(MemberName("alice") == "members/alice");
  CHECK(OperatorName("desk-1") == "operators/desk-1");
}

TEST_CASE("The store's check of case names takes cases/{id} only") {
  CHECK(CaseIdOf("cases/abc") == std::optional<absl::string_view>("abc"));
  for (const char* bad : {"", "cases/", "cases", "abc", "members/abc", "cases/a/b"}) {
    INFO("name " << bad);
    CHECK_FALSE(CaseIdOf(bad).has_value());
  }
}

TEST_CASE("Malformed names are refused with the field and a valid example") {
  struct Row {
    const char* name;
    bool ok;
  };
  const std::string good = std::string("cases/") + kCaseId;
  for (const Row& row : std::vector<Row>{{good.c_str(), true},
                                         {"cases/0123456789abcdef0123456789abcdef", true},
                                         {"cases/0123456789ABCDEF0123456789abcdef", false},
                                         {"cases/short", false},
                                         {"case/0123456789abcdef0123456789abcdef", false},
                                         {"", false}}) {
    INFO("case name " << row.name);
    auto id = ParseCaseName("parent", row.name);
    CHECK(id.ok() == row.ok);
    if (!id.ok()) {
      CHECK(absl::IsInvalidArgument(id.status()));
      CHECK_THAT(std::string(id.status().message()),
                 Catch::StartsWith("parent must be a case name like \"cases/"));
    }
  }
  for (const Row& row : std::vector<Row>{{"responders/unit-7", true},
                                         {"responders/a.b_c-9", true},
                                         {"responders/", false},
                                         {"responders", false},
                                         {"members/unit-7", false},
                                         {"responders/unit 7", false},
                                         {"responders/x/y", false}}) {
    INFO("responder name " << row.name);
    auto id = ParseSubjectName("responder", row.name, kResponders);
    CHECK(id.ok() == row.ok);
    if (!id.ok()) {
      CHECK_THAT(std::string(id.status().message()),
                 Catch::StartsWith("responder must be a name like \"responders/unit-7\""));
    }
  }
  CHECK(ParseSubjectName("r", "responders/" + std::string(64, 'a'), kResponders).ok());
  CHECK_FALSE(ParseSubjectName("r", "responders/" + std::string(65, 'a'), kResponders).ok());
  CHECK(ParseTokenName("name", "tokens/0123456789abcdef").value() == "0123456789abcdef");
  for (const char* bad : {"tokens/0123456789ABCDEF", "tokens/0123", "token/0123456789abcdef"}) {
    INFO("token name " << bad);
    CHECK_FALSE(ParseTokenName("name", bad).ok());
  }
}

}  // namespace
}  // namespace mayday::server
