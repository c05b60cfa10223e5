// The TLS flags maydayctl and mayday-sim share, bound to a ServerOptions.
#ifndef MAYDAY_TOOLS_MAYDAYCTL_TLS_FLAGS_H_
#define MAYDAY_TOOLS_MAYDAYCTL_TLS_FLAGS_H_

#include "CLI/CLI.hpp"
#include "maydayctl/rpc.h"

namespace mayday::tools {

// Adds --tls, --tls-ca (alias --ca-file), --tls-cert, --tls-key and
// --tls-server-name to `app`, writing into `server`. `server` must outlive
// parsing. Any of the file flags turns TLS on (ServerOptions::UsesTls).
inline void AddTlsFlags(CLI::App* app, ServerOptions* server) {
  app->add_flag("--tls", server->tls, "connect with TLS, trusting the system's roots");
  app->add_option("--tls-ca,--ca-file", server->ca_file,
                  "connect with TLS, trusting the CA certificates in this PEM file")
      ->check(CLI::ExistingFile);
  app->add_option("--tls-cert", server->cert_file,
                  "mutual TLS: this device's client certificate (PEM); needs --tls-key")
      ->check(CLI::ExistingFile);
  app->add_option("--tls-key", server->key_file, "mutual TLS: the private key of --tls-cert (PEM)")
      ->check(CLI::ExistingFile);
  app->add_option("--tls-server-name", server->server_name,
                  "the name the server's certificate carries, if not the host of --server");
}

}  // namespace mayday::tools

#endif  // MAYDAY_TOOLS_MAYDAYCTL_TLS_FLAGS_H_
