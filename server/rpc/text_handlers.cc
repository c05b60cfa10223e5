// The method index the text handlers are registered at; see text_handlers.h.
#include "rpc/text_handlers.h"

#include <cstdio>
#include <cstdlib>

#include "log/log.h"

namespace mayday::server::text_internal {

int MethodIndex(const std::string& service, const std::string& method,
                const google::protobuf::Descriptor& request) {
  const google::protobuf::ServiceDescriptor* found =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  const google::protobuf::MethodDescriptor* rpc =
      found != nullptr ? found->FindMethodByName(method) : nullptr;
  if (rpc == nullptr || rpc->input_type() != &request || rpc->client_streaming()) {
    // A mistake in the list a service registers, found at its first start.
    LogError("internal", "%s.%s taking %s is not a method to register", service.c_str(),
             method.c_str(), request.full_name().c_str());
    std::abort();
  }
  return rpc->index();
}

}  // namespace mayday::server::text_internal
