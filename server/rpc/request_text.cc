// Repairing and cleaning the text of requests; see request_text.h.
#include "rpc/request_text.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "mayday/base/text.h"

namespace mayday::server {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using google::protobuf::internal::WireFormatLite;

// Deeper than any Mayday request; a bound against crafted nesting.
constexpr int kMaxDepth = 32;

bool IsFreeText(const FieldDescriptor& field) {
  static const auto* const kNames =
      new absl::flat_hash_set<std::string>{"note", "text", "reason", "comment"};
  return field.type() == FieldDescriptor::TYPE_STRING && kNames->contains(field.name());
}

bool RepairInto(const Descriptor& type, absl::string_view wire, std::string& out, int depth) {
  if (depth > kMaxDepth) return false;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(wire.data()),
                                            static_cast<int>(wire.size()));
  google::protobuf::io::StringOutputStream sink(&out);
  google::protobuf::io::CodedOutputStream copy(&sink);
  while (true) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) break;
    const FieldDescriptor* field = type.FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    const bool text_or_message =
        field != nullptr &&
        (field->type() == FieldDescriptor::TYPE_STRING ||
         field->type() == FieldDescriptor::TYPE_MESSAGE) &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    if (!text_or_message) {
      if (!WireFormatLite::SkipField(&in, tag, &copy)) return false;  // copied as it was
      continue;
    }
    uint32_t length = 0;
    std::string value;
    if (!in.ReadVarint32(&length) || !in.ReadString(&value, static_cast<int>(length))) {
      return false;
    }
    std::string repaired;
    if (field->type() == FieldDescriptor::TYPE_STRING) {
      repaired = base::RepairUtf8(value).text;
    } else if (!RepairInto(*field->message_type(), value, repaired, depth + 1)) {
      return false;
    }
    copy.WriteTag(tag);
    copy.WriteVarint32(static_cast<uint32_t>(repaired.size()));
    copy.WriteString(repaired);
  }
  // A tag of 0 ends the input, or stands for a malformed one.
  return in.CurrentPosition() == static_cast<int>(wire.size()) && !copy.HadError();
}

}  // namespace

// A message type's free text: its own fields, and the message fields that
// lead to more.
struct TextPlan {
  std::vector<const FieldDescriptor*> texts;
  std::vector<std::pair<const FieldDescriptor*, const TextPlan*>> nested;
  bool empty() const { return texts.empty() && nested.empty(); }
};

namespace {

class TextPlans {
 public:
  const TextPlan& For(const Descriptor& type) {
    absl::MutexLock lock(&mu_);
    return Build(type);
  }

 private:
  const TextPlan& Build(const Descriptor& type) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (auto found = plans_.find(&type); found != plans_.end()) return *found->second;
    // Inserted before its fields are looked at: a type that holds itself
    // ends the walk.
    TextPlan& plan = *plans_.emplace(&type, std::make_unique<TextPlan>()).first->second;
    for (int i = 0; i < type.field_count(); ++i) {
      const FieldDescriptor& field = *type.field(i);
      if (IsFreeText(field)) {
        plan.texts.push_back(&field);
      } else if (field.type() == FieldDescriptor::TYPE_MESSAGE) {
        const TextPlan& inner = Build(*field.message_type());
        if (!inner.empty()) plan.nested.emplace_back(&field, &inner);
      }
    }
    return plan;
  }

  absl::Mutex mu_;
  absl::flat_hash_map<const Descriptor*, std::unique_ptr<TextPlan>> plans_ ABSL_GUARDED_BY(mu_);
};

TextPlans& Plans() {
  static auto* const plans = new TextPlans;
  return *plans;
}

void CleanString(const Reflection& reflection, Message& message, const FieldDescriptor& field,
                 int index) {
  const std::string value = index < 0 ? reflection.GetString(message, &field)
                                      : reflection.GetRepeatedString(message, &field, index);
  base::CleanedText cleaned = base::CleanText(value, value.size());
  if (!cleaned.repaired) return;
  if (index < 0) {
    reflection.SetString(&message, &field, std::move(cleaned.text));
  } else {
    reflection.SetRepeatedString(&message, &field, index, std::move(cleaned.text));
  }
}

void Clean(Message& message, const TextPlan& plan) {
  const Reflection& reflection = *message.GetReflection();
  for (const FieldDescriptor* field : plan.texts) {
    if (field->is_repeated()) {
      for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
        CleanString(reflection, message, *field, i);
      }
    } else {
      CleanString(reflection, message, *field, -1);
    }
  }
  for (const auto& [field, inner] : plan.nested) {
    if (field->is_repeated()) {
      for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
        Clean(*reflection.MutableRepeatedMessage(&message, field, i), *inner);
      }
    } else if (reflection.HasField(message, field)) {
      Clean(*reflection.MutableMessage(&message, field), *inner);
    }
  }
}

void CollectNames(const TextPlan& plan, std::vector<std::string>& names) {
  for (const FieldDescriptor* field : plan.texts) names.push_back(field->full_name());
  for (const auto& [field, inner] : plan.nested) CollectNames(*inner, names);
}

}  // namespace

bool RepairUtf8OnWire(const Descriptor& type, absl::string_view wire, std::string& out) {
  out.clear();
  return RepairInto(type, wire, out, 0);
}

const TextPlan& TextPlanFor(const Descriptor& type) { return Plans().For(type); }

std::vector<std::string> FreeTextFields(const Descriptor& type) {
  std::vector<std::string> names;
  CollectNames(TextPlanFor(type), names);
  return names;
}

grpc::Status ParseRequest(absl::string_view wire, Message& message, const TextPlan& plan) {
  if (!message.ParseFromArray(wire.data(), static_cast<int>(wire.size()))) {
    std::string repaired;
    message.Clear();
    if (!RepairUtf8OnWire(*message.GetDescriptor(), wire, repaired) ||
        !message.ParseFromString(repaired)) {
      return grpc::Status(grpc::StatusCode::INTERNAL,
                          "the request is not a " + message.GetDescriptor()->full_name());
    }
  }
  if (!plan.empty()) Clean(message, plan);
  return grpc::Status::OK;
}

grpc::Status ParseRequest(grpc_byte_buffer* buffer, Message& message, const TextPlan& plan) {
  if (buffer == nullptr) return grpc::Status(grpc::StatusCode::INTERNAL, "no payload");
  grpc_byte_buffer_reader reader;
  if (!grpc_byte_buffer_reader_init(&reader, buffer)) {
    grpc_byte_buffer_destroy(buffer);
    return grpc::Status(grpc::StatusCode::INTERNAL, "cannot read the payload");
  }
  grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
  grpc_byte_buffer_reader_destroy(&reader);
  grpc_byte_buffer_destroy(buffer);
  const grpc::Status status =
      ParseRequest(absl::string_view(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(all)),
                                     GRPC_SLICE_LENGTH(all)),
                   message, plan);
  grpc_slice_unref(all);
  return status;
}

}  // namespace mayday::server
