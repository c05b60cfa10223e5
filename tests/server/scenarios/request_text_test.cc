// Text in requests as outside probes sent it: invalid UTF-8 in any string
// field (gRPC used to answer UNIMPLEMENTED with no message, and a medical
// alert whose note was cut inside a character was lost) and control
// characters in what people type.
#include "rpc/request_text.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "generic_calls.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "grpcpp/generic/generic_stub.h"
#include "test_server.h"

namespace mayday::testing {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

constexpr const char* kServices[] = {"mayday.v1.AlertService", "mayday.v1.OperatorService",
                                     "mayday.v1.ResponderService"};

// The string fields of `type`, as paths of fields from the top, down to
// `depth` messages deep.
void StringPaths(const Descriptor& type, std::vector<const FieldDescriptor*>& prefix, int depth,
                 std::vector<std::vector<const FieldDescriptor*>>& out) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor* field = type.field(i);
    prefix.push_back(field);
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      out.push_back(prefix);
    } else if (field->type() == FieldDescriptor::TYPE_MESSAGE && depth > 0 && !field->is_map()) {
      StringPaths(*field->message_type(), prefix, depth - 1, out);
    }
    prefix.pop_back();
  }
}

// Sets the field at `path` (adding an element to repeated fields on the
// way) to `value`.
void SetAt(Message& message, const std::vector<const FieldDescriptor*>& path,
           const std::string& value) {
  Message* at = &message;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const auto* reflection = at->GetReflection();
    at = path[i]->is_repeated() ? reflection->AddMessage(at, path[i])
                                : reflection->MutableMessage(at, path[i]);
  }
  const auto* reflection = at->GetReflection();
  if (path.back()->is_repeated()) {
    reflection->AddString(at, path.back(), value);
  } else {
    reflection->SetString(at, path.back(), value);
  }
}

grpc::Status CallRaw(grpc::GenericStub& stub, const std::string& method, const std::string& wire) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  const grpc::ByteBuffer request = Bytes(wire);
  grpc::ByteBuffer response;
  grpc::Status status;
  absl::Notification done;
  stub.UnaryCall(&context, method, grpc::StubOptions(), &request, &response, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  return status;
}

TEST_CASE("Every string field of every request may hold invalid UTF-8 and is still read") {
  TestServer server;
  grpc::GenericStub stub(server.Channel());
  google::protobuf::DynamicMessageFactory factory;
  int fields = 0, methods = 0;
  for (const char* service_name : kServices) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
    REQUIRE(service != nullptr);
    for (int m = 0; m < service->method_count(); ++m) {
      const auto* method = service->method(m);
      // A client stream's messages are read by gRPC's stream, not by a
      // handler (ReportLocation carries no text).
      if (method->client_streaming()) continue;
      ++methods;
      std::vector<const FieldDescriptor*> prefix;
      std::vector<std::vector<const FieldDescriptor*>> paths;
      StringPaths(*method->input_type(), prefix, 2, paths);
      for (const auto& path : paths) {
        std::unique_ptr<Message> request(factory.GetPrototype(method->input_type())->New());
        // A character cut in two, then a byte that starts none.
        SetAt(*request, path, "ok\xC3 \xFF");
        std::string wire;
        REQUIRE(request->SerializePartialToString(&wire));
        const std::string rpc = "/" + std::string(service_name) + "/" + method->name();
        INFO(rpc << " " << path.back()->full_name());
        // No token: a request that was read gets UNAUTHENTICATED; one that
        // was not, UNIMPLEMENTED before any of our code ran.
        const grpc::Status status = CallRaw(stub, rpc, wire);
        CHECK(status.error_code() == grpc::UNAUTHENTICATED);
        ++fields;
      }
    }
  }
  // Each service's names, ids, tokens and texts.
  WARN(fields << " string fields in " << methods << " methods read despite invalid UTF-8");
  CHECK(fields > 40);
}

