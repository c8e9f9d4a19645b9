#include "poi/attestation.hpp"

#include <algorithm>
#include <initializer_list>

#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "crypto/blake3.hpp"
#include "poi/decimal.hpp"

namespace bizra::poi {
namespace {

constexpr json::Limits kLimits{.max_bytes = kMaxDocumentBytes, .max_depth = 16};
constexpr std::string_view kSignatureMember = "signature";

// Where a member is, for error messages. Each level points at its parent and is rendered into
// "measurement.weights.reach" only when an error needs it, so that parsing a good document
// builds no path strings at all.
struct Path {
  const Path* parent = nullptr;  // nullptr: the document itself
  std::string_view key;          // member name (when index is kNoIndex)
  std::size_t index = kNoIndex;  // array position
  static constexpr std::size_t kNoIndex = static_cast<std::size_t>(-1);

  Path operator/(std::string_view member) const { return {this, member}; }
  Path operator[](std::size_t position) const { return {this, {}, position}; }

  std::string str() const {
    if (parent == nullptr) return "document";
    std::string out = parent->parent == nullptr ? std::string() : parent->str();
    if (index != kNoIndex) return out + "[" + std::to_string(index) + "]";
    return out.empty() ? std::string(key) : out + "." + std::string(key);
  }
};

Error malformed(const Path& path, std::string_view what) {
  return Error("malformed", path.str() + ": " + std::string(what));
}

std::string_view with_article(json::Value::Kind kind) {
  switch (kind) {
    case json::Value::Kind::kNull: return "null";
    case json::Value::Kind::kBool: return "a boolean";
    case json::Value::Kind::kNumber: return "a number";
    case json::Value::Kind::kString: return "a string";
    case json::Value::Kind::kArray: return "an array";
    case json::Value::Kind::kObject: return "an object";
  }
  return "a value";
}

Error wrong_kind(const json::Value& v, const Path& path, json::Value::Kind kind) {
  return malformed(path,
                   "expected " + std::string(with_article(kind)) + ", got " + std::string(json::kind_name(v.kind())));
}

template <typename T>
constexpr bool kIsOptional = false;
template <typename T>
constexpr bool kIsOptional<std::optional<T>> = true;

// Reads a parsed document into an Attestation (rule 1), member by member, in a fixed order: the
// first defect found stops it and becomes error(). Each check returns false once it has failed,
// so that reading a good document builds no Status or message at all (it makes a few hundred
// checks).
class Reader {
 public:
  bool read(const json::Value& v, Attestation& out) {
    const Path root;
    return expect_object(v, root,
                         {"version", "anchor", "attester", "resources", "evidence", "measurement", "benchmarks",
                          "time_window", "nonce", "signature"}) &&
           member(v, root, "version", out.version) && member(v, root, "anchor", out.anchor) &&
           member(v, root, "attester", out.attester) && member(v, root, "resources", out.resources) &&
           member(v, root, "evidence", out.evidence) && member(v, root, "measurement", out.measurement) &&
           member(v, root, "benchmarks", out.benchmarks) && member(v, root, "time_window", out.time_window) &&
           member(v, root, "nonce", out.nonce) && member(v, root, "signature", out.signature);
  }

  Error error() && { return std::move(*error_); }  // after read() returned false

 private:
  bool fail(Error error) {
    error_.emplace(std::move(error));
    return false;
  }

  bool expect_kind(const json::Value& v, const Path& path, json::Value::Kind kind) {
    return v.kind() == kind || fail(wrong_kind(v, path, kind));
  }

  // `v` is an object all of whose member names are in `allowed` (spec §1: unknown members are
  // rejected everywhere, so that nothing unsigned-for can ride along in a signed document).
  bool expect_object(const json::Value& v, const Path& path, std::initializer_list<std::string_view> allowed) {
    if (!expect_kind(v, path, json::Value::Kind::kObject)) return false;
    for (const auto& [key, value] : v.members())
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
        return fail(malformed(path / key, "unknown member"));
    return true;
  }

