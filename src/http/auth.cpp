#include "http/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "codec/json.hpp"
#include "crypto/blake3.hpp"

namespace bizra::http {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kMinSecretBytes = 32;
constexpr std::size_t kMinApiKeyBytes = 16;
constexpr std::size_t kMaxApiKeyBytes = 256;

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

Error invalid(std::string message) { return Error(code::kInvalidToken, std::move(message)); }

bool equal_constant_time(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  const unsigned char* ok = HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                                 reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &length);
  if (ok == nullptr) throw std::runtime_error("HMAC-SHA256 failed");
  std::string out(reinterpret_cast<const char*>(mac.data()), length);
  OPENSSL_cleanse(mac.data(), mac.size());
  return out;
}

std::string make_jwt(std::string_view header_json, std::string_view claims_json,
                     const std::function<std::string(std::string_view)>& sign) {
  std::string input = base64url_encode(header_json) + "." + base64url_encode(claims_json);
  const std::string signature = sign(input);
  return input + "." + base64url_encode(signature);
}

// A JSON object decoded from one base64url part of a token.
Result<json::Value> decode_part(std::string_view part, const char* what) {
  auto text = base64url_decode(part);
  if (!text) return invalid(std::string("the token's ") + what + " is not base64url");
  auto value = json::parse(*text, json::Limits{.max_bytes = Authenticator::kMaxTokenBytes});
  if (!value || !value->is_object()) return invalid(std::string("the token's ") + what + " is not a JSON object");
  return std::move(value).value();
}

// A NumericDate claim (RFC 7519 §2): absent, or a finite number of seconds.
Result<std::optional<double>> numeric_date(const json::Value& claims, std::string_view name) {
  const json::Value* value = claims.find(name);
  if (value == nullptr) return std::optional<double>();
  if (!value->is_number() || !std::isfinite(value->number())) {
    return invalid("claim \"" + std::string(name) + "\" is not a number");
  }
  return std::optional<double>(value->number());
}

bool audience_matches(const json::Value* aud, std::string_view expected) {
  if (aud == nullptr) return false;
  if (aud->is_string()) return aud->as_string() == expected;
  for (const json::Value& item : aud->items()) {
    if (item.is_string() && item.as_string() == expected) return true;
  }
  return false;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : bytes) {
    acc = (acc << 8) | static_cast<std::uint8_t>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
    }
    acc &= (1u << bits) - 1;
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;  // no byte count encodes to this length
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int value = base64url_value(c);
    if (value < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
    acc &= (1u << bits) - 1;
  }
  if (acc != 0) return std::nullopt;  // non-zero padding bits: a second encoding of the same bytes
  return out;
}

std::int64_t Authenticator::system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Result<Authenticator> Authenticator::create(AuthConfig config, Clock now) {
  if (!config.hs256_secret.empty() && config.hs256_secret.size() < kMinSecretBytes) {
    OPENSSL_cleanse(config.hs256_secret.data(), config.hs256_secret.size());
    return Error(code::kBadAuthConfig, "the HS256 secret must be at least 32 bytes");
  }
  Authenticator auth;
  for (std::string& key : config.api_keys) {
    if (key.size() < kMinApiKeyBytes || key.size() > kMaxApiKeyBytes) {
      return Error(code::kBadAuthConfig, "API keys must be 16 to 256 bytes");
    }
    auth.api_key_hashes_.push_back(crypto::blake3(key));
    OPENSSL_cleanse(key.data(), key.size());
  }
  auth.hs256_secret_ = std::move(config.hs256_secret);
  auth.eddsa_public_keys_ = std::move(config.eddsa_public_keys);
  auth.audience_ = std::move(config.audience);
  auth.issuer_ = std::move(config.issuer);
  auth.leeway_seconds_ = config.leeway.count();
  auth.now_ = std::move(now);
  return auth;
}

Authenticator::~Authenticator() { OPENSSL_cleanse(hs256_secret_.data(), hs256_secret_.size()); }

Result<Principal> Authenticator::authenticate(const Request& req) const {
  const auto header = req.header("Authorization");
  if (!header) return Error(code::kMissingToken, "this route needs an Authorization: Bearer token");
  constexpr std::string_view kScheme = "Bearer";
  if (header->size() <= kScheme.size() || !iequals(header->substr(0, kScheme.size()), kScheme) ||
      (*header)[kScheme.size()] != ' ') {
    return invalid("the Authorization scheme must be Bearer");
  }
  std::string_view token = header->substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  return authenticate_token(token);
}

Result<Principal> Authenticator::authenticate_token(std::string_view token) const {
  if (token.empty() || token.size() > kMaxTokenBytes) return invalid("the token is empty or too long");
  const auto dots = std::count(token.begin(), token.end(), '.');
  return dots == 2 ? verify_jwt(token) : check_api_key(token);
}

