// PoI state transitions (poi.md §4–§6) on every State implementation, the state digest, and
// determinism across implementations.

#include "poi/state.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "base/hex.hpp"
#include "crypto/blake3.hpp"
#include "crypto/identity.hpp"
#include "poi/rules.hpp"
#include "poi/signing.hpp"
#include "poi/store_state.hpp"
#include "poi/transition.hpp"
#include "poi/validator_op.hpp"
#include "state_harness.hpp"

namespace bizra::poi {
namespace {

using testing::kChain;
using testing::MemoryHarness;
using testing::RocksHarness;
using testing::StoreMemoryHarness;
using testing::test_key;

// 32 hex digits, distinct for distinct i.
std::string nonce(std::uint64_t i) {
  Bytes b(16, 0);
  for (std::size_t k = 0; k < 8; ++k) b[15 - k] = static_cast<std::uint8_t>(i >> (8 * k));
  return hex::encode(b);
}

FinalizedAttestation attestation(const crypto::SecretKey& key, std::uint64_t impact_micro, std::uint64_t n) {
  return {key.public_key(), crypto::account_id(key.public_key()), impact_micro, nonce(n), "att-" + std::to_string(n)};
}

ValidatorOp register_op(const crypto::SecretKey& key, std::uint64_t op_nonce, std::uint64_t bond = 1'000'000) {
  ValidatorOp op{ValidatorOpKind::kRegister, std::string(kChain), {}, op_nonce, "10.0.0.1:7000", bond, {}};
  sign(op, key);
  return op;
}

ValidatorOp exit_op(const crypto::SecretKey& key, std::uint64_t op_nonce) {
  ValidatorOp op{ValidatorOpKind::kExit, std::string(kChain), {}, op_nonce, "", 0, {}};
  sign(op, key);
  return op;
}

EquivocationEvidence double_vote(const crypto::SecretKey& key, std::uint64_t round) {
  EquivocationEvidence e{MessageKind::kVote, std::string(kChain), 0, round, key.public_key(), {}, {}};
  e.first.block_id = crypto::blake3("A");
  e.second.block_id = crypto::blake3("B");
  e.first.signature = key.sign(vote_message(kChain, 0, round, e.first.block_id));
  e.second.signature = key.sign(vote_message(kChain, 0, round, e.second.block_id));
  return e;
}

GenesisValidator genesis_validator(const crypto::SecretKey& key, std::uint64_t weight = 155, std::uint64_t bond = 1'000) {
  return {key.public_key(), "10.0.0.2:7000", bond, weight};
}

struct HarnessNames {
  template <typename T>
  static std::string GetName(int) { return T::kName; }
};

template <typename H>
class PoiState : public ::testing::Test {
 protected:
  State& state() { return harness_.state(); }

  void commit() {
    const auto changes = harness_.commit();
    ASSERT_TRUE(changes.ok()) << changes.error().to_string();
  }
  void boundary(std::uint64_t epoch) {
    const Status s = on_epoch_boundary(state(), epoch);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
  }
  void attest(const crypto::SecretKey& key, std::uint64_t impact) {
    const Status s = apply_attestation(state(), attestation(key, impact, next_nonce_++));
    ASSERT_TRUE(s.ok()) << s.error().to_string();
  }
  void op(const ValidatorOp& validator_op) {
    const Status s = apply_validator_op(state(), kChain, validator_op);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
  }
  std::string_view op_error(const ValidatorOp& validator_op) {
    const Status s = apply_validator_op(state(), kChain, validator_op);
    return s.ok() ? "ok" : s.error().code();
  }
  void genesis(const std::vector<GenesisValidator>& validators) {
    const Status s = apply_genesis(state(), validators);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
  }
  ValidatorRecord validator(const crypto::SecretKey& key) {
    const auto record = state().validator(validator_id_of(key.public_key()));
    EXPECT_TRUE(record.has_value());
    return record.value_or(ValidatorRecord{});
  }
  Account account(const crypto::SecretKey& key) {
    const auto a = state().account(key.public_key());
    EXPECT_TRUE(a.has_value());
    return a.value_or(Account{});
  }
  // Gives `key` 1500 reputation (10 attestations of impact 1.0 in the current epoch).
  void make_reputable(const crypto::SecretKey& key) {
    for (int i = 0; i < 10; ++i) attest(key, 1'000'000);
  }

