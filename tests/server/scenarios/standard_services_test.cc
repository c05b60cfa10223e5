// maydayd answers the standard gRPC services operators' tools expect:
// grpc.health.v1 health checking and server reflection. Debian ships no C++
// stubs for them, so the calls are generic, with the protobuf bytes spelled
// out.
#include <catch2/catch.hpp>
#include <future>
#include <string>

#include "generic_calls.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

TEST_CASE("Health checking reports SERVING") {
  TestServer server;
  grpc::GenericStub stub(server.Channel());
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  // HealthCheckRequest{service: ""} is empty on the wire.
  grpc::ByteBuffer request = Bytes("");
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) { done.set_value(s); });
  auto result = done.get_future();
  REQUIRE(result.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  REQUIRE(result.get().ok());
  // HealthCheckResponse{status: SERVING (1)}: field 1, varint 1.
  CHECK(ToString(response) == std::string("\x08\x01", 2));
}

TEST_CASE("Server reflection lists the Mayday services") {
  TestServer server;
  grpc::GenericStub stub(server.Channel());
  grpc::CompletionQueue queue;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  auto call = stub.PrepareCall(
      &context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](int expected) {
    REQUIRE(queue.Next(&tag, &ok));
    CHECK(tag == reinterpret_cast<void*>(expected));
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  REQUIRE(step(1));
  // ServerReflectionRequest{list_services: ""}: field 7, length 0.
  call->WriteLast(Bytes(std::string("\x3a\x00", 2)), grpc::WriteOptions(),
                  reinterpret_cast<void*>(2));
  REQUIRE(step(2));
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  REQUIRE(step(3));
  const std::string text = ToString(response);
  CHECK_THAT(text, Catch::Contains("mayday.v1.AlertService"));
  CHECK_THAT(text, Catch::Contains("mayday.v1.ResponderService"));
  CHECK_THAT(text, Catch::Contains("mayday.v1.OperatorService"));
  CHECK_THAT(text, Catch::Contains("grpc.health.v1.Health"));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  step(4);
  CHECK(status.ok());
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace mayday::testing
