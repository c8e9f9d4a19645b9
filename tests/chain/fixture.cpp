#include "fixture.hpp"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "crypto/blake3.hpp"
#include "crypto/identity.hpp"
#include "poi/signing.hpp"
#include "poi/transition.hpp"

namespace bizra::chain::testing {
namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "chain test fixture: %s\n", what.c_str());
  std::abort();
}

std::string nonce_hex(std::uint64_t n) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(n));
  return std::string(48, 'a') + buffer;
}

poi::SignedStatement vote(const crypto::SecretKey& key, std::uint64_t round, std::string_view block_name) {
  poi::SignedStatement s;
  s.block_id = crypto::blake3(block_name);
  s.signature = key.sign(poi::vote_message(kChainId, 0, round, s.block_id));
  return s;
}

}  // namespace

ChainParams params() {
  return {std::string(kChainId), poi::testing::genesis_root(), 1000, 1 << 20, false};
}

crypto::SecretKey seeded_key(std::uint8_t n) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(n);
  return crypto::SecretKey::from_seed(seed).value();
}

std::string attestation_text(std::uint64_t nonce, const crypto::SecretKey& signer) {
  using poi::testing::J;
  using poi::testing::with;
  const auto& pk = signer.public_key();
  json::Value doc = with(poi::testing::document(), "nonce", json::Value::string(nonce_hex(nonce)));
  doc = with(doc, "attester.pubkey", json::Value::string(crypto::format_public_key(pk)));
  doc = with(doc, "attester.id", json::Value::string(crypto::account_id(pk)));
  return poi::testing::signed_text(doc, signer);
}

Bytes attestation(std::uint64_t nonce, const crypto::SecretKey& signer) {
  return bytes_of(AttestationTx{attestation_text(nonce, signer)});
}

poi::ValidatorOp registration(const crypto::SecretKey& key, std::uint64_t nonce) {
  poi::ValidatorOp op;
  op.kind = poi::ValidatorOpKind::kRegister;
  op.chain_id = std::string(kChainId);
  op.nonce = nonce;
  op.network_address = "127.0.0.1:26600";
  op.stake_bond = 1000;
  poi::sign(op, key);
  return op;
}

poi::ValidatorOp exit_op(const crypto::SecretKey& key, std::uint64_t nonce) {
  poi::ValidatorOp op;
  op.kind = poi::ValidatorOpKind::kExit;
  op.chain_id = std::string(kChainId);
  op.nonce = nonce;
  poi::sign(op, key);
  return op;
}

poi::EquivocationEvidence double_vote(const crypto::SecretKey& key, std::uint64_t round) {
  return {poi::MessageKind::kVote, std::string(kChainId), 0, round, key.public_key(), vote(key, round, "A"),
          vote(key, round, "B")};
}

BenchOpaqueTx bench(std::uint8_t first) {
  BenchOpaqueTx tx;
  for (std::size_t i = 0; i < tx.bytes.size(); ++i) tx.bytes[i] = static_cast<std::uint8_t>(first + i);
  return tx;
}

Bytes bytes_of(const Transaction& tx) { return encode(tx); }

poi::MemoryState genesis_state() {
  poi::MemoryState state;
  const std::vector<poi::GenesisValidator> validators = {
      {poi::testing::key().public_key(), "127.0.0.1:26600", 1000, 100},
      {poi::testing::other_key().public_key(), "127.0.0.1:26601", 1000, 100},
  };
  if (!poi::apply_genesis(state, validators).ok()) die("genesis");
  if (!state.commit().ok()) die("genesis commit");
  return state;
}

}  // namespace bizra::chain::testing
