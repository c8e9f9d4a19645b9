#pragma once
// Validation of PoI attestations: the ten rules of ../shared/spec/poi.md §3, applied in the
// spec's order; the first rule that fails decides the error code. Every node must reach the same
// verdict on the same input, so everything here is integer arithmetic on the document text and
// the context — no clock reads, no floating point, no iteration over unordered containers.
//
// Error codes (stable; also the test vectors' and the API's):
//   rule 1  malformed          size, JSON, duplicate keys, unknown members, types, presence
//   rule 2  bad_version        version is not "poi-1.0"
//   rule 3  wrong_chain        anchor.chain_id / anchor.genesis_root are not this network's
//           unknown_block_ref  anchor.block_ref is not 64 lowercase hex, or not a finalized block
//   rule 4  bad_attester       attester.pubkey is not "ed25519:" + 64 lowercase hex, or
//                              attester.id is not "bz" + hex(BLAKE3(pubkey)[0..20))
//   rule 5  bad_evidence       evidence.pack_sha256 is not 64 lowercase hex
//   rule 6  bad_nonce          nonce is not 32..128 hex digits (either case; odd lengths allowed)
//           replay             (pubkey, nonce) was accepted before (nonce compared as written)
//   rule 7  bad_time_window    not two instants (poi::parse_utc), start > end,
//                              end − start > 30 days, or end > t + 300 s
//   rule 8  bad_measurement    see check_rules() below
//   rule 9  bad_benchmarks     a number is not exact in micro-units, or delta ≠ post − pre
//   rule 10 bad_signature      signature.alg is not "ed25519", sig_base16 is not 128 lowercase hex,
//                              or the signature does not verify
// Messages start with the path of the offending member ("nonce: ...").

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "crypto/ed25519.hpp"
#include "poi/attestation.hpp"

namespace bizra::poi {

inline constexpr std::string_view kVersion = "poi-1.0";
inline constexpr std::int64_t kMaxWindowSeconds = 30 * 86'400;
inline constexpr std::int64_t kMaxClockSkewSeconds = 300;
// Benchmark values may be negative; their magnitude stays below 10^9 units (at most 15
// significant digits), so that the IEEE double in the canonical form is exactly the decimal.
inline constexpr std::int64_t kMaxBenchmarkMicro = 999'999'999'999'999;

// What validation needs to know about the network and its state. Only `now` varies per call.
struct ValidationContext {
  std::string chain_id;
  Hash32 genesis_root;
  // t of rule 7, unix seconds: the including block's timestamp, or the local clock at mempool
  // admission. The caller reads the clock, so that validation stays a pure function.
  std::int64_t now = 0;
  // Whether `block` is a finalized block of this chain. Empty: none is (offline validation).
  std::function<bool(const Hash32& block)> is_finalized_block;
  // Whether (pubkey, nonce) belongs to an attestation accepted before. Empty: none was.
  std::function<bool(const crypto::PublicKey& pubkey, std::string_view nonce)> nonce_used;
};

using MicroMap = std::vector<std::pair<std::string, std::int64_t>>;  // name -> micro-units, document order

struct ValidatedBenchmarks {
  MicroMap pre;
  MicroMap post;
  MicroMap delta;
};

// The facts of a valid attestation, decoded: what the mempool, the state transition and the API
// need without re-reading the document.
struct ValidatedAttestation {
  Hash32 digest;   // BLAKE3-256 of the canonical form
  std::string id;  // hex(digest)
  crypto::PublicKey pubkey;
  std::string attester_id;
  std::optional<Hash32> block_ref;
  Hash32 pack_sha256;
  std::string nonce;  // as written (the replay key, with pubkey)
  UtcInstant window_start;
  UtcInstant window_end;
  MicroMap dimensions;            // each in [0, 1e6]
  MicroMap weights;               // each in [0, 1e6], summing to 1e6
  std::int64_t impact_micro = 0;  // impact_score; within 1 of the computed score, so in [-1, 1e6 + 1]
  std::optional<ValidatedBenchmarks> benchmarks;
  crypto::Signature signature;
};

// All ten rules on a document's text.
Result<ValidatedAttestation> validate(std::string_view text, const ValidationContext& context);

// The stages of validate(), for callers that measure them or verify signatures in batches:
//   validate(text) = parse(text) [rule 1] -> check_rules [2–9] -> canonical_form + digest_of
//                    -> check_signature [10].
//
// Rules 2–9. Fills everything but digest, id and signature. Rule 8 reads dimensions, weights and
// impact_score as exact micro-units (poi/decimal.hpp): each dimension in [0, 1e6], each weight
// in [0, 1e6] naming an existing dimension, weights summing to exactly 1e6, and
// |impact_score − Σ d·w / 1e6| <= 1 (integer division; a dimension without a weight counts 0).
Result<ValidatedAttestation> check_rules(const Attestation& doc, const ValidationContext& context);

// Rule 10, given the digest of the document's canonical form and the pubkey from rule 4.
Result<crypto::Signature> check_signature(const Attestation& doc, const crypto::PublicKey& pubkey,
                                          const Hash32& digest);

}  // namespace bizra::poi
