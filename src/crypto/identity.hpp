#pragma once
// Textual identities derived from an Ed25519 public key (../shared/spec/poi.md §2):
//   pubkey text  "ed25519:" + 64 lowercase hex
//   account id   "bz" + hex(first 20 bytes of BLAKE3-256(pubkey bytes))   (42 chars)

#include <string>
#include <string_view>

#include "base/error.hpp"
#include "crypto/ed25519.hpp"

namespace bizra::crypto {

std::string format_public_key(const PublicKey& key);
// Parses "ed25519:<64 lowercase hex>". Errors: "bad_key".
Result<PublicKey> parse_public_key(std::string_view text);
std::string account_id(const PublicKey& key);

}  // namespace bizra::crypto
