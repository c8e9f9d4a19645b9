// Certificate and message validation (verify.hpp), and vote/timeout aggregation by weight.

#include "consensus/verify.hpp"

#include <gtest/gtest.h>

#include "consensus/aggregator.hpp"
#include "fixture.hpp"

namespace bizra::consensus {
namespace {

using testing::Committee;

std::string code(const Status& s) { return s.ok() ? "ok" : std::string(s.error().code()); }

class Verify : public ::testing::Test {
 protected:
  Committee c{{1, 1, 1, 1}};
  Hash32 block = crypto::blake3("block");
};

TEST_F(Verify, ValidQc) {
  EXPECT_EQ(code(verify_qc(c.qc(3, block, {0, 1, 2}), c.ctx())), "ok");
  EXPECT_EQ(code(verify_qc(c.qc_all(3, block), c.ctx())), "ok");
}

TEST_F(Verify, QcErrors) {
  QuorumCert qc = c.qc(3, block, {0, 1, 2});
  qc.epoch += 1;
  EXPECT_EQ(code(verify_qc(qc, c.ctx())), "wrong_epoch");

  qc = c.qc(3, block, {0, 1, 2});
  qc.signatures.pop_back();
  EXPECT_EQ(code(verify_qc(qc, c.ctx())), "bad_bitmap");

  qc = c.qc(3, block, {0, 1, 2});
  qc.signers = SignerBitmap(5);  // sized for another validator set
  for (ValidatorIndex i : {0u, 1u, 2u}) qc.signers.set(i);
  EXPECT_EQ(code(verify_qc(qc, c.ctx())), "bad_bitmap");

  EXPECT_EQ(code(verify_qc(c.qc(3, block, {0, 1}), c.ctx())), "no_quorum");

  qc = c.qc(3, block, {0, 1, 2});
  qc.signatures[1].bytes.bytes[0] ^= 1;
  EXPECT_EQ(code(verify_qc(qc, c.ctx())), "bad_signature");

  qc = c.qc(3, block, {0, 1, 2});
  qc.block_id = crypto::blake3("another block");  // signatures are for `block`
  EXPECT_EQ(code(verify_qc(qc, c.ctx())), "bad_signature");

  qc = c.qc(3, block, {0, 1, 2});
  qc.round = 4;
  EXPECT_EQ(code(verify_qc(qc, c.ctx())), "bad_signature");
}

TEST_F(Verify, QuorumIsByWeightNotCount) {
  Committee weighted({70, 10, 10, 10});
  ValidatorIndex heavy = 0;
  while (weighted.set().at(heavy).weight != 70) ++heavy;
  std::vector<ValidatorIndex> light;
  for (ValidatorIndex i = 0; i < 4; ++i)
    if (i != heavy) light.push_back(i);
  EXPECT_EQ(code(verify_qc(weighted.qc(2, block, {heavy}), weighted.ctx())), "ok");  // 1 of 4, 70%
  EXPECT_EQ(code(verify_qc(weighted.qc(2, block, light), weighted.ctx())), "no_quorum");  // 3 of 4, 30%
  EXPECT_EQ(code(verify_tc(weighted.tc(2, {{heavy, 1}}), weighted.ctx())), "ok");
  EXPECT_EQ(code(verify_tc(weighted.tc(2, {{light[0], 1}, {light[1], 1}, {light[2], 0}}), weighted.ctx())),
            "no_quorum");
}

TEST_F(Verify, GenesisQcOnlyForGenesis) {
  EXPECT_EQ(code(verify_qc(genesis_qc(testing::kEpoch, c.genesis().id), c.ctx())), "ok");
  EXPECT_EQ(code(verify_qc(genesis_qc(testing::kEpoch, block), c.ctx())), "bad_genesis_qc");
  QuorumCert with_signers = c.qc(0, c.genesis().id, {0, 1, 2});
  EXPECT_EQ(code(verify_qc(with_signers, c.ctx())), "bad_genesis_qc");
  EXPECT_EQ(code(verify_qc(genesis_qc(testing::kEpoch + 1, c.genesis().id), c.ctx())), "wrong_epoch");
}

TEST_F(Verify, TcErrors) {
  EXPECT_EQ(code(verify_tc(c.tc(5, {{0, 4}, {1, 2}, {3, 0}}), c.ctx())), "ok");
  EXPECT_EQ(code(verify_tc(c.tc(5, {{0, 4}, {1, 2}}), c.ctx())), "no_quorum");
  EXPECT_EQ(code(verify_tc(c.tc(5, {{0, 5}, {1, 2}, {3, 0}}), c.ctx())), "bad_high_qc_round");

  TimeoutCert tc = c.tc(5, {{0, 4}, {1, 2}, {3, 0}});
  tc.high_qc_rounds[1] = 3;  // signed 2
  EXPECT_EQ(code(verify_tc(tc, c.ctx())), "bad_signature");

  tc = c.tc(5, {{0, 4}, {1, 2}, {3, 0}});
  tc.high_qc_rounds.pop_back();
  EXPECT_EQ(code(verify_tc(tc, c.ctx())), "bad_bitmap");

  tc = c.tc(5, {{0, 4}, {1, 2}, {3, 0}});
  tc.signatures.pop_back();
  EXPECT_EQ(code(verify_tc(tc, c.ctx())), "bad_bitmap");

  tc = c.tc(5, {{0, 4}, {1, 2}, {3, 0}});
  tc.epoch = 0;
  EXPECT_EQ(code(verify_tc(tc, c.ctx())), "wrong_epoch");
}

TEST_F(Verify, VotesAndTimeouts) {
  EXPECT_EQ(code(verify_vote(c.vote(1, 3, block), c.ctx())), "ok");
  VoteMsg v = c.vote(1, 3, block);
  v.voter = 2;  // signed by 1
  EXPECT_EQ(code(verify_vote(v, c.ctx())), "bad_signature");
  v.voter = 4;
  EXPECT_EQ(code(verify_vote(v, c.ctx())), "bad_signer");
  v = c.vote(1, 3, block);
  v.epoch = 9;
  EXPECT_EQ(code(verify_vote(v, c.ctx())), "wrong_epoch");

  const QuorumCert qc2 = c.qc(2, block, {0, 1, 2});
  EXPECT_EQ(code(verify_timeout(c.timeout(3, 3, qc2), c.ctx())), "ok");
  EXPECT_EQ(code(verify_timeout(c.timeout(3, 2, qc2), c.ctx())), "bad_high_qc_round");
  TimeoutMsg t = c.timeout(3, 3, qc2);
  t.round = 4;
  EXPECT_EQ(code(verify_timeout(t, c.ctx())), "bad_signature");
}

TEST_F(Verify, Blocks) {
  const Block b1 = c.block(c.genesis(), 1, genesis_qc(testing::kEpoch, c.genesis().id), to_bytes("p"));
  EXPECT_EQ(code(verify_block(b1, c.ctx())), "ok");

  Block b = b1;
  b.header.timestamp_ms += 1;
  EXPECT_EQ(code(verify_block(b, c.ctx())), "bad_block_id");

  b = b1;
  b.payload = to_bytes("q");
  EXPECT_EQ(code(verify_block(b, c.ctx())), "bad_payload_digest");

  b = b1;
  b.header.proposer = (b.header.proposer + 1) % 4;
  c.resign(b);
  EXPECT_EQ(code(verify_block(b, c.ctx())), "wrong_leader");

  b = b1;
  b.header.parent_id = block;
  c.resign(b);
  EXPECT_EQ(code(verify_block(b, c.ctx())), "bad_qc_link");

  b = c.block(c.genesis(), 2, c.qc(2, c.genesis().id, {0, 1, 2}));  // QC round not below the block's
  EXPECT_EQ(code(verify_block(b, c.ctx())), "bad_qc_link");

  b = b1;
  b.proposer_signature.bytes.bytes[5] ^= 1;
  EXPECT_EQ(code(verify_block(b, c.ctx())), "bad_signature");

  b = b1;
  b.header.epoch = 2;
  c.resign(b);
  EXPECT_EQ(code(verify_block(b, c.ctx())), "wrong_epoch");
}

// --- aggregation -----------------------------------------------------------------------------

TEST_F(Verify, DuplicateVotesCountOnce) {
  VoteAggregator votes(c.set());
  EXPECT_FALSE(votes.add(c.vote(0, 3, block)));
  EXPECT_FALSE(votes.add(c.vote(0, 3, block)));  // duplicate
  EXPECT_FALSE(votes.add(c.vote(1, 3, block)));
  EXPECT_FALSE(votes.add(c.vote(1, 3, crypto::blake3("other"))));  // equivocation: not counted
  std::optional<QuorumCert> qc = votes.add(c.vote(2, 3, block));
  ASSERT_TRUE(qc.has_value());
  EXPECT_EQ(qc->signers.indexes(), (std::vector<ValidatorIndex>{0, 1, 2}));
  EXPECT_EQ(code(verify_qc(*qc, c.ctx())), "ok");
  EXPECT_FALSE(votes.add(c.vote(3, 3, block)));  // the QC is formed once
}

TEST_F(Verify, AggregationIsByWeight) {
  Committee weighted({70, 10, 10, 10});
  ValidatorIndex heavy = 0;
  while (weighted.set().at(heavy).weight != 70) ++heavy;
  VoteAggregator votes(weighted.set());
  for (ValidatorIndex i = 0; i < 4; ++i)
    if (i != heavy) {
      EXPECT_FALSE(votes.add(weighted.vote(i, 1, block)));
    }
  EXPECT_TRUE(votes.add(weighted.vote(heavy, 1, block)));

  TimeoutAggregator timeouts(weighted.set());
  const QuorumCert genesis = genesis_qc(testing::kEpoch, weighted.genesis().id);
  std::optional<TimeoutCert> tc = timeouts.add(weighted.timeout(heavy, 4, genesis));
  ASSERT_TRUE(tc.has_value());
  EXPECT_EQ(code(verify_tc(*tc, weighted.ctx())), "ok");
  EXPECT_EQ(timeouts.weight(4), 70u);
}

TEST_F(Verify, TimeoutAggregationFormsAValidTc) {
  TimeoutAggregator timeouts(c.set());
  const QuorumCert qc2 = c.qc(2, block, {0, 1, 2});
  const QuorumCert genesis = genesis_qc(testing::kEpoch, c.genesis().id);
  EXPECT_FALSE(timeouts.add(c.timeout(3, 3, qc2)));
  EXPECT_FALSE(timeouts.add(c.timeout(3, 3, genesis)));  // the same sender again: not counted
  EXPECT_FALSE(timeouts.add(c.timeout(1, 3, genesis)));
  EXPECT_EQ(timeouts.weight(3), 2u);
  std::optional<TimeoutCert> tc = timeouts.add(c.timeout(0, 3, genesis));
  ASSERT_TRUE(tc.has_value());
  EXPECT_EQ(tc->high_qc_rounds, (std::vector<Round>{0, 0, 2}));
  EXPECT_EQ(tc->max_high_qc_round(), 2u);
  EXPECT_EQ(code(verify_tc(*tc, c.ctx())), "ok");
  timeouts.forget_below(4);
  EXPECT_EQ(timeouts.weight(3), 0u);
}

}  // namespace
}  // namespace bizra::consensus
