#pragma once
// Proof-of-Impact attestation documents (../shared/spec/poi.md §1–§2): the typed structure,
// its strict parser (validation rule 1), the canonical form, digest, id and signature.
//
// parse() checks *structure only*: JSON validity, size, member names, member types and presence.
// Content — version value, hex formats, number precision and ranges, time syntax — is left as the
// raw text the document carried, so that validate() (poi/validate.hpp) reports each defect under
// the rule that owns it (a 31-digit nonce is bad_nonce, not malformed).
//
// Members and their JSON types ("req" = required; every object rejects unknown members):
//   version                  string, req
//   anchor                   object, req: chain_id string req, genesis_root string req,
//                                         block_ref string
//   attester                 object, req: id string req, pubkey string req
//   resources                object: cpu_cores, ram_gb, gpu_vram_gb, wallclock_sec — all req,
//                                    each an integer
//   evidence                 object, req: pack_sha256 string req, pack_bytes integer,
//                                         files_processed integer, redactions_count integer,
//                                         methodology_ref string
//   measurement              object, req: dimensions {name: number} req (at most 32 members),
//                                         weights {name: number} req, impact_score number req
//   benchmarks               object: pre, post, delta — all req, each {name: number}
//   time_window              array of strings, req (rule 7 wants exactly two)
//   nonce                    string, req
//   signature                object, req: alg string req, sig_base16 string req
// "integer" is a JSON number whose exact value is a whole number in [0, 2^53 − 1] (8, 8.0 and
// 0.8e1 all read as 8); that bound keeps it exact in the canonical form, whose numbers are IEEE
// doubles. No rule but structure applies to integers, so a bad one is `malformed`.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/json.hpp"
#include "crypto/ed25519.hpp"

namespace bizra::poi {

inline constexpr std::size_t kMaxDocumentBytes = 64 * 1024;
inline constexpr std::size_t kMaxDimensions = 32;
inline constexpr std::uint64_t kMaxInteger = (std::uint64_t{1} << 53) - 1;

// Number members keep their literal text ("0.90", "9e-1"); rules 8 and 9 read it exactly.
using NumberMap = std::vector<std::pair<std::string, std::string>>;  // name -> literal, document order

struct Anchor {
  std::string chain_id;
  std::string genesis_root;
  std::optional<std::string> block_ref;
};

struct Attester {
  std::string id;
  std::string pubkey;
};

struct Resources {
  std::uint64_t cpu_cores = 0;
  std::uint64_t ram_gb = 0;
  std::uint64_t gpu_vram_gb = 0;
  std::uint64_t wallclock_sec = 0;
};

struct Evidence {
  std::string pack_sha256;
  std::optional<std::uint64_t> pack_bytes;
  std::optional<std::uint64_t> files_processed;
  std::optional<std::uint64_t> redactions_count;
  std::optional<std::string> methodology_ref;
};

struct Measurement {
  NumberMap dimensions;
  NumberMap weights;
  std::string impact_score;
};

struct Benchmarks {
  NumberMap pre;
  NumberMap post;
  NumberMap delta;
};

struct SignatureField {
  std::string alg;
  std::string sig_base16;
};

struct Attestation {
  std::string version;
  Anchor anchor;
  Attester attester;
  std::optional<Resources> resources;
  Evidence evidence;
  Measurement measurement;
  std::optional<Benchmarks> benchmarks;
  std::vector<std::string> time_window;
  std::string nonce;
  SignatureField signature;

  json::Value json = json::Value::null();  // the parsed document: what canonical_form() serializes
};

// Validation rule 1. Error code: "malformed"; the message starts with the offending member's
// path ("measurement.weights.reach: expected a number, got string").
Result<Attestation> parse(std::string_view text);

// RFC 8785 serialization of `document` (a JSON object) without its top-level "signature" member.
std::string canonical_form(const json::Value& document);

// BLAKE3-256 of the canonical form. The attestation id is hex::encode(digest).
Hash32 digest_of(std::string_view canonical);

// What Ed25519 signs: ASCII "BIZRA/PoI/v1" ‖ 0x00 ‖ digest (45 bytes). The tag keeps a signature
// made for an attestation from being valid for any other kind of message.
inline constexpr std::string_view kSignatureDomain = "BIZRA/PoI/v1";
using SignedMessage = FixedBytes<kSignatureDomain.size() + 1 + Hash32::kSize>;
SignedMessage signed_message(const Hash32& digest);

// Signs a document: `document` is JSON text of an object (at most kMaxDocumentBytes); any
// "signature" member it has is replaced. Returns the signed document in canonical form (RFC 8785,
// signature included). It does not validate: run validate() on the result to check it.
// Error code: "malformed" (not a JSON object, or too large).
Result<std::string> sign(std::string_view document, const crypto::SecretKey& key);

// An instant of a time_window: RFC 3339 "YYYY-MM-DDTHH:MM:SS[.fraction]Z", strictly UTC (upper-case
// T and Z, no numeric offset), years 0000–9999, 1–9 fraction digits, no leap second (":60" has no
// unix time). Converted with integer calendar arithmetic; no locale or C library time calls.
struct UtcInstant {
  std::int64_t unix_seconds = 0;
  std::uint32_t nanos = 0;
  auto operator<=>(const UtcInstant&) const = default;
};
// Error code: "bad_time" (message says what is wrong).
Result<UtcInstant> parse_utc(std::string_view text);
// "YYYY-MM-DDTHH:MM:SSZ" for a whole second in years 0000–9999. Errors: "bad_time".
Result<std::string> format_utc(std::int64_t unix_seconds);

}  // namespace bizra::poi
