// Consensus signed messages and equivocation evidence: exact bytes, canonical encoding,
// verification, and what applying evidence does to the state.

#include "poi/evidence.hpp"

#include <gtest/gtest.h>

#include "base/hex.hpp"
#include "codec/binary.hpp"
#include "crypto/blake3.hpp"
#include "poi/rules.hpp"
#include "poi/signing.hpp"
#include "poi/transition.hpp"
#include "state_harness.hpp"

namespace bizra::poi {
namespace {

using testing::kChain;
using testing::test_key;

Hash32 block(std::string_view name) { return crypto::blake3(name); }

// Signs the statement with the message functions directly (not through signed_message), so a
// wrong dispatch in the library cannot make its own test pass.
SignedStatement statement(const crypto::SecretKey& key, MessageKind kind, std::string_view chain, std::uint64_t epoch,
                          std::uint64_t round, const Hash32& block_id, std::uint64_t high_qc_round = 0) {
  SignedStatement s;
  switch (kind) {
    case MessageKind::kVote: s.block_id = block_id; s.signature = key.sign(vote_message(chain, epoch, round, block_id)); break;
    case MessageKind::kProposal: s.block_id = block_id; s.signature = key.sign(proposal_message(chain, epoch, round, block_id)); break;
    case MessageKind::kTimeout:
      s.high_qc_round = high_qc_round;
      s.signature = key.sign(timeout_message(chain, epoch, round, high_qc_round));
      break;
  }
  return s;
}

EquivocationEvidence evidence(const crypto::SecretKey& key, MessageKind kind, SignedStatement a, SignedStatement b,
                              std::uint64_t epoch = 1, std::uint64_t round = 5) {
  return {kind, std::string(kChain), epoch, round, key.public_key(), a, b};
}

// Two votes by `key` in (epoch 1, round 5) for blocks "A" and "B".
EquivocationEvidence double_vote(const crypto::SecretKey& key, std::uint64_t round = 5) {
  return evidence(key, MessageKind::kVote, statement(key, MessageKind::kVote, kChain, 1, round, block("A")),
                  statement(key, MessageKind::kVote, kChain, 1, round, block("B")), 1, round);
}

// --- signed messages --------------------------------------------------------------------------

TEST(SignedMessages, VoteBytes) {
  Hash32 id;
  id.bytes.fill(0xab);
  // "BIZRA/vote/v1" ‖ 00 ‖ u32 len 1 ‖ "c" ‖ epoch 1 (u64 LE) ‖ round 2 (u64 LE) ‖ block id
  EXPECT_EQ(hex::encode(vote_message("c", 1, 2, id)),
            hex::encode(as_bytes("BIZRA/vote/v1")) + "00" + "01000000" + "63" + "0100000000000000" +
                "0200000000000000" +
                "abababababababababababababababababababababababababababababababab");
}

TEST(SignedMessages, ProposalAndTimeoutBytes) {
  Hash32 id;
  id.bytes.fill(0x01);
  EXPECT_EQ(hex::encode(proposal_message("xy", 3, 258, id)),
            hex::encode(as_bytes("BIZRA/proposal/v1")) + "00" + "02000000" + "7879" + "0300000000000000" +
                "0201000000000000" + hex::encode(id));
  // high_qc_round 0x0102030405060708 in little-endian
  EXPECT_EQ(hex::encode(timeout_message("xy", 3, 4, 0x0102030405060708)),
            hex::encode(as_bytes("BIZRA/timeout/v1")) + "00" + "02000000" + "7879" + "0300000000000000" +
                "0400000000000000" + "0807060504030201");
}

TEST(SignedMessages, KindsAndChainsNeverCollide) {
  const Hash32 id = block("A");
  EXPECT_NE(vote_message(kChain, 1, 5, id), proposal_message(kChain, 1, 5, id));
  EXPECT_NE(vote_message("a", 1, 5, id), vote_message("b", 1, 5, id));
}

// --- verification (stateless) -----------------------------------------------------------------

TEST(VerifyEvidence, DoubleVoteProposalAndTimeout) {
  const auto key = test_key(1);
  EXPECT_TRUE(verify_evidence(double_vote(key), kChain).ok());
  const auto proposals =
      evidence(key, MessageKind::kProposal, statement(key, MessageKind::kProposal, kChain, 1, 5, block("A")),
               statement(key, MessageKind::kProposal, kChain, 1, 5, block("B")));
  EXPECT_TRUE(verify_evidence(proposals, kChain).ok());
  const auto timeouts = evidence(key, MessageKind::kTimeout, statement(key, MessageKind::kTimeout, kChain, 1, 5, {}, 3),
                                 statement(key, MessageKind::kTimeout, kChain, 1, 5, {}, 4));
  EXPECT_TRUE(verify_evidence(timeouts, kChain).ok());
}

TEST(VerifyEvidence, SameContentIsNotEquivocation) {
  const auto key = test_key(1);
  const auto vote = statement(key, MessageKind::kVote, kChain, 1, 5, block("A"));
  EXPECT_EQ(verify_evidence(evidence(key, MessageKind::kVote, vote, vote), kChain).error().code(), "not_equivocation");
  const auto timeout = statement(key, MessageKind::kTimeout, kChain, 1, 5, {}, 3);
  EXPECT_EQ(verify_evidence(evidence(key, MessageKind::kTimeout, timeout, timeout), kChain).error().code(),
            "not_equivocation");
}

TEST(VerifyEvidence, DifferentRoundsOrEpochsDoNotVerify) {
  const auto key = test_key(1);
  // The second vote was cast in round 6 (or epoch 2): claiming round 5 for it breaks its signature.
  auto e = evidence(key, MessageKind::kVote, statement(key, MessageKind::kVote, kChain, 1, 5, block("A")),
                    statement(key, MessageKind::kVote, kChain, 1, 6, block("B")));
  EXPECT_EQ(verify_evidence(e, kChain).error().code(), "bad_signature");
  e.second = statement(key, MessageKind::kVote, kChain, 2, 5, block("B"));
  EXPECT_EQ(verify_evidence(e, kChain).error().code(), "bad_signature");
}

TEST(VerifyEvidence, DifferentSignersDoNotVerify) {
  const auto key = test_key(1);
  const auto other = test_key(2);
  const auto e = evidence(key, MessageKind::kVote, statement(key, MessageKind::kVote, kChain, 1, 5, block("A")),
                          statement(other, MessageKind::kVote, kChain, 1, 5, block("B")));
  EXPECT_EQ(verify_evidence(e, kChain).error().code(), "bad_signature");
}

TEST(VerifyEvidence, TamperedSignatureOrBlock) {
  const auto key = test_key(1);
  auto e = double_vote(key);
  e.second.signature.bytes.bytes[10] ^= 1;
  EXPECT_EQ(verify_evidence(e, kChain).error().code(), "bad_signature");
  e = double_vote(key);
  e.first.block_id = block("C");  // signed A, claims C
  EXPECT_EQ(verify_evidence(e, kChain).error().code(), "bad_signature");
}

TEST(VerifyEvidence, KindsAreDomainSeparated) {
  const auto key = test_key(1);
  // A vote and a proposal for different blocks in one round are no proof of a double vote.
  const auto e = evidence(key, MessageKind::kVote, statement(key, MessageKind::kVote, kChain, 1, 5, block("A")),
                          statement(key, MessageKind::kProposal, kChain, 1, 5, block("B")));
  EXPECT_EQ(verify_evidence(e, kChain).error().code(), "bad_signature");
}

TEST(VerifyEvidence, WrongChain) {
  const auto key = test_key(1);
  EXPECT_EQ(verify_evidence(double_vote(key), "other-chain").error().code(), "wrong_chain");
  // Signed on another chain, presented as ours.
  auto e = evidence(key, MessageKind::kVote, statement(key, MessageKind::kVote, "other-chain", 1, 5, block("A")),
                    statement(key, MessageKind::kVote, "other-chain", 1, 5, block("B")));
  EXPECT_EQ(verify_evidence(e, kChain).error().code(), "bad_signature");
}

// --- encoding ---------------------------------------------------------------------------------

TEST(EvidenceCodec, RoundTripAndOrderIndependence) {
  const auto key = test_key(1);
  const auto e = double_vote(key);
  auto swapped = e;
  std::swap(swapped.first, swapped.second);
  EXPECT_EQ(encode(e), encode(swapped));
  EXPECT_EQ(evidence_id(e), evidence_id(swapped));
  EXPECT_EQ(evidence_id(e), crypto::blake3(encode(e)));

  const Bytes bytes = encode(e);
  // kind 1 + chain (4 + 10) + epoch 8 + round 8 + signer 32 + 2 x (block 32 + signature 64)
  EXPECT_EQ(bytes.size(), 1u + 14 + 8 + 8 + 32 + 2 * 96);
  auto decoded = decode_evidence(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(encode(*decoded), bytes);
  EXPECT_EQ(decoded->signer, key.public_key());
  EXPECT_TRUE(verify_evidence(*decoded, kChain).ok());
}

TEST(EvidenceCodec, TimeoutRoundTrip) {
  const auto key = test_key(1);
  const auto e = evidence(key, MessageKind::kTimeout, statement(key, MessageKind::kTimeout, kChain, 1, 5, {}, 9),
                          statement(key, MessageKind::kTimeout, kChain, 1, 5, {}, 4));
  const Bytes bytes = encode(e);
  EXPECT_EQ(bytes.size(), 1u + 14 + 8 + 8 + 32 + 2 * 72);  // statements: u64 + signature
  auto decoded = decode_evidence(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_TRUE(verify_evidence(*decoded, kChain).ok());
  EXPECT_EQ(evidence_id(*decoded), evidence_id(e));
}

TEST(EvidenceCodec, RejectsStatementsOutOfOrder) {
  const auto key = test_key(1);
  const auto e = double_vote(key);
  Bytes bytes = encode(e);
  // Swap the two 96-byte statements at the end of the encoding.
  const auto second = bytes.end() - 96;
  std::swap_ranges(second - 96, second, second);
  EXPECT_EQ(decode_evidence(bytes).error().code(), "non_canonical");
}

TEST(EvidenceCodec, StrictReader) {
  const auto key = test_key(1);
  Bytes bytes = encode(double_vote(key));
  Bytes truncated(bytes.begin(), bytes.end() - 1);
  EXPECT_EQ(decode_evidence(truncated).error().code(), "truncated");
  Bytes trailing = bytes;
  trailing.push_back(0);
  EXPECT_EQ(decode_evidence(trailing).error().code(), "trailing_bytes");
  Bytes bad_kind = bytes;
  bad_kind[0] = 4;
  EXPECT_EQ(decode_evidence(bad_kind).error().code(), "bad_value");
  bad_kind[0] = 0;
  EXPECT_EQ(decode_evidence(bad_kind).error().code(), "bad_value");
  EXPECT_EQ(decode_evidence({}).error().code(), "truncated");

  codec::Writer long_chain;
  long_chain.u8(1).string(std::string(kMaxChainIdBytes + 1, 'c'));
  EXPECT_EQ(decode_evidence(long_chain.data()).error().code(), "too_long");
}

// --- applying evidence ------------------------------------------------------------------------

class ApplyEvidence : public ::testing::Test {
 protected:
  void SetUp() override {
    const GenesisValidator genesis[] = {{key_.public_key(), "127.0.0.1:9000", 1'000'000, 155},
                                        {other_.public_key(), "127.0.0.1:9001", 400, 120}};
    ASSERT_TRUE(apply_genesis(state_, genesis).ok());
    ASSERT_TRUE(state_.commit().ok());
  }

  ValidatorRecord record(const crypto::SecretKey& key) { return *state_.validator(validator_id_of(key.public_key())); }

  crypto::SecretKey key_ = test_key(1);
  crypto::SecretKey other_ = test_key(2);
  MemoryState state_;
};

TEST_F(ApplyEvidence, SlashesTheSigner) {
  const auto outcome = apply_evidence(state_, kChain, double_vote(key_));
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_EQ(*outcome, EvidenceOutcome::kSlashed);
  const ValidatorRecord slashed = record(key_);
  EXPECT_EQ(slashed.status, ValidatorStatus::kSlashed);
  EXPECT_EQ(slashed.slash_reason, SlashReason::kEquivocation);
  EXPECT_EQ(slashed.poi_weight, 16u);  // 155 - floor(155 * 9/10 = 139.5)
  EXPECT_EQ(slashed.stake_bond, 0u);   // bf = 1
  EXPECT_EQ(slashed.quarantine_until, 4u);  // epoch 0 + 4
  EXPECT_EQ(record(other_).status, ValidatorStatus::kActive);
  EXPECT_TRUE(state_.evidence_seen(evidence_key(double_vote(key_))));
}

TEST_F(ApplyEvidence, DuplicateIsANoOp) {
  ASSERT_EQ(*apply_evidence(state_, kChain, double_vote(key_)), EvidenceOutcome::kSlashed);
  ASSERT_TRUE(state_.commit().ok());
  const ValidatorRecord after_first = record(key_);

  auto swapped = double_vote(key_);
  std::swap(swapped.first, swapped.second);
  const auto again = apply_evidence(state_, kChain, swapped);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, EvidenceOutcome::kDuplicate);
  // Another pair for the same offence (votes for B and C in the same round) is the same offence.
  const auto third = evidence(key_, MessageKind::kVote, statement(key_, MessageKind::kVote, kChain, 1, 5, block("B")),
                              statement(key_, MessageKind::kVote, kChain, 1, 5, block("C")));
  EXPECT_EQ(*apply_evidence(state_, kChain, third), EvidenceOutcome::kDuplicate);
  EXPECT_TRUE(state_.pending().empty());  // nothing written
  EXPECT_EQ(record(key_), after_first);
}

TEST_F(ApplyEvidence, NewOffenceOfASlashedValidatorIsRecordedWithoutPenalty) {
  ASSERT_EQ(*apply_evidence(state_, kChain, double_vote(key_, 5)), EvidenceOutcome::kSlashed);
  const ValidatorRecord after_first = record(key_);
  EXPECT_EQ(*apply_evidence(state_, kChain, double_vote(key_, 6)), EvidenceOutcome::kAlreadySlashed);
  EXPECT_EQ(record(key_), after_first);
  EXPECT_TRUE(state_.evidence_seen(evidence_key(double_vote(key_, 6))));
}

TEST_F(ApplyEvidence, UnknownValidator) {
  const auto stranger = test_key(9);
  EXPECT_EQ(apply_evidence(state_, kChain, double_vote(stranger)).error().code(), "unknown_validator");
  EXPECT_TRUE(state_.pending().empty());
}

TEST_F(ApplyEvidence, InvalidEvidenceChangesNothing) {
  auto e = double_vote(key_);
  e.first.signature.bytes.bytes[0] ^= 0x80;
  EXPECT_EQ(apply_evidence(state_, kChain, e).error().code(), "bad_signature");
  EXPECT_EQ(apply_evidence(state_, "other-chain", double_vote(key_)).error().code(), "wrong_chain");
  EXPECT_TRUE(state_.pending().empty());
  EXPECT_EQ(record(key_).status, ValidatorStatus::kActive);
}

}  // namespace
}  // namespace bizra::poi