  // Reads member `key` of `object` into `out`; a std::optional member may be absent.
  template <typename T>
  bool member(const json::Value& object, const Path& path, std::string_view key, T& out) {
    const json::Value* v = object.find(key);
    if (v != nullptr) return convert(*v, path / key, out);
    return kIsOptional<T> || fail(malformed(path / key, "missing"));
  }

  // One convert() per member type: checks the JSON type at `path` and stores the value.
  bool convert(const json::Value& v, const Path& path, std::string& out) {
    if (!expect_kind(v, path, json::Value::Kind::kString)) return false;
    out = v.as_string();
    return true;
  }

  bool convert(const json::Value& v, const Path& path, std::uint64_t& out) {
    if (!expect_kind(v, path, json::Value::Kind::kNumber)) return false;
    const auto value = decimal::to_scaled(v.number_text(), 0);
    if (!value || *value < 0 || static_cast<std::uint64_t>(*value) > kMaxInteger)
      return fail(malformed(path, "expected an integer in [0, 2^53-1]"));
    out = static_cast<std::uint64_t>(*value);
    return true;
  }

  bool convert(const json::Value& v, const Path& path, NumberMap& out) {
    if (!expect_kind(v, path, json::Value::Kind::kObject)) return false;
    out.clear();
    out.reserve(v.members().size());
    for (const auto& [key, value] : v.members()) {
      if (!expect_kind(value, path / key, json::Value::Kind::kNumber)) return false;
      out.emplace_back(key, value.number_text());
    }
    return true;
  }

  bool convert(const json::Value& v, const Path& path, std::vector<std::string>& out) {
    if (!expect_kind(v, path, json::Value::Kind::kArray)) return false;
    out.clear();
    out.reserve(v.items().size());
    for (std::size_t i = 0; i < v.items().size(); ++i)
      if (!convert(v.items()[i], path[i], out.emplace_back())) return false;
    return true;
  }

  template <typename T>
  bool convert(const json::Value& v, const Path& path, std::optional<T>& out) {
    return convert(v, path, out.emplace());
  }

  bool convert(const json::Value& v, const Path& path, Anchor& out) {
    return expect_object(v, path, {"chain_id", "genesis_root", "block_ref"}) &&
           member(v, path, "chain_id", out.chain_id) && member(v, path, "genesis_root", out.genesis_root) &&
           member(v, path, "block_ref", out.block_ref);
  }

  bool convert(const json::Value& v, const Path& path, Attester& out) {
    return expect_object(v, path, {"id", "pubkey"}) && member(v, path, "id", out.id) &&
           member(v, path, "pubkey", out.pubkey);
  }

  bool convert(const json::Value& v, const Path& path, Resources& out) {
    return expect_object(v, path, {"cpu_cores", "ram_gb", "gpu_vram_gb", "wallclock_sec"}) &&
           member(v, path, "cpu_cores", out.cpu_cores) && member(v, path, "ram_gb", out.ram_gb) &&
           member(v, path, "gpu_vram_gb", out.gpu_vram_gb) && member(v, path, "wallclock_sec", out.wallclock_sec);
  }

  bool convert(const json::Value& v, const Path& path, Evidence& out) {
    return expect_object(v, path,
                         {"pack_sha256", "pack_bytes", "files_processed", "redactions_count", "methodology_ref"}) &&
           member(v, path, "pack_sha256", out.pack_sha256) && member(v, path, "pack_bytes", out.pack_bytes) &&
           member(v, path, "files_processed", out.files_processed) &&
           member(v, path, "redactions_count", out.redactions_count) &&
           member(v, path, "methodology_ref", out.methodology_ref);
  }

  bool convert(const json::Value& v, const Path& path, Measurement& out) {
    if (!expect_object(v, path, {"dimensions", "weights", "impact_score"}) ||
        !member(v, path, "dimensions", out.dimensions))
      return false;
    if (out.dimensions.size() > kMaxDimensions)
      return fail(malformed(path / "dimensions", "more than " + std::to_string(kMaxDimensions) + " dimensions"));
    if (!member(v, path, "weights", out.weights)) return false;
    const json::Value* score = v.find("impact_score");
    if (score == nullptr) return fail(malformed(path / "impact_score", "missing"));
    if (!expect_kind(*score, path / "impact_score", json::Value::Kind::kNumber)) return false;
    out.impact_score = score->number_text();
    return true;
  }

