#include "chain/transaction.hpp"

#include "codec/binary.hpp"
#include "crypto/blake3.hpp"

namespace bizra::chain {
namespace {

void write_body(codec::Writer& w, const Transaction& transaction) {
  switch (kind_of(transaction)) {
    case TxKind::kAttestation: w.string(std::get<AttestationTx>(transaction).document); return;
    case TxKind::kValidatorOp: w.raw(poi::encode(std::get<poi::ValidatorOp>(transaction))); return;
    case TxKind::kEvidence: w.raw(poi::encode(std::get<poi::EquivocationEvidence>(transaction))); return;
    case TxKind::kBenchOpaque: w.raw(std::get<BenchOpaqueTx>(transaction).bytes); return;
  }
}

// The embedded poi records decode the rest of the input themselves (they are self-delimiting
// and strict, trailing bytes included).
template <typename T>
Result<Transaction> embedded(ByteSpan body, Result<T> (*decode)(ByteSpan)) {
  auto decoded = decode(body);
  if (!decoded) return decoded.error();
  return Transaction(std::move(*decoded));
}

Result<Transaction> decode_attestation(ByteSpan body) {
  codec::Reader r(body);
  AttestationTx tx{r.string("document", poi::kMaxDocumentBytes)};
  BIZRA_TRY(r.finish());
  return Transaction(std::move(tx));
}

Result<Transaction> decode_bench(ByteSpan body) {
  codec::Reader r(body);
  BenchOpaqueTx tx{r.fixed<32>("bench_bytes").bytes};
  BIZRA_TRY(r.finish());
  return Transaction(tx);
}

}  // namespace

std::string_view name(TxKind kind) {
  switch (kind) {
    case TxKind::kAttestation: return "attestation";
    case TxKind::kValidatorOp: return "validator_op";
    case TxKind::kEvidence: return "evidence";
    case TxKind::kBenchOpaque: return "bench_opaque";
  }
  return "unknown";
}

TxKind kind_of(const Transaction& transaction) {
  // The variant's alternatives are in TxKind order, starting at 1.
  return static_cast<TxKind>(transaction.index() + 1);
}

Bytes encode(const Transaction& transaction) {
  codec::Writer w;
  w.u8(static_cast<std::uint8_t>(kind_of(transaction)));
  write_body(w, transaction);
  return std::move(w).take();
}

Result<Transaction> decode_transaction(ByteSpan encoded) {
  if (encoded.size() > kMaxTransactionBytes)
    return Error("too_long", "transaction of " + std::to_string(encoded.size()) + " bytes, maximum is " +
                                 std::to_string(kMaxTransactionBytes));
  if (encoded.empty()) return Error("truncated", "empty transaction");
  const ByteSpan body = encoded.subspan(1);
  switch (encoded[0]) {
    case static_cast<std::uint8_t>(TxKind::kAttestation): return decode_attestation(body);
    case static_cast<std::uint8_t>(TxKind::kValidatorOp): return embedded(body, &poi::decode_validator_op);
    case static_cast<std::uint8_t>(TxKind::kEvidence): return embedded(body, &poi::decode_evidence);
    case static_cast<std::uint8_t>(TxKind::kBenchOpaque): return decode_bench(body);
    default: return Error("unknown_kind", "unknown transaction kind " + std::to_string(encoded[0]));
  }
}

Hash32 transaction_id(ByteSpan encoded) {
  crypto::Blake3 hasher;
  const std::uint8_t separator = 0;
  hasher.update(kTransactionIdDomain).update(ByteSpan(&separator, 1)).update(encoded);
  return hasher.finalize();
}

Bytes encode_payload(std::span<const Bytes> encoded_transactions) {
  std::size_t total = 0;
  for (const auto& tx : encoded_transactions) total += tx.size();
  codec::Writer w(payload_size(encoded_transactions.size(), total));
  w.count(encoded_transactions.size());
  for (const auto& tx : encoded_transactions) w.bytes(tx);
  return std::move(w).take();
}

Result<std::vector<Bytes>> decode_payload(ByteSpan payload, const ChainParams& params) {
  if (payload.size() > params.max_block_payload_bytes)
    return Error("too_long", "payload of " + std::to_string(payload.size()) + " bytes, maximum is " +
                                 std::to_string(params.max_block_payload_bytes));
  codec::Reader r(payload);
  const std::size_t count = r.count("transactions", params.max_block_transactions, kPayloadFramingBytes);
  std::vector<Bytes> transactions;
  transactions.reserve(count);
  for (std::size_t i = 0; i < count && r.ok(); ++i) transactions.push_back(r.bytes("transaction", kMaxTransactionBytes));
  BIZRA_TRY(r.finish());
  return transactions;
}

}  // namespace bizra::chain
