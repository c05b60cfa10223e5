// Test-time certificate authority; see test_certificates.h.
#include "test_certificates.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <stdexcept>

namespace mayday::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test certificates: ") + what + " failed");
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using Cert = std::unique_ptr<X509, X509Free>;
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

KeyPtr NewKey() {
  KeyPtr key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "EVP_EC_gen");
  return key;
}

std::string ToPem(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size);
}

std::string ToPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, size);
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  Check(extension != nullptr, "X509V3_EXT_conf_nid");
  Check(X509_add_ext(cert, extension, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(extension);
}

// A v3 certificate for `common_name` with `key`'s public half, valid from
// an hour ago for a day, with a random serial; not yet signed.
Cert NewCertificate(const std::string& common_name, EVP_PKEY* key) {
  Cert cert(X509_new());
  Check(cert != nullptr, "X509_new");
  Check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  unsigned char serial[16];
  Check(RAND_bytes(serial, sizeof serial) == 1, "RAND_bytes");
  serial[0] &= 0x7f;  // positive
  BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
  Check(number != nullptr && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert.get())),
        "serial number");
  BN_free(number);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  Check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) == 1,
        "subject name");
  Check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  return cert;
}

}  // namespace

struct TestCa::Key {
  KeyPtr key;
  Cert cert;
};

TestCa::TestCa(const std::string& name) : key_(std::make_unique<Key>()) {
  key_->key = NewKey();
  key_->cert = NewCertificate(name, key_->key.get());
  X509* cert = key_->cert.get();
  Check(X509_set_issuer_name(cert, X509_get_subject_name(cert)) == 1, "issuer name");
  AddExtension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  AddExtension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExtension(cert, cert, NID_subject_key_identifier, "hash");
  Check(X509_sign(cert, key_->key.get(), EVP_sha256()) > 0, "X509_sign");
  self_ = {ToPem(cert), ToPem(key_->key.get())};
}

TestCa::~TestCa() = default;

Issued TestCa::Issue(const std::string& common_name, const std::string& alt_names,
                     const std::string& usage) const {
  KeyPtr key = NewKey();
  Cert cert = NewCertificate(common_name, key.get());
  Check(X509_set_issuer_name(cert.get(), X509_get_subject_name(key_->cert.get())) == 1,
        "issuer name");
  AddExtension(cert.get(), key_->cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  AddExtension(cert.get(), key_->cert.get(), NID_key_usage,
               "critical,digitalSignature,keyAgreement");
  AddExtension(cert.get(), key_->cert.get(), NID_ext_key_usage, usage);
  if (!alt_names.empty()) {
    AddExtension(cert.get(), key_->cert.get(), NID_subject_alt_name, alt_names);
  }
  Check(X509_sign(cert.get(), key_->key.get(), EVP_sha256()) > 0, "X509_sign");
  return {ToPem(cert.get()), ToPem(key.get())};
}

Issued TestCa::IssueServer(const std::string& dns_name) const {
  return Issue(dns_name, "DNS:" + dns_name + ",DNS:localhost,IP:127.0.0.1", "serverAuth");
}

Issued TestCa::IssueReplica(const std::string& dns_name) const {
  return Issue(dns_name, "DNS:" + dns_name + ",DNS:localhost,IP:127.0.0.1",
               "serverAuth,clientAuth");
}

Issued TestCa::IssueClient(const std::string& common_name) const {
  return Issue(common_name, "", "clientAuth");
}

std::string WriteTextFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path.string());
  return path.string();
}

}  // namespace mayday::testing
