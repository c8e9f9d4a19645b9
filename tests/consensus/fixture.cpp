#include "fixture.hpp"

#include <algorithm>
#include <stdexcept>

#include "poi/signing.hpp"

namespace bizra::consensus::testing {

crypto::SecretKey key_from_seed(std::uint32_t seed) {
  Bytes bytes(crypto::SecretKey::kSeedSize, 0);
  for (std::size_t i = 0; i < 4; ++i) bytes[i] = static_cast<std::uint8_t>(seed >> (8 * i));
  return std::move(crypto::SecretKey::from_seed(bytes).value());
}

Bytes TestPayloads::next_payload(Height height, const Hash32&, std::size_t max_bytes) {
  Bytes payload = to_bytes("payload at height " + std::to_string(height));
  payload.resize(std::min(payload.size(), max_bytes));
  return payload;
}

bool TestPayloads::payload_valid(ByteSpan) { return valid; }

namespace {

ValidatorSet make_set(const std::vector<crypto::SecretKey>& keys, const std::vector<std::uint64_t>& weights) {
  std::vector<ValidatorInfo> infos;
  for (std::size_t i = 0; i < keys.size(); ++i) infos.push_back({keys[i].public_key(), weights[i]});
  Result<ValidatorSet> set = ValidatorSet::create(infos);
  if (!set.ok()) throw std::logic_error("test committee: " + set.error().to_string());
  return std::move(set).value();
}

}  // namespace

Committee::Committee(const std::vector<std::uint64_t>& weights, std::uint32_t seed_base) {
  std::vector<crypto::SecretKey> unsorted;
  for (std::size_t i = 0; i < weights.size(); ++i) unsorted.push_back(key_from_seed(seed_base + static_cast<std::uint32_t>(i)));
  set_ = make_set(unsorted, weights);
  // Order the keys as the set orders the validators.
  for (std::size_t i = 0; i < set_.size(); ++i)
    for (crypto::SecretKey& k : unsorted)
      if (k.public_key() == set_.at(static_cast<ValidatorIndex>(i)).key) keys_.push_back(std::move(k));
  genesis_ = make_genesis(kEpoch, 1000);
}

CoreConfig Committee::config(std::optional<ValidatorIndex> self) const {
  CoreConfig config;
  config.chain_id = std::string(kChain);
  config.epoch = kEpoch;
  config.validators = set_;
  config.self = self;
  config.base_timeout_ms = 1000;
  config.genesis = genesis_;
  return config;
}

std::unique_ptr<Signer> Committee::signer(std::optional<ValidatorIndex> self) const {
  if (!self) return std::make_unique<Ed25519Signer>();
  auto copy = crypto::SecretKey::from_seed(keys_.at(*self).seed());
  return std::make_unique<Ed25519Signer>(std::move(copy.value()));
}

VoteMsg Committee::vote(ValidatorIndex voter, Round round, const Hash32& block) const {
  return VoteMsg{kEpoch, round, block, voter, keys_.at(voter).sign(poi::vote_message(kChain, kEpoch, round, block))};
}

QuorumCert Committee::qc(Round round, const Hash32& block, const std::vector<ValidatorIndex>& signers) const {
  QuorumCert qc{kEpoch, round, block, SignerBitmap(size()), {}};
  std::vector<ValidatorIndex> sorted = signers;
  std::sort(sorted.begin(), sorted.end());
  for (ValidatorIndex i : sorted) {
    qc.signers.set(i);
    qc.signatures.push_back(vote(i, round, block).signature);
  }
  return qc;
}

QuorumCert Committee::qc_all(Round round, const Hash32& block) const {
  std::vector<ValidatorIndex> all;
  for (std::size_t i = 0; i < size(); ++i) all.push_back(static_cast<ValidatorIndex>(i));
  return qc(round, block, all);
}

TimeoutMsg Committee::timeout(ValidatorIndex sender, Round round, const QuorumCert& high_qc,
                              std::optional<TimeoutCert> last_round_tc) const {
  return TimeoutMsg{kEpoch, round, high_qc, std::move(last_round_tc), sender,
                    keys_.at(sender).sign(poi::timeout_message(kChain, kEpoch, round, high_qc.round))};
}

TimeoutCert Committee::tc(Round round, const std::vector<std::pair<ValidatorIndex, Round>>& signers) const {
  std::vector<std::pair<ValidatorIndex, Round>> sorted = signers;
  std::sort(sorted.begin(), sorted.end());
  TimeoutCert tc{kEpoch, round, SignerBitmap(size()), {}, {}};
  for (const auto& [i, high] : sorted) {
    tc.signers.set(i);
    tc.high_qc_rounds.push_back(high);
    tc.signatures.push_back(keys_.at(i).sign(poi::timeout_message(kChain, kEpoch, round, high)));
  }
  return tc;
}

Block Committee::block(const Block& parent, Round round, const QuorumCert& qc, Bytes payload,
                       std::optional<std::uint64_t> timestamp_ms) const {
  Block b;
  b.header.epoch = kEpoch;
  b.header.round = round;
  b.header.height = parent.header.height + 1;
  b.header.parent_id = parent.id;
  b.header.qc = qc;
  b.header.proposer = set_.leader(kEpoch, round);
  b.header.timestamp_ms = timestamp_ms.value_or(parent.header.timestamp_ms + 1);
  b.payload = std::move(payload);
  b.header.payload_digest = payload_digest(b.payload);
  resign(b);
  return b;
}

void Committee::resign(Block& b) const {
  b.id = compute_block_id(b.header);
  b.proposer_signature =
      keys_.at(b.header.proposer).sign(poi::proposal_message(kChain, kEpoch, b.header.round, b.id));
}

std::vector<std::string> reject_codes(const Outputs& out) {
  std::vector<std::string> codes;
  for (const Output& o : out)
    if (const auto* r = std::get_if<RejectMessage>(&o)) codes.emplace_back(r->reason.code());
  return codes;
}

}  // namespace bizra::consensus::testing
