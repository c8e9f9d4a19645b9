#pragma once
// The genesis file: what every node of one network must agree on before the first block — the
// chain id, the initial validator set (keys, weights, bonds, addresses), block limits and the
// base round timeout. JSON, read strictly (unknown members, wrong types and out-of-range values
// are errors, so a typo cannot silently fork a node off its network).
//
// The genesis root is BLAKE3-256 of the file's RFC 8785 canonical form: formatting does not
// matter, content does. Attestations anchor to (chain_id, genesis root) (poi.md rule 3).
//
//   {
//     "chain_id": "bizra-devnet",
//     "genesis_time_ms": 1764000000000,
//     "validators": [
//       {"name": "v0", "pubkey": "ed25519:<64 hex>", "weight": 1, "stake_bond": 1000,
//        "p2p": "127.0.0.1:26600", "api": "127.0.0.1:3006"},
//       ...
//     ],
//     "block": {"max_transactions": 10000, "max_payload_bytes": 4194304},
//     "consensus": {"base_timeout_ms": 1000},
//     "bench_transactions": false
//   }

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "crypto/ed25519.hpp"

namespace bizra::node {

inline constexpr std::size_t kMaxGenesisBytes = 1 << 20;
inline constexpr std::size_t kMaxGenesisValidators = 100;  // poi::kMaxActiveValidators

struct GenesisValidator {
  std::string name;  // operator's label, 1..64 of [A-Za-z0-9._-]
  crypto::PublicKey key;
  std::uint64_t weight = 1;  // consensus voting weight for epoch 0
  std::uint64_t stake_bond = 0;
  std::string p2p;  // host:port other validators dial
  std::string api;  // host:port of its HTTP API ("" when it has none)
  bool operator==(const GenesisValidator&) const = default;
};

struct Genesis {
  std::string chain_id;
  std::uint64_t genesis_time_ms = 0;
  std::vector<GenesisValidator> validators;
  std::uint32_t max_block_transactions = 10'000;
  std::uint32_t max_block_payload_bytes = 4 << 20;
  std::uint64_t base_timeout_ms = 1000;
  // Enables the benchmark-only transaction kind (32 opaque bytes, no signature): devnets
  // measuring the consensus ceiling only, never a real network.
  bool bench_transactions = false;

  bool operator==(const Genesis&) const = default;
};

// Errors: "bad_genesis" (the message names the member: "validators[2].weight: ...").
Result<Genesis> parse_genesis(std::string_view text);
// Readable JSON (one validator per line) that parse_genesis reads back equal.
std::string format_genesis(const Genesis& genesis);
// BLAKE3-256 of the canonical form of format_genesis(genesis).
Hash32 genesis_root(const Genesis& genesis);

// Errors: "io_error", "bad_genesis".
Result<Genesis> read_genesis_file(const std::filesystem::path& path);
Status write_genesis_file(const std::filesystem::path& path, const Genesis& genesis);

// "host:port" with a non-empty host and a port in 1..65535. Errors: "bad_address".
Result<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text);

}  // namespace bizra::node
