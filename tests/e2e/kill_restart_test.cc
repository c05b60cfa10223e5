// The durability promise on the real binary: maydayd is SIGKILLed right after
// RaiseAlert answered; the restarted server has the case, and a retry with
// the same request_id returns it instead of opening another. Also: SIGTERM
// shuts down cleanly.
#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <string>

#include "daemon.h"
#include "grpcpp/grpcpp.h"
#include "mayday/v1/alert_service.grpc.pb.h"

namespace mayday::testing {
namespace {

struct TempDb {
  std::filesystem::path dir;
  TempDb() {
    std::random_device random;
    dir = std::filesystem::temp_directory_path() /
          ("mayday-e2e-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(dir);
  }
  ~TempDb() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::string path() const { return (dir / "mayday.db").string(); }
};

grpc::Status Raise(const std::string& address, const std::string& token,
                   const std::string& request_id, mayday::v1::Case* out) {
  auto stub = mayday::v1::AlertService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + token);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  mayday::v1::RaiseAlertRequest request;
  request.set_request_id(request_id);
  request.set_kind(mayday::v1::CASE_KIND_MEDICAL);
  request.mutable_location()->set_latitude(48.8566);
  request.mutable_location()->set_longitude(2.3522);
  return stub->RaiseAlert(&context, request, out);
}

TEST_CASE("A case acknowledged just before SIGKILL survives, and its retry returns it") {
  TempDb db;
  for (int round = 0; round < 5; ++round) {
    INFO("round " << round);
    // A member of its own each round: a second alert of the same member
    // would join the first, still open.
    const std::string token =
        CreateToken(MAYDAYD_BINARY, db.path(), "member", "member-" + std::to_string(round));
    const std::string request_id = "press-" + std::to_string(round);
    mayday::v1::Case acknowledged;
    {
      Daemon daemon(MAYDAYD_BINARY, db.path());
      REQUIRE(Raise(daemon.address(), token, request_id, &acknowledged).ok());
      const int status = daemon.Stop(SIGKILL);
      REQUIRE(WIFSIGNALED(status));
      CHECK(WTERMSIG(status) == SIGKILL);
    }
    Daemon restarted(MAYDAYD_BINARY, db.path());
    mayday::v1::Case retried;
    REQUIRE(Raise(restarted.address(), token, request_id, &retried).ok());
    CHECK(retried.name() == acknowledged.name());
    CHECK(retried.create_time().seconds() == acknowledged.create_time().seconds());

    auto stub = mayday::v1::AlertService::NewStub(
        grpc::CreateChannel(restarted.address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    mayday::v1::ListCasesRequest list;
    mayday::v1::ListCasesResponse listed;
    REQUIRE(stub->ListCases(&context, list, &listed).ok());
    REQUIRE(listed.cases_size() == 1);
    CHECK(listed.cases(0).name() == acknowledged.name());
  }
}

TEST_CASE("SIGTERM stops maydayd cleanly") {
  TempDb db;
  Daemon daemon(MAYDAYD_BINARY, db.path());
  const int status = daemon.Stop(SIGTERM);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace mayday::testing
