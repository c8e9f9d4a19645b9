#pragma once
// Transactions of the BIZRA chain (../shared/spec/consensus.md §4) and the block payload that
// carries them. docs/transactions.md describes every byte.
//
// Canonical binary encoding (codec/binary.hpp conventions: little-endian, u32 length prefixes):
//   transaction = kind u8 ‖ body
//     1 attestation   document (u32 length, ≤ poi::kMaxDocumentBytes): the signed JSON text
//     2 validator op  poi::encode(op)        (poi/validator_op.hpp; self-delimiting)
//     3 evidence      poi::encode(evidence)  (poi/evidence.hpp; self-delimiting)
//     4 bench opaque  32 raw bytes
//   payload     = u32 count (≤ max_block_transactions) ‖ (u32 length ‖ transaction)...
//                 in total ≤ max_block_payload_bytes
// Decoding is strict (complete input, no trailing bytes, every length bounded before anything
// is allocated), and every embedded decoder is strict too, so a transaction has exactly one
// encoding and therefore one id.
//
// The codec checks form only. Whether a transaction is acceptable (signatures, the ten
// attestation rules, chain id, the bench kind being enabled) is chain/check.hpp's business.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "poi/attestation.hpp"
#include "poi/evidence.hpp"
#include "poi/validator_op.hpp"

namespace bizra::chain {

// Values are part of the encoding: never renumber.
enum class TxKind : std::uint8_t { kAttestation = 1, kValidatorOp = 2, kEvidence = 3, kBenchOpaque = 4 };

// "attestation", "validator_op", "evidence", "bench_opaque" (API and logs).
std::string_view name(TxKind kind);

// The signed attestation document as poi::sign produces it: RFC 8785 canonical form with its
// signature member. The codec carries any text up to the size bound; admission and execution
// require the canonical form (chain/check.hpp).
struct AttestationTx {
  std::string document;
  bool operator==(const AttestationTx&) const = default;
};

// Benchmark-only: 32 opaque bytes, no signature, no state effect. Valid only on a chain whose
// genesis enables ChainParams::bench_transactions (devnets measuring the consensus ceiling).
struct BenchOpaqueTx {
  std::array<std::uint8_t, 32> bytes{};
  bool operator==(const BenchOpaqueTx&) const = default;
};

using Transaction = std::variant<AttestationTx, poi::ValidatorOp, poi::EquivocationEvidence, BenchOpaqueTx>;

TxKind kind_of(const Transaction& transaction);

// The largest encoding of any kind: an attestation of poi::kMaxDocumentBytes.
inline constexpr std::size_t kMaxTransactionBytes = 1 + 4 + poi::kMaxDocumentBytes;
// Payload framing: the count in front, and a length in front of each transaction.
inline constexpr std::size_t kPayloadHeaderBytes = 4;
inline constexpr std::size_t kPayloadFramingBytes = 4;

// Transaction ids are BLAKE3-256("BIZRA/tx/v1" ‖ 0x00 ‖ encoding): the tag keeps them apart
// from every other hash of the same bytes (attestation digests, evidence ids).
inline constexpr std::string_view kTransactionIdDomain = "BIZRA/tx/v1";

// The genesis parameters transactions and payloads are checked against.
struct ChainParams {
  std::string chain_id;
  Hash32 genesis_root;
  std::uint32_t max_block_transactions = 0;
  std::uint32_t max_block_payload_bytes = 0;
  bool bench_transactions = false;
};

// Takes a Transaction: with a bare poi::ValidatorOp or EquivocationEvidence argument,
// argument-dependent lookup finds poi::encode instead (the body alone, without the kind byte).
Bytes encode(const Transaction& transaction);
// Strict. Errors: "too_long" (input above kMaxTransactionBytes, or a length above its bound),
// "truncated", "trailing_bytes", "unknown_kind", and those of the embedded decoders
// (poi::decode_validator_op, poi::decode_evidence: "bad_value", "non_canonical", ...).
Result<Transaction> decode_transaction(ByteSpan encoded);

Hash32 transaction_id(ByteSpan encoded);

// The size of a payload holding transactions of `transaction_bytes` bytes in total.
inline std::size_t payload_size(std::size_t count, std::size_t transaction_bytes) {
  return kPayloadHeaderBytes + count * kPayloadFramingBytes + transaction_bytes;
}

Bytes encode_payload(std::span<const Bytes> encoded_transactions);
// Splits a payload into its encoded transactions without decoding them: a transaction that does
// not decode is a failed receipt at execution, not an invalid block. Errors: "too_long" (payload
// above max_block_payload_bytes, count above max_block_transactions, a transaction above
// kMaxTransactionBytes), "truncated", "trailing_bytes".
Result<std::vector<Bytes>> decode_payload(ByteSpan payload, const ChainParams& params);

}  // namespace bizra::chain
