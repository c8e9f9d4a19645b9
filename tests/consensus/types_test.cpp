// Validator sets, leader election and the canonical encodings of consensus messages.

#include "consensus/types.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "codec/binary.hpp"
#include "consensus/safety.hpp"
#include "fixture.hpp"
#include "poi/types.hpp"

namespace bizra::consensus {
namespace {

using testing::Committee;
using testing::key_from_seed;

std::vector<ValidatorInfo> infos(const std::vector<std::uint64_t>& weights) {
  std::vector<ValidatorInfo> out;
  for (std::size_t i = 0; i < weights.size(); ++i)
    out.push_back({key_from_seed(100 + static_cast<std::uint32_t>(i)).public_key(), weights[i]});
  return out;
}

std::string create_error(std::vector<ValidatorInfo> v) {
  Result<ValidatorSet> set = ValidatorSet::create(std::move(v));
  return set.ok() ? "ok" : std::string(set.error().code());
}

// --- ValidatorSet -------------------------------------------------------------------------------

TEST(ValidatorSet, RejectsMalformedSets) {
  EXPECT_EQ(create_error({}), "bad_validator_set");
  EXPECT_EQ(create_error(infos({1, 0, 1})), "bad_validator_set");
  auto dup = infos({1, 1});
  dup[1].key = dup[0].key;
  EXPECT_EQ(create_error(dup), "bad_validator_set");
  EXPECT_EQ(create_error(infos({UINT64_MAX, 1})), "bad_validator_set");
  EXPECT_EQ(create_error(std::vector<ValidatorInfo>(kMaxValidators + 1, infos({1})[0])), "bad_validator_set");
  EXPECT_EQ(create_error(infos({UINT64_MAX - 1, 1})), "ok");
}

TEST(ValidatorSet, SortsByValidatorIdWhateverTheInputOrder) {
  auto v = infos({1, 2, 3, 4, 5, 6});
  auto reversed = v;
  std::reverse(reversed.begin(), reversed.end());
  const ValidatorSet a = ValidatorSet::create(v).value();
  const ValidatorSet b = ValidatorSet::create(reversed).value();
  for (ValidatorIndex i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a.at(i).key, b.at(i).key);
    EXPECT_EQ(a.index_of(a.at(i).key), i);
    if (i > 0) {
      EXPECT_LT(poi::validator_id_of(a.at(i - 1).key), poi::validator_id_of(a.at(i).key));
    }
  }
  EXPECT_EQ(a.total_weight(), 21u);
  EXPECT_FALSE(a.index_of(key_from_seed(999).public_key()).has_value());
}

TEST(ValidatorSet, QuorumIsByWeight) {
  const ValidatorSet equal = ValidatorSet::create(infos({1, 1, 1, 1})).value();
  EXPECT_TRUE(equal.is_quorum(3));   // 30000 >= 26668
  EXPECT_FALSE(equal.is_quorum(2));
  EXPECT_TRUE(equal.exceeds_one_third(2));
  EXPECT_FALSE(equal.exceeds_one_third(1));
  // 6667 of 10000 is exactly the threshold; 6666 is not.
  const ValidatorSet exact = ValidatorSet::create(infos({6667, 3333})).value();
  EXPECT_TRUE(exact.is_quorum(6667));
  EXPECT_FALSE(exact.is_quorum(6666));
  // No overflow with weights near 2^64.
  const ValidatorSet huge = ValidatorSet::create(infos({UINT64_MAX / 2, UINT64_MAX / 2})).value();
  EXPECT_FALSE(huge.is_quorum(UINT64_MAX / 2));
  EXPECT_TRUE(huge.is_quorum(UINT64_MAX - 1));
}

TEST(ValidatorSet, WeightOfCountsEachSignerOnce) {
  const ValidatorSet set = ValidatorSet::create(infos({5, 7, 11})).value();
  SignerBitmap signers(3);
  signers.set(0);
  signers.set(2);
  signers.set(2);
  EXPECT_EQ(set.weight_of(signers), set.at(0).weight + set.at(2).weight);
}

TEST(ValidatorSet, LeaderIsDeterministic) {
  const ValidatorSet a = ValidatorSet::create(infos({3, 1, 4, 1, 5})).value();
  auto shuffled = infos({3, 1, 4, 1, 5});
  std::rotate(shuffled.begin(), shuffled.begin() + 2, shuffled.end());
  const ValidatorSet b = ValidatorSet::create(shuffled).value();
  bool epochs_differ = false;
  for (Round r = 0; r < 1000; ++r) {
    EXPECT_EQ(a.leader(7, r), b.leader(7, r));
    EXPECT_LT(a.leader(7, r), a.size());
    epochs_differ = epochs_differ || a.leader(7, r) != a.leader(8, r);
  }
  EXPECT_TRUE(epochs_differ);
}

// Over many rounds each validator leads in proportion to its weight. Equal weights with a
// total of 10 are included on purpose: reducing round * 0x9E3779B97F4A7C15 mod total (which is
// divisible by 5) would give only two leaders there.
TEST(ValidatorSet, LeaderIsWeightProportional) {
  for (const std::vector<std::uint64_t>& weights :
       {std::vector<std::uint64_t>(10, 1), std::vector<std::uint64_t>{1, 2, 3, 4},
        std::vector<std::uint64_t>{1000, 1, 1, 50, 7}}) {
    const ValidatorSet set = ValidatorSet::create(infos(weights)).value();
    std::map<ValidatorIndex, std::uint64_t> led;
    constexpr std::uint64_t kRounds = 200'000;
    for (Round r = 1; r <= kRounds; ++r) ++led[set.leader(3, r)];
    for (ValidatorIndex i = 0; i < set.size(); ++i) {
      const double expected = static_cast<double>(kRounds) * static_cast<double>(set.at(i).weight) /
                              static_cast<double>(set.total_weight());
      EXPECT_NEAR(static_cast<double>(led[i]), expected, expected * 0.02 + 20) << "validator " << i;
    }
  }
}

// --- encodings ----------------------------------------------------------------------------------

class Encoding : public ::testing::Test {
 protected:
  Committee c{{1, 1, 1, 1}};
  WireLimits limits;

