#include "consensus/verify.hpp"

#include <string>

#include "poi/signing.hpp"

namespace bizra::consensus {
namespace {

Status check_epoch(Epoch epoch, const VerifyContext& ctx) {
  if (epoch != ctx.epoch)
    return Error("wrong_epoch", "epoch " + std::to_string(epoch) + ", expected " + std::to_string(ctx.epoch));
  return ok_status();
}

// The signers of a certificate: sized to the validator set, one entry per signer, a quorum.
Status check_signers(const SignerBitmap& signers, std::size_t entries, const VerifyContext& ctx) {
  if (signers.capacity() != ctx.validators.size())
    return Error("bad_bitmap", "bitmap of " + std::to_string(signers.capacity()) + " bits for " +
                                   std::to_string(ctx.validators.size()) + " validators");
  if (entries != signers.count())
    return Error("bad_bitmap", std::to_string(entries) + " entries for " + std::to_string(signers.count()) +
                                   " signers");
  if (!ctx.validators.is_quorum(ctx.validators.weight_of(signers)))
    return Error("no_quorum", "signers hold " + std::to_string(ctx.validators.weight_of(signers)) + " of " +
                                  std::to_string(ctx.validators.total_weight()) + " weight");
  return ok_status();
}

Status check_signature(ValidatorIndex signer, ByteSpan message, const crypto::Signature& sig,
                       const VerifyContext& ctx) {
  if (signer >= ctx.validators.size()) return Error("bad_signer", "signer index " + std::to_string(signer));
  if (!ctx.signer.verify(ctx.validators.at(signer).key, message, sig))
    return Error("bad_signature", "signature of validator " + std::to_string(signer) + " does not verify");
  return ok_status();
}

Status verify_genesis_qc(const QuorumCert& qc, const VerifyContext& ctx) {
  if (qc != genesis_qc(ctx.epoch, ctx.genesis_id))
    return Error("bad_genesis_qc", "a round-0 QC must be the genesis QC of the genesis block");
  return ok_status();
}

}  // namespace

Status verify_qc(const QuorumCert& qc, const VerifyContext& ctx) {
  BIZRA_TRY(check_epoch(qc.epoch, ctx));
  if (qc.is_genesis()) return verify_genesis_qc(qc, ctx);
  BIZRA_TRY(check_signers(qc.signers, qc.signatures.size(), ctx));
  const Bytes message = poi::vote_message(ctx.chain_id, qc.epoch, qc.round, qc.block_id);
  const std::vector<ValidatorIndex> signers = qc.signers.indexes();
  for (std::size_t i = 0; i < signers.size(); ++i)
    BIZRA_TRY(check_signature(signers[i], message, qc.signatures[i], ctx));
  return ok_status();
}

Status verify_tc(const TimeoutCert& tc, const VerifyContext& ctx) {
  BIZRA_TRY(check_epoch(tc.epoch, ctx));
  BIZRA_TRY(check_signers(tc.signers, tc.high_qc_rounds.size(), ctx));
  if (tc.signatures.size() != tc.high_qc_rounds.size())
    return Error("bad_bitmap", "signature count differs from the signer count");
  const std::vector<ValidatorIndex> signers = tc.signers.indexes();
  for (std::size_t i = 0; i < signers.size(); ++i) {
    if (tc.high_qc_rounds[i] >= tc.round)
      return Error("bad_high_qc_round", "a timeout of round " + std::to_string(tc.round) + " carries high QC round " +
                                            std::to_string(tc.high_qc_rounds[i]));
    const Bytes message = poi::timeout_message(ctx.chain_id, tc.epoch, tc.round, tc.high_qc_rounds[i]);
    BIZRA_TRY(check_signature(signers[i], message, tc.signatures[i], ctx));
  }
  return ok_status();
}

Status verify_vote(const VoteMsg& vote, const VerifyContext& ctx) {
  BIZRA_TRY(check_epoch(vote.epoch, ctx));
  return check_signature(vote.voter, poi::vote_message(ctx.chain_id, vote.epoch, vote.round, vote.block_id),
                         vote.signature, ctx);
}

Status verify_timeout(const TimeoutMsg& t, const VerifyContext& ctx) {
  BIZRA_TRY(check_epoch(t.epoch, ctx));
  if (t.high_qc.round >= t.round)
    return Error("bad_high_qc_round", "timeout of round " + std::to_string(t.round) + " carries high QC round " +
                                          std::to_string(t.high_qc.round));
  return check_signature(t.sender, poi::timeout_message(ctx.chain_id, t.epoch, t.round, t.high_qc.round),
                         t.signature, ctx);
}

Status verify_block(const Block& block, const VerifyContext& ctx) {
  const BlockHeader& h = block.header;
  BIZRA_TRY(check_epoch(h.epoch, ctx));
  if (compute_block_id(h) != block.id) return Error("bad_block_id", "block id does not match its header");
  if (payload_digest(block.payload) != h.payload_digest)
    return Error("bad_payload_digest", "payload does not match the header's digest");
  if (h.qc.block_id != h.parent_id || h.qc.round >= h.round || h.qc.epoch != h.epoch)
    return Error("bad_qc_link", "the block's QC does not certify its parent at a lower round");
  if (h.proposer != ctx.validators.leader(h.epoch, h.round))
    return Error("wrong_leader", "proposer " + std::to_string(h.proposer) + " is not the leader of round " +
                                     std::to_string(h.round));
  return check_signature(h.proposer, poi::proposal_message(ctx.chain_id, h.epoch, h.round, block.id),
                         block.proposer_signature, ctx);
}

}  // namespace bizra::consensus
