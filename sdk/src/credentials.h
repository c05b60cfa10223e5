// The channel credentials of ClientOptions.tls: plaintext, or TLS with the
// CA, client certificate and key it names, read and checked once at
// Client::Create.
#ifndef MAYDAY_SDK_SRC_CREDENTIALS_H_
#define MAYDAY_SDK_SRC_CREDENTIALS_H_

#include <grpcpp/security/credentials.h>

#include <memory>

#include "absl/status/statusor.h"
#include "mayday/sdk/client.h"

namespace mayday::sdk::internal {

// Insecure credentials unless tls.enabled; else TLS credentials from the
// PEM text or files. INVALID_ARGUMENT, naming the field, for an item given
// both as text and as a file, a client certificate without a key (or the
// reverse), a file that cannot be read, or PEM text without a "-----BEGIN"
// block of the right kind. The PEM content itself is checked by the TLS
// handshake, whose failure calls see as UNAVAILABLE.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeCredentials(const TlsOptions& tls);

}  // namespace mayday::sdk::internal

#endif  // MAYDAY_SDK_SRC_CREDENTIALS_H_