  Block block1() const { return c.block(c.genesis(), 1, genesis_qc(testing::kEpoch, c.genesis().id), to_bytes("tx")); }
  TimeoutCert tc3() const { return c.tc(3, {{0, 1}, {1, 2}, {3, 1}}); }

  std::vector<Message> samples() const {
    const Block b1 = block1();
    const Block b2 = c.block(b1, 2, c.qc(1, b1.id, {0, 1, 2}));
    return {ProposalMsg{b1, std::nullopt},
            ProposalMsg{c.block(b2, 4, c.qc(2, b2.id, {1, 2, 3})), tc3()},
            c.vote(2, 5, b1.id),
            c.timeout(1, 4, c.qc(2, b2.id, {0, 2, 3}), tc3()),
            c.timeout(1, 1, genesis_qc(testing::kEpoch, c.genesis().id)),
            BlockRequest{b2.id, 7},
            BlockResponse{{b2, b1}},
            BlockResponse{}};
  }

  std::string decode_error(ByteSpan bytes) const {
    Result<Message> m = decode_message(bytes, limits);
    return m.ok() ? "ok" : std::string(m.error().code());
  }
};

TEST_F(Encoding, RoundTripsEveryMessage) {
  for (const Message& m : samples()) {
    const Bytes bytes = encode(m);
    Result<Message> back = decode_message(bytes, limits);
    ASSERT_TRUE(back.ok()) << back.error().to_string();
    EXPECT_EQ(back->index(), m.index());
    EXPECT_EQ(encode(*back), bytes);
  }
  // Field values survive (not only the byte count).
  const Message vote = c.vote(2, 5, block1().id);
  EXPECT_EQ(std::get<VoteMsg>(decode_message(encode(vote), limits).value()).voter, 2u);
  const TimeoutMsg t = std::get<TimeoutMsg>(decode_message(encode(samples()[3]), limits).value());
  EXPECT_EQ(t.round, 4u);
  EXPECT_EQ(t.high_qc.round, 2u);
  ASSERT_TRUE(t.last_round_tc.has_value());
  EXPECT_EQ(*t.last_round_tc, tc3());
  EXPECT_EQ(t.last_round_tc->max_high_qc_round(), 2u);
}

TEST_F(Encoding, EveryTruncationFails) {
  for (const Message& m : samples()) {
    const Bytes bytes = encode(m);
    for (std::size_t n = 0; n < bytes.size(); ++n)
      EXPECT_NE(decode_error(ByteSpan(bytes).first(n)), "ok") << "message " << m.index() << " cut at " << n;
  }
  EXPECT_EQ(decode_error({}), "truncated");
}

TEST_F(Encoding, TrailingBytesFail) {
  for (const Message& m : samples()) {
    Bytes bytes = encode(m);
    bytes.push_back(0);
    EXPECT_EQ(decode_error(bytes), "trailing_bytes");
  }
}

TEST_F(Encoding, UnknownTagFails) {
  for (std::uint8_t tag : {std::uint8_t{0}, std::uint8_t{6}, std::uint8_t{255}}) {
    const Bytes bytes{tag};
    EXPECT_EQ(decode_error(bytes), "bad_value") << int{tag};
  }
}

// Timeout layout: tag 1 ‖ epoch 8 ‖ round 8 ‖ QC: epoch 8 ‖ round 8 ‖ block 32 ‖ bit count 4 ‖
// bitmap bytes, so the first bitmap byte is at offset 69.
TEST_F(Encoding, NonCanonicalBitmapFails) {
  const Block b1 = block1();
  Bytes bytes = encode(c.timeout(1, 2, c.qc(1, b1.id, {0, 1, 2})));
  ASSERT_EQ(bytes[65], 4);     // 4 validators
  ASSERT_EQ(bytes[69], 0x07);  // signers 0, 1, 2
  bytes[69] = 0x87;            // bit 7: past the bit count
  EXPECT_EQ(decode_error(bytes), "bad_bitmap");
  bytes[69] = 0x0f;  // a fourth signer without a fourth signature
  EXPECT_EQ(decode_error(bytes), "bad_bitmap");
}

TEST_F(Encoding, CountsMustMatchSigners) {
  const Block b1 = block1();
  TimeoutMsg t = c.timeout(1, 2, c.qc(1, b1.id, {0, 1, 2}));
  t.high_qc.signatures.pop_back();
  EXPECT_EQ(decode_error(encode(t)), "bad_bitmap");

  TimeoutMsg with_tc = c.timeout(1, 4, c.qc(1, b1.id, {0, 1, 2}), tc3());
  with_tc.last_round_tc->high_qc_rounds.push_back(0);
  EXPECT_EQ(decode_error(encode(with_tc)), "bad_bitmap");
  with_tc.last_round_tc = tc3();
  with_tc.last_round_tc->signatures.pop_back();
  EXPECT_EQ(decode_error(encode(with_tc)), "bad_bitmap");
}

TEST_F(Encoding, BlockIdIsRecomputed) {
  Block b = block1();
  b.id.bytes[0] ^= 1;
  EXPECT_EQ(decode_error(encode(ProposalMsg{b, std::nullopt})), "bad_block_id");
  b = block1();
  b.header.timestamp_ms += 1;  // header changed, id kept
  EXPECT_EQ(decode_error(encode(BlockResponse{{b}})), "bad_block_id");
}

TEST_F(Encoding, LimitsAreEnforced) {
  limits.max_payload_bytes = 1;
  EXPECT_EQ(decode_error(encode(ProposalMsg{block1(), std::nullopt})), "too_long");  // payload "tx"
  limits = WireLimits{};
  limits.max_blocks_per_response = 1;
  const Block b1 = block1();
  EXPECT_EQ(decode_error(encode(BlockResponse{{c.block(b1, 2, c.qc(1, b1.id, {0, 1, 2})), b1}})), "too_long");
  EXPECT_EQ(decode_error(encode(BlockRequest{b1.id, 2})), "bad_value");
  EXPECT_EQ(decode_error(encode(BlockRequest{b1.id, 0})), "bad_value");
  EXPECT_EQ(decode_error(encode(BlockRequest{b1.id, 1})), "ok");
}

TEST_F(Encoding, BoolFlagMustBeZeroOrOne) {
  Bytes bytes = encode(ProposalMsg{block1(), std::nullopt});
  ASSERT_EQ(bytes.back(), 0);  // has_tc
  bytes.back() = 2;
  EXPECT_EQ(decode_error(bytes), "bad_value");
}

TEST_F(Encoding, BlockIdCoversEveryHeaderField) {
  const Block b = block1();
  BlockHeader h = b.header;
  const Hash32 id = compute_block_id(h);
  EXPECT_EQ(id, b.id);
  h.qc.signers = SignerBitmap(4);  // an empty bitmap of another size
  EXPECT_NE(compute_block_id(h), id);
  h = b.header;
  h.payload_digest.bytes[31] ^= 1;
  EXPECT_NE(compute_block_id(h), id);
  h = b.header;
  h.proposer += 1;
  EXPECT_NE(compute_block_id(h), id);
}

TEST_F(Encoding, SafetyStateRoundTrips) {
  const Block b1 = block1();
  SafetyState s{testing::kEpoch, 9, 7, c.qc(1, b1.id, {0, 1, 2}), tc3(), 8, c.qc(1, b1.id, {1, 2, 3})};
  const Bytes bytes = encode(s);
  Result<SafetyState> back = decode_safety_state(bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(*back, s);
  for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode_safety_state(ByteSpan(bytes).first(n)).ok());
  s.high_tc.reset();
  EXPECT_EQ(decode_safety_state(encode(s)).value(), s);
}

TEST(Genesis, IsCertifiedByTheGenesisQc) {
  const Block g = make_genesis(3, 1234);
  EXPECT_EQ(g.id, compute_block_id(g.header));
  EXPECT_EQ(g.header.round, 0u);
  EXPECT_EQ(g.header.height, 0u);
  EXPECT_EQ(g.header.payload_digest, payload_digest({}));
  const QuorumCert qc = genesis_qc(3, g.id);
  EXPECT_TRUE(qc.is_genesis());
  EXPECT_EQ(qc.block_id, g.id);
  EXPECT_EQ(qc.signers.capacity(), 0u);
  EXPECT_NE(make_genesis(4, 1234).id, g.id);
}

}  // namespace
}  // namespace bizra::consensus
