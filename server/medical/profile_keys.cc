// Sealing members' medical profiles; see profile_keys.h.
#include "medical/profile_keys.h"

#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "openssl/evp.h"
#include "openssl/rand.h"

namespace mayday::server {
namespace {

constexpr char kVersion = 1;
constexpr int kKeyBytes = 32;
constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;

bool ValidKeyId(absl::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

// What the tag also vouches for: whose profile this is, under which key.
std::string AssociatedData(absl::string_view member, absl::string_view key_id) {
  return absl::StrCat("mayday.v1.MedicalProfile", std::string(1, '\0'), member,
                      std::string(1, '\0'), key_id);
}

struct CipherFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using Cipher = std::unique_ptr<EVP_CIPHER_CTX, CipherFree>;

}  // namespace

absl::StatusOr<ProfileKeys> ProfileKeys::Parse(absl::string_view text) {
  std::vector<std::pair<std::string, std::string>> keys;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#') continue;
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    const std::string where = absl::StrCat("medical key file, line ", number, ": ");
    if (words.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "expected \"ID HEX\" (an id, then 64 hex digits)"));
    }
    if (!ValidKeyId(words[0])) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "the id must be 1 to 32 of A-Z a-z 0-9 . _ -"));
    }
    std::string key;
    bool hex = words[1].size() == 2 * kKeyBytes;
    for (char c : words[1]) hex = hex && absl::ascii_isxdigit(static_cast<unsigned char>(c));
    if (!hex) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, "the key must be 64 hex digits (32 bytes; make one with openssl rand -hex 32)"));
    }
    key = absl::HexStringToBytes(words[1]);
    for (const auto& [id, unused] : keys) {
      if (id == words[0]) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, "key id \"", words[0], "\" is listed twice"));
      }
    }
    keys.emplace_back(std::string(words[0]), std::move(key));
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(
        "the medical key file lists no key: add a line \"ID HEX\" (openssl rand -hex 32)");
  }
  return ProfileKeys(std::move(keys));
}

absl::StatusOr<ProfileKeys> ProfileKeys::Load(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) {
    return absl::NotFoundError(absl::StrCat("cannot open the medical key file ", path));
  }
  if ((info.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the medical key file ", path,
                     " may be read by others than its owner: chmod 600 it (a key others can "
                     "read protects nothing)"));
  }
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open the medical key file ", path));
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str());
}

bool ProfileKeys::Has(absl::string_view key_id) const { return KeyOf(key_id) != nullptr; }

const std::string* ProfileKeys::KeyOf(absl::string_view key_id) const {
  for (const auto& [id, key] : keys_) {
    if (id == key_id) return &key;
  }
  return nullptr;
}

absl::StatusOr<SealedBytes> ProfileKeys::Seal(absl::string_view member,
                                              const mayday::v1::MedicalProfile& profile) const {
  const std::string& key_id = current_id();
  const std::string& key = keys_.front().second;
  std::string plain;
  if (!profile.SerializeToString(&plain)) {
    return absl::InternalError("could not serialize a medical profile");
  }
  std::string out(1 + kNonceBytes + plain.size() + kTagBytes, '\0');
  out[0] = kVersion;
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + 1);
  auto* body = reinterpret_cast<unsigned char*>(out.data() + 1 + kNonceBytes);
  if (RAND_bytes(nonce, kNonceBytes) != 1) {
    return absl::InternalError("no random bytes for a nonce (OpenSSL RAND_bytes failed)");
  }
  const std::string aad = AssociatedData(member, key_id);
  Cipher ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  bool ok =
      ctx != nullptr &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr,
                         reinterpret_cast<const unsigned char*>(key.data()), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &length,
                        reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), body, &length,
                        reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) == 1 &&
      length == static_cast<int>(plain.size()) &&
      EVP_EncryptFinal_ex(ctx.get(), body + length, &length) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, body + plain.size()) == 1;
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!ok) return absl::InternalError("OpenSSL could not seal a medical profile (AES-256-GCM)");
  return SealedBytes{key_id, std::move(out)};
}

absl::StatusOr<mayday::v1::MedicalProfile> ProfileKeys::Open(absl::string_view member,
                                                             const SealedBytes& sealed) const {
  const std::string* key = KeyOf(sealed.key_id);
  if (key == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this medical profile is sealed with key \"", sealed.key_id,
        "\", which this server's medical key file does not list: give every replica the same "
        "key file"));
  }
  const std::string& bytes = sealed.bytes;
  if (bytes.size() < 1 + kNonceBytes + kTagBytes || bytes[0] != kVersion) {
    return absl::DataLossError("a stored medical profile is damaged (too short or unknown form)");
  }
  const size_t body_size = bytes.size() - 1 - kNonceBytes - kTagBytes;
  const auto* nonce = reinterpret_cast<const unsigned char*>(bytes.data() + 1);
  const auto* body = nonce + kNonceBytes;
  std::string tag(bytes.data() + 1 + kNonceBytes + body_size, kTagBytes);
  std::string plain(body_size, '\0');
  const std::string aad = AssociatedData(member, sealed.key_id);
  Cipher ctx(EVP_CIPHER_CTX_new());
  int length = 0;
  bool ok = ctx != nullptr &&
            EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
            EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr,
                               reinterpret_cast<const unsigned char*>(key->data()), nonce) == 1 &&
            EVP_DecryptUpdate(ctx.get(), nullptr, &length,
                              reinterpret_cast<const unsigned char*>(aad.data()),
                              static_cast<int>(aad.size())) == 1 &&
            EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &length,
                              body, static_cast<int>(body_size)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
            EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + length,
                                &length) == 1;
  mayday::v1::MedicalProfile profile;
  ok = ok && profile.ParseFromString(plain);
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!ok) {
    return absl::DataLossError(
        "a stored medical profile does not open: it was altered, or belongs to another member");
  }
  return profile;
}

}  // namespace mayday::server
