#include "poi/validator_op.hpp"

#include "codec/binary.hpp"
#include "poi/types.hpp"

namespace bizra::poi {
namespace {

void write_body(codec::Writer& w, const ValidatorOp& op) {
  w.u8(static_cast<std::uint8_t>(op.kind)).string(op.chain_id).fixed(op.validator_key.bytes).u64(op.nonce);
  if (op.kind == ValidatorOpKind::kRegister) w.string(op.network_address).u64(op.stake_bond);
}

}  // namespace

Bytes signing_message(const ValidatorOp& op) {
  codec::Writer w;
  w.raw(as_bytes(kValidatorOpDomain)).u8(0);
  write_body(w, op);
  return std::move(w).take();
}

void sign(ValidatorOp& op, const crypto::SecretKey& key) {
  op.validator_key = key.public_key();
  op.signature = key.sign(signing_message(op));
}

bool verify_signature(const ValidatorOp& op) {
  return crypto::verify(op.validator_key, signing_message(op), op.signature);
}

Bytes encode(const ValidatorOp& op) {
  codec::Writer w;
  write_body(w, op);
  w.fixed(op.signature.bytes);
  return std::move(w).take();
}

Result<ValidatorOp> decode_validator_op(ByteSpan bytes) {
  codec::Reader r(bytes);
  ValidatorOp op;
  const std::uint8_t kind = r.u8("kind");
  if (r.ok() && kind != static_cast<std::uint8_t>(ValidatorOpKind::kRegister) &&
      kind != static_cast<std::uint8_t>(ValidatorOpKind::kExit))
    r.fail("bad_value", "unknown validator op kind " + std::to_string(kind));
  op.kind = static_cast<ValidatorOpKind>(kind);
  op.chain_id = r.string("chain_id", kMaxChainIdBytes);
  op.validator_key.bytes = r.fixed<crypto::PublicKey::kSize>("validator_key");
  op.nonce = r.u64("nonce");
  if (op.kind == ValidatorOpKind::kRegister) {
    op.network_address = r.string("network_address", kMaxNetworkAddressBytes);
    op.stake_bond = r.u64("stake_bond");
  }
  op.signature.bytes = r.fixed<crypto::Signature::kSize>("signature");
  BIZRA_TRY(r.finish());
  return op;
}

}  // namespace bizra::poi
