#include "poi/validate.hpp"

#include <algorithm>
#include <array>

#include "base/hex.hpp"
#include "crypto/identity.hpp"
#include "poi/decimal.hpp"

namespace bizra::poi {
namespace {

constexpr std::size_t kMinNonceDigits = 32;
constexpr std::size_t kMaxNonceDigits = 128;
constexpr std::size_t kShownChars = 48;

Error fail(std::string_view code, std::string_view path, std::string_view what) {
  return Error(code, std::string(path) + ": " + std::string(what));
}

// A document string for an error message: quoted, shortened, printable ASCII only.
std::string shown(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, kShownChars)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out + (s.size() > kShownChars ? "...\"" : "\"");
}

bool is_hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// The value of each lowercase hex digit, and -1 for every other character.
constexpr std::array<std::int8_t, 256> kLowerHexDigits = [] {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::array<std::int8_t, 256> values{};
  values.fill(-1);
  for (std::size_t d = 0; d < kDigits.size(); ++d)
    values[static_cast<unsigned char>(kDigits[d])] = static_cast<std::int8_t>(d);
  return values;
}();

// 2·N lowercase hex digits, decoded; nullopt for any other spelling. Checked and decoded in one
// pass without allocating (hex::decode does both), as every attestation has five of them.
template <std::size_t N>
std::optional<FixedBytes<N>> lower_hex(std::string_view s) {
  if (s.size() != 2 * N) return std::nullopt;
  FixedBytes<N> out;
  for (std::size_t i = 0; i < N; ++i) {
    const int high = kLowerHexDigits[static_cast<unsigned char>(s[2 * i])];
    const int low = kLowerHexDigits[static_cast<unsigned char>(s[2 * i + 1])];
    if (high < 0 || low < 0) return std::nullopt;
    out.bytes[i] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return out;
}

// Rule 2.
Status check_version(const Attestation& doc) {
  if (doc.version == kVersion) return ok_status();
  return fail("bad_version", "version", "expected \"poi-1.0\", got " + shown(doc.version));
}

// Rule 3.
Status check_anchor(const Attestation& doc, const ValidationContext& context, ValidatedAttestation& out) {
  if (doc.anchor.chain_id != context.chain_id)
    return fail("wrong_chain", "anchor.chain_id",
                "expected " + shown(context.chain_id) + ", got " + shown(doc.anchor.chain_id));
  if (lower_hex<Hash32::kSize>(doc.anchor.genesis_root) != context.genesis_root)
    return fail("wrong_chain", "anchor.genesis_root",
                "not this network's genesis root " + hex::encode(context.genesis_root));
  if (!doc.anchor.block_ref) return ok_status();
  const auto block = lower_hex<Hash32::kSize>(*doc.anchor.block_ref);
  if (!block) return fail("unknown_block_ref", "anchor.block_ref", "expected 64 lowercase hex digits");
  if (!context.is_finalized_block || !context.is_finalized_block(*block))
    return fail("unknown_block_ref", "anchor.block_ref", "not a finalized block: " + *doc.anchor.block_ref);
  out.block_ref = *block;
  return ok_status();
}

// Rule 4.
Status check_attester(const Attestation& doc, ValidatedAttestation& out) {
  auto pubkey = crypto::parse_public_key(doc.attester.pubkey);
  if (!pubkey) return fail("bad_attester", "attester.pubkey", "expected \"ed25519:\" and 64 lowercase hex digits");
  std::string id = crypto::account_id(*pubkey);
  if (doc.attester.id != id)
    return fail("bad_attester", "attester.id", shown(doc.attester.id) + " does not match attester.pubkey (" + id + ")");
  out.pubkey = *pubkey;
  out.attester_id = std::move(id);
  return ok_status();
}

// Rule 5.
Status check_evidence(const Attestation& doc, ValidatedAttestation& out) {
  const auto pack = lower_hex<Hash32::kSize>(doc.evidence.pack_sha256);
  if (!pack) return fail("bad_evidence", "evidence.pack_sha256", "expected 64 lowercase hex digits");
  out.pack_sha256 = *pack;
  return ok_status();
}

// Rule 6.
Status check_nonce(const Attestation& doc, const ValidationContext& context, ValidatedAttestation& out) {
  const std::string& nonce = doc.nonce;
  if (nonce.size() < kMinNonceDigits || nonce.size() > kMaxNonceDigits ||
      !std::all_of(nonce.begin(), nonce.end(), is_hex_digit))
    return fail("bad_nonce", "nonce",
                "expected 32 to 128 hex digits, got " + std::to_string(nonce.size()) + " characters");
  if (context.nonce_used && context.nonce_used(out.pubkey, nonce))
    return fail("replay", "nonce", "already used by attester " + out.attester_id);
  out.nonce = nonce;
  return ok_status();
}

// Rule 7.
Status check_time_window(const Attestation& doc, const ValidationContext& context, ValidatedAttestation& out) {
  if (doc.time_window.size() != 2)
    return fail("bad_time_window", "time_window",
                "expected two instants, got " + std::to_string(doc.time_window.size()));
  UtcInstant instants[2];
  for (std::size_t i = 0; i < 2; ++i) {
    auto instant = parse_utc(doc.time_window[i]);
    if (!instant) return fail("bad_time_window", "time_window[" + std::to_string(i) + "]", instant.error().message());
    instants[i] = *instant;
  }
  const auto [start, end] = instants;
  if (start > end) return fail("bad_time_window", "time_window", "start is after end");
  if (end > UtcInstant{start.unix_seconds + kMaxWindowSeconds, start.nanos})
    return fail("bad_time_window", "time_window", "longer than 30 days");
  // end <= now + 300 s, written so that no addition can overflow whatever `now` is (instants are
  // bounded by year 9999, `now` is not).
  const std::int64_t end_less_skew = end.unix_seconds - kMaxClockSkewSeconds;
  if (end_less_skew > context.now || (end_less_skew == context.now && end.nanos != 0))
    return fail("bad_time_window", "time_window[1]",
                "ends more than 300 s after the reference time " + std::to_string(context.now));
  out.window_start = start;
  out.window_end = end;
  return ok_status();
}

// Member `name` of the number object at `parent`, read as micro-units in [min, max]; on failure
// an error with `code` naming "parent.name" (built only then).
Result<std::int64_t> micro_in(std::string_view code, std::string_view parent, const std::string& name,
                              const std::string& literal, std::int64_t min, std::int64_t max, std::string_view range) {
  const auto micro = decimal::to_micro(literal);
  if (!micro) return fail(code, std::string(parent) + "." + name, micro.error().message());
  if (*micro < min || *micro > max)
    return fail(code, std::string(parent) + "." + name, "must be in " + std::string(range));
  return *micro;
}

const std::int64_t* find(const MicroMap& map, std::string_view name) {
  const auto it = std::find_if(map.begin(), map.end(), [&](const auto& entry) { return entry.first == name; });
  return it == map.end() ? nullptr : &it->second;
}

// Rule 8.
Status check_measurement(const Attestation& doc, ValidatedAttestation& out) {
  constexpr std::string_view kCode = "bad_measurement";
  constexpr std::int64_t kOne = decimal::kMicro;
  out.dimensions.reserve(doc.measurement.dimensions.size());
  out.weights.reserve(doc.measurement.weights.size());
  for (const auto& [name, literal] : doc.measurement.dimensions) {
    auto micro = micro_in(kCode, "measurement.dimensions", name, literal, 0, kOne, "[0, 1]");
    if (!micro) return micro.error();
    out.dimensions.emplace_back(name, *micro);
  }
  // Each weight is at most 1 since all are >= 0 and sum to 1; bounding each first also keeps the
  // sum and the products below far from int64 overflow.
  std::int64_t weight_sum = 0;
  std::int64_t weighted_sum = 0;  // Σ d·w over at most 32 terms, each <= 1e12
  for (const auto& [name, literal] : doc.measurement.weights) {
    auto weight = micro_in(kCode, "measurement.weights", name, literal, 0, kOne, "[0, 1]");
    if (!weight) return weight.error();
    const std::int64_t* dimension = find(out.dimensions, name);
    if (dimension == nullptr) return fail(kCode, "measurement.weights." + name, "names no dimension");
    weight_sum += *weight;
    weighted_sum += *dimension * *weight;
    out.weights.emplace_back(name, *weight);
  }
  if (weight_sum != kOne)
    return fail(kCode, "measurement.weights", "sum to " + decimal::format_micro(weight_sum) + ", not exactly 1");

  const auto impact = decimal::to_micro(doc.measurement.impact_score);
  if (!impact) return fail(kCode, "measurement.impact_score", impact.error().message());
  const std::int64_t expected = weighted_sum / kOne;
  if (*impact < expected - 1 || *impact > expected + 1)
    return fail(
        kCode, "measurement.impact_score",
        "expected " + decimal::format_micro(expected) + " (within 0.000001), got " + decimal::format_micro(*impact));
  out.impact_micro = *impact;
  return ok_status();
}

Result<MicroMap> benchmark_values(const NumberMap& numbers, std::string_view path) {
  MicroMap values;
  values.reserve(numbers.size());
  for (const auto& [name, literal] : numbers) {
    auto micro =
        micro_in("bad_benchmarks", path, name, literal, -kMaxBenchmarkMicro, kMaxBenchmarkMicro, "(-1e9, 1e9)");
    if (!micro) return micro.error();
    values.emplace_back(name, *micro);
  }
  return values;
}

// Rule 9.
Status check_benchmarks(const Attestation& doc, ValidatedAttestation& out) {
  if (!doc.benchmarks) return ok_status();
  auto pre = benchmark_values(doc.benchmarks->pre, "benchmarks.pre");
  if (!pre) return pre.error();
  auto post = benchmark_values(doc.benchmarks->post, "benchmarks.post");
  if (!post) return post.error();
  auto delta = benchmark_values(doc.benchmarks->delta, "benchmarks.delta");
  if (!delta) return delta.error();
  for (const auto& [name, before] : *pre) {
    const std::int64_t* after = find(*post, name);
    if (after == nullptr) continue;  // the rule covers keys present in both pre and post
    const std::int64_t* change = find(*delta, name);
    if (change == nullptr || *change != *after - before)
      return fail("bad_benchmarks", "benchmarks.delta." + name,
                  "expected post - pre = " + decimal::format_micro(*after - before));
  }
  out.benchmarks = ValidatedBenchmarks{std::move(*pre), std::move(*post), std::move(*delta)};
  return ok_status();
}

}  // namespace

Result<ValidatedAttestation> check_rules(const Attestation& doc, const ValidationContext& context) {
  ValidatedAttestation out;
  BIZRA_TRY(check_version(doc));
  BIZRA_TRY(check_anchor(doc, context, out));
  BIZRA_TRY(check_attester(doc, out));
  BIZRA_TRY(check_evidence(doc, out));
  BIZRA_TRY(check_nonce(doc, context, out));
  BIZRA_TRY(check_time_window(doc, context, out));
  BIZRA_TRY(check_measurement(doc, out));
  BIZRA_TRY(check_benchmarks(doc, out));
  return out;
}

Result<crypto::Signature> check_signature(const Attestation& doc, const crypto::PublicKey& pubkey,
                                          const Hash32& digest) {
  if (doc.signature.alg != "ed25519")
    return fail("bad_signature", "signature.alg", "expected \"ed25519\", got " + shown(doc.signature.alg));
  const auto bytes = lower_hex<crypto::Signature::kSize>(doc.signature.sig_base16);
  if (!bytes) return fail("bad_signature", "signature.sig_base16", "expected 128 lowercase hex digits");
  const crypto::Signature signature{*bytes};
  if (!crypto::verify(pubkey, signed_message(digest).span(), signature))
    return fail("bad_signature", "signature.sig_base16", "does not verify for attester.pubkey");
  return signature;
}

Result<ValidatedAttestation> validate(std::string_view text, const ValidationContext& context) {
  auto doc = parse(text);
  if (!doc) return doc.error();
  auto out = check_rules(*doc, context);
  if (!out) return out.error();
  out->digest = digest_of(canonical_form(doc->json));
  out->id = hex::encode(out->digest);
  auto signature = check_signature(*doc, out->pubkey, out->digest);
  if (!signature) return signature.error();
  out->signature = *signature;
  return out;
}

}  // namespace bizra::poi
