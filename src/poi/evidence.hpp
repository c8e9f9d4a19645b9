#pragma once
// Equivocation evidence (poi.md §6, consensus.md §2): two signatures by one validator key over
// conflicting messages of the same kind in the same (chain, epoch, round):
//   - two votes, or two proposals, for different block ids;
//   - two timeouts with different high_qc_round.
// The evidence is self-proving: anyone can check it with the two signatures alone.
//
// Canonical binary encoding (codec/binary.hpp):
//   kind u8 ‖ chain_id (u32 length, ≤ 64) ‖ epoch u64 ‖ round u64 ‖ signer (32 bytes)
//   ‖ statement ‖ statement
// where a statement is `block_id (32) ‖ signature (64)` for votes and proposals and
// `high_qc_round u64 ‖ signature (64)` for timeouts. The two statements are written in
// ascending bytewise order of their encodings, and the decoder rejects any other order, so one
// piece of evidence has exactly one encoding whichever order its halves were found in; the
// evidence id is BLAKE3-256 of that encoding.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "crypto/ed25519.hpp"
#include "poi/signing.hpp"
#include "poi/types.hpp"

namespace bizra::poi {

// The part of a signed consensus message that two conflicting messages differ in, plus the
// signature. Only the field of the evidence's kind is meaningful (and encoded); keep the other
// zero.
struct SignedStatement {
  Hash32 block_id;                  // votes and proposals
  std::uint64_t high_qc_round = 0;  // timeouts
  crypto::Signature signature;

  bool operator==(const SignedStatement&) const = default;
};

struct EquivocationEvidence {
  MessageKind kind = MessageKind::kVote;
  std::string chain_id;
  std::uint64_t epoch = 0;
  std::uint64_t round = 0;
  crypto::PublicKey signer;
  SignedStatement first;
  SignedStatement second;
};

// The message `statement` claims the signer signed (poi/signing.hpp).
Bytes signed_message(const EquivocationEvidence& evidence, const SignedStatement& statement);

Bytes encode(const EquivocationEvidence& evidence);
// Strict: complete input, known kind, chain id ≤ 64 bytes, statements in canonical order.
// Errors: those of codec::Reader ("truncated", "too_long", "trailing_bytes"), "bad_value"
// (unknown kind), "non_canonical" (statements out of order).
Result<EquivocationEvidence> decode_evidence(ByteSpan bytes);

// BLAKE3-256 of the canonical encoding: equal for (a, b) and (b, a).
Hash32 evidence_id(const EquivocationEvidence& evidence);

// Checks everything that needs no state: the chain is `chain_id`, the statements conflict, and
// both signatures verify under the signer's key.
// Errors: "wrong_chain", "not_equivocation", "bad_signature".
Status verify_evidence(const EquivocationEvidence& evidence, std::string_view chain_id);

// What makes two pieces of evidence the same offence: applying a second one is a no-op.
struct EvidenceKey {
  ValidatorId validator;
  std::uint64_t epoch = 0;
  std::uint64_t round = 0;
  MessageKind kind = MessageKind::kVote;
};
EvidenceKey evidence_key(const EquivocationEvidence& evidence);

}  // namespace bizra::poi
