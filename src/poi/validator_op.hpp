#pragma once
// ValidatorOp: the transaction by which a key registers itself as a validator or starts its
// exit (poi.md §5, consensus.md §4). Signed by the validator key itself.
//
// Canonical binary encoding (codec/binary.hpp):
//   body = kind u8 ‖ chain_id (u32 length, ≤ 64) ‖ validator_key (32) ‖ nonce u64
//          ‖ [register only: network_address (u32 length, ≤ 256) ‖ stake_bond u64]
//   op   = body ‖ signature (64)
// Signed message = "BIZRA/validator-op/v1" ‖ 0x00 ‖ body. The nonce makes every op single-use
// (an old Register cannot be replayed after the validator exits).

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "crypto/ed25519.hpp"

namespace bizra::poi {

// Values are part of the encoding: never renumber.
enum class ValidatorOpKind : std::uint8_t { kRegister = 1, kExit = 2 };

inline constexpr std::string_view kValidatorOpDomain = "BIZRA/validator-op/v1";

struct ValidatorOp {
  ValidatorOpKind kind = ValidatorOpKind::kRegister;
  std::string chain_id;
  crypto::PublicKey validator_key;
  std::uint64_t nonce = 0;
  std::string network_address;  // register only
  std::uint64_t stake_bond = 0;   // register only
  crypto::Signature signature;
};

Bytes signing_message(const ValidatorOp& op);
// Sets op.validator_key to `key`'s public key and signs the op with it.
void sign(ValidatorOp& op, const crypto::SecretKey& key);
bool verify_signature(const ValidatorOp& op);

Bytes encode(const ValidatorOp& op);
// Strict. Errors: those of codec::Reader, "bad_value" (unknown kind).
Result<ValidatorOp> decode_validator_op(ByteSpan bytes);

}  // namespace bizra::poi
