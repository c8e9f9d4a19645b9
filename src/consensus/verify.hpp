#pragma once
// Stateless validation of certificates and signed consensus messages against one epoch's
// validator set (docs/consensus.md §2). Every failure has its own stable error code so that a
// test (or a peer-scoring driver) can tell exactly which check refused the input:
//   "wrong_epoch"        the message is for another epoch
//   "bad_bitmap"         signer bitmap not sized to the validator set, or signature /
//                        high_qc_round count different from the number of signers
//   "no_quorum"          the signers' summed weight is not a quorum (by weight, not by count)
//   "bad_signature"      a signature does not verify
//   "bad_genesis_qc"     a round-0 QC that is not exactly the genesis QC
//   "bad_signer"         a signer index outside the validator set
//   "bad_high_qc_round"  a timeout whose high QC round is not below its own round
//   "bad_block_id"       the id is not BLAKE3 of the header
//   "bad_payload_digest" the payload does not hash to the header's digest
//   "wrong_leader"       the proposer is not the leader of the block's round
//   "bad_qc_link"        the header's QC does not certify its parent at a lower round

#include <string_view>

#include "base/error.hpp"
#include "consensus/signer.hpp"
#include "consensus/types.hpp"

namespace bizra::consensus {

struct VerifyContext {
  std::string_view chain_id;
  Epoch epoch = 0;
  const ValidatorSet& validators;
  Signer& signer;
  Hash32 genesis_id;  // the only block a round-0 QC may certify
};

// A QC is valid iff it is the genesis QC of the genesis block, or its signers are a quorum of
// the epoch and each signed the vote bytes of (epoch, round, block_id).
Status verify_qc(const QuorumCert& qc, const VerifyContext& ctx);
// A TC is valid iff its signers are a quorum and each signed the timeout bytes of
// (epoch, round, its own high_qc_round), every high_qc_round being below the TC's round.
Status verify_tc(const TimeoutCert& tc, const VerifyContext& ctx);
// The vote's fields and signature (not whether the block exists).
Status verify_vote(const VoteMsg& vote, const VerifyContext& ctx);
// The timeout's fields and signature; its high QC and TC are checked separately (and cached).
Status verify_timeout(const TimeoutMsg& timeout, const VerifyContext& ctx);
// Everything about a block that needs no other block: epoch, id, payload digest, proposer is the
// round's leader, proposer signature, and that its QC names its parent at a lower round. The
// QC's own signatures are checked separately (verify_qc).
Status verify_block(const Block& block, const VerifyContext& ctx);

}  // namespace bizra::consensus
