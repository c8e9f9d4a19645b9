// Stateless admission: a valid transaction of each kind, each failure class, the bench switch,
// and the verified-signature cache.

#include "chain/check.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "base/hex.hpp"
#include "codec/binary.hpp"
#include "crypto/blake3.hpp"
#include "fixture.hpp"
#include "poi/validate.hpp"

namespace bizra::chain {
namespace {

using poi::testing::context;
using testing::bytes_of;
using testing::params;

std::string_view code_of(const Result<CheckedTx>& checked) {
  return checked.ok() ? std::string_view("ok") : checked.error().code();
}

Result<CheckedTx> check(const Bytes& encoded, const ChainParams& p = params()) {
  return check_transaction(encoded, p, context());
}

TEST(CheckTransaction, AcceptsASignedAttestation) {
  const std::string text = testing::attestation_text(1);
  const Bytes encoded = bytes_of(AttestationTx{text});
  auto checked = check(encoded);
  ASSERT_TRUE(checked.ok()) << checked.error().to_string();
  auto validated = poi::validate(text, context());
  ASSERT_TRUE(validated.ok());
  EXPECT_EQ(checked->id, transaction_id(encoded));
  EXPECT_EQ(checked->kind, TxKind::kAttestation);
  EXPECT_EQ(checked->encoded, encoded);
  EXPECT_EQ(checked->attestation_id, validated->id);
  ASSERT_TRUE(checked->replay_key.has_value());
  EXPECT_EQ(checked->replay_key->first, poi::testing::key().public_key());
  EXPECT_EQ(checked->replay_key->second, validated->nonce);
  EXPECT_EQ(checked->priority, kPriorityAttestation);
}

TEST(CheckTransaction, AttestationFailuresKeepTheirRuleCodes) {
  const std::string text = testing::attestation_text(1);
  EXPECT_EQ(code_of(check(bytes_of(AttestationTx{"not json"}))), "malformed");

  ChainParams other_chain = params();
  other_chain.chain_id = "other-chain";
  EXPECT_EQ(code_of(check(bytes_of(AttestationTx{text}), other_chain)), "wrong_chain");
  ChainParams other_root = params();
  other_root.genesis_root = crypto::blake3("another genesis");
  EXPECT_EQ(code_of(check(bytes_of(AttestationTx{text}), other_root)), "wrong_chain");

  poi::ValidationContext no_blocks = context();
  no_blocks.is_finalized_block = nullptr;
  EXPECT_EQ(code_of(check_transaction(bytes_of(AttestationTx{text}), params(), no_blocks)), "unknown_block_ref");

  poi::testing::State used;
  auto validated = poi::validate(text, context());
  ASSERT_TRUE(validated.ok());
  used.used_nonces.insert({validated->pubkey, validated->nonce});
  EXPECT_EQ(code_of(check_transaction(bytes_of(AttestationTx{text}), params(), context(used))), "replay");

  poi::ValidationContext early = context();
  early.now = testing::kWindowEnd - poi::kMaxClockSkewSeconds - 1;  // the window ends too far ahead
  EXPECT_EQ(code_of(check_transaction(bytes_of(AttestationTx{text}), params(), early)), "bad_time_window");

  // Attester is key(), signature by other_key().
  const std::string forged = poi::testing::signed_text(
      poi::testing::J(testing::attestation_text(1)), poi::testing::other_key());
  EXPECT_EQ(code_of(check(bytes_of(AttestationTx{forged}))), "bad_signature");
}

TEST(CheckTransaction, RefusesNonCanonicalDocuments) {
  // Same document, same signature, different bytes: would be a second transaction id.
  const std::string text = testing::attestation_text(1);
  const std::string spaced = " " + text;
  ASSERT_TRUE(poi::validate(spaced, context()).ok());
  EXPECT_EQ(code_of(check(bytes_of(AttestationTx{spaced}))), "non_canonical");
  const std::string reordered = "{\"version\":\"poi-1.0\"," + text.substr(1, text.find(",\"version\"") - 1) + "}";
  ASSERT_NE(reordered, text);
  EXPECT_EQ(code_of(check(bytes_of(AttestationTx{reordered}))), "non_canonical");
}

TEST(CheckTransaction, ValidatorOps) {
  const auto op = testing::registration(testing::seeded_key(7), 3);
  auto checked = check(bytes_of(op));
  ASSERT_TRUE(checked.ok()) << checked.error().to_string();
  EXPECT_EQ(checked->kind, TxKind::kValidatorOp);
  EXPECT_EQ(checked->priority, kPriorityConsensus);
  EXPECT_FALSE(checked->attestation_id.has_value());
  EXPECT_FALSE(checked->replay_key.has_value());
  EXPECT_TRUE(check(bytes_of(testing::exit_op(testing::seeded_key(7), 4))).ok());

  ChainParams other_chain = params();
  other_chain.chain_id = "other-chain";
  EXPECT_EQ(code_of(check(bytes_of(op), other_chain)), "wrong_chain");

  auto tampered = op;
  tampered.stake_bond += 1;
  EXPECT_EQ(code_of(check(bytes_of(tampered))), "bad_signature");

  auto no_address = op;
  no_address.network_address.clear();
  poi::sign(no_address, testing::seeded_key(7));
  EXPECT_EQ(code_of(check(bytes_of(no_address))), "bad_address");
}

TEST(CheckTransaction, Evidence) {
  const auto evidence = testing::double_vote(poi::testing::other_key(), 9);
  auto checked = check(bytes_of(evidence));
  ASSERT_TRUE(checked.ok()) << checked.error().to_string();
  EXPECT_EQ(checked->kind, TxKind::kEvidence);
  EXPECT_EQ(checked->priority, kPriorityConsensus);

  auto same = evidence;
  same.second = same.first;
  EXPECT_EQ(code_of(check(bytes_of(same))), "not_equivocation");
  auto forged = evidence;
  forged.second.signature = forged.first.signature;
  EXPECT_EQ(code_of(check(bytes_of(forged))), "bad_signature");
  ChainParams other_chain = params();
  other_chain.chain_id = "other-chain";
  EXPECT_EQ(code_of(check(bytes_of(evidence), other_chain)), "wrong_chain");
}

TEST(CheckTransaction, BenchKindOnlyWhenEnabled) {
  const Bytes encoded = bytes_of(testing::bench(0));
  EXPECT_EQ(code_of(check(encoded)), "bench_disabled");
  ChainParams bench = params();
  bench.bench_transactions = true;
  auto checked = check(encoded, bench);
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->kind, TxKind::kBenchOpaque);
  EXPECT_EQ(checked->priority, kPriorityBench);
}

TEST(CheckTransaction, DecodeErrorsAndBlockFit) {
  EXPECT_EQ(code_of(check(Bytes{})), "truncated");
  EXPECT_EQ(code_of(check(Bytes{9})), "unknown_kind");
  const Bytes encoded = bytes_of(testing::bench(0));
  ChainParams small = params();
  small.bench_transactions = true;
  small.max_block_payload_bytes = static_cast<std::uint32_t>(payload_size(1, encoded.size()));
  EXPECT_TRUE(check(encoded, small).ok());
  small.max_block_payload_bytes -= 1;
  EXPECT_EQ(code_of(check(encoded, small)), "too_large");
}

TEST(CheckTransaction, PrioritiesOrderConsensusAboveAttestationsAboveBench) {
  EXPECT_GT(kPriorityConsensus, kPriorityAttestation);
  EXPECT_GT(kPriorityAttestation, kPriorityBench);
}

TEST(VerifiedCache, RecordsOnlyVerifiedAttestations) {
  VerifiedCache cache(16);
  const Bytes good = testing::attestation(1);
  ASSERT_TRUE(check_transaction(good, params(), context(), &cache).ok());
  EXPECT_TRUE(cache.contains(transaction_id(good)));

  const Bytes bad = bytes_of(AttestationTx{poi::testing::signed_text(
      poi::testing::J(testing::attestation_text(2)), poi::testing::other_key())});
  EXPECT_FALSE(check_transaction(bad, params(), context(), &cache).ok());
  EXPECT_FALSE(cache.contains(transaction_id(bad)));
  const Bytes op = bytes_of(testing::registration(testing::seeded_key(7), 3));
  ASSERT_TRUE(check_transaction(op, params(), context(), &cache).ok());
  EXPECT_FALSE(cache.contains(transaction_id(op)));  // its transition verifies it anyway
  EXPECT_EQ(cache.size(), 1u);
}

TEST(VerifiedCache, ForgetsTheOldestBeyondCapacity) {
  VerifiedCache cache(2);
  const Hash32 a = crypto::blake3("a"), b = crypto::blake3("b"), c = crypto::blake3("c");
  cache.insert(a);
  cache.insert(b);
  cache.insert(a);  // already there: no second slot
  cache.insert(c);
  EXPECT_FALSE(cache.contains(a));
  EXPECT_TRUE(cache.contains(b));
  EXPECT_TRUE(cache.contains(c));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(VerifiedCache, SharedBetweenThreads) {
  // Admission threads insert while the consensus thread looks up (run under the tsan preset).
  VerifiedCache cache(64);
  std::vector<std::thread> threads;
  for (std::uint64_t t = 0; t < 3; ++t) {
    threads.emplace_back([&cache, t] {
      for (std::uint64_t i = 0; i < 200; ++i) {
        const Hash32 id = crypto::blake3(codec::Writer().u64(t).u64(i).data());
        cache.insert(id);
        (void)cache.contains(id);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(cache.size(), 64u);
}

}  // namespace
}  // namespace bizra::chain
