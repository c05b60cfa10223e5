// What the server makes of the text in a request before any handler sees
// it (docs/RELIABILITY.md §12):
//  - A string field that is not valid UTF-8 would make protobuf refuse the
//    whole request, and gRPC answer UNIMPLEMENTED with no message: an app
//    that cut a note at a byte limit lost its alert. Each ill-formed
//    sequence is replaced with U+FFFD instead (Unicode's advice for
//    decoders), in every string field of every request; the handlers then
//    validate as usual, so free text is accepted and an identifier that now
//    holds U+FFFD gets INVALID_ARGUMENT naming its field.
//  - Free text people type (fields named note, text, reason or comment, at
//    any depth) loses its control characters (mayday/base/text.h): ESC, BEL
//    or NUL would otherwise reach crew apps, exports and terminals.
#ifndef MAYDAY_SERVER_RPC_REQUEST_TEXT_H_
#define MAYDAY_SERVER_RPC_REQUEST_TEXT_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "grpc/byte_buffer.h"
#include "grpcpp/support/status.h"

namespace mayday::server {

// Where a request type's free text is, worked out once per type (a handler
// looks it up when it is made, not per call).
struct TextPlan;
const TextPlan& TextPlanFor(const google::protobuf::Descriptor& type);

// Parses `wire` into `message`, repairing invalid UTF-8 in its string
// fields if a plain parse fails, then cleans its free text (`plan`: its
// type's). INTERNAL if the bytes are not a `message` even so (gRPC then
// answers UNIMPLEMENTED, as it does for any request it cannot read).
grpc::Status ParseRequest(absl::string_view wire, google::protobuf::Message& message,
                          const TextPlan& plan);

// ParseRequest on a request gRPC received; takes ownership of `buffer`
// (null: no payload, INTERNAL).
grpc::Status ParseRequest(grpc_byte_buffer* buffer, google::protobuf::Message& message,
                          const TextPlan& plan);

// The wire bytes of a message of `type` with every string field (at any
// depth) made valid UTF-8; false if `wire` is not a well-formed message.
bool RepairUtf8OnWire(const google::protobuf::Descriptor& type, absl::string_view wire,
                      std::string& out);

// The free-text fields of `type` and of the messages it holds, by full
// name ("mayday.v1.RaiseAlertRequest.note").
std::vector<std::string> FreeTextFields(const google::protobuf::Descriptor& type);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_RPC_REQUEST_TEXT_H_
