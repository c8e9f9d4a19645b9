#include "poi/types.hpp"

#include "base/hex.hpp"
#include "crypto/blake3.hpp"

namespace bizra::poi {

ValidatorId validator_id_of(const crypto::PublicKey& key) {
  return ValidatorId::from_span(crypto::blake3(key.span()).span());
}

std::string to_text(const ValidatorId& id) { return "bz" + hex::encode(id); }

std::string_view name(ValidatorStatus status) {
  switch (status) {
    case ValidatorStatus::kPending: return "pending";
    case ValidatorStatus::kActive: return "active";
    case ValidatorStatus::kExiting: return "exiting";
    case ValidatorStatus::kExited: return "exited";
    case ValidatorStatus::kSlashed: return "slashed";
  }
  return "unknown";
}

std::string_view name(SlashReason reason) {
  switch (reason) {
    case SlashReason::kNone: return "none";
    case SlashReason::kEquivocation: return "equivocation";
    case SlashReason::kFraudulentPoI: return "fraudulent_poi";
    case SlashReason::kCensorship: return "censorship";
    case SlashReason::kKeyTheft: return "key_theft";
  }
  return "unknown";
}

std::string_view name(LivenessClass liveness) {
  switch (liveness) {
    case LivenessClass::kLive: return "live";
    case LivenessClass::kMissed: return "missed";
    case LivenessClass::kOffline: return "offline";
  }
  return "unknown";
}

}  // namespace bizra::poi
