// Fuzzes the consensus wire decoder (consensus/types.hpp), which reads every consensus message
// from the network, and the Core's handling of whatever it accepts. Whatever the bytes: no crash,
// no out-of-bounds read, any accepted message is canonical (re-encodes to exactly the same
// bytes), and a Core fed the message from any peer neither crashes nor throws.
//
// The committee is the one of tests/consensus/fixture.cpp (keys from seeds 1..4, chain
// "bizra-test", epoch 1, genesis at 1000 ms), so the seed corpus' signatures verify and inputs
// derived from it reach the deep checks.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "consensus/core.hpp"

namespace {

using namespace bizra;
using namespace bizra::consensus;

class NoPayloads final : public PayloadSource {
 public:
  Bytes next_payload(Height, const Hash32&, std::size_t) override { return {}; }
  bool payload_valid(ByteSpan) override { return true; }
};

crypto::SecretKey key(std::uint8_t seed) {
  Bytes bytes(crypto::SecretKey::kSeedSize, 0);
  bytes[0] = seed;
  return std::move(crypto::SecretKey::from_seed(bytes).value());
}

const ValidatorSet& committee() {
  static const ValidatorSet set = [] {
    std::vector<ValidatorInfo> infos;
    for (std::uint8_t seed = 1; seed <= 4; ++seed) infos.push_back({key(seed).public_key(), 1});
    return ValidatorSet::create(infos).value();
  }();
  return set;
}

// The seed of validator 0's key, so the fuzzed core can sign as a validator.
std::uint8_t self_seed() {
  static const std::uint8_t seed = [] {
    std::uint8_t s = 1;
    while (key(s).public_key() != committee().at(0).key) ++s;
    return s;
  }();
  return seed;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteSpan input(data, size);
  WireLimits limits;
  limits.max_payload_bytes = 4096;
  limits.max_blocks_per_response = 8;
  Result<Message> message = decode_message(input, limits);
  if (!message.ok()) return 0;
  const Bytes again = encode(*message);
  if (!std::equal(again.begin(), again.end(), input.begin(), input.end())) std::abort();

  // A fresh core of validator 0 sees the message from validator 1.
  static NoPayloads payloads;
  CoreConfig config;
  config.chain_id = "bizra-test";
  config.epoch = 1;
  config.validators = committee();
  config.self = 0;
  config.genesis = make_genesis(1, 1000);
  config.max_payload_bytes = limits.max_payload_bytes;
  config.max_blocks_per_response = limits.max_blocks_per_response;
  Core core(std::move(config), std::make_unique<Ed25519Signer>(key(self_seed())), payloads, RestoredState{});
  Outputs out;
  core.start(2000, out);
  core.on_message(1, *message, 2000, out);
  return 0;
}
