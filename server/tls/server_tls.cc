// maydayd's TLS credentials from PEM files; see server_tls.h.
#include "tls/server_tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace mayday::server {
namespace {

// A PEM file larger than this is not a certificate chain or a key.
constexpr std::streamsize kMaxPemBytes = 1 << 20;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;

absl::Status Bad(absl::string_view flag, absl::string_view file, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(flag, " ", file, ": ", why));
}

// The whole file, or why it cannot be read.
absl::StatusOr<std::string> ReadPemFile(absl::string_view flag, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Bad(flag, file, absl::StrCat("cannot read it: ", std::strerror(errno)));
  std::string text;
  text.resize(kMaxPemBytes + 1);
  in.read(text.data(), kMaxPemBytes + 1);
  if (in.bad()) return Bad(flag, file, absl::StrCat("cannot read it: ", std::strerror(errno)));
  text.resize(in.gcount());
  if (static_cast<std::streamsize>(text.size()) > kMaxPemBytes) {
    return Bad(flag, file, "larger than 1 MiB, not a PEM file");
  }
  return text;
}

Bio MemoryBio(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// The certificates in `pem`, in order; an error if there is none or one is
// damaged.
absl::StatusOr<std::vector<Cert>> ParseCertificates(absl::string_view flag, const std::string& file,
                                                    const std::string& pem) {
  ERR_clear_error();
  Bio bio = MemoryBio(pem);
  std::vector<Cert> certs;
  while (Cert cert{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    certs.push_back(std::move(cert));
  }
  const unsigned long error = ERR_peek_last_error();
  const bool clean_end =
      ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (!clean_end) return Bad(flag, file, "holds a damaged PEM certificate");
  if (certs.empty()) {
    return Bad(flag, file, "holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")");
  }
  return certs;
}

// Never prompts for a passphrase: maydayd runs unattended.
int NoPassphrase(char*, int, int, void*) { return 0; }

absl::StatusOr<Key> ParseKey(absl::string_view flag, const std::string& file,
                             const std::string& pem) {
  ERR_clear_error();
  Bio bio = MemoryBio(pem);
  Key key{PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr)};
  ERR_clear_error();
  if (key == nullptr) {
    return Bad(flag, file,
               "holds no unencrypted PEM private key (\"-----BEGIN PRIVATE KEY-----\")");
  }
  return key;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerTlsOptions& options) {
  if (!options.enabled()) return grpc::InsecureServerCredentials();
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: pass both, or neither for plaintext");
  }
  if (options.cert_file.empty()) {
    return absl::InvalidArgumentError(
        options.client_ca_file.empty()
            ? "--tls-peer-ca needs --tls-cert and --tls-key: replicas serve TLS to each other "
              "only if they serve TLS"
            : "--tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first");
  }
  auto cert_pem = ReadPemFile("--tls-cert", options.cert_file);
  if (!cert_pem.ok()) return cert_pem.status();
  auto certs = ParseCertificates("--tls-cert", options.cert_file, *cert_pem);
  if (!certs.ok()) return certs.status();
  auto key_pem = ReadPemFile("--tls-key", options.key_file);
  if (!key_pem.ok()) return key_pem.status();
  auto key = ParseKey("--tls-key", options.key_file, *key_pem);
  if (!key.ok()) return key.status();
  if (X509_check_private_key(certs->front().get(), key->get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("--tls-key ", options.key_file,
                                                   " is not the key of the certificate in "
                                                   "--tls-cert ",
                                                   options.cert_file));
  }

  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({.private_key = *key_pem, .cert_chain = *cert_pem});
  if (!options.client_ca_file.empty()) {
    auto ca_pem = ReadPemFile("--tls-client-ca", options.client_ca_file);
    if (!ca_pem.ok()) return ca_pem.status();
    if (auto cas = ParseCertificates("--tls-client-ca", options.client_ca_file, *ca_pem);
        !cas.ok()) {
      return cas.status();
    }
    // Request a client certificate and verify one that is offered, but let
    // members' phones (which have none) through: the staff services refuse
    // those calls themselves.
    ssl.client_certificate_request = GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    ssl.pem_root_certs = *std::move(ca_pem);
  }
  return grpc::SslServerCredentials(ssl);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakePeerCredentials(
    const ServerTlsOptions& options) {
  if (!options.enabled()) return grpc::InsecureChannelCredentials();
  // The same checks of the server's own files, and its messages.
  if (auto server = MakeServerCredentials(options); !server.ok()) return server.status();
  grpc::SslCredentialsOptions ssl;
  if (!options.peer_ca_file.empty()) {
    auto ca_pem = ReadPemFile("--tls-peer-ca", options.peer_ca_file);
    if (!ca_pem.ok()) return ca_pem.status();
    if (auto cas = ParseCertificates("--tls-peer-ca", options.peer_ca_file, *ca_pem); !cas.ok()) {
      return cas.status();
    }
    ssl.pem_root_certs = *std::move(ca_pem);
  }
  if (!options.client_ca_file.empty()) {
    auto cert_pem = ReadPemFile("--tls-cert", options.cert_file);
    if (!cert_pem.ok()) return cert_pem.status();
    auto key_pem = ReadPemFile("--tls-key", options.key_file);
    if (!key_pem.ok()) return key_pem.status();
    ssl.pem_cert_chain = *std::move(cert_pem);
    ssl.pem_private_key = *std::move(key_pem);
  }
  return grpc::SslCredentials(ssl);
}

}  // namespace mayday::server
