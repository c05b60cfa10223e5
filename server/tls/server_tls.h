// TLS for maydayd: the certificate and key it serves with, and the CA whose
// client certificates identify responder and operator devices (mutual TLS).
// The PEM files are read and checked here, once, before the server listens,
// so that a wrong file stops maydayd with a message naming it instead of
// failing every handshake later.
#ifndef MAYDAY_SERVER_TLS_SERVER_TLS_H_
#define MAYDAY_SERVER_TLS_SERVER_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace mayday::server {

// Which PEM files to serve TLS with. All empty: plaintext.
struct ServerTlsOptions {
  // The server's certificate, optionally followed by its intermediates
  // (PEM). Set together with key_file.
  std::string cert_file;
  // The private key of cert_file (PEM, unencrypted).
  std::string key_file;
  // CA certificates (PEM) that sign responder and operator devices'
  // client certificates. Set: a client certificate is requested and, when
  // one is offered, verified against these during the handshake (a
  // certificate they did not sign fails the handshake); calls from peers
  // without one can then be told apart (see auth/client_certificate.h).
  // Needs cert_file and key_file.
  std::string client_ca_file;
  // Replicas of one PostgreSQL database call each other (a standby relays
  // dispatch's calls to the holder, services/dispatch_relay.h): the CA
  // certificates (PEM) that signed the other replicas' cert_file. Empty:
  // the system's trusted roots. With client_ca_file, a replica presents its
  // own cert_file as its client certificate, so that CA must sign it too.
  std::string peer_ca_file;

  // True if any file is set.
  bool enabled() const {
    return !cert_file.empty() || !key_file.empty() || !client_ca_file.empty() ||
           !peer_ca_file.empty();
  }
};

// The credentials to listen with: insecure when no file is set, else TLS
// from the files. INVALID_ARGUMENT, with a one-line message naming the flag
// and the file, if only one of cert_file and key_file is set, client_ca_file
// is set without them, a file is missing or unreadable, holds no PEM
// certificate (or key), or the key does not belong to the certificate.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsOptions& options);

// The credentials to call the other replicas with: insecure when the server
// is plaintext, else TLS trusting peer_ca_file (or the system's roots), and
// with client_ca_file set, this replica's cert_file as client certificate.
// INVALID_ARGUMENT as MakeServerCredentials, and for a peer_ca_file without
// cert_file (replicas serve all plaintext or all TLS).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakePeerCredentials(
    const ServerTlsOptions& options);

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_TLS_SERVER_TLS_H_
