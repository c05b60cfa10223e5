// PIN format and hashing; see pin_hash.h.
#include "auth/pin_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mayday::server {
namespace {

constexpr size_t kMinDigits = 4;
constexpr size_t kMaxDigits = 12;
// scrypt's cost: N = 2^15, r = 8, p = 1 is 32 MiB of memory per hash, the
// parameters RFC 7914 and OWASP give for interactive logins.
constexpr uint64_t kLogN = 15;
constexpr uint64_t kR = 8;
constexpr uint64_t kP = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
// What a stored hash may ask for at most: a hash from a file someone
// edited must not make the server allocate gigabytes.
constexpr uint64_t kMaxLogN = 20;
constexpr uint64_t kMaxR = 16;
constexpr uint64_t kMaxP = 4;
constexpr uint64_t kMaxMemory = 512ull << 20;

bool Scrypt(absl::string_view pin, const std::string& salt, uint64_t log_n, uint64_t r, uint64_t p,
            std::string* out) {
  out->assign(kHashBytes, '\0');
  return EVP_PBE_scrypt(pin.data(), pin.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                        salt.size(), uint64_t{1} << log_n, r, p, kMaxMemory,
                        reinterpret_cast<unsigned char*>(out->data()), out->size()) == 1;
}

}  // namespace

absl::Status ValidatePin(absl::string_view field, absl::string_view pin) {
  bool digits = !pin.empty();
  for (char c : pin) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (!digits || pin.size() < kMinDigits || pin.size() > kMaxDigits) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be ", kMinDigits, " to ", kMaxDigits, " digits (0-9); got ",
                     pin.size(), digits ? " digits" : " characters, not all digits"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HashPin(absl::string_view pin) {
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) !=
      1) {
    return absl::InternalError("OpenSSL could not make a random salt");
  }
  std::string hash;
  if (!Scrypt(pin, salt, kLogN, kR, kP, &hash)) {
    return absl::InternalError("OpenSSL's scrypt failed");
  }
  return absl::StrCat("scrypt$", kLogN, "$", kR, "$", kP, "$", absl::BytesToHexString(salt), "$",
                      absl::BytesToHexString(hash));
}

bool PinMatches(absl::string_view pin, absl::string_view stored) {
  const std::vector<absl::string_view> parts = absl::StrSplit(stored, '$');
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  uint64_t log_n = 0, r = 0, p = 0;
  if (!absl::SimpleAtoi(parts[1], &log_n) || !absl::SimpleAtoi(parts[2], &r) ||
      !absl::SimpleAtoi(parts[3], &p) || log_n < 1 || log_n > kMaxLogN || r < 1 || r > kMaxR ||
      p < 1 || p > kMaxP) {
    return false;
  }
  const std::string salt = absl::HexStringToBytes(parts[4]);
  const std::string want = absl::HexStringToBytes(parts[5]);
  if (salt.size() * 2 != parts[4].size() || want.size() != kHashBytes ||
      want.size() * 2 != parts[5].size()) {
    return false;
  }
  std::string got;
  if (!Scrypt(pin, salt, log_n, r, p, &got)) return false;
  return CRYPTO_memcmp(got.data(), want.data(), want.size()) == 0;
}

}  // namespace mayday::server
