// The authorisation matrix: every RPC of every mayday.v1 service, called by
// every principal of authz_scene.h, against a real maydayd. Each row states
// the outcome of every cell: OK, or the exact status code. Denials are
// consistent: a caller whose credentials fail learns UNAUTHENTICATED; a
// valid token of the wrong role, PERMISSION_DENIED (before anything is
// looked up); a member asking about another member's case, or a responder
// about a case it is not assigned to, NOT_FOUND (so that case ids do not
// leak); a responder answering an offer it does not hold,
// FAILED_PRECONDITION. Tokens have no expiry in this version (a token is
// valid until revoked), so "expired" is not a column: revoked and unknown
// tokens are.
//
// Each principal is in the role it names at the moment of its call: every
// cell that may change something runs in a scene of its own; the cells that
// must be refused run together in one scene, which they must leave exactly
// as it was (cases and audit trail).
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "authz_matrix_rows.h"
#include "authz_scene.h"
#include "google/protobuf/descriptor.h"
#include "mayday/v1/alert_service.grpc.pb.h"
#include "mayday/v1/operator_service.grpc.pb.h"
#include "mayday/v1/responder_service.grpc.pb.h"

namespace mayday::testing {
namespace {

namespace v1 = ::mayday::v1;

// What a cell did, for the failure message.
std::string Describe(const grpc::Status& status) {
  if (status.ok()) return "OK";
  return absl::StrCat(status.error_code(), " (", status.error_message(), ")");
}

// What the scene's cases and audit trail look like, to show that refused
// calls changed nothing.
std::string Fingerprint(Scene& scene) {
  std::string out;
  for (const v1::Case& c : scene.Cases()) {
    absl::StrAppend(&out, c.name(), "@", c.last_sequence(), " ");
  }
  auto audit = scene.server().server().store().VerifyAudit();
  REQUIRE(audit.ok());
  absl::StrAppend(&out, "audit head ", audit->last_hash);
  return out;
}

std::string CodeName(Code code) {
  switch (code) {
    case OK:
      return "OK";
    case NF:
      return "NOT_FOUND";
    case PD:
      return "PERMISSION_DENIED";
    case UA:
      return "UNAUTHENTICATED";
    case FP:
      return "FAILED_PRECONDITION";
    default:
      return absl::StrCat("code ", code);
  }
}

TEST_CASE("The matrix has a row for every RPC of every service") {
  std::set<std::string> in_table;
  for (const Row& row : Rows()) {
    INFO("row " << row.rpc);
    CHECK(in_table.insert(row.rpc).second);
  }
  std::set<std::string> in_api;
  for (const char* service : {"mayday.v1.AlertService", "mayday.v1.ResponderService",
                              "mayday.v1.OperatorService", "mayday.v1.FleetService"}) {
    const auto* descriptor =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    REQUIRE(descriptor != nullptr);
    for (int i = 0; i < descriptor->method_count(); ++i) {
      in_api.insert(absl::StrCat(descriptor->name(), ".", descriptor->method(i)->name()));
    }
  }
  CHECK(in_table == in_api);
}

// The comment above each `rpc` in the .proto files, by "Service.Method", and
// what is said of each service as a whole (the file's first comment and the
// one above `service`), by "Service".
std::map<std::string, std::string> RpcComments() {
  std::map<std::string, std::string> out;
  for (const char* file : {"alert_service.proto", "responder_service.proto",
                           "operator_service.proto", "fleet_service.proto"}) {
    std::ifstream in(std::string(MAYDAY_PROTO_DIR) + "/mayday/v1/" + file);
    REQUIRE(in.good());
    std::string service;
    std::string comment;
    std::string file_comment;  // the file's first comment: what its service promises
    bool first_comment = true;
    std::string line;
    while (std::getline(in, line)) {
      const auto text = line.find_first_not_of(' ');
      if (text != std::string::npos && line.compare(text, 2, "//") == 0) {
        comment += line.substr(text + 2);
        continue;
      }
      if (first_comment && !comment.empty()) {
        file_comment = comment;
        first_comment = false;
      }
      if (text == std::string::npos) {
        comment.clear();
        continue;
      }
      std::istringstream words(line.substr(text));
      std::string first;
      words >> first;
      if (first == "service") {
        words >> service;
        out[service] = file_comment + comment;
      }
      if (first == "rpc") {
        std::string method;
        std::getline(words, method, '(');
        method.erase(0, method.find_first_not_of(' '));
        out[absl::StrCat(service, ".", method)] = comment;
      }
      comment.clear();
    }
  }
  return out;
}

// The statuses an app can act on, NOT_FOUND and FAILED_PRECONDITION, are
// promised in the API's comments, the RPC's own or its service's: the matrix
// and the documentation say the same (the role denials, UNAUTHENTICATED and
// PERMISSION_DENIED, are documented once per service).
TEST_CASE("Each RPC's comment names the NOT_FOUND and FAILED_PRECONDITION its callers get") {
  const auto comments = RpcComments();
  for (const Row& row : Rows()) {
    INFO("row " << row.rpc);
    const auto comment = comments.find(row.rpc);
    REQUIRE(comment != comments.end());
    const std::string service(row.rpc, std::string_view(row.rpc).find('.'));
    const std::string promised = comments.at(service) + comment->second;
    for (Code code : row.expected) {
      if (code != NF && code != FP) continue;
      INFO("promised: " << promised);
      CHECK(promised.find(CodeName(code)) != std::string::npos);
    }
  }
}

TEST_CASE("Authorisation matrix: every RPC x every principal") {
  int cells = 0;
  int scenes = 0;
  std::vector<std::string> wrong;
  const auto check = [&](const Row& row, Scene& scene, Principal p) {
    const Code want = row.expected[static_cast<int>(p)];
    const grpc::Status got = row.call(scene, p);
    ++cells;
    if (got.error_code() != want) {
      wrong.push_back(absl::StrCat(row.rpc, " by ", PrincipalName(p), ": expected ", CodeName(want),
                                   ", got ", Describe(got)));
    }
  };
  for (const Row& row : Rows()) {
    // The refused cells (and, for calls that change nothing, the allowed
    // ones) in one scene.
    {
      Scene scene;
      ++scenes;
      if (row.prepare) row.prepare(scene);
      const std::string before = Fingerprint(scene);
      bool only_refusals = true;
      for (Principal p : kAllPrincipals) {
        const bool allowed = row.expected[static_cast<int>(p)] == OK;
        if (allowed && row.changes) continue;
        if (allowed) only_refusals = false;
        check(row, scene, p);
      }
      if (row.changes || only_refusals) {
        const std::string after = Fingerprint(scene);
        if (after != before) {
          wrong.push_back(absl::StrCat(row.rpc, ": refused calls changed the store: before ",
                                       before, ", after ", after));
        }
      }
    }
    if (!row.changes) continue;
    for (Principal p : kAllPrincipals) {
      if (row.expected[static_cast<int>(p)] != OK) continue;
      Scene scene;
      ++scenes;
      if (row.prepare) row.prepare(scene);
      check(row, scene, p);
    }
  }
  INFO(cells << " cells in " << scenes << " scenes");
  for (const std::string& w : wrong) UNSCOPED_INFO(w);
  CHECK(wrong.empty());
  CHECK(cells == static_cast<int>(Rows().size()) * kPrincipalCount);
}

}  // namespace
}  // namespace mayday::testing