  bool convert(const json::Value& v, const Path& path, Benchmarks& out) {
    return expect_object(v, path, {"pre", "post", "delta"}) && member(v, path, "pre", out.pre) &&
           member(v, path, "post", out.post) && member(v, path, "delta", out.delta);
  }

  bool convert(const json::Value& v, const Path& path, SignatureField& out) {
    return expect_object(v, path, {"alg", "sig_base16"}) && member(v, path, "alg", out.alg) &&
           member(v, path, "sig_base16", out.sig_base16);
  }

  std::optional<Error> error_;
};

// The strict JSON parse shared by parse() and sign(): size first, with a message of our own.
Result<json::Value> parse_json(std::string_view text) {
  if (text.size() > kMaxDocumentBytes)
    return malformed(Path{},
                     std::to_string(text.size()) + " bytes exceeds the limit of " + std::to_string(kMaxDocumentBytes));
  auto value = json::parse(text, kLimits);
  if (!value)
    return malformed(Path{}, "invalid JSON (" + std::string(value.error().code()) + "): " + value.error().message());
  return value;
}

std::vector<json::Value::Member> members_without_signature(const json::Value& document) {
  std::vector<json::Value::Member> members;
  members.reserve(document.members().size());
  for (const auto& m : document.members())
    if (m.first != kSignatureMember) members.push_back(m);
  return members;
}

}  // namespace

Result<Attestation> parse(std::string_view text) {
  auto value = parse_json(text);
  if (!value) return value.error();
  Attestation out;
  if (Reader reader; !reader.read(*value, out)) return std::move(reader).error();
  out.json = std::move(*value);
  return out;
}

std::string canonical_form(const json::Value& document) {
  // Attestations are about 1 KiB; starting from an empty string would reallocate seven times.
  constexpr std::size_t kInitialCapacity = 2048;
  std::string out;
  out.reserve(kInitialCapacity);
  jcs::append_without(document, kSignatureMember, out);
  return out;
}

Hash32 digest_of(std::string_view canonical) { return crypto::blake3(canonical); }

SignedMessage signed_message(const Hash32& digest) {
  SignedMessage message;
  auto* out = std::copy(kSignatureDomain.begin(), kSignatureDomain.end(), message.data());
  *out++ = 0x00;
  std::copy(digest.bytes.begin(), digest.bytes.end(), out);
  return message;
}

Result<std::string> sign(std::string_view document, const crypto::SecretKey& key) {
  auto value = parse_json(document);
  if (!value) return value.error();
  if (!value->is_object()) return wrong_kind(*value, Path{}, json::Value::Kind::kObject);
  const Hash32 digest = digest_of(canonical_form(*value));
  auto members = members_without_signature(*value);
  const crypto::Signature signature = key.sign(signed_message(digest).span());
  members.emplace_back(std::string(kSignatureMember),
                       json::Value::object({{"alg", json::Value::string("ed25519")},
                                            {"sig_base16", json::Value::string(hex::encode(signature.bytes))}}));
  return jcs::serialize(json::Value::object(std::move(members)));
}

// --- RFC 3339 instants ---------------------------------------------------------------------

namespace {

constexpr std::int64_t kSecondsPerDay = 86'400;
constexpr int kMinYear = 0;
constexpr int kMaxYear = 9999;

bool is_leap(std::int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(std::int64_t year, int month) {
  constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

// Days from 1970-01-01 to year-month-day in the proleptic Gregorian calendar (year >= 0).
std::int64_t days_from_civil(std::int64_t year, int month, int day) {
  constexpr int kDaysBeforeMonth[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
  // Shifting by 400 years (exactly 146097 days, the Gregorian cycle) keeps every division below
  // on positive numbers, so plain integer division is floor division.
  const std::int64_t shifted = year + 400;
  const std::int64_t prior_years = shifted - 1;
  std::int64_t days = 365 * prior_years + prior_years / 4 - prior_years / 100 + prior_years / 400;
  days += kDaysBeforeMonth[month - 1] + (month > 2 && is_leap(shifted) ? 1 : 0) + (day - 1);
  constexpr std::int64_t kDaysFromYear1To1970 = 719'162;
  return days - 146'097 - kDaysFromYear1To1970;
}

// Value of the `length` decimal digits at `pos`, or -1 when any of them is not a digit.
int digits_at(std::string_view s, std::size_t pos, std::size_t length) {
  int value = 0;
  for (std::size_t i = pos; i < pos + length; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

// A non-negative number in decimal, zero-padded to `width` digits.
std::string padded(std::int64_t value, std::size_t width) {
  const std::string digits = std::to_string(value);
  return digits.size() < width ? std::string(width - digits.size(), '0') + digits : digits;
}

Error bad_time(std::string_view what) { return Error("bad_time", std::string(what)); }

}  // namespace

Result<UtcInstant> parse_utc(std::string_view s) {
  constexpr std::string_view kShape = "expected YYYY-MM-DDTHH:MM:SS[.fraction]Z (UTC)";
  constexpr std::size_t kWholeSecondLength = 20;  // "2026-01-01T00:00:00Z"
  if (s.size() < kWholeSecondLength || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s.back() != 'Z')
    return bad_time(kShape);
  const int year = digits_at(s, 0, 4), month = digits_at(s, 5, 2), day = digits_at(s, 8, 2);
  const int hour = digits_at(s, 11, 2), minute = digits_at(s, 14, 2), second = digits_at(s, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return bad_time(kShape);

  std::uint32_t nanos = 0;
  if (s.size() > kWholeSecondLength) {
    const std::size_t fraction_digits = s.size() - kWholeSecondLength - 1;  // between '.' and 'Z'
    if (s[19] != '.' || fraction_digits < 1 || fraction_digits > 9) return bad_time(kShape);
    const int fraction = digits_at(s, 20, fraction_digits);
    if (fraction < 0) return bad_time(kShape);
    nanos = static_cast<std::uint32_t>(fraction);
    for (std::size_t i = fraction_digits; i < 9; ++i) nanos *= 10;
  }
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return bad_time("no such date");
  if (hour > 23 || minute > 59 || second > 59) return bad_time("no such time of day (leap seconds are not accepted)");
  const std::int64_t seconds = days_from_civil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 + second;
  return UtcInstant{seconds, nanos};
}

Result<std::string> format_utc(std::int64_t unix_seconds) {
  const std::int64_t first = days_from_civil(kMinYear, 1, 1) * kSecondsPerDay;
  const std::int64_t end = days_from_civil(kMaxYear + 1, 1, 1) * kSecondsPerDay;
  if (unix_seconds < first || unix_seconds >= end) return bad_time("outside years 0000-9999");
  const std::int64_t offset = unix_seconds - first;  // non-negative: plain division is floor division
  const std::int64_t days = offset / kSecondsPerDay + days_from_civil(kMinYear, 1, 1);
  const std::int64_t second_of_day = offset % kSecondsPerDay;

  // Find year, then month, by stepping: simple and obviously right, and only the CLI uses it.
  std::int64_t year = std::clamp<std::int64_t>(1970 + days / 366, kMinYear, kMaxYear);
  while (year < kMaxYear && days_from_civil(year + 1, 1, 1) <= days) ++year;
  while (days_from_civil(year, 1, 1) > days) --year;
  int month = 12;
  while (days_from_civil(year, month, 1) > days) --month;
  const std::int64_t day = days - days_from_civil(year, month, 1) + 1;

  return padded(year, 4) + "-" + padded(month, 2) + "-" + padded(day, 2) + "T" + padded(second_of_day / 3600, 2) + ":" +
         padded(second_of_day / 60 % 60, 2) + ":" + padded(second_of_day % 60, 2) + "Z";
}

}  // namespace bizra::poi
