#include "sim/workload.hpp"

#include "codec/binary.hpp"
#include <stdexcept>

#include "crypto/blake3.hpp"
#include "crypto/identity.hpp"
#include "poi/types.hpp"

namespace bizra::sim {
namespace {

enum class TxKind : std::uint8_t { kAttestation = 1, kValidatorOp = 2, kEvidence = 3 };

constexpr std::size_t kMaxEmbeddedBytes = 4096;  // a validator op or evidence record
constexpr std::size_t kMinTransactionBytes = 1 + 32 + 8 + 8;

Hash32 derived(std::string_view context, std::uint64_t seed, std::uint64_t i) {
  return crypto::blake3_derive_key(context, codec::Writer().u64(seed).u64(i).data());
}

void write_transaction(codec::Writer& w, const Transaction& transaction) {
  if (const auto* effect = std::get_if<AttestationEffect>(&transaction)) {
    w.u8(static_cast<std::uint8_t>(TxKind::kAttestation)).fixed(effect->attester.bytes);
    w.u64(effect->impact_micro).u64(effect->nonce);
  } else if (const auto* op = std::get_if<poi::ValidatorOp>(&transaction)) {
    w.u8(static_cast<std::uint8_t>(TxKind::kValidatorOp)).bytes(poi::encode(*op));
  } else {
    w.u8(static_cast<std::uint8_t>(TxKind::kEvidence))
        .bytes(poi::encode(std::get<poi::EquivocationEvidence>(transaction)));
  }
}

// Decodes an embedded record, folding its error into the reader's sticky one.
template <typename T>
T embedded(codec::Reader& r, std::string_view field, Result<T> (*decode)(ByteSpan)) {
  const Bytes bytes = r.bytes(field, kMaxEmbeddedBytes);
  if (!r.ok()) return T{};
  auto decoded = decode(bytes);
  if (!decoded) {
    r.fail(decoded.error().code(), std::string(field) + ": " + decoded.error().message());
    return T{};
  }
  return std::move(*decoded);
}

Transaction read_transaction(codec::Reader& r) {
  switch (r.u8("kind")) {
    case static_cast<std::uint8_t>(TxKind::kAttestation): {
      AttestationEffect effect;
      effect.attester.bytes = r.fixed<32>("attester");
      effect.impact_micro = r.u64("impact_micro");
      effect.nonce = r.u64("nonce");
      return effect;
    }
    case static_cast<std::uint8_t>(TxKind::kValidatorOp): return embedded(r, "validator_op", &poi::decode_validator_op);
    case static_cast<std::uint8_t>(TxKind::kEvidence): return embedded(r, "evidence", &poi::decode_evidence);
    default: r.fail("bad_value", "unknown transaction kind"); return AttestationEffect{};
  }
}

}  // namespace

Bytes encode_payload(std::span<const Transaction> transactions) {
  codec::Writer w;
  w.count(transactions.size());
  for (const auto& transaction : transactions) write_transaction(w, transaction);
  return std::move(w).take();
}

Result<std::vector<Transaction>> decode_payload(ByteSpan payload) {
  codec::Reader r(payload);
  const std::size_t count = r.count("transactions", kMaxTransactions, kMinTransactionBytes);
  std::vector<Transaction> transactions;
  for (std::size_t i = 0; i < count && r.ok(); ++i) transactions.push_back(read_transaction(r));
  BIZRA_TRY(r.finish());
  return transactions;
}

Workload::Workload(std::string chain_id, std::uint64_t seed, WorkloadConfig config)
    : chain_id_(std::move(chain_id)), config_(config) {
  for (std::uint32_t i = 0; i < config_.attesters; ++i)
    attesters_.push_back(crypto::PublicKey{derived("BIZRA sim attester v1", seed, i)});
  for (std::uint32_t i = 0; i < config_.candidates; ++i)
    candidates_.push_back(crypto::SecretKey::from_seed(derived("BIZRA sim candidate v1", seed, i).span()).value());
}

std::vector<Transaction> Workload::draw(Rng& rng) const {
  std::vector<Transaction> transactions;
  const std::uint64_t attestations = rng.between(0, config_.max_transactions_per_block);
  for (std::uint64_t i = 0; i < attestations && !attesters_.empty(); ++i) {
    AttestationEffect effect;
    effect.attester = attesters_[rng.below(attesters_.size())];
    effect.impact_micro = rng.between(0, poi::kMicro + poi::kMicro / 20);  // ~5% above 1.0: rejected
    effect.nonce = rng.below(config_.nonce_space);
    transactions.emplace_back(effect);
  }
  if (!candidates_.empty() && rng.chance(config_.validator_op_ppm)) {
    poi::ValidatorOp op;
    op.kind = rng.chance(kPartsPerMillion / 4) ? poi::ValidatorOpKind::kExit : poi::ValidatorOpKind::kRegister;
    op.chain_id = chain_id_;
    op.nonce = rng.below(16);
    op.network_address = "sim://candidate";
    op.stake_bond = 1000;
    poi::sign(op, candidates_[rng.below(candidates_.size())]);
    transactions.emplace_back(std::move(op));
  }
  return transactions;
}

Bytes SimPayloadSource::next_payload(consensus::Height height, const Hash32& /*parent*/, std::size_t max_bytes) {
  Rng rng(mix(mix(seed_, height), calls_++));
  std::vector<Transaction> transactions = workload_.draw(rng);
  while (!evidence_.empty() && transactions.size() < kMaxTransactions) {
    transactions.emplace_back(evidence_.front());
    evidence_.pop_front();
  }
  Bytes payload = encode_payload(transactions);
  while (payload.size() > max_bytes && !transactions.empty()) {
    transactions.pop_back();
    payload = encode_payload(transactions);
  }
  return payload;
}

bool SimPayloadSource::payload_valid(ByteSpan payload) { return decode_payload(payload).ok(); }

void SimPayloadSource::add_evidence(const poi::EquivocationEvidence& evidence) { evidence_.push_back(evidence); }

Executor::Executor(std::string chain_id, std::span<const poi::GenesisValidator> genesis)
    : chain_id_(std::move(chain_id)) {
  // A genesis the scenario built itself: failing here is a simulator bug, not a finding.
  if (!poi::apply_genesis(state_, genesis).ok()) throw std::logic_error("sim: bad genesis validators");
  digest_ = poi::next_state_digest(Hash32{}, *state_.commit());
}

Status Executor::execute(const consensus::Block& block) {
  if (block.header.height != height_ + 1)
    return Error("bad_height", "executing height " + std::to_string(block.header.height) + " after " +
                                   std::to_string(height_));
  auto transactions = decode_payload(block.payload);
  if (!transactions) return transactions.error().with_context("committed payload");
  if (block.header.height % poi::kSlotsPerEpoch == 0)
    BIZRA_TRY(poi::on_epoch_boundary(state_, block.header.height / poi::kSlotsPerEpoch));
  crypto::Blake3 receipts;
  receipts.update(receipts_digest_.span());
  for (const auto& transaction : *transactions) {
    const std::string_view verdict = apply(transaction);
    if (!verdict.empty()) ++failed_;
    receipts.update(codec::Writer().string(verdict).data());
  }
  auto changes = state_.commit();
  if (!changes) return changes.error();
  digest_ = poi::next_state_digest(digest_, *changes);
  receipts_digest_ = receipts.finalize();
  height_ = block.header.height;
  return ok_status();
}

std::string_view Executor::apply(const Transaction& transaction) {
  Status status;
  if (const auto* effect = std::get_if<AttestationEffect>(&transaction)) {
    poi::FinalizedAttestation attestation{effect->attester, crypto::account_id(effect->attester),
                                          effect->impact_micro, std::to_string(effect->nonce), "sim"};
    status = poi::apply_attestation(state_, attestation);
  } else if (const auto* op = std::get_if<poi::ValidatorOp>(&transaction)) {
    status = poi::apply_validator_op(state_, chain_id_, *op);
  } else if (auto outcome = poi::apply_evidence(state_, chain_id_, std::get<poi::EquivocationEvidence>(transaction));
             !outcome) {
    status = outcome.error();
  }
  return status.ok() ? std::string_view{} : status.error().code();
}

}  // namespace bizra::sim
