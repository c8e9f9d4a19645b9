#include "crypto/identity.hpp"

#include "base/hex.hpp"
#include "crypto/blake3.hpp"

namespace bizra::crypto {
namespace {
constexpr std::string_view kPrefix = "ed25519:";
constexpr std::size_t kAccountIdBytes = 20;
}  // namespace

std::string format_public_key(const PublicKey& key) { return std::string(kPrefix) + hex::encode(key.bytes); }

Result<PublicKey> parse_public_key(std::string_view text) {
  if (!text.starts_with(kPrefix)) return Error("bad_key", "public key must start with \"ed25519:\"");
  const auto digits = text.substr(kPrefix.size());
  if (digits.size() != 2 * PublicKey::kSize || !hex::is_lower_hex(digits))
    return Error("bad_key", "public key must be \"ed25519:\" followed by 64 lowercase hex digits");
  auto bytes = hex::decode_fixed<PublicKey::kSize>(digits);
  if (!bytes) return bytes.error();
  return PublicKey{*bytes};
}

std::string account_id(const PublicKey& key) {
  const Hash32 digest = blake3(key.span());
  return "bz" + hex::encode(ByteSpan(digest.data(), kAccountIdBytes));
}

}  // namespace bizra::crypto
