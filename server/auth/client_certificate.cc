// Client certificate of a call; see client_certificate.h.
#include "auth/client_certificate.h"

#include <memory>

#include "grpc/grpc_security_constants.h"
#include "grpcpp/security/auth_context.h"

namespace mayday::server {

bool HasVerifiedClientCertificate(const grpc::ServerContextBase& context) {
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) return false;
  const auto transport = auth->FindPropertyValues(GRPC_TRANSPORT_SECURITY_TYPE_PROPERTY_NAME);
  if (transport.empty() || transport.front() != GRPC_SSL_TRANSPORT_SECURITY_TYPE) return false;
  // gRPC adds the peer's certificate only when the peer sent one (and, with
  // GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY, it passed verification).
  for (const auto& pem : auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME)) {
    if (!pem.empty()) return true;
  }
  return false;
}

}  // namespace mayday::server
