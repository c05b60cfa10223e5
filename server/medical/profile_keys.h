// The keys members' medical profiles are sealed with, and the sealing
// itself: AES-256-GCM (OpenSSL) with a fresh random 96-bit nonce per seal,
// the member's name and the key's id bound in as associated data, so that
// a sealed profile copied to another member's row, or relabelled with
// another key id, does not open.
//
// The key file (maydayd --medical-key-file) is text, one key per line:
//
//   # comment
//   2026-12 <64 hex digits: 32 random bytes, e.g. from `openssl rand -hex 32`>
//   2026-06 <64 hex digits>
//
// The first key seals every profile written; every key listed opens. An id
// is 1 to 32 of [A-Za-z0-9._-]. The file must be readable by its owner
// only (mode 0600 or 0400): a key others can read protects nothing.
// Rotation (docs/operators.md): give every replica the new key as a second
// line, then move it first; maydayd re-seals older profiles with it when it
// starts (ResealProfiles); then drop the old line.
#ifndef MAYDAY_SERVER_MEDICAL_PROFILE_KEYS_H_
#define MAYDAY_SERVER_MEDICAL_PROFILE_KEYS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mayday/v1/resources.pb.h"

namespace mayday::server {

// A profile as stored: which key sealed it, and the sealed bytes (a
// version byte, the nonce, the ciphertext of the serialized profile, the
// 16-byte tag).
struct SealedBytes {
  std::string key_id;
  std::string bytes;
};

// Immutable once loaded; thread-safe.
class ProfileKeys {
 public:
  // Reads the key file at `path`. INVALID_ARGUMENT (naming the line) for a
  // malformed line, a repeated id or no key at all; FAILED_PRECONDITION if
  // group or others may read it; NOT_FOUND if it cannot be opened.
  static absl::StatusOr<ProfileKeys> Load(const std::string& path);
  // From text in the file's format (tests; no permission check).
  static absl::StatusOr<ProfileKeys> Parse(absl::string_view text);

  // The id of the key that seals.
  const std::string& current_id() const { return keys_.front().first; }
  bool Has(absl::string_view key_id) const;

  // `profile` sealed with the current key for `member` ("members/{id}").
  // INTERNAL if OpenSSL fails.
  absl::StatusOr<SealedBytes> Seal(absl::string_view member,
                                   const mayday::v1::MedicalProfile& profile) const;
  // The profile `sealed` holds for `member`. FAILED_PRECONDITION if its key
  // is not in this file (say which); DATA_LOSS if the bytes were altered,
  // belong to another member or do not parse.
  absl::StatusOr<mayday::v1::MedicalProfile> Open(absl::string_view member,
                                                  const SealedBytes& sealed) const;

 private:
  explicit ProfileKeys(std::vector<std::pair<std::string, std::string>> keys)
      : keys_(std::move(keys)) {}
  const std::string* KeyOf(absl::string_view key_id) const;

  // (id, 32 key bytes), the sealing key first.
  std::vector<std::pair<std::string, std::string>> keys_;
};

}  // namespace mayday::server

#endif  // MAYDAY_SERVER_MEDICAL_PROFILE_KEYS_H_
