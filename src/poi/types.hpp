#pragma once
// Proof-of-Impact state records and the constants of ../shared/spec/poi.md §4–§6.
//
// Everything here is consensus-critical: integer fields only, and every constant is a spec
// value. Changing one changes the state every node computes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "crypto/ed25519.hpp"

namespace bizra::poi {

// --- §4 Accounts and reputation -------------------------------------------------------------
inline constexpr std::uint64_t kMicro = 1'000'000;  // 1.0 in micro-units
inline constexpr std::uint64_t kInitialReputation = 500;
inline constexpr std::uint64_t kMaxReputation = 100'000;
// Reputation gained per attestation = impact_micro / kImpactMicroPerReputation.
inline constexpr std::uint64_t kImpactMicroPerReputation = 10'000;
inline constexpr std::uint64_t kMaxRewardedAttestationsPerEpoch = 10;
inline constexpr std::uint64_t kDecayNumerator = 95;  // rep = rep * 95 / 100 per epoch
inline constexpr std::uint64_t kDecayDenominator = 100;

// --- §5 Validators --------------------------------------------------------------------------
inline constexpr std::uint64_t kMinActivationReputation = 500;
inline constexpr std::uint64_t kMaxActiveValidators = 100;
inline constexpr std::uint64_t kMinChurn = 2;        // churn limit = max(2, N_active / 50)
inline constexpr std::uint64_t kChurnDivisor = 50;
inline constexpr std::uint64_t kExitDelayEpochs = 2;  // epoch_exit = current + 2
inline constexpr std::uint64_t kSlotMillis = 2'000;
inline constexpr std::uint64_t kSlotsPerEpoch = 32;
inline constexpr std::uint64_t kMissedAfterSlots = 64;     // missed: 64 < since <= 1024
inline constexpr std::uint64_t kOfflineAfterSlots = 1'024;  // offline: since > 1024


// Bounds of variable-length fields in signed encodings (checked before allocating).
inline constexpr std::size_t kMaxChainIdBytes = 64;
inline constexpr std::size_t kMaxNetworkAddressBytes = 256;

// A validator is named by its attester id: the first 20 bytes of BLAKE3-256(public key).
// Textually "bz" + 40 hex digits (crypto::account_id); as a key, the raw 20 bytes.
using ValidatorId = FixedBytes<20>;
ValidatorId validator_id_of(const crypto::PublicKey& key);
std::string to_text(const ValidatorId& id);  // "bz" + hex

struct Account {
  crypto::PublicKey pubkey;
  std::uint64_t reputation = kInitialReputation;  // 0..kMaxReputation
  std::uint64_t attestations = 0;                 // all finalized attestations, ever
  std::uint64_t impact_sum_micro = 0;             // saturating sum of their impact
  std::uint64_t last_epoch = 0;                   // epoch of the latest finalized attestation
  // Attestations finalized in `last_epoch` and their impact sum: the per-epoch reputation cap
  // and the mean impact I of the weight formula (§4) are computed from these.
  std::uint64_t epoch_attestations = 0;
  std::uint64_t epoch_impact_sum_micro = 0;

  bool operator==(const Account&) const = default;
};

// Values are part of the state encoding: never renumber.
enum class ValidatorStatus : std::uint8_t {
  kPending = 0,
  kActive = 1,
  kExiting = 2,
  kExited = 3,
  kSlashed = 4,
};

enum class SlashReason : std::uint8_t {
  kNone = 0,  // never slashed
  kEquivocation = 1,
  kFraudulentPoI = 2,
  kCensorship = 3,
  kKeyTheft = 4,
};

enum class LivenessClass : std::uint8_t { kLive, kMissed, kOffline };

// Stable snake_case names for the API and logs ("active", "equivocation", "offline").
std::string_view name(ValidatorStatus status);
std::string_view name(SlashReason reason);
std::string_view name(LivenessClass liveness);

// Active and Exiting validators vote (an exiting validator serves until epoch_exit).
inline bool is_voting(ValidatorStatus status) {
  return status == ValidatorStatus::kActive || status == ValidatorStatus::kExiting;
}

// The §5 registry record, plus the slashing outcome (§6).
struct ValidatorRecord {
  ValidatorId validator_id;
  crypto::PublicKey pk_ed25519;
  std::string network_address;
  std::uint64_t epoch_join = 0;  // epoch its (latest) registration was applied: queue order
  std::uint64_t epoch_exit = 0;  // set when it starts exiting
  ValidatorStatus status = ValidatorStatus::kPending;
  std::uint64_t poi_weight = 0;  // voting weight for the current epoch
  std::uint64_t rep_score = 0;   // its account's reputation at registration, then at each boundary
                                 // while voting, less slashing penalties
  std::uint64_t stake_bond = 0;
  std::uint64_t last_seen_slot = 0;  // last QC containing its vote
  SlashReason slash_reason = SlashReason::kNone;
  std::uint64_t quarantine_until = 0;  // may register again from this epoch on (if slashed)

  bool operator==(const ValidatorRecord&) const = default;
};

// The current epoch and the per-epoch churn counters.
struct EpochInfo {
  std::uint64_t epoch = 0;
  std::uint64_t active_at_start = 0;  // voting validators when the epoch began: the churn base
  std::uint64_t activations = 0;
  std::uint64_t exits = 0;  // Active -> Exiting transitions this epoch

  bool operator==(const EpochInfo&) const = default;
};

}  // namespace bizra::poi