TEST_CASE("What people type is the only text cleaned of control characters") {
  std::vector<std::string> texts;
  for (const char* service_name : kServices) {
    const auto* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service_name);
    for (int m = 0; m < service->method_count(); ++m) {
      for (const std::string& name : server::FreeTextFields(*service->method(m)->input_type())) {
        if (std::find(texts.begin(), texts.end(), name) == texts.end()) texts.push_back(name);
      }
    }
  }
  std::sort(texts.begin(), texts.end());
  CHECK(texts == std::vector<std::string>{
                     "mayday.v1.CancelCaseRequest.reason",
                     "mayday.v1.CreateCaseNoteRequest.text",
                     "mayday.v1.EscalateCaseRequest.reason",
                     "mayday.v1.MedicalProfile.note",
                     "mayday.v1.PostMessageRequest.text",
                     "mayday.v1.RaiseAlertRequest.note",
                     "mayday.v1.RateCaseRequest.comment",
                     "mayday.v1.StartSafetyTimerRequest.note",
                 });
}

TEST_CASE("A note cut inside a character raises the alert, its text is repaired and cleaned") {
  TestServer server;
  const std::string alice = server.Token("member", "alice");
  const std::string agent = server.Token("operator", "desk-1");
  struct Row {
    const char* what;
    std::string note;
    std::string stored;
  };
  const Row rows[] = {
      {"cut at a byte limit", "Unfall auf der Br\xC3", "Unfall auf der Br"},
      {"a byte that starts no character",
       "Kn\xFF"
       "chel",
       "Kn\xEF\xBF\xBD"
       "chel"},
      {"terminal escapes, bell and NUL", std::string("\x1B[2Jcleared\x07 and \x00 more\r\n", 26),
       "[2Jcleared and  more\n"},
      {"tab and newline kept", "line 1\n\tline 2", "line 1\n\tline 2"},
  };
  int member = 0;
  std::string alice_case;
  for (const Row& row : rows) {
    INFO(row.what);
    const std::string token =
        member == 0 ? alice : server.Token("member", "member-" + std::to_string(member));
    mayday::v1::RaiseAlertRequest raise = Alert("press-" + std::to_string(member++));
    raise.set_kind(mayday::v1::CASE_KIND_MEDICAL);
    raise.set_note(row.note);
    mayday::v1::Case opened;
    const grpc::Status status = server.Alerts()->RaiseAlert(Call(token).get(), raise, &opened);
    INFO(status.error_message());
    REQUIRE(status.ok());
    CHECK(opened.note() == row.stored);
    // As stored, not only as answered.
    mayday::v1::GetCaseRequest get;
    get.set_name(opened.name());
    mayday::v1::Case stored;
    REQUIRE(server.Operators()->GetCase(Call(agent).get(), get, &stored).ok());
    CHECK(stored.note() == row.stored);
    if (alice_case.empty()) alice_case = opened.name();
  }

  // An identifier is not free text: repaired, it no longer passes.
  mayday::v1::RaiseAlertRequest bad_id = Alert("press-\xFF");
  mayday::v1::Case opened;
  grpc::Status status =
      server.Alerts()->RaiseAlert(Call(server.Token("member", "bob")).get(), bad_id, &opened);
  CHECK(status.error_code() == grpc::INVALID_ARGUMENT);
  CHECK_THAT(status.error_message(), Catch::Contains("request_id"));

  // A care agent's message to alice, with a terminal title escape.
  mayday::v1::PostMessageRequest message;
  message.set_case_(alice_case);
  message.set_text("help is \x1B]0;pwned\x07on the way \xE2\x82");
  mayday::v1::CaseEvent posted;
  status = server.Operators()->PostMessage(Call(agent).get(), message, &posted);
  INFO(status.error_message());
  REQUIRE(status.ok());
  CHECK(posted.message_posted().text() == "help is ]0;pwnedon the way ");
}

}  // namespace
}  // namespace mayday::testing
