#pragma once
// Shared by the chain tests: the poi test network (tests/poi/fixture.hpp: chain id, genesis root,
// keys, a valid attestation), and signed transactions of every kind built on it.

#include <cstdint>
#include <string>

#include "chain/transaction.hpp"
#include "crypto/ed25519.hpp"
#include "poi/evidence.hpp"
#include "poi/fixture.hpp"
#include "poi/state.hpp"
#include "poi/validator_op.hpp"

namespace bizra::chain::testing {

using poi::testing::kChainId;
using poi::testing::kWindowEnd;

// kChainId, the poi fixture's genesis root, 1000 transactions and 1 MiB per block, no bench.
ChainParams params();

// A key from a 32-byte seed of `n` repeated (for validator candidates).
crypto::SecretKey seeded_key(std::uint8_t n);

// The poi fixture's attestation by `signer`'s key with nonce number `nonce` (64 hex digits)
// and impact 0.74, signed and canonical.
std::string attestation_text(std::uint64_t nonce, const crypto::SecretKey& signer = poi::testing::key());
Bytes attestation(std::uint64_t nonce, const crypto::SecretKey& signer = poi::testing::key());

// A signed registration (or exit) of `key` on kChainId.
poi::ValidatorOp registration(const crypto::SecretKey& key, std::uint64_t nonce);
poi::ValidatorOp exit_op(const crypto::SecretKey& key, std::uint64_t nonce);

// Two votes by `key` in (epoch 0, `round`) for different blocks.
poi::EquivocationEvidence double_vote(const crypto::SecretKey& key, std::uint64_t round);

BenchOpaqueTx bench(std::uint8_t first);  // bytes first, first+1, ...

// chain::encode of any kind. Tests call this rather than encode(op): for a bare poi record,
// argument-dependent lookup would pick poi::encode (the body without the kind byte).
Bytes bytes_of(const Transaction& tx);

// A MemoryState with the genesis validators poi::testing::key() and other_key(), committed.
poi::MemoryState genesis_state();

}  // namespace bizra::chain::testing
