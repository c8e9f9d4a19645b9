// The transaction and payload codec: round trips of every kind, every decode error, pinned ids.

#include "chain/transaction.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "base/hex.hpp"
#include "crypto/blake3.hpp"
#include "codec/binary.hpp"
#include "fixture.hpp"

namespace bizra::chain {
namespace {

using testing::bytes_of;
using testing::params;

std::vector<Transaction> one_of_each() {
  return {AttestationTx{testing::attestation_text(1)}, testing::registration(testing::seeded_key(7), 3),
          testing::exit_op(testing::seeded_key(7), 4), testing::double_vote(poi::testing::other_key(), 9),
          testing::bench(0)};
}

Bytes with_byte(Bytes bytes, std::uint8_t extra) {
  bytes.push_back(extra);
  return bytes;
}

TEST(TransactionCodec, EveryKindRoundTrips) {
  for (const auto& tx : one_of_each()) {
    const Bytes encoded = bytes_of(tx);
    ASSERT_EQ(encoded[0], static_cast<std::uint8_t>(kind_of(tx)));
    auto decoded = decode_transaction(encoded);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(kind_of(*decoded), kind_of(tx));
    EXPECT_EQ(bytes_of(*decoded), encoded);
  }
}

TEST(TransactionCodec, KindsHaveStableValuesAndNames) {
  EXPECT_EQ(kind_of(Transaction(AttestationTx{})), TxKind::kAttestation);
  EXPECT_EQ(kind_of(Transaction(poi::ValidatorOp{})), TxKind::kValidatorOp);
  EXPECT_EQ(kind_of(Transaction(poi::EquivocationEvidence{})), TxKind::kEvidence);
  EXPECT_EQ(kind_of(Transaction(BenchOpaqueTx{})), TxKind::kBenchOpaque);
  EXPECT_EQ(static_cast<int>(TxKind::kBenchOpaque), 4);
  EXPECT_EQ(name(TxKind::kAttestation), "attestation");
  EXPECT_EQ(name(TxKind::kValidatorOp), "validator_op");
  EXPECT_EQ(name(TxKind::kEvidence), "evidence");
  EXPECT_EQ(name(TxKind::kBenchOpaque), "bench_opaque");
}

TEST(TransactionCodec, DecodesFieldsExactly) {
  const auto op = testing::registration(testing::seeded_key(7), 3);
  auto decoded = decode_transaction(bytes_of(op));
  ASSERT_TRUE(decoded.ok());
  const auto& back = std::get<poi::ValidatorOp>(*decoded);
  EXPECT_EQ(back.validator_key, op.validator_key);
  EXPECT_EQ(back.nonce, 3u);
  EXPECT_EQ(back.network_address, op.network_address);
  EXPECT_EQ(back.signature, op.signature);

  const std::string text = testing::attestation_text(1);
  auto attestation = decode_transaction(bytes_of(AttestationTx{text}));
  ASSERT_TRUE(attestation.ok());
  EXPECT_EQ(std::get<AttestationTx>(*attestation).document, text);
  auto opaque = decode_transaction(bytes_of(testing::bench(5)));
  ASSERT_TRUE(opaque.ok());
  EXPECT_EQ(std::get<BenchOpaqueTx>(*opaque), testing::bench(5));
}

TEST(TransactionCodec, EveryTruncationFails) {
  for (const auto& tx : one_of_each()) {
    const Bytes encoded = bytes_of(tx);
    for (std::size_t n = 0; n < encoded.size(); ++n) {
      auto decoded = decode_transaction(ByteSpan(encoded).first(n));
      ASSERT_FALSE(decoded.ok()) << name(kind_of(tx)) << " prefix " << n;
      EXPECT_EQ(decoded.error().code(), "truncated") << name(kind_of(tx)) << " prefix " << n;
    }
  }
}

TEST(TransactionCodec, TrailingBytesFail) {
  for (const auto& tx : one_of_each()) {
    auto decoded = decode_transaction(with_byte(bytes_of(tx), 0));
    ASSERT_FALSE(decoded.ok()) << name(kind_of(tx));
    EXPECT_EQ(decoded.error().code(), "trailing_bytes") << name(kind_of(tx));
  }
}

TEST(TransactionCodec, UnknownKindsFail) {
  for (const int kind : {0, 5, 6, 255}) {
    Bytes encoded = bytes_of(testing::bench(0));
    encoded[0] = static_cast<std::uint8_t>(kind);
    auto decoded = decode_transaction(encoded);
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.error().code(), "unknown_kind") << kind;
  }
}

TEST(TransactionCodec, OverLimitSizesFail) {
  // A document length above the attestation maximum, declared without the bytes behind it.
  const Bytes long_document =
      codec::Writer().u8(1).u32(static_cast<std::uint32_t>(poi::kMaxDocumentBytes + 1)).data();
  EXPECT_EQ(decode_transaction(long_document).error().code(), "too_long");

  // The largest attestation decodes; one byte more is refused before it is read.
  const Bytes largest = bytes_of(AttestationTx{std::string(poi::kMaxDocumentBytes, 'x')});
  ASSERT_EQ(largest.size(), kMaxTransactionBytes);
  EXPECT_TRUE(decode_transaction(largest).ok());
  EXPECT_EQ(decode_transaction(with_byte(largest, 0)).error().code(), "too_long");

  // Embedded bounds are the poi decoders': a chain id above 64 bytes.
  auto op = testing::registration(testing::seeded_key(7), 3);
  op.chain_id = std::string(65, 'c');
  EXPECT_EQ(decode_transaction(bytes_of(op)).error().code(), "too_long");
}

TEST(TransactionCodec, EmbeddedDecoderErrorsPassThrough) {
  Bytes encoded = bytes_of(testing::registration(testing::seeded_key(7), 3));
  encoded[1] = 9;  // validator op kind
  EXPECT_EQ(decode_transaction(encoded).error().code(), "bad_value");
}

// Pinned: these bytes and ids are consensus data. If this test fails, the encoding changed, and
// every transaction id on every chain with it. The ids were computed independently:
//   printf 'BIZRA/tx/v1\0' | cat - tx.bin | b3sum
TEST(TransactionCodec, EncodingAndIdArePinned) {
  const Bytes encoded = bytes_of(testing::bench(0));
  EXPECT_EQ(hex::encode(encoded), "04000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  EXPECT_EQ(hex::encode(transaction_id(encoded)), "85aae8b654b2d046722bd5c521537bc437339a6aa43a8093515b30dee516fc15");

  // kind 02 ‖ op kind 02 ‖ chain id (12, "bizra-devnet") ‖ key ‖ nonce 4 ‖ signature.
  const Bytes op = bytes_of(testing::exit_op(testing::seeded_key(7), 4));
  EXPECT_EQ(hex::encode(op),
            "02020c00000062697a72612d6465766e6574"
            "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"
            "0400000000000000"
            "167b327cd009279534fa9d7145d96ce75dcb44f251e8230228b6da378cdf3d1f"
            "d3944d8623bee80c459ae442b58ffffdacb339cb231a5b5c54bef60b04933301");
  EXPECT_EQ(hex::encode(transaction_id(op)), "d7007feaa2700dbafda668b4278493fb54406cd9a39e74c683408d659106da26");
}

TEST(TransactionCodec, IdsAreDomainSeparated) {
  const Bytes encoded = bytes_of(testing::bench(0));
  EXPECT_NE(transaction_id(encoded), crypto::blake3(encoded));
  EXPECT_NE(transaction_id(encoded), transaction_id(bytes_of(testing::bench(1))));
}

// --- payload ---------------------------------------------------------------------------------

std::vector<Bytes> encodings() {
  std::vector<Bytes> out;
  for (const auto& tx : one_of_each()) out.push_back(bytes_of(tx));
  return out;
}

TEST(Payload, RoundTrips) {
  const auto txs = encodings();
  const Bytes payload = encode_payload(txs);
  std::size_t total = 0;
  for (const auto& tx : txs) total += tx.size();
  EXPECT_EQ(payload.size(), payload_size(txs.size(), total));
  auto decoded = decode_payload(payload, params());
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, txs);

  auto empty = decode_payload(encode_payload({}), params());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(Payload, EveryTruncationAndTrailingByteFails) {
  const Bytes payload = encode_payload(encodings());
  for (std::size_t n = 0; n < payload.size(); ++n) {
    auto decoded = decode_payload(ByteSpan(payload).first(n), params());
    ASSERT_FALSE(decoded.ok()) << n;
    EXPECT_EQ(decoded.error().code(), "truncated") << n;
  }
  EXPECT_EQ(decode_payload(with_byte(payload, 0), params()).error().code(), "trailing_bytes");
}

TEST(Payload, EnforcesGenesisLimits) {
  const auto txs = encodings();
  const Bytes payload = encode_payload(txs);
  ChainParams p = params();
  p.max_block_transactions = static_cast<std::uint32_t>(txs.size());
  EXPECT_TRUE(decode_payload(payload, p).ok());
  p.max_block_transactions -= 1;
  EXPECT_EQ(decode_payload(payload, p).error().code(), "too_long");

  p = params();
  p.max_block_payload_bytes = static_cast<std::uint32_t>(payload.size());
  EXPECT_TRUE(decode_payload(payload, p).ok());
  p.max_block_payload_bytes -= 1;
  EXPECT_EQ(decode_payload(payload, p).error().code(), "too_long");
}

TEST(Payload, RefusesOversizedTransactionsAndCountsBeforeAllocating) {
  // One transaction whose declared length exceeds any transaction.
  const Bytes oversized =
      codec::Writer().u32(1).u32(static_cast<std::uint32_t>(kMaxTransactionBytes + 1)).data();
  EXPECT_EQ(decode_payload(oversized, params()).error().code(), "too_long");
  // A count that the remaining bytes cannot hold.
  ChainParams p = params();
  p.max_block_transactions = 0xffffffff;
  EXPECT_EQ(decode_payload(codec::Writer().u32(0xfffffff0).data(), p).error().code(), "truncated");
}

TEST(Payload, CarriesUndecodableTransactions) {
  // Framing only: a transaction that does not decode is a failed receipt at execution.
  const std::vector<Bytes> txs = {Bytes{}, Bytes{0xff, 0x00}};
  auto decoded = decode_payload(encode_payload(txs), params());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, txs);
}

}  // namespace
}  // namespace bizra::chain