Result<Principal> Authenticator::verify_jwt(std::string_view token) const {
  const std::size_t first = token.find('.');
  const std::size_t second = token.find('.', first + 1);
  const std::string_view signing_input = token.substr(0, second);
  auto header_part = decode_part(token.substr(0, first), "header");
  if (!header_part) return header_part.error();
  const json::Value& header = *header_part;
  const json::Value* alg = header.find("alg");
  if (alg == nullptr || !alg->is_string()) return invalid("the token header has no \"alg\"");
  if (header.find("crit") != nullptr) return invalid("the token header has \"crit\" extensions");
  const json::Value* typ = header.find("typ");
  if (typ != nullptr && (!typ->is_string() || typ->as_string() != "JWT")) return invalid("the token is not a JWT");
  const auto signature = base64url_decode(token.substr(second + 1));
  if (!signature) return invalid("the token's signature is not base64url");
  if (!signature_valid(alg->as_string(), signing_input, *signature)) {
    return invalid("the token's algorithm is not accepted or its signature is invalid");
  }
  auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  if (!payload) return invalid("the token's claims are not base64url");
  return check_claims(*payload);
}

bool Authenticator::signature_valid(std::string_view alg, std::string_view signing_input,
                                    std::string_view signature) const {
  // Each algorithm is tied to the keys of its type; an unconfigured algorithm fails.
  if (alg == "HS256" && !hs256_secret_.empty()) {
    return equal_constant_time(hmac_sha256(hs256_secret_, signing_input), signature);
  }
  if (alg == "EdDSA" && signature.size() == crypto::Signature::kSize) {
    const auto sig = crypto::Signature{FixedBytes<crypto::Signature::kSize>::from_span(as_bytes(signature))};
    return std::any_of(eddsa_public_keys_.begin(), eddsa_public_keys_.end(),
                       [&](const crypto::PublicKey& key) { return crypto::verify(key, as_bytes(signing_input), sig); });
  }
  return false;
}

Result<Principal> Authenticator::check_claims(std::string_view payload_json) const {
  auto claims = json::parse(payload_json, json::Limits{.max_bytes = kMaxTokenBytes});
  if (!claims || !claims->is_object()) return invalid("the token's claims are not a JSON object");
  auto exp = numeric_date(*claims, "exp");
  if (!exp) return exp.error();
  auto nbf = numeric_date(*claims, "nbf");
  if (!nbf) return nbf.error();
  const auto now = static_cast<double>(now_());
  const auto leeway = static_cast<double>(leeway_seconds_);
  // Tokens must expire: a leaked token without "exp" would be valid forever.
  if (!*exp) return invalid("the token has no \"exp\"");
  if (now >= **exp + leeway) return Error(code::kExpiredToken, "the token has expired");
  if (*nbf && now + leeway < **nbf) return invalid("the token is not valid yet");
  if (audience_ && !audience_matches(claims->find("aud"), *audience_)) return invalid("the token's audience is wrong");
  if (issuer_) {
    const json::Value* iss = claims->find("iss");
    if (iss == nullptr || !iss->is_string() || iss->as_string() != *issuer_) return invalid("the token's issuer is wrong");
  }
  const json::Value* sub = claims->find("sub");
  return Principal{Principal::Kind::kJwt, sub != nullptr && sub->is_string() ? sub->as_string() : std::string()};
}

Result<Principal> Authenticator::check_api_key(std::string_view key) const {
  const Hash32 presented = crypto::blake3(key);
  // Every stored hash is compared, so the time taken does not tell which key nearly matched.
  int matches = 0;
  for (const Hash32& stored : api_key_hashes_) {
    matches |= CRYPTO_memcmp(stored.data(), presented.data(), Hash32::size()) == 0 ? 1 : 0;
  }
  if (matches == 0) return invalid("the API key is not known");
  return Principal{Principal::Kind::kApiKey, std::string()};
}

Response unauthorized(const Error& error) {
  Response response = Response::error(401, error.code(), error.message());
  response.headers.emplace_back("WWW-Authenticate", error.code() == code::kMissingToken
                                                        ? std::string("Bearer")
                                                        : std::string("Bearer error=\"invalid_token\""));
  return response;
}

std::string make_jwt_hs256(std::string_view claims_json, std::string_view secret) {
  return make_jwt(R"({"alg":"HS256","typ":"JWT"})", claims_json,
                  [&](std::string_view input) { return hmac_sha256(secret, input); });
}

std::string make_jwt_eddsa(std::string_view claims_json, const crypto::SecretKey& secret_key) {
  return make_jwt(R"({"alg":"EdDSA","typ":"JWT"})", claims_json, [&](std::string_view input) {
    return std::string(as_chars(secret_key.sign(as_bytes(input)).span()));
  });
}

}  // namespace bizra::http
