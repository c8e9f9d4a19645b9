#include "poi/transition.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include "codec/binary.hpp"
#include "crypto/identity.hpp"
#include "poi/rules.hpp"

namespace bizra::poi {
namespace {

std::vector<ValidatorRecord> all_validators(const State& state) {
  std::vector<ValidatorRecord> records;
  state.for_each_validator([&](const ValidatorRecord& record) { records.push_back(record); });
  return records;
}

// Writes back the records that differ from `before` (same order, same ids).
void put_changed(State& state, const std::vector<ValidatorRecord>& before, const std::vector<ValidatorRecord>& after) {
  for (std::size_t i = 0; i < after.size(); ++i) {
    if (after[i] != before[i]) state.put_validator(after[i]);
  }
}

std::uint64_t reputation_of(const State& state, const crypto::PublicKey& key) {
  const auto account = state.account(key);
  return account ? account->reputation : 0;
}

Status check_address(std::string_view address) {
  if (address.empty() || address.size() > kMaxNetworkAddressBytes)
    return Error("bad_address", "network address must be 1.." + std::to_string(kMaxNetworkAddressBytes) + " bytes");
  return ok_status();
}

// Whether an existing record may register again (and so return to Pending).
Status check_may_register(const ValidatorRecord& record, std::uint64_t epoch) {
  switch (record.status) {
    case ValidatorStatus::kExited: return ok_status();
    case ValidatorStatus::kSlashed:
      if (epoch >= record.quarantine_until) return ok_status();
      return Error("quarantined", to_text(record.validator_id) + " is quarantined until epoch " +
                                      std::to_string(record.quarantine_until));
    default:
      return Error("already_registered",
                   to_text(record.validator_id) + " is already " + std::string(name(record.status)));
  }
}

Status register_validator(State& state, const ValidatorOp& op) {
  BIZRA_TRY(check_address(op.network_address));
  const std::uint64_t epoch = state.epoch_info().epoch;
  const ValidatorId id = validator_id_of(op.validator_key);
  ValidatorRecord record;
  if (const auto existing = state.validator(id)) {
    BIZRA_TRY(check_may_register(*existing, epoch));
    record = *existing;  // keeps the slashing history
  }
  record.validator_id = id;
  record.pk_ed25519 = op.validator_key;
  record.network_address = op.network_address;
  record.stake_bond = op.stake_bond;
  record.epoch_join = epoch;
  record.epoch_exit = 0;
  record.status = ValidatorStatus::kPending;
  record.poi_weight = 0;
  record.rep_score = reputation_of(state, op.validator_key);
  state.put_validator(record);
  return ok_status();
}

Status begin_exit(State& state, const ValidatorOp& op) {
  auto record = state.validator(validator_id_of(op.validator_key));
  if (!record) return Error("unknown_validator", crypto::account_id(op.validator_key) + " is not registered");
  if (record->status != ValidatorStatus::kActive)
    return Error("bad_status", "only an active validator can exit; " + to_text(record->validator_id) + " is " +
                                   std::string(name(record->status)));
  EpochInfo info = state.epoch_info();
  if (info.exits >= churn_limit(info.active_at_start))
    return Error("churn_limit", "the exit limit of epoch " + std::to_string(info.epoch) + " is reached");
  record->status = ValidatorStatus::kExiting;
  record->epoch_exit = info.epoch + kExitDelayEpochs;
  ++info.exits;
  state.put_validator(*record);
  state.put_epoch_info(info);
  return ok_status();
}

Bytes nonce_bytes(std::uint64_t nonce) { return std::move(codec::Writer(8).u64(nonce)).take(); }

void slash(State& state, ValidatorRecord record, SlashReason reason) {
  slash_record(record, reason, state.epoch_info().epoch);
  state.put_validator(record);
  if (auto account = state.account(record.pk_ed25519)) {
    account->reputation = penalize_reputation(account->reputation, reason);
    state.put_account(*account);
  }
}

void decay_all_accounts(State& state) {
  state.for_each_account([&](const Account& account) {
    const std::uint64_t decayed = decay_reputation(account.reputation);
    if (decayed == account.reputation) return;  // 0 stays 0: no write
    Account updated = account;
    updated.reputation = decayed;
    state.put_account(updated);
  });
}

void complete_exits(std::vector<ValidatorRecord>& validators, std::uint64_t new_epoch) {
  for (auto& record : validators) {
    if (record.status == ValidatorStatus::kExiting && record.epoch_exit <= new_epoch)
      record.status = ValidatorStatus::kExited;
  }
}

std::uint64_t count_voting(const std::vector<ValidatorRecord>& validators) {
  return static_cast<std::uint64_t>(
      std::count_if(validators.begin(), validators.end(), [](const auto& r) { return is_voting(r.status); }));
}

// Returns the number of validators activated.
std::uint64_t activate_pending(const State& state, std::vector<ValidatorRecord>& validators, std::uint64_t new_epoch) {
  const std::uint64_t voting = count_voting(validators);
  const std::uint64_t room = voting >= kMaxActiveValidators ? 0 : kMaxActiveValidators - voting;
  const std::uint64_t limit = std::min(churn_limit(voting), room);

  std::vector<ValidatorRecord*> queue;
  for (auto& record : validators) {
    if (record.status == ValidatorStatus::kPending &&
        reputation_of(state, record.pk_ed25519) >= kMinActivationReputation)
      queue.push_back(&record);
  }
  std::sort(queue.begin(), queue.end(), [](const ValidatorRecord* a, const ValidatorRecord* b) {
    return std::tie(a->epoch_join, a->validator_id) < std::tie(b->epoch_join, b->validator_id);
  });
  const std::uint64_t activated = std::min<std::uint64_t>(limit, queue.size());
  for (std::uint64_t i = 0; i < activated; ++i) {
    queue[i]->status = ValidatorStatus::kActive;
    queue[i]->last_seen_slot = first_slot_of_epoch(new_epoch);
  }
  return activated;
}

void recompute_weights(const State& state, std::vector<ValidatorRecord>& validators, std::uint64_t new_epoch) {
  for (auto& record : validators) {
    if (!is_voting(record.status)) continue;
    const auto account = state.account(record.pk_ed25519);
    const std::uint64_t mean_impact = account ? mean_impact_in_epoch(*account, new_epoch - 1) : 0;
    record.rep_score = account ? account->reputation : 0;
    record.poi_weight = voting_weight(mean_impact, record.rep_score, record.stake_bond);
  }
}

Status check_genesis(const State& state, std::span<const GenesisValidator> validators) {
  if (validators.empty() || validators.size() > kMaxActiveValidators)
    return Error("bad_genesis", "genesis needs 1.." + std::to_string(kMaxActiveValidators) + " validators");
  if (!all_validators(state).empty()) return Error("bad_genesis", "the state already has validators");
  std::set<ValidatorId> ids;
  for (const auto& v : validators) {
    if (!ids.insert(validator_id_of(v.key)).second)
      return Error("bad_genesis", "duplicate genesis validator " + crypto::account_id(v.key));
    if (v.poi_weight == 0) return Error("bad_genesis", "genesis validator " + crypto::account_id(v.key) + " has weight 0");
    if (!check_address(v.network_address).ok())
      return Error("bad_genesis", "genesis validator " + crypto::account_id(v.key) + " has a bad network address");
  }
  return ok_status();
}

}  // namespace

Status apply_attestation(State& state, const FinalizedAttestation& attestation) {
  const std::string context = "attestation " + attestation.attestation_id + ": ";
  if (attestation.attester_id != crypto::account_id(attestation.pubkey))
    return Error("bad_attester", context + "attester id does not match the public key");
  if (attestation.impact_micro > kMicro)
    return Error("bad_measurement", context + "impact above 1.0 (" + std::to_string(attestation.impact_micro) + ")");
  const ByteSpan nonce = as_bytes(attestation.nonce);
  if (state.nonce_seen(NonceDomain::kAttestation, attestation.pubkey, nonce))
    return Error("replay", context + "nonce already used by this attester");
  state.mark_nonce_seen(NonceDomain::kAttestation, attestation.pubkey, nonce);

  Account account = state.account(attestation.pubkey).value_or(Account{.pubkey = attestation.pubkey});
  credit_attestation(account, attestation.impact_micro, state.epoch_info().epoch);
  state.put_account(account);
  return ok_status();
}

Status apply_validator_op(State& state, std::string_view chain_id, const ValidatorOp& op) {
  if (op.chain_id != chain_id)
    return Error("wrong_chain", "validator op is for chain '" + op.chain_id + "', not '" + std::string(chain_id) + "'");
  if (!verify_signature(op)) return Error("bad_signature", "validator op signature does not verify");
  const Bytes nonce = nonce_bytes(op.nonce);
  if (state.nonce_seen(NonceDomain::kValidatorOp, op.validator_key, nonce))
    return Error("replay", "validator op nonce " + std::to_string(op.nonce) + " was already used");
  state.mark_nonce_seen(NonceDomain::kValidatorOp, op.validator_key, nonce);

  switch (op.kind) {
    case ValidatorOpKind::kRegister: return register_validator(state, op);
    case ValidatorOpKind::kExit: return begin_exit(state, op);
  }
  return Error("bad_value", "unknown validator op kind");
}

Result<EvidenceOutcome> apply_evidence(State& state, std::string_view chain_id, const EquivocationEvidence& evidence) {
  BIZRA_TRY(verify_evidence(evidence, chain_id));
  const auto record = state.validator(validator_id_of(evidence.signer));
  if (!record) return Error("unknown_validator", crypto::account_id(evidence.signer) + " is not a validator");
  const EvidenceKey key = evidence_key(evidence);
  if (state.evidence_seen(key)) return EvidenceOutcome::kDuplicate;
  state.mark_evidence_seen(key, evidence_id(evidence));
  if (record->status == ValidatorStatus::kSlashed) return EvidenceOutcome::kAlreadySlashed;
  slash(state, *record, SlashReason::kEquivocation);
  return EvidenceOutcome::kSlashed;
}

Status slash_validator(State& state, const ValidatorId& id, SlashReason reason) {
  if (reason == SlashReason::kNone) return Error("bad_value", "no slashing reason given");
  const auto record = state.validator(id);
  if (!record) return Error("unknown_validator", to_text(id) + " is not a validator");
  if (record->status == ValidatorStatus::kSlashed) return Error("already_slashed", to_text(id) + " is already slashed");
  slash(state, *record, reason);
  return ok_status();
}

Status on_epoch_boundary(State& state, std::uint64_t new_epoch) {
  const EpochInfo current = state.epoch_info();
  if (new_epoch <= current.epoch)
    return Error("bad_epoch", "epoch " + std::to_string(new_epoch) + " does not follow " + std::to_string(current.epoch));
  decay_all_accounts(state);

  const std::vector<ValidatorRecord> before = all_validators(state);
  std::vector<ValidatorRecord> validators = before;
  complete_exits(validators, new_epoch);
  const std::uint64_t activations = activate_pending(state, validators, new_epoch);
  recompute_weights(state, validators, new_epoch);
  put_changed(state, before, validators);

  state.put_epoch_info({.epoch = new_epoch, .active_at_start = count_voting(validators), .activations = activations, .exits = 0});
  return ok_status();
}

Status note_seen(State& state, const ValidatorId& id, std::uint64_t slot) {
  auto record = state.validator(id);
  if (!record) return Error("unknown_validator", to_text(id) + " is not a validator");
  if (slot > record->last_seen_slot) {
    record->last_seen_slot = slot;
    state.put_validator(*record);
  }
  return ok_status();
}

LivenessClass liveness(const ValidatorRecord& record, std::uint64_t current_slot) {
  return classify_liveness(record.last_seen_slot, current_slot);
}

Status apply_genesis(State& state, std::span<const GenesisValidator> validators) {
  BIZRA_TRY(check_genesis(state, validators));
  for (const auto& v : validators) {
    ValidatorRecord record;
    record.validator_id = validator_id_of(v.key);
    record.pk_ed25519 = v.key;
    record.network_address = v.network_address;
    record.status = ValidatorStatus::kActive;
    record.poi_weight = v.poi_weight;
    record.stake_bond = v.stake_bond;
    state.put_validator(record);
  }
  state.put_epoch_info({.epoch = 0, .active_at_start = validators.size(), .activations = 0, .exits = 0});
  return ok_status();
}

std::vector<ValidatorRecord> voting_validators(const State& state) {
  std::vector<ValidatorRecord> voting;
  state.for_each_validator([&](const ValidatorRecord& record) {
    if (is_voting(record.status)) voting.push_back(record);
  });
  return voting;
}

}  // namespace bizra::poi
