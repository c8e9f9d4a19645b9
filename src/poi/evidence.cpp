#include "poi/evidence.hpp"

#include <utility>

#include "codec/binary.hpp"
#include "crypto/blake3.hpp"

namespace bizra::poi {
namespace {

bool names_block(MessageKind kind) { return kind != MessageKind::kTimeout; }

void write_statement(codec::Writer& w, MessageKind kind, const SignedStatement& statement) {
  if (names_block(kind)) {
    w.fixed(statement.block_id);
  } else {
    w.u64(statement.high_qc_round);
  }
  w.fixed(statement.signature.bytes);
}

Bytes statement_bytes(MessageKind kind, const SignedStatement& statement) {
  codec::Writer w(32 + crypto::Signature::kSize);
  write_statement(w, kind, statement);
  return std::move(w).take();
}

SignedStatement read_statement(codec::Reader& r, MessageKind kind) {
  SignedStatement statement;
  if (names_block(kind)) {
    statement.block_id = r.fixed<32>("block_id");
  } else {
    statement.high_qc_round = r.u64("high_qc_round");
  }
  statement.signature.bytes = r.fixed<crypto::Signature::kSize>("signature");
  return statement;
}

bool conflicting(const EquivocationEvidence& e) {
  return names_block(e.kind) ? e.first.block_id != e.second.block_id
                             : e.first.high_qc_round != e.second.high_qc_round;
}

}  // namespace

Bytes signed_message(const EquivocationEvidence& e, const SignedStatement& statement) {
  switch (e.kind) {
    case MessageKind::kVote: return vote_message(e.chain_id, e.epoch, e.round, statement.block_id);
    case MessageKind::kProposal: return proposal_message(e.chain_id, e.epoch, e.round, statement.block_id);
    case MessageKind::kTimeout: return timeout_message(e.chain_id, e.epoch, e.round, statement.high_qc_round);
  }
  return {};
}

Bytes encode(const EquivocationEvidence& e) {
  Bytes a = statement_bytes(e.kind, e.first);
  Bytes b = statement_bytes(e.kind, e.second);
  if (b < a) std::swap(a, b);
  codec::Writer w(64 + e.chain_id.size() + a.size() + b.size());
  w.u8(static_cast<std::uint8_t>(e.kind)).string(e.chain_id).u64(e.epoch).u64(e.round).fixed(e.signer.bytes);
  w.raw(a).raw(b);
  return std::move(w).take();
}

Result<EquivocationEvidence> decode_evidence(ByteSpan bytes) {
  codec::Reader r(bytes);
  EquivocationEvidence e;
  const std::uint8_t kind = r.u8("kind");
  if (r.ok() && (kind < static_cast<std::uint8_t>(MessageKind::kVote) ||
                 kind > static_cast<std::uint8_t>(MessageKind::kTimeout)))
    r.fail("bad_value", "unknown evidence kind " + std::to_string(kind));
  e.kind = static_cast<MessageKind>(kind);
  e.chain_id = r.string("chain_id", kMaxChainIdBytes);
  e.epoch = r.u64("epoch");
  e.round = r.u64("round");
  e.signer.bytes = r.fixed<crypto::PublicKey::kSize>("signer");
  e.first = read_statement(r, e.kind);
  e.second = read_statement(r, e.kind);
  BIZRA_TRY(r.finish());
  if (statement_bytes(e.kind, e.second) < statement_bytes(e.kind, e.first))
    return Error("non_canonical", "evidence statements are not in ascending order");
  return e;
}

Hash32 evidence_id(const EquivocationEvidence& e) { return crypto::blake3(encode(e)); }

Status verify_evidence(const EquivocationEvidence& e, std::string_view chain_id) {
  if (e.chain_id != chain_id)
    return Error("wrong_chain", "evidence is for chain '" + e.chain_id + "', not '" + std::string(chain_id) + "'");
  if (!conflicting(e))
    return Error("not_equivocation", "both statements sign the same content: not conflicting");
  for (const SignedStatement* statement : {&e.first, &e.second}) {
    if (!crypto::verify(e.signer, signed_message(e, *statement), statement->signature))
      return Error("bad_signature", "an evidence signature does not verify under the signer's key");
  }
  return ok_status();
}

EvidenceKey evidence_key(const EquivocationEvidence& e) {
  return {validator_id_of(e.signer), e.epoch, e.round, e.kind};
}

}  // namespace bizra::poi