  H harness_;
  std::uint64_t next_nonce_ = 1;
};

using Harnesses = ::testing::Types<MemoryHarness, StoreMemoryHarness, RocksHarness>;
TYPED_TEST_SUITE(PoiState, Harnesses, HarnessNames);

// --- §4 accounts and reputation ---------------------------------------------------------------

TYPED_TEST(PoiState, FirstAttestationCreatesTheAccount) {
  const auto key = test_key(1);
  EXPECT_FALSE(this->state().account(key.public_key()).has_value());
  this->attest(key, 740'000);  // 500 + 740000 / 10000 = 574
  this->commit();
  const Account a = this->account(key);
  EXPECT_EQ(a.pubkey, key.public_key());
  EXPECT_EQ(a.reputation, 574u);
  EXPECT_EQ(a.attestations, 1u);
  EXPECT_EQ(a.impact_sum_micro, 740'000u);
  EXPECT_EQ(a.last_epoch, 0u);
  ASSERT_TRUE(this->state().status().ok());
}

TYPED_TEST(PoiState, ReplayedNonceIsRejectedAndChangesNothing) {
  const auto key = test_key(1);
  const auto first = attestation(key, 740'000, 42);
  ASSERT_TRUE(apply_attestation(this->state(), first).ok());
  EXPECT_EQ(apply_attestation(this->state(), first).error().code(), "replay");  // same block
  this->commit();
  EXPECT_EQ(apply_attestation(this->state(), first).error().code(), "replay");  // later block
  EXPECT_TRUE(this->harness_.kv().pending().empty());
  EXPECT_EQ(this->account(key).attestations, 1u);
  // The same nonce under another key is a different (pubkey, nonce) pair.
  EXPECT_TRUE(apply_attestation(this->state(), attestation(test_key(2), 10'000, 42)).ok());
}

TYPED_TEST(PoiState, MalformedAttestationInputIsRejected) {
  const auto key = test_key(1);
  auto wrong_id = attestation(key, 740'000, 1);
  wrong_id.attester_id = crypto::account_id(test_key(2).public_key());
  EXPECT_EQ(apply_attestation(this->state(), wrong_id).error().code(), "bad_attester");
  EXPECT_EQ(apply_attestation(this->state(), attestation(key, 1'000'001, 2)).error().code(), "bad_measurement");
  EXPECT_TRUE(this->harness_.kv().pending().empty());
}

TYPED_TEST(PoiState, OnlyTenAttestationsPerEpochEarnReputation) {
  const auto key = test_key(1);
  for (int i = 0; i < 11; ++i) this->attest(key, 100'000);  // 10 x (+10); the 11th earns nothing
  EXPECT_EQ(this->account(key).reputation, 600u);
  EXPECT_EQ(this->account(key).attestations, 11u);
  this->commit();
  this->boundary(1);                   // 600 * 95 / 100 = 570
  this->attest(key, 100'000);          // a new epoch counts again: 570 + 10
  EXPECT_EQ(this->account(key).reputation, 580u);
  EXPECT_EQ(this->account(key).epoch_attestations, 1u);
}

TYPED_TEST(PoiState, EveryAccountDecaysAtTheBoundary) {
  const auto a = test_key(1), b = test_key(2), c = test_key(3);
  this->attest(a, 740'000);  // 574
  this->attest(b, 100'000);  // 510
  this->attest(c, 0);        // 500
  this->commit();
  this->boundary(1);
  EXPECT_EQ(this->account(a).reputation, 545u);  // 54530 / 100
  EXPECT_EQ(this->account(b).reputation, 484u);  // 48450 / 100
  EXPECT_EQ(this->account(c).reputation, 475u);  // 47500 / 100
  this->commit();
  // The next boundary sees committed accounts (a, c), a committed one rewritten in this block
  // (b) and one that exists only in this block (d).
  const auto d = test_key(4);
  this->attest(b, 0);  // 484 + 0
  this->attest(d, 0);  // 500
  this->boundary(2);
  EXPECT_EQ(this->account(a).reputation, 517u);  // 51775 / 100
  EXPECT_EQ(this->account(b).reputation, 459u);  // 45980 / 100
  EXPECT_EQ(this->account(c).reputation, 451u);  // 45125 / 100
  EXPECT_EQ(this->account(d).reputation, 475u);  // 47500 / 100
}

TYPED_TEST(PoiState, EpochsOnlyMoveForwardAndAJumpIsOneBoundary) {
  const auto key = test_key(1);
  EXPECT_EQ(on_epoch_boundary(this->state(), 0).error().code(), "bad_epoch");
  this->attest(key, 740'000);
  this->boundary(3);  // epochs 1 and 2 had no blocks: one decay, 574 -> 545
  EXPECT_EQ(this->account(key).reputation, 545u);
  EXPECT_EQ(this->state().epoch_info().epoch, 3u);
  EXPECT_EQ(on_epoch_boundary(this->state(), 3).error().code(), "bad_epoch");
  EXPECT_EQ(on_epoch_boundary(this->state(), 2).error().code(), "bad_epoch");
}

// --- §5 validators ----------------------------------------------------------------------------

TYPED_TEST(PoiState, ValidatorLifecycle) {
  const auto key = test_key(1);
  this->attest(key, 740'000);  // rep 574
  this->op(register_op(key, 1));
  ValidatorRecord v = this->validator(key);
  EXPECT_EQ(v.status, ValidatorStatus::kPending);
  EXPECT_EQ(v.validator_id, validator_id_of(key.public_key()));
  EXPECT_EQ(to_text(v.validator_id), crypto::account_id(key.public_key()));
  EXPECT_EQ(v.epoch_join, 0u);
  EXPECT_EQ(v.rep_score, 574u);
  EXPECT_EQ(v.stake_bond, 1'000'000u);
  EXPECT_EQ(this->op_error(exit_op(key, 2)), "bad_status");            // Pending cannot exit
  EXPECT_EQ(this->op_error(register_op(key, 3)), "already_registered");
  this->commit();

  this->boundary(1);  // rep 574 -> 545 >= 500: activated
  v = this->validator(key);
  EXPECT_EQ(v.status, ValidatorStatus::kActive);
  EXPECT_EQ(v.rep_score, 545u);
  // I = 740000 (its only attestation, in epoch 0): 100 + 7400000/1e6 (7) + 5*545/100 (27)
  //   + 2*isqrt(1e6)/100 (20) = 154
  EXPECT_EQ(v.poi_weight, 154u);
  EXPECT_EQ(v.last_seen_slot, 32u);  // first slot of epoch 1
  EXPECT_EQ(this->state().epoch_info(), (EpochInfo{1, 1, 1, 0}));
  this->commit();

  this->op(exit_op(key, 4));
  v = this->validator(key);
  EXPECT_EQ(v.status, ValidatorStatus::kExiting);
  EXPECT_EQ(v.epoch_exit, 3u);  // current 1 + 2
  EXPECT_EQ(this->op_error(exit_op(key, 5)), "bad_status");
  this->commit();

  this->boundary(2);  // still exiting (and voting): rep 545 -> 517, no attestations in epoch 1
  v = this->validator(key);
  EXPECT_EQ(v.status, ValidatorStatus::kExiting);
  EXPECT_EQ(v.poi_weight, 145u);  // 100 + 0 + 5*517/100 (25) + 20
  EXPECT_EQ(voting_validators(this->state()).size(), 1u);
  this->commit();

  this->boundary(3);
  EXPECT_EQ(this->validator(key).status, ValidatorStatus::kExited);
  EXPECT_TRUE(voting_validators(this->state()).empty());
  EXPECT_EQ(this->op_error(exit_op(key, 6)), "bad_status");
  this->commit();

  EXPECT_EQ(this->op_error(register_op(key, 1)), "replay");  // the old op cannot be replayed
  this->op(register_op(key, 7, 2'500));
  v = this->validator(key);
  EXPECT_EQ(v.status, ValidatorStatus::kPending);
  EXPECT_EQ(v.epoch_join, 3u);
  EXPECT_EQ(v.stake_bond, 2'500u);
}

TYPED_TEST(PoiState, ValidatorOpChecks) {
  const auto key = test_key(1);
  auto op = register_op(key, 1);
  op.chain_id = "other";
  EXPECT_EQ(this->op_error(op), "wrong_chain");
  op = register_op(key, 1);
  op.stake_bond += 1;  // not what was signed
  EXPECT_EQ(this->op_error(op), "bad_signature");
  ValidatorOp no_address{ValidatorOpKind::kRegister, std::string(kChain), {}, 2, "", 5, {}};
  sign(no_address, key);
  EXPECT_EQ(this->op_error(no_address), "bad_address");
  EXPECT_EQ(this->op_error(exit_op(key, 3)), "unknown_validator");
  EXPECT_FALSE(this->state().validator(validator_id_of(key.public_key())).has_value());
}

TYPED_TEST(PoiState, PendingNeedsReputation500AfterDecay) {
  const auto fresh = test_key(1), no_account = test_key(2);
  this->attest(fresh, 0);  // 500, decays to 475 at the boundary
  this->op(register_op(fresh, 1));
  this->op(register_op(no_account, 1));  // never attested: reputation 0
  this->commit();
  this->boundary(1);
  EXPECT_EQ(this->validator(fresh).status, ValidatorStatus::kPending);
  EXPECT_EQ(this->validator(no_account).status, ValidatorStatus::kPending);
  EXPECT_EQ(this->state().epoch_info().activations, 0u);
}

TYPED_TEST(PoiState, ActivationOrderAndChurnLimit) {
  std::vector<GenesisValidator> genesis;
  for (std::uint8_t n = 1; n <= 4; ++n) genesis.push_back(genesis_validator(test_key(n)));
  this->genesis(genesis);
  // Six keys in id order; the later registrations get the three smallest ids, so only the
  // epoch_join part of the (epoch_join, validator_id) order lets the early ones go first.
  std::vector<crypto::SecretKey> pool;
  for (std::uint8_t n = 10; n < 16; ++n) pool.push_back(test_key(n));
  std::sort(pool.begin(), pool.end(), [](const crypto::SecretKey& a, const crypto::SecretKey& b) {
    return validator_id_of(a.public_key()) < validator_id_of(b.public_key());
  });
  std::vector<crypto::SecretKey> late(std::make_move_iterator(pool.begin()), std::make_move_iterator(pool.begin() + 3));
  std::vector<crypto::SecretKey> early(std::make_move_iterator(pool.begin() + 3), std::make_move_iterator(pool.end()));
  for (const auto& key : early) {
    this->make_reputable(key);
    this->op(register_op(key, 1));
  }
  this->commit();

  this->boundary(1);  // churn max(2, 4/50) = 2: the two smallest ids of epoch_join 0
  EXPECT_EQ(this->validator(early[0]).status, ValidatorStatus::kActive);
  EXPECT_EQ(this->validator(early[1]).status, ValidatorStatus::kActive);
  EXPECT_EQ(this->validator(early[2]).status, ValidatorStatus::kPending);
  EXPECT_EQ(this->state().epoch_info(), (EpochInfo{1, 6, 2, 0}));
  for (const auto& key : late) {
    this->make_reputable(key);
    this->op(register_op(key, 1));
  }
  this->commit();

  this->boundary(2);  // epoch_join 0 before epoch_join 1, whatever the ids
  EXPECT_EQ(this->validator(early[2]).status, ValidatorStatus::kActive);
  EXPECT_EQ(this->validator(late[0]).status, ValidatorStatus::kActive);
  EXPECT_EQ(this->validator(late[1]).status, ValidatorStatus::kPending);
  EXPECT_EQ(this->validator(late[2]).status, ValidatorStatus::kPending);
  EXPECT_EQ(voting_validators(this->state()).size(), 8u);
}

TYPED_TEST(PoiState, NeverMoreThan100Voting) {
  std::vector<GenesisValidator> genesis;
  for (std::uint8_t n = 1; n <= 99; ++n) genesis.push_back(genesis_validator(test_key(n)));
  this->genesis(genesis);
  for (std::uint8_t n = 200; n < 203; ++n) {
    this->make_reputable(test_key(n));
    this->op(register_op(test_key(n), 1));
  }
  this->commit();
  this->boundary(1);  // churn 2, but room for 1
  EXPECT_EQ(this->state().epoch_info().activations, 1u);
  EXPECT_EQ(voting_validators(this->state()).size(), 100u);
  this->commit();
  this->boundary(2);
  EXPECT_EQ(this->state().epoch_info().activations, 0u);
  EXPECT_EQ(voting_validators(this->state()).size(), 100u);
}

TYPED_TEST(PoiState, ExitChurnAt100Active) {
  std::vector<GenesisValidator> genesis;
  for (std::uint8_t n = 1; n <= 100; ++n) genesis.push_back(genesis_validator(test_key(n)));
  this->genesis(genesis);
  EXPECT_EQ(this->state().epoch_info().active_at_start, 100u);
  this->commit();
  this->op(exit_op(test_key(1), 1));
  this->op(exit_op(test_key(2), 1));
  EXPECT_EQ(this->op_error(exit_op(test_key(3), 1)), "churn_limit");  // max(2, 100/50) = 2
  EXPECT_EQ(this->validator(test_key(3)).status, ValidatorStatus::kActive);
  this->commit();
  this->boundary(1);
  this->op(exit_op(test_key(3), 2));  // a new epoch, a new allowance
  EXPECT_EQ(this->validator(test_key(3)).status, ValidatorStatus::kExiting);
}

TYPED_TEST(PoiState, LastSeenAndLiveness) {
  const auto key = test_key(1);
  this->genesis({genesis_validator(key)});
  const ValidatorId id = validator_id_of(key.public_key());
  ASSERT_TRUE(note_seen(this->state(), id, 100).ok());
  ASSERT_TRUE(note_seen(this->state(), id, 90).ok());  // older QC: ignored
  const ValidatorRecord v = this->validator(key);
  EXPECT_EQ(v.last_seen_slot, 100u);
  EXPECT_EQ(liveness(v, 164), LivenessClass::kLive);
  EXPECT_EQ(liveness(v, 165), LivenessClass::kMissed);
  EXPECT_EQ(liveness(v, 1'125), LivenessClass::kOffline);
  EXPECT_EQ(note_seen(this->state(), validator_id_of(test_key(2).public_key()), 5).error().code(),
            "unknown_validator");
}

TYPED_TEST(PoiState, GenesisChecks) {
  const auto key = test_key(1);
  EXPECT_EQ(apply_genesis(this->state(), {}).error().code(), "bad_genesis");
  const std::vector<GenesisValidator> duplicate = {genesis_validator(key), genesis_validator(key)};
  EXPECT_EQ(apply_genesis(this->state(), duplicate).error().code(), "bad_genesis");
  const std::vector<GenesisValidator> zero_weight = {genesis_validator(key, 0)};
  EXPECT_EQ(apply_genesis(this->state(), zero_weight).error().code(), "bad_genesis");
  EXPECT_TRUE(this->harness_.kv().pending().empty());
  this->genesis({genesis_validator(key)});
  EXPECT_EQ(this->validator(key).status, ValidatorStatus::kActive);
  EXPECT_EQ(this->validator(key).poi_weight, 155u);
  EXPECT_EQ(apply_genesis(this->state(), std::vector{genesis_validator(test_key(2))}).error().code(), "bad_genesis");
}

// --- §6 slashing ------------------------------------------------------------------------------

TYPED_TEST(PoiState, SlashEachReason) {
  const SlashReason reasons[] = {SlashReason::kEquivocation, SlashReason::kFraudulentPoI, SlashReason::kCensorship,
                                 SlashReason::kKeyTheft};
  std::vector<GenesisValidator> genesis;
  for (std::uint8_t n = 1; n <= 4; ++n) genesis.push_back(genesis_validator(test_key(n)));  // weight 155, bond 1000
  this->genesis(genesis);
  for (std::uint8_t n = 1; n <= 4; ++n) this->make_reputable(test_key(n));  // account rep 1500
  this->commit();
  this->boundary(1);  // rep 1500 -> 1425; weights recomputed from the formula
  // 100 + 10*1e6/1e6 (10, I of epoch 0) + 5*1425/100 (71) + 2*isqrt(1000)/100 (2*31/100 = 0) = 181
  ASSERT_EQ(this->validator(test_key(1)).poi_weight, 181u);

  struct Expected { std::uint64_t weight, bond, rep, quarantine_until; };
  const Expected expected[] = {
      {19, 0, 0, 5},      // 181 - floor(162.9);  1000 - 1000; max(0, 1425 - 5000); 1 + 4
      {55, 500, 0, 3},    // 181 - floor(126.7);  1000 - 500;  max(0, 1425 - 3000); 1 + 2
      {91, 700, 0, 3},    // 181 - floor(90.5);   1000 - 300;  max(0, 1425 - 2000); 1 + 2
      {10, 900, 925, 2},  // 181 - floor(171.95); 1000 - 100;  1425 - 500;          1 + 1
  };
  for (std::size_t i = 0; i < 4; ++i) {
    const auto key = test_key(static_cast<std::uint8_t>(i + 1));
    SCOPED_TRACE(std::string(name(reasons[i])));
    ASSERT_TRUE(slash_validator(this->state(), validator_id_of(key.public_key()), reasons[i]).ok());
    const ValidatorRecord v = this->validator(key);
    EXPECT_EQ(v.status, ValidatorStatus::kSlashed);
    EXPECT_EQ(v.slash_reason, reasons[i]);
    EXPECT_EQ(v.poi_weight, expected[i].weight);
    EXPECT_EQ(v.stake_bond, expected[i].bond);
    EXPECT_EQ(v.rep_score, expected[i].rep);
    EXPECT_EQ(this->account(key).reputation, expected[i].rep);
    EXPECT_EQ(v.quarantine_until, expected[i].quarantine_until);
  }
  this->commit();
  EXPECT_TRUE(voting_validators(this->state()).empty());
}

TYPED_TEST(PoiState, AnyStatusButSlashedCanBeSlashed) {
  const auto active = test_key(1), pending = test_key(2), exited = test_key(3);
  this->genesis({genesis_validator(active), genesis_validator(exited)});
  this->op(register_op(pending, 1));
  this->op(exit_op(exited, 2));
  this->commit();
  this->boundary(2);  // epoch_exit = 0 + 2
  EXPECT_EQ(this->validator(exited).status, ValidatorStatus::kExited);
  EXPECT_EQ(this->validator(pending).status, ValidatorStatus::kPending);  // no reputation
  for (const auto* key : {&active, &pending, &exited}) {
    ASSERT_TRUE(slash_validator(this->state(), validator_id_of(key->public_key()), SlashReason::kCensorship).ok());
    EXPECT_EQ(this->validator(*key).status, ValidatorStatus::kSlashed);
  }
  const ValidatorId id = validator_id_of(active.public_key());
  EXPECT_EQ(slash_validator(this->state(), id, SlashReason::kKeyTheft).error().code(), "already_slashed");
  EXPECT_EQ(slash_validator(this->state(), id, SlashReason::kNone).error().code(), "bad_value");
  EXPECT_EQ(slash_validator(this->state(), validator_id_of(test_key(9).public_key()), SlashReason::kCensorship)
                .error()
                .code(),
            "unknown_validator");
}

TYPED_TEST(PoiState, ExitingValidatorCanBeSlashed) {
  const auto key = test_key(1);
  this->genesis({genesis_validator(key)});
  this->op(exit_op(key, 1));
  ASSERT_EQ(this->validator(key).status, ValidatorStatus::kExiting);
  ASSERT_TRUE(slash_validator(this->state(), validator_id_of(key.public_key()), SlashReason::kFraudulentPoI).ok());
  this->commit();
  this->boundary(2);  // a slashed validator never becomes Exited
  EXPECT_EQ(this->validator(key).status, ValidatorStatus::kSlashed);
}

TYPED_TEST(PoiState, QuarantineThenRegisterAgain) {
  const auto key = test_key(1);
  this->genesis({genesis_validator(key)});
  this->commit();
  const auto outcome = apply_evidence(this->state(), kChain, double_vote(key, 7));
  ASSERT_TRUE(outcome.ok()) << outcome.error().to_string();
  EXPECT_EQ(*outcome, EvidenceOutcome::kSlashed);
  EXPECT_EQ(this->validator(key).quarantine_until, 4u);  // slashed in epoch 0, q = 4
  this->commit();
  this->boundary(3);
  EXPECT_EQ(this->op_error(register_op(key, 1)), "quarantined");
  this->commit();
  this->boundary(4);
  this->op(register_op(key, 2));
  const ValidatorRecord v = this->validator(key);
  EXPECT_EQ(v.status, ValidatorStatus::kPending);
  EXPECT_EQ(v.slash_reason, SlashReason::kEquivocation);  // history kept
}

// --- storage behaviour ------------------------------------------------------------------------

TYPED_TEST(PoiState, FailedTransactionsLeaveNoChanges) {
  const auto key = test_key(1);
  this->genesis({genesis_validator(key)});
  this->commit();
  EXPECT_FALSE(apply_evidence(this->state(), "other", double_vote(key, 1)).ok());
  EXPECT_FALSE(apply_attestation(this->state(), attestation(key, 2'000'000, 1)).ok());
  EXPECT_FALSE(apply_validator_op(this->state(), "other", exit_op(key, 1)).ok());
  EXPECT_TRUE(this->harness_.kv().pending().empty());
}

TEST(StoreState, ChangesReachTheStoreOnlyThroughTheBatch) {
  StoreMemoryHarness h;
  const auto key = test_key(1);
  ASSERT_TRUE(apply_attestation(h.state(), attestation(key, 740'000, 1)).ok());
  // Before commit the store holds nothing; the state reads its own pending write.
  bool any = false;
  ASSERT_TRUE(h.store().scan(storage::Column::kState, {}, {}, [&](ByteSpan, ByteSpan) { return any = true; }).ok());
  EXPECT_FALSE(any);
  EXPECT_TRUE(h.state().account(key.public_key()).has_value());
  const auto changes = h.commit();
  ASSERT_TRUE(changes.ok());
  EXPECT_EQ(changes->size(), 2u);  // the nonce and the account
  std::size_t entries = 0;
  ASSERT_TRUE(h.store().scan(storage::Column::kState, {}, {}, [&](ByteSpan, ByteSpan) { return ++entries > 0; }).ok());
  EXPECT_EQ(entries, 2u);
  EXPECT_TRUE(h.kv().pending().empty());
}

TEST(StoreState, CorruptRecordIsStickyAndBlocksCommit) {
  StoreMemoryHarness h;
  const auto key = test_key(1);
  ASSERT_TRUE(apply_attestation(h.state(), attestation(key, 740'000, 1)).ok());
  ASSERT_TRUE(h.commit().ok());
  // Overwrite the account record (key 'a' ‖ pubkey) with garbage.
  Bytes account_key{'a'};
  account_key.insert(account_key.end(), key.public_key().bytes.bytes.begin(), key.public_key().bytes.bytes.end());
  storage::WriteBatch corrupt;
  corrupt.put(storage::Column::kState, account_key, Bytes{1, 2, 3});
  ASSERT_TRUE(h.store().write(corrupt, storage::Durability::kNoSync).ok());

  EXPECT_FALSE(h.state().account(key.public_key()).has_value());
  EXPECT_EQ(h.state().status().error().code(), "corrupt_state");
  storage::WriteBatch batch;
  const auto changes = dynamic_cast<StoreState&>(h.state()).commit_to(batch);
  EXPECT_EQ(changes.error().code(), "corrupt_state");
  EXPECT_TRUE(batch.empty());
}

TEST(StoreState, SurvivesARestart) {
  RocksHarness h;
  const auto key = test_key(1);
  ASSERT_TRUE(apply_attestation(h.state(), attestation(key, 740'000, 1)).ok());
  ASSERT_TRUE(h.commit().ok());
  ASSERT_TRUE(apply_attestation(h.state(), attestation(key, 500'000, 2)).ok());  // never committed
  h.reopen();
  const auto account = h.state().account(key.public_key());
  ASSERT_TRUE(account.has_value());
  EXPECT_EQ(account->reputation, 574u);
  EXPECT_EQ(account->attestations, 1u);
  EXPECT_TRUE(h.state().nonce_seen(NonceDomain::kAttestation, key.public_key(), as_bytes(nonce(1))));
  EXPECT_FALSE(h.state().nonce_seen(NonceDomain::kAttestation, key.public_key(), as_bytes(nonce(2))));
}

// --- digest and determinism -------------------------------------------------------------------

TEST(StateDigest, ChainsBlake3OverTheChangeSet) {
  ChangeSet changes{{Bytes{'b'}, Bytes{2}}, {Bytes{'a'}, Bytes{}}};
  // u32 count 2 ‖ (u32 1, 'a', u32 0) ‖ (u32 1, 'b', u32 1, 0x02): keys in order.
  EXPECT_EQ(hex::encode(encode_change_set(changes)), "02000000" "0100000061" "00000000" "0100000062" "0100000002");
  const Hash32 genesis{};
  crypto::Blake3 expected;
  expected.update(genesis.span()).update(encode_change_set(changes));
  EXPECT_EQ(next_state_digest(genesis, changes), expected.finalize());
  EXPECT_NE(next_state_digest(next_state_digest(genesis, changes), {}), next_state_digest(genesis, changes));
}

struct ScenarioResult {
  std::vector<Hash32> digests;  // after each block
  Bytes dump;
};

// A mixed history (genesis, attestations, registrations, exits, evidence, failed transactions,
// epoch boundaries), applied block by block, the digest chained after each.
template <typename H>
ScenarioResult run_scenario() {
  H h;
  State& s = h.state();
  ScenarioResult result;
  Hash32 digest{};
  const auto end_block = [&] {
    auto changes = h.commit();
    EXPECT_TRUE(changes.ok());
    digest = next_state_digest(digest, changes.ok() ? *changes : ChangeSet{});
    result.digests.push_back(digest);
  };
  std::vector<GenesisValidator> genesis;
  for (std::uint8_t n = 1; n <= 4; ++n) genesis.push_back(genesis_validator(test_key(n), 100 + n, 1'000'000));
  EXPECT_TRUE(apply_genesis(s, genesis).ok());
  end_block();

  std::uint64_t n = 1;
  for (std::uint8_t k = 1; k <= 8; ++k) {
    for (std::uint64_t i = 1; i <= 3u * k; ++i)
      (void)apply_attestation(s, attestation(test_key(k), std::uint64_t{123'456} * k * i % 1'000'001, n++));
  }
  (void)apply_attestation(s, attestation(test_key(1), 5, 1));  // replay: fails, no change
  for (std::uint8_t k = 5; k <= 8; ++k) (void)apply_validator_op(s, kChain, register_op(test_key(k), 1, std::uint64_t{10'000} * k));
  end_block();

  EXPECT_TRUE(on_epoch_boundary(s, 1).ok());
  (void)apply_validator_op(s, kChain, exit_op(test_key(2), 1));
  (void)apply_evidence(s, kChain, double_vote(test_key(3), 4));
  (void)apply_evidence(s, kChain, double_vote(test_key(3), 4));  // duplicate
  (void)note_seen(s, validator_id_of(test_key(1).public_key()), 40);
  end_block();

  for (std::uint64_t epoch = 2; epoch <= 4; ++epoch) {
    for (std::uint8_t k = 1; k <= 8; ++k) (void)apply_attestation(s, attestation(test_key(k), 900'000, n++));
    EXPECT_TRUE(on_epoch_boundary(s, epoch).ok());
    end_block();
  }
  auto dump = h.kv().dump();
  EXPECT_TRUE(dump.ok());
  result.dump = dump.ok() ? *dump : Bytes{};
  return result;
}

TEST(Determinism, SameHistorySameDigestsOnEveryImplementation) {
  const ScenarioResult memory = run_scenario<MemoryHarness>();
  const ScenarioResult again = run_scenario<MemoryHarness>();
  const ScenarioResult store = run_scenario<StoreMemoryHarness>();
  const ScenarioResult rocks = run_scenario<RocksHarness>();
  ASSERT_EQ(memory.digests.size(), 6u);
  EXPECT_EQ(memory.digests, again.digests);
  EXPECT_EQ(memory.digests, store.digests);
  EXPECT_EQ(memory.digests, rocks.digests);
  EXPECT_EQ(memory.dump, again.dump);
  EXPECT_EQ(memory.dump, store.dump);
  EXPECT_EQ(memory.dump, rocks.dump);
  EXPECT_GT(memory.dump.size(), 1'000u);  // the scenario really built a state
}

// Digests of one block applied to a fresh state holding `prior` attestations of key 1.
Hash32 block_digest(const std::vector<FinalizedAttestation>& prior, const std::vector<FinalizedAttestation>& block) {
  MemoryState state;
  for (const auto& a : prior) EXPECT_TRUE(apply_attestation(state, a).ok());
  const auto base = state.commit();
  EXPECT_TRUE(base.ok());
  for (const auto& a : block) EXPECT_TRUE(apply_attestation(state, a).ok());
  const auto changes = state.commit();
  EXPECT_TRUE(changes.ok());
  return next_state_digest(Hash32{}, changes.ok() ? *changes : ChangeSet{});
}

TEST(Determinism, IndependentOperationsCommuteWithinABlock) {
  // Attestations of different accounts touch disjoint keys: the change set, and so the digest,
  // is the same in either order.
  const auto a = attestation(test_key(1), 740'000, 1);
  const auto b = attestation(test_key(2), 310'000, 1);
  EXPECT_EQ(block_digest({}, {a, b}), block_digest({}, {b, a}));
}

TEST(Determinism, DependentOperationsMayNot) {
  // Nine attestations earlier in the epoch: only the next one earns reputation, so which of
  // two (impact 0.1 vs 0.9) comes first decides the account's reputation and the digest.
  std::vector<FinalizedAttestation> prior;
  for (std::uint64_t i = 0; i < 9; ++i) prior.push_back(attestation(test_key(1), 0, 100 + i));
  const auto small = attestation(test_key(1), 100'000, 1);
  const auto large = attestation(test_key(1), 900'000, 2);
  EXPECT_NE(block_digest(prior, {small, large}), block_digest(prior, {large, small}));
}

// --- validator op codec -----------------------------------------------------------------------

TEST(ValidatorOpCodec, RoundTripsBothKinds) {
  const auto key = test_key(1);
  for (const ValidatorOp& op : {register_op(key, 7, 12345), exit_op(key, 8)}) {
    const Bytes bytes = encode(op);
    auto decoded = decode_validator_op(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(encode(*decoded), bytes);
    EXPECT_TRUE(verify_signature(*decoded));
  }
  // kind 2 ‖ chain (4 + 10) ‖ key 32 ‖ nonce 8 ‖ signature 64
  EXPECT_EQ(encode(exit_op(key, 8)).size(), 1u + 14 + 32 + 8 + 64);
}

TEST(ValidatorOpCodec, SignedMessageIsDomainTagged) {
  const auto op = exit_op(test_key(1), 8);
  const Bytes message = signing_message(op);
  const std::string tag = "BIZRA/validator-op/v1";
  ASSERT_GT(message.size(), tag.size() + 1);
  EXPECT_EQ(std::string(message.begin(), message.begin() + static_cast<std::ptrdiff_t>(tag.size())), tag);
  EXPECT_EQ(message[tag.size()], 0u);
  const Bytes encoded = encode(op);
  ASSERT_GT(encoded.size(), crypto::Signature::kSize);
  const ByteSpan body = ByteSpan(encoded).first(encoded.size() - crypto::Signature::kSize);  // op minus signature
  EXPECT_TRUE(std::equal(body.begin(), body.end(), message.begin() + static_cast<std::ptrdiff_t>(tag.size() + 1)));
}

TEST(ValidatorOpCodec, StrictDecoding) {
  Bytes bytes = encode(register_op(test_key(1), 7));
  Bytes trailing = bytes;
  trailing.push_back(0);
  EXPECT_EQ(decode_validator_op(trailing).error().code(), "trailing_bytes");
  EXPECT_EQ(decode_validator_op(ByteSpan(bytes).first(bytes.size() - 1)).error().code(), "truncated");
  bytes[0] = 3;
  EXPECT_EQ(decode_validator_op(bytes).error().code(), "bad_value");
}

}  // namespace
}  // namespace bizra::poi
