// Block execution: receipts of successful and failed transactions, replay at execution,
// determinism across states, payload limits, epochs, and the receipt encoding.

#include "chain/execute.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "base/hex.hpp"
#include "codec/binary.hpp"
#include "crypto/blake3.hpp"
#include "crypto/identity.hpp"
#include "fixture.hpp"
#include "poi/transition.hpp"

namespace bizra::chain {
namespace {

using poi::testing::finalized_block;
using poi::testing::key;
using poi::testing::other_key;
using testing::bytes_of;
using testing::params;

using testing::kWindowEnd;
constexpr std::int64_t kBlockTime = kWindowEnd;

ExecutionOptions options() {
  ExecutionOptions o;
  o.is_finalized_block = [](const Hash32& block) { return block == finalized_block(); };
  return o;
}

Result<BlockResult> run(poi::MemoryState& state, const std::vector<Bytes>& txs, std::uint64_t height = 1,
                        const ChainParams& p = params(), const ExecutionOptions& o = options()) {
  return execute_block(state, p, height, kBlockTime, encode_payload(txs), o);
}

std::vector<std::string> codes(const BlockResult& result) {
  std::vector<std::string> out;
  for (const auto& receipt : result.receipts) out.push_back(receipt.ok ? "ok" : receipt.error_code);
  return out;
}

// An attestation by key() that reuses nonce 1 but says something else (another transaction).
Bytes same_nonce_other_content() {
  auto doc = poi::testing::J(testing::attestation_text(1));
  doc = poi::testing::with(doc, "evidence.pack_bytes", poi::testing::J("7"));
  return bytes_of(AttestationTx{poi::testing::signed_text(doc)});
}

poi::ValidatorOp registration_at(const crypto::SecretKey& key, std::uint64_t nonce, std::string address) {
  auto op = testing::registration(key, nonce);
  op.network_address = std::move(address);
  poi::sign(op, key);
  return op;
}

TEST(ExecuteBlock, RecordsEveryTransactionsVerdictAndNeverStops) {
  poi::MemoryState state = testing::genesis_state();
  const auto candidate = testing::seeded_key(7);
  const std::vector<Bytes> txs = {
      testing::attestation(1),
      testing::attestation(2),
      testing::attestation(1),     // repeated in the block
      same_nonce_other_content(),  // replays nonce 1
      Bytes{0xee},                 // does not decode
      bytes_of(testing::bench(0)),   // bench kind not enabled
      bytes_of(testing::registration(candidate, 1)),
      bytes_of(registration_at(candidate, 1, "127.0.0.1:1")),  // another op, nonce 1 again
      bytes_of(testing::double_vote(other_key(), 9)),
      bytes_of(testing::double_vote(other_key(), 9)),  // duplicate evidence: a no-op
      bytes_of(testing::exit_op(testing::seeded_key(8), 1)),  // not a validator
  };
  auto result = run(state, txs);
  ASSERT_TRUE(result.ok()) << result.error().to_string();
  EXPECT_EQ(codes(*result),
            (std::vector<std::string>{"ok", "ok", "duplicate", "replay", "unknown_kind", "bench_disabled", "ok",
                                      "replay", "ok", "duplicate", "unknown_validator"}));
  ASSERT_EQ(result->receipts.size(), txs.size());
  for (std::size_t i = 0; i < txs.size(); ++i) EXPECT_EQ(result->receipts[i].tx_id, transaction_id(txs[i]));
  EXPECT_EQ(result->receipts_digest, receipts_digest(result->receipts));

  // Attestation ids on attestation receipts that parse, failed or not.
  const auto id_of = [](const Bytes& tx) { return check_transaction(tx, params(), poi::testing::context())->attestation_id; };
  EXPECT_EQ(result->receipts[0].attestation_id, id_of(txs[0]));
  EXPECT_NE(result->receipts[0].attestation_id, result->receipts[1].attestation_id);
  EXPECT_TRUE(result->receipts[3].attestation_id.has_value());
  EXPECT_FALSE(result->receipts[4].attestation_id.has_value());
  EXPECT_FALSE(result->receipts[6].attestation_id.has_value());

  // Effects: two attestations credited (0.74 each: +74 reputation), the candidate pending, the
  // equivocator slashed.
  const auto account = state.account(key().public_key());
  ASSERT_TRUE(account.has_value());
  EXPECT_EQ(account->attestations, 2u);
  EXPECT_EQ(account->reputation, poi::kInitialReputation + 2 * 74);
  const auto pending = state.validator(poi::validator_id_of(candidate.public_key()));
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->status, poi::ValidatorStatus::kPending);
  const auto slashed = state.validator(poi::validator_id_of(other_key().public_key()));
  ASSERT_TRUE(slashed.has_value());
  EXPECT_EQ(slashed->status, poi::ValidatorStatus::kSlashed);
}

TEST(ExecuteBlock, ReplayAcrossBlocksFailsAtExecution) {
  poi::MemoryState state = testing::genesis_state();
  ASSERT_TRUE(run(state, {testing::attestation(1)}, 1).ok());
  ASSERT_TRUE(state.commit().ok());
  auto again = run(state, {testing::attestation(1), same_nonce_other_content()}, 2);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(codes(*again), (std::vector<std::string>{"replay", "replay"}));
  EXPECT_EQ(state.account(key().public_key())->attestations, 1u);
}

TEST(ExecuteBlock, SameBlockSameResultOnTwoStates) {
  const std::vector<Bytes> txs = {testing::attestation(1), testing::attestation(2, other_key()),
                                  bytes_of(testing::registration(testing::seeded_key(7), 1)),
                                  bytes_of(testing::double_vote(other_key(), 9)), testing::attestation(1)};
  poi::MemoryState a = testing::genesis_state();
  poi::MemoryState b = testing::genesis_state();
  auto ra = run(a, txs);
  auto rb = run(b, txs);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(ra->receipts, rb->receipts);
  EXPECT_EQ(ra->receipts_digest, rb->receipts_digest);
  auto ca = a.commit();
  auto cb = b.commit();
  ASSERT_TRUE(ca.ok() && cb.ok());
  EXPECT_FALSE(ca->empty());
  EXPECT_EQ(poi::next_state_digest(Hash32{}, *ca), poi::next_state_digest(Hash32{}, *cb));
  EXPECT_EQ(a.dump().value(), b.dump().value());
}

TEST(ExecuteBlock, FailedTransactionsChangeNothing) {
  poi::MemoryState state = testing::genesis_state();
  auto result = run(state, {Bytes{0xee}, bytes_of(testing::bench(0)), bytes_of(testing::exit_op(testing::seeded_key(8), 1))});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(codes(*result), (std::vector<std::string>{"unknown_kind", "bench_disabled", "unknown_validator"}));
  // The exit consumed its nonce (poi/transition.hpp: a signed op cannot be replayed), nothing else.
  auto changes = state.commit();
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(changes->size(), 1u);
}

TEST(ExecuteBlock, BenchTransactionsWhenEnabled) {
  poi::MemoryState state = testing::genesis_state();
  ChainParams bench = params();
  bench.bench_transactions = true;
  auto result = run(state, {bytes_of(testing::bench(0)), bytes_of(testing::bench(1))}, 1, bench);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(codes(*result), (std::vector<std::string>{"ok", "ok"}));
  EXPECT_TRUE(state.commit()->empty());
}

TEST(ExecuteBlock, EnforcesPayloadLimits) {
  poi::MemoryState state = testing::genesis_state();
  const std::vector<Bytes> txs = {bytes_of(testing::bench(0)), bytes_of(testing::bench(1))};
  ChainParams p = params();
  p.max_block_transactions = 1;
  EXPECT_EQ(run(state, txs, 1, p).error().code(), "too_long");
  p = params();
  p.max_block_payload_bytes = static_cast<std::uint32_t>(encode_payload(txs).size() - 1);
  EXPECT_EQ(run(state, txs, 1, p).error().code(), "too_long");
  EXPECT_EQ(execute_block(state, params(), 1, kBlockTime, Bytes{1, 0}).error().code(), "truncated");
  EXPECT_TRUE(state.pending().empty());
}

TEST(ExecuteBlock, Rule7UsesTheBlockTime) {
  poi::MemoryState state = testing::genesis_state();
  const Bytes tx = testing::attestation(1);
  auto early = execute_block(state, params(), 1, kWindowEnd - poi::kMaxClockSkewSeconds - 1,
                             encode_payload(std::vector<Bytes>{tx}), options());
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(codes(*early), std::vector<std::string>{"bad_time_window"});
  auto in_time = execute_block(state, params(), 1, kWindowEnd - poi::kMaxClockSkewSeconds,
                               encode_payload(std::vector<Bytes>{tx}), options());
  ASSERT_TRUE(in_time.ok());
  EXPECT_EQ(codes(*in_time), std::vector<std::string>{"ok"});
}

TEST(ExecuteBlock, Rule3AsksTheCaller) {
  poi::MemoryState state = testing::genesis_state();
  auto result = run(state, {testing::attestation(1)}, 1, params(), ExecutionOptions{});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(codes(*result), std::vector<std::string>{"unknown_block_ref"});
}

TEST(ExecuteBlock, VerifiedCacheSkipsOnlyTheSignatureCheck) {
  // Only ids that verified are ever put in the cache; here one is put in by hand to show that
  // execution then trusts it, and verifies everything else.
  const Bytes forged = bytes_of(AttestationTx{poi::testing::signed_text(
      poi::testing::J(testing::attestation_text(1)), other_key())});
  VerifiedCache cache(8);
  ExecutionOptions with_cache = options();
  with_cache.verified = &cache;

  poi::MemoryState state = testing::genesis_state();
  EXPECT_EQ(codes(*run(state, {forged}, 1, params(), with_cache)), std::vector<std::string>{"bad_signature"});
  cache.insert(transaction_id(forged));
  poi::MemoryState fresh = testing::genesis_state();
  EXPECT_EQ(codes(*run(fresh, {forged}, 1, params(), with_cache)), std::vector<std::string>{"ok"});
}

TEST(ExecuteBlock, CrossesEpochBoundariesByHeight) {
  poi::MemoryState state = testing::genesis_state();
  ASSERT_TRUE(run(state, {}, poi::kSlotsPerEpoch - 1).ok());
  EXPECT_EQ(state.epoch_info().epoch, 0u);
  ASSERT_TRUE(run(state, {}, poi::kSlotsPerEpoch).ok());
  EXPECT_EQ(state.epoch_info().epoch, 1u);
  ASSERT_TRUE(run(state, {}, poi::kSlotsPerEpoch + 1).ok());
  EXPECT_EQ(state.epoch_info().epoch, 1u);
  EXPECT_EQ(epoch_of_height(3 * poi::kSlotsPerEpoch + 5), 3u);
}

TEST(ExecuteBlock, EpochBoundaryPrecedesTheTransactions) {
  // An exit counts against the churn of the epoch the block is in: at the first block of epoch 1
  // the counters have restarted, so the exit is in epoch 1 and ends at epoch 3.
  poi::MemoryState state = testing::genesis_state();
  auto result = run(state, {bytes_of(testing::exit_op(key(), 1))}, poi::kSlotsPerEpoch);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(codes(*result), std::vector<std::string>{"ok"});
  EXPECT_EQ(state.validator(poi::validator_id_of(key().public_key()))->epoch_exit, 1 + poi::kExitDelayEpochs);
}

TEST(ExecuteBlock, ClampsTheCreditedImpactToTheMeasurableRange) {
  // Rule 8 accepts an impact score one micro-unit above the computed score: with every dimension
  // at 1.0 that is 1.000001, which execution credits as 1.0 rather than failing.
  auto doc = poi::testing::J(testing::attestation_text(1));
  doc = poi::testing::with(doc, "measurement",
                           poi::testing::J(R"({"dimensions": {"quality": 1}, "weights": {"quality": 1},
                                               "impact_score": 1.000001})"));
  poi::MemoryState state = testing::genesis_state();
  auto result = run(state, {bytes_of(AttestationTx{poi::testing::signed_text(doc)})});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(codes(*result), std::vector<std::string>{"ok"});
  EXPECT_EQ(state.account(key().public_key())->impact_sum_micro, poi::kMicro);
}

// --- receipts --------------------------------------------------------------------------------

std::vector<Receipt> sample_receipts() {
  return {{crypto::blake3("tx 1"), std::string(64, 'a'), true, ""},
          {crypto::blake3("tx 2"), std::nullopt, false, "unknown_kind"},
          {crypto::blake3("tx 3"), std::string(64, 'b'), false, "replay"}};
}

TEST(Receipts, RoundTripAndStrictDecoding) {
  for (const auto& receipt : sample_receipts()) {
    const Bytes encoded = encode_receipt(receipt);
    auto decoded = decode_receipt(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, receipt);
    for (std::size_t n = 0; n < encoded.size(); ++n)
      EXPECT_FALSE(decode_receipt(ByteSpan(encoded).first(n)).ok()) << n;
    Bytes trailing = encoded;
    trailing.push_back(0);
    EXPECT_EQ(decode_receipt(trailing).error().code(), "trailing_bytes");
  }
  Receipt contradictory{crypto::blake3("tx"), std::nullopt, true, "replay"};
  EXPECT_EQ(decode_receipt(encode_receipt(contradictory)).error().code(), "bad_value");
  Receipt silent_failure{crypto::blake3("tx"), std::nullopt, false, ""};
  EXPECT_EQ(decode_receipt(encode_receipt(silent_failure)).error().code(), "bad_value");
}

TEST(Receipts, EncodingAndDigestArePinned) {
  const Receipt receipt{Hash32{}, std::nullopt, false, "replay"};
  EXPECT_EQ(hex::encode(encode_receipt(receipt)),
            std::string(64, '0') + "00" + "06000000" + hex::encode(as_bytes("replay")) + "00");
  // Computed independently (Python struct + b3sum) from the layout in execute.hpp.
  EXPECT_EQ(hex::encode(receipts_digest(sample_receipts())), "53fd316d62f33ca8beb6ee631ea865913556d95543fc0ae2a47b6e366e1c03ac");
  auto reordered = sample_receipts();
  std::swap(reordered[0], reordered[1]);
  EXPECT_NE(receipts_digest(reordered), receipts_digest(sample_receipts()));
}

}  // namespace
}  // namespace bizra::chain
