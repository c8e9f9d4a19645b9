#pragma once
// Test helpers for the consensus module: a committee of deterministic keys, and builders for
// correctly signed votes, timeouts, certificates and blocks. Signing goes through the poi
// message functions directly, so a wrong message layout in the library cannot pass its tests.

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "consensus/core.hpp"
#include "crypto/blake3.hpp"
#include "consensus/verify.hpp"

namespace bizra::consensus::testing {

inline constexpr std::string_view kChain = "bizra-test";
inline constexpr Epoch kEpoch = 1;

crypto::SecretKey key_from_seed(std::uint32_t seed);

// A payload source whose payloads name their height; `valid` decides payload_valid.
class TestPayloads final : public PayloadSource {
 public:
  Bytes next_payload(Height height, const Hash32& parent, std::size_t max_bytes) override;
  bool payload_valid(ByteSpan payload) override;
  bool has_pending() override { return pending; }
  bool valid = true;
  bool pending = true;  // false: nothing to propose (a leader may idle), and payloads carry nothing
  bool carries_transactions(ByteSpan) override { return pending; }
};

class Committee {
 public:
  explicit Committee(const std::vector<std::uint64_t>& weights, std::uint32_t seed_base = 1);

  std::size_t size() const { return keys_.size(); }
  const ValidatorSet& set() const { return set_; }
  const crypto::SecretKey& key(ValidatorIndex i) const { return keys_.at(i); }
  const Block& genesis() const { return genesis_; }
  VerifyContext ctx() { return VerifyContext{kChain, kEpoch, set_, verifier_, genesis_.id}; }
  // A config for validator `self` (nullopt: a full node).
  CoreConfig config(std::optional<ValidatorIndex> self) const;
  std::unique_ptr<Signer> signer(std::optional<ValidatorIndex> self) const;

  VoteMsg vote(ValidatorIndex voter, Round round, const Hash32& block) const;
  QuorumCert qc(Round round, const Hash32& block, const std::vector<ValidatorIndex>& signers) const;
  QuorumCert qc_all(Round round, const Hash32& block) const;  // signed by every validator
  TimeoutMsg timeout(ValidatorIndex sender, Round round, const QuorumCert& high_qc,
                     std::optional<TimeoutCert> last_round_tc = std::nullopt) const;
  // A TC of `round` signed by each (signer, high_qc_round).
  TimeoutCert tc(Round round, const std::vector<std::pair<ValidatorIndex, Round>>& signers) const;
  // A block of `round` extending `parent` with `qc` (which should certify it), signed by the
  // round's leader.
  Block block(const Block& parent, Round round, const QuorumCert& qc, Bytes payload = {},
              std::optional<std::uint64_t> timestamp_ms = std::nullopt) const;
  // Recomputes the id of `b` (after a test changed its header) and signs it with the key of
  // its proposer field. Leaves the payload digest alone.
  void resign(Block& b) const;

 private:
  std::vector<crypto::SecretKey> keys_;  // keys_[i] is validator i of set_
  ValidatorSet set_;
  Block genesis_;
  Ed25519Signer verifier_;
};

// The position of the first output of type T at or after `from` in `out` (out.size() if none).
template <typename T>
std::size_t find_output(const Outputs& out, std::size_t from = 0) {
  for (std::size_t i = from; i < out.size(); ++i)
    if (std::holds_alternative<T>(out[i])) return i;
  return out.size();
}

template <typename T>
std::size_t count_outputs(const Outputs& out) {
  std::size_t n = 0;
  for (const Output& o : out)
    if (std::holds_alternative<T>(o)) ++n;
  return n;
}

// The codes of the RejectMessage outputs, in order.
std::vector<std::string> reject_codes(const Outputs& out);

}  // namespace bizra::consensus::testing
