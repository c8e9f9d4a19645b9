#include "chain/check.hpp"

#include "chain/attestation_check.hpp"

namespace bizra::chain {
namespace {

Status check_attestation_tx(const AttestationTx& tx, const ChainParams& params, const poi::ValidationContext& context,
                            VerifiedCache* verified, CheckedTx& out) {
  poi::ValidationContext network = context;
  network.chain_id = params.chain_id;
  network.genesis_root = params.genesis_root;
  const SignatureCheck signature =
      verified != nullptr && verified->contains(out.id) ? SignatureCheck::kAlreadyVerified : SignatureCheck::kVerify;
  auto verdict = check_attestation(tx.document, network, signature);
  if (!verdict.result) return verdict.result.error();
  if (verified != nullptr) verified->insert(out.id);
  out.attestation_id = std::move(verdict.attestation_id);
  out.replay_key = ReplayKey{verdict.result->pubkey, std::move(verdict.result->nonce)};
  out.priority = kPriorityAttestation;
  return ok_status();
}

Status check_validator_op(const poi::ValidatorOp& op, const ChainParams& params) {
  if (op.chain_id != params.chain_id)
    return Error("wrong_chain", "validator op is for chain '" + op.chain_id + "', not '" + params.chain_id + "'");
  if (!poi::verify_signature(op)) return Error("bad_signature", "validator op signature does not verify");
  if (op.kind == poi::ValidatorOpKind::kRegister && op.network_address.empty())
    return Error("bad_address", "a registration needs a network address");
  return ok_status();
}

Status check_bench(const ChainParams& params) {
  if (!params.bench_transactions)
    return Error("bench_disabled", "benchmark transactions are not enabled on chain '" + params.chain_id + "'");
  return ok_status();
}

Status check_kind(const Transaction& tx, const ChainParams& params, const poi::ValidationContext& context,
                  VerifiedCache* verified, CheckedTx& out) {
  switch (out.kind) {
    case TxKind::kAttestation: return check_attestation_tx(std::get<AttestationTx>(tx), params, context, verified, out);
    case TxKind::kValidatorOp: out.priority = kPriorityConsensus; return check_validator_op(std::get<poi::ValidatorOp>(tx), params);
    case TxKind::kEvidence:
      out.priority = kPriorityConsensus;
      return poi::verify_evidence(std::get<poi::EquivocationEvidence>(tx), params.chain_id);
    case TxKind::kBenchOpaque: out.priority = kPriorityBench; return check_bench(params);
  }
  return Error("unknown_kind", "unknown transaction kind");
}

}  // namespace

void VerifiedCache::insert(const Hash32& id) {
  const std::lock_guard lock(mutex_);
  if (capacity_ == 0 || !ids_.insert(id).second) return;
  order_.push_back(id);
  if (order_.size() > capacity_) {
    ids_.erase(order_.front());
    order_.pop_front();
  }
}

bool VerifiedCache::contains(const Hash32& id) const {
  const std::lock_guard lock(mutex_);
  return ids_.count(id) != 0;
}

std::size_t VerifiedCache::size() const {
  const std::lock_guard lock(mutex_);
  return ids_.size();
}

Result<CheckedTx> check_transaction(ByteSpan encoded, const ChainParams& params, const poi::ValidationContext& context,
                                    VerifiedCache* verified) {
  if (payload_size(1, encoded.size()) > params.max_block_payload_bytes)
    return Error("too_large", "a transaction of " + std::to_string(encoded.size()) +
                                  " bytes does not fit in a block payload of at most " +
                                  std::to_string(params.max_block_payload_bytes) + " bytes");
  auto tx = decode_transaction(encoded);
  if (!tx) return tx.error();
  CheckedTx out;
  out.id = transaction_id(encoded);
  out.kind = kind_of(*tx);
  BIZRA_TRY(check_kind(*tx, params, context, verified, out));
  out.encoded.assign(encoded.begin(), encoded.end());
  return out;
}

}  // namespace bizra::chain
