// Calls to the standard gRPC services, for which Debian ships no C++ stubs:
// generic calls with the protobuf bytes spelled out.
#ifndef MAYDAY_TESTS_SERVER_GENERIC_CALLS_H_
#define MAYDAY_TESTS_SERVER_GENERIC_CALLS_H_

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "test_server.h"

namespace mayday::testing {

inline grpc::ByteBuffer Bytes(const std::string& data) {
  grpc::Slice slice(data);
  return grpc::ByteBuffer(&slice, 1);
}

inline std::string ToString(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  REQUIRE(buffer.Dump(&slices).ok());
  std::string out;
  for (const auto& s : slices) out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

// HealthCheckRequest{service}: field 1, a string ("" is empty on the wire).
inline grpc::ByteBuffer HealthRequest(const std::string& service) {
  if (service.empty()) return Bytes("");
  REQUIRE(service.size() < 128);  // its length in one varint byte
  return Bytes(std::string("\x0a", 1) + static_cast<char>(service.size()) + service);
}

// grpc.health.v1.Health/Watch for `service` ("": the whole server): the
// server sends the status at once, then each change.
class HealthWatch {
 public:
  enum Status { kServing = 1, kNotServing = 2 };

  explicit HealthWatch(TestServer& server, const std::string& service = "")
      : stub_(server.Channel()) {
    context_.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    call_ = stub_.PrepareCall(&context_, "/grpc.health.v1.Health/Watch", &queue_);
    call_->StartCall(Tag(1));
    REQUIRE(Step(1));
    call_->WriteLast(HealthRequest(service), grpc::WriteOptions(), Tag(2));
    REQUIRE(Step(2));
  }
  ~HealthWatch() {
    context_.TryCancel();
    grpc::Status status;
    call_->Finish(&status, Tag(9));
    queue_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (queue_.Next(&tag, &ok)) {
    }
  }

  // The next status the server sends (waits up to the call's deadline).
  int Next() {
    grpc::ByteBuffer response;
    call_->Read(&response, Tag(3));
    REQUIRE(Step(3));
    // HealthCheckResponse{status}: field 1, a varint.
    const std::string bytes = ToString(response);
    REQUIRE(bytes.size() == 2);
    REQUIRE(bytes[0] == '\x08');
    return bytes[1];
  }

 private:
  static void* Tag(intptr_t n) { return reinterpret_cast<void*>(n); }
  bool Step(intptr_t expected) {
    void* tag = nullptr;
    bool ok = false;
    REQUIRE(queue_.Next(&tag, &ok));
    REQUIRE(tag == Tag(expected));
    return ok;
  }

  grpc::GenericStub stub_;
  grpc::CompletionQueue queue_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
};

// grpc.health.v1.Health/Check for `service`: HealthWatch's statuses, or
// the call's error (NOT_FOUND for a name the server does not know) as
// -code.
inline int HealthCheck(TestServer& server, const std::string& service) {
  grpc::GenericStub stub(server.Channel());
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  grpc::ByteBuffer request = HealthRequest(service);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) { done.set_value(s); });
  auto result = done.get_future();
  REQUIRE(result.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  const grpc::Status status = result.get();
  if (!status.ok()) return -static_cast<int>(status.error_code());
  const std::string bytes = ToString(response);
  REQUIRE(bytes.size() == 2);
  REQUIRE(bytes[0] == '\x08');
  return bytes[1];
}

}  // namespace mayday::testing

#endif  // MAYDAY_TESTS_SERVER_GENERIC_CALLS_H_
