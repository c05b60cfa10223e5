// Hand-written JSON literals for maydayctl's stable outputs, and protobuf's
// JSON for the rest, printed through a type resolver that names enum values
// without their prefix: protobuf's JSON printer takes enum value names from
// the resolver, so the short names come out of the printer itself, and only
// where the field is an enum.
#include "maydayctl/json.h"

#include <cctype>
#include <cmath>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/type.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace mayday::tools {
namespace {

constexpr absl::string_view kTypeUrlPrefix = "type.googleapis.com";

// "CaseState" -> "CASE_STATE_", "Status" -> "STATUS_".
std::string EnumValuePrefix(absl::string_view enum_name) {
  std::string prefix;
  for (size_t i = 0; i < enum_name.size(); ++i) {
    const char c = enum_name[i];
    if (i > 0 && std::isupper(static_cast<unsigned char>(c))) prefix += '_';
    prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return prefix + "_";
}

// The types compiled into this program, as protobuf's JSON printer asks for
// them, with every enum value renamed by ShortEnumValueName.
class ShortEnumTypeResolver : public google::protobuf::util::TypeResolver {
 public:
  ShortEnumTypeResolver()
      : types_(google::protobuf::util::NewTypeResolverForDescriptorPool(
            std::string(kTypeUrlPrefix), google::protobuf::DescriptorPool::generated_pool())) {}

  google::protobuf::util::Status ResolveMessageType(const std::string& type_url,
                                                    google::protobuf::Type* type) override {
    return types_->ResolveMessageType(type_url, type);
  }

  google::protobuf::util::Status ResolveEnumType(const std::string& type_url,
                                                 google::protobuf::Enum* enum_type) override {
    google::protobuf::util::Status status = types_->ResolveEnumType(type_url, enum_type);
    if (!status.ok()) return status;
    for (google::protobuf::EnumValue& value : *enum_type->mutable_enumvalue()) {
      value.set_name(ShortEnumValueName(enum_type->name(), value.name()));
    }
    return status;
  }

 private:
  const std::unique_ptr<google::protobuf::util::TypeResolver> types_;
};

}  // namespace

std::string ShortEnumValueName(absl::string_view enum_name, absl::string_view value_name) {
  const size_t dot = enum_name.rfind('.');
  if (dot != absl::string_view::npos) enum_name.remove_prefix(dot + 1);
  const std::string prefix = EnumValuePrefix(enum_name);
  if (value_name.size() <= prefix.size() || !absl::StartsWith(value_name, prefix)) {
    return std::string(value_name);
  }
  return std::string(value_name.substr(prefix.size()));
}

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          out += absl::StrFormat("\\u%04x", byte);
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::string JsonNumber(double value, int decimals) {
  if (!std::isfinite(value)) return "null";
  std::string out = absl::StrFormat("%.*f", decimals, value);
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  if (out == "-0") out = "0";
  return out;
}

std::string JsonNumber(const std::optional<double>& value, int decimals) {
  return value.has_value() ? JsonNumber(*value, decimals) : "null";
}

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  // Resolving is read-only and the printer caches per call: one resolver
  // serves every thread.
  static ShortEnumTypeResolver* const types = new ShortEnumTypeResolver();
  google::protobuf::util::JsonPrintOptions print_options;
  print_options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::BinaryToJsonString(
      types, absl::StrCat(kTypeUrlPrefix, "/", message.GetDescriptor()->full_name()),
      message.SerializeAsString(), &json, print_options);
  if (!status.ok()) {
    return absl::InternalError(absl::StrCat("cannot print JSON: ", status.ToString()));
  }
  return json;
}

}  // namespace mayday::tools
