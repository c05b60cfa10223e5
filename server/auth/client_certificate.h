// Whether a call's peer proved itself with a client certificate: the check
// behind mutual TLS for responder and operator devices.
#ifndef MAYDAY_SERVER_AUTH_CLIENT_CERTIFICATE_H_
#define MAYDAY_SERVER_AUTH_CLIENT_CERTIFICATE_H_

#include "grpcpp/server_context.h"

namespace mayday::server {

// True if the call came over TLS with a client certificate. maydayd asks for
// client certificates only when it has a client CA (--tls-client-ca), and
// then verifies during the handshake any certificate offered against that
// CA, refusing the connection if the CA did not sign it: so a certificate
// seen here is one the CA signed. False for plaintext calls and TLS calls
// without a client certificate. Call it from the call's handler, like any
// other use of its context.
bool HasVerifiedClientCertificate(const grpc::ServerContextBase& context);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_AUTH_CLIENT_CERTIFICATE_H_
