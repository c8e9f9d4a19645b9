#include "chain/execute.hpp"

#include <algorithm>
#include <set>

#include "chain/attestation_check.hpp"
#include "codec/binary.hpp"
#include "crypto/blake3.hpp"
#include "poi/transition.hpp"

namespace bizra::chain {
namespace {

// What applying one transaction did: its status, and the attestation id and attester when there
// is one.
struct Verdict {
  Status status;
  std::optional<std::string> attestation_id;
  std::string attester_id;
};

class BlockExecutor {
 public:
  BlockExecutor(poi::State& state, const ChainParams& params, std::int64_t block_time_unix,
                const ExecutionOptions& options)
      : state_(state), params_(params), verified_(options.verified) {
    context_.chain_id = params.chain_id;
    context_.genesis_root = params.genesis_root;
    context_.now = block_time_unix;
    context_.is_finalized_block = options.is_finalized_block;
    context_.nonce_used = [&state](const crypto::PublicKey& pubkey, std::string_view nonce) {
      return state.nonce_seen(poi::NonceDomain::kAttestation, pubkey, as_bytes(nonce));
    };
  }

  // Executes one transaction into `result` (its receipt and attester).
  void execute(const Bytes& encoded, BlockResult& result) {
    Receipt receipt{.tx_id = transaction_id(encoded), .attestation_id = {}, .ok = false, .error_code = {}};
    Verdict verdict = apply(receipt.tx_id, encoded);
    receipt.attestation_id = verdict.attestation_id;
    receipt.ok = verdict.status.ok();
    if (!receipt.ok) receipt.error_code = verdict.status.error().code();
    result.receipts.push_back(std::move(receipt));
    result.attesters.push_back(std::move(verdict.attester_id));
  }

 private:
  Verdict apply(const Hash32& id, const Bytes& encoded) {
    if (!executed_.insert(id).second) return {Error("duplicate", "transaction repeated in the block"), {}, {}};
    auto tx = decode_transaction(encoded);
    if (!tx) return {tx.error(), {}, {}};
    switch (kind_of(*tx)) {
      case TxKind::kAttestation: return apply_attestation(id, std::get<AttestationTx>(*tx));
      case TxKind::kValidatorOp:
        return {poi::apply_validator_op(state_, params_.chain_id, std::get<poi::ValidatorOp>(*tx)), {}, {}};
      case TxKind::kEvidence: return {apply_evidence(std::get<poi::EquivocationEvidence>(*tx)), {}, {}};
      case TxKind::kBenchOpaque: return {apply_bench(), {}, {}};
    }
    return {Error("unknown_kind", "unknown transaction kind"), {}, {}};
  }

  Verdict apply_attestation(const Hash32& id, const AttestationTx& tx) {
    const SignatureCheck signature =
        verified_ != nullptr && verified_->contains(id) ? SignatureCheck::kAlreadyVerified : SignatureCheck::kVerify;
    auto verdict = check_attestation(tx.document, context_, signature);
    if (!verdict.result)
      return {verdict.result.error(), std::move(verdict.attestation_id), std::move(verdict.attester_id)};
    const poi::ValidatedAttestation& valid = *verdict.result;
    const auto impact = static_cast<std::uint64_t>(std::clamp<std::int64_t>(valid.impact_micro, 0, poi::kMicro));
    const poi::FinalizedAttestation finalized{valid.pubkey, valid.attester_id, impact, valid.nonce, valid.id};
    return {poi::apply_attestation(state_, finalized), std::move(verdict.attestation_id),
            std::move(verdict.attester_id)};
  }

  Status apply_evidence(const poi::EquivocationEvidence& evidence) {
    auto outcome = poi::apply_evidence(state_, params_.chain_id, evidence);
    if (!outcome) return outcome.error();
    return ok_status();
  }

  Status apply_bench() const {
    if (!params_.bench_transactions)
      return Error("bench_disabled", "benchmark transactions are not enabled on this chain");
    return ok_status();
  }

  poi::State& state_;
  const ChainParams& params_;
  const VerifiedCache* verified_;
  poi::ValidationContext context_;
  std::set<Hash32> executed_;  // ids of this block's transactions so far
};

Status enter_epoch(poi::State& state, std::uint64_t height) {
  const std::uint64_t epoch = epoch_of_height(height);
  if (epoch <= state.epoch_info().epoch) return ok_status();
  return poi::on_epoch_boundary(state, epoch);
}

}  // namespace

Bytes encode_receipt(const Receipt& receipt) {
  codec::Writer w;
  w.fixed(receipt.tx_id).boolean(receipt.ok).string(receipt.error_code).boolean(receipt.attestation_id.has_value());
  if (receipt.attestation_id) w.string(*receipt.attestation_id);
  return std::move(w).take();
}

Result<Receipt> decode_receipt(ByteSpan bytes) {
  codec::Reader r(bytes);
  Receipt receipt;
  receipt.tx_id = r.fixed<32>("tx_id");
  receipt.ok = r.boolean("ok");
  receipt.error_code = r.string("error_code", kMaxErrorCodeBytes);
  if (r.ok() && receipt.ok != receipt.error_code.empty())
    r.fail("bad_value", "a receipt has an error code exactly when it failed");
  if (r.boolean("has_attestation")) receipt.attestation_id = r.string("attestation_id", kMaxAttestationIdBytes);
  BIZRA_TRY(r.finish());
  return receipt;
}

Hash32 receipts_digest(std::span<const Receipt> receipts) {
  codec::Writer w;
  w.raw(as_bytes(kReceiptsDomain)).u8(0).count(receipts.size());
  for (const auto& receipt : receipts) w.raw(encode_receipt(receipt));
  return crypto::blake3(w.data());
}

Result<BlockResult> execute_block(poi::State& state, const ChainParams& params, std::uint64_t height,
                                  std::int64_t block_time_unix, ByteSpan payload, const ExecutionOptions& options) {
  auto transactions = decode_payload(payload, params);
  if (!transactions) return transactions.error().with_context("committed payload");
  BIZRA_TRY(enter_epoch(state, height));
  BlockExecutor executor(state, params, block_time_unix, options);
  BlockResult result;
  result.receipts.reserve(transactions->size());
  result.attesters.reserve(transactions->size());
  for (const Bytes& encoded : *transactions) executor.execute(encoded, result);
  BIZRA_TRY(state.status());
  result.receipts_digest = receipts_digest(result.receipts);
  return result;
}

}  // namespace bizra::chain
