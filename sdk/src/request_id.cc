// Request ids; see request_id.h.
#include "request_id.h"

#include <cstdint>
#include <random>

#include "absl/numeric/int128.h"
#include "absl/strings/str_cat.h"

namespace mayday::sdk::internal {

std::string NewRequestId() {
  // A local random_device keeps this thread-safe; one alert needs one id, so
  // the cost of opening the entropy source does not matter.
  std::random_device device;
  std::string id;
  id.reserve(32);
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&id, absl::Hex(static_cast<uint32_t>(device()), absl::kZeroPad8));
  }
  return id;
}

bool IsAcceptedRequestId(absl::string_view key) {
  if (key.empty() || key.size() > kMaxRequestIdBytes) return false;
  for (char c : key) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte > '~') return false;
  }
  return true;
}

std::string Fnv1a128Hex(absl::string_view bytes) {
  // FNV-1a, 128 bits: offset basis and prime as published for FNV.
  const absl::uint128 prime = absl::MakeUint128(0x0000000001000000, 0x000000000000013B);
  absl::uint128 hash = absl::MakeUint128(0x6C62272E07BB0142, 0x62B821756295C58D);
  for (char c : bytes) {
    hash ^= static_cast<uint8_t>(c);
    hash *= prime;
  }
  return absl::StrCat(absl::Hex(absl::Uint128High64(hash), absl::kZeroPad16),
                      absl::Hex(absl::Uint128Low64(hash), absl::kZeroPad16));
}

std::string WireRequestId(absl::string_view key) {
  if (IsAcceptedRequestId(key)) return std::string(key);
  return absl::StrCat("key-", Fnv1a128Hex(key));
}

std::string MemberKey(absl::string_view token) {
  return Fnv1a128Hex(absl::StrCat("mayday outbox member\n", token));
}

}  // namespace mayday::sdk::internal
