#pragma once
// Bearer authentication for the API's state-changing routes (spec/api.md "Limits"): JWTs signed
// with HS256 (HMAC-SHA256) or EdDSA (Ed25519), and static API keys from the node's config.
//
// Why it is shaped like this:
//   - The algorithm a token claims is only accepted when a key *of that type* is configured, and
//     each algorithm verifies with its own keys only. "none", RS256 and the rest are refused, and
//     the HMAC secret can never be mistaken for the Ed25519 public key (alg confusion).
//   - The signature is checked before any claim is read; claims of an unverified token mean
//     nothing. Signatures, MACs and API keys are compared in constant time.
//   - API keys are held only as BLAKE3 hashes: a memory dump does not reveal them, and comparing
//     fixed-size hashes leaks nothing about the key's length.
//   - Nothing here logs. Error messages never quote the token or any part of it.
//
// A bearer value with exactly two '.' is a JWT (compact JWS); anything else is an API key.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "crypto/ed25519.hpp"
#include "http/message.hpp"

namespace bizra::http {

namespace code {
inline constexpr std::string_view kMissingToken = "missing_token";  // 401: no Authorization header
inline constexpr std::string_view kInvalidToken = "invalid_token";  // 401: malformed, bad signature, wrong alg, nbf, aud, iss
inline constexpr std::string_view kExpiredToken = "expired_token";  // 401: exp passed (beyond the leeway)
inline constexpr std::string_view kBadAuthConfig = "bad_auth_config";  // Authenticator::create
}  // namespace code

struct AuthConfig {
  // HS256 shared secret (raw bytes); at least 32 bytes (RFC 7518 §3.2). Empty: HS256 not accepted.
  std::string hs256_secret{};
  // EdDSA (Ed25519) verification keys; a token signed by any of them is accepted (several keys
  // let an issuer rotate its key without downtime). Empty: EdDSA not accepted.
  std::vector<crypto::PublicKey> eddsa_public_keys{};
  // Static API keys, each 16..256 bytes. create() keeps only their hashes and wipes these strings.
  std::vector<std::string> api_keys{};
  // When set, a JWT must carry this "aud" (a string, or an array containing it) / this "iss".
  std::optional<std::string> audience{};
  std::optional<std::string> issuer{};
  // Clock skew tolerated on "exp" and "nbf".
  std::chrono::seconds leeway{30};
};

// Who a request was authenticated as.
struct Principal {
  enum class Kind { kJwt, kApiKey };
  Kind kind;
  std::string subject;  // the JWT's "sub" (may be empty); empty for API keys
};

class Authenticator {
 public:
  static constexpr std::size_t kMaxTokenBytes = 8192;

  // Unix time in seconds; injected so tests can move time.
  using Clock = std::function<std::int64_t()>;
  static std::int64_t system_now();

  // Errors: "bad_auth_config" (HS256 secret shorter than 32 bytes, API key outside 16..256 bytes).
  static Result<Authenticator> create(AuthConfig config, Clock now = system_now);

  Authenticator(Authenticator&& other) noexcept = default;
  Authenticator& operator=(Authenticator&& other) noexcept = default;
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;
  ~Authenticator();  // wipes the HMAC secret

  // Checks the request's "Authorization: Bearer <token>". Errors: "missing_token",
  // "invalid_token", "expired_token" (messages never contain the token).
  Result<Principal> authenticate(const Request& req) const;
  Result<Principal> authenticate_token(std::string_view token) const;

 private:
  Authenticator() = default;
  Result<Principal> verify_jwt(std::string_view token) const;
  bool signature_valid(std::string_view alg, std::string_view signing_input, std::string_view signature) const;
  Result<Principal> check_claims(std::string_view payload_json) const;
  Result<Principal> check_api_key(std::string_view key) const;

  std::string hs256_secret_;
  std::vector<crypto::PublicKey> eddsa_public_keys_;
  std::vector<Hash32> api_key_hashes_;
  std::optional<std::string> audience_;
  std::optional<std::string> issuer_;
  std::int64_t leeway_seconds_ = 30;
  Clock now_;
};

// The 401 answer for an authentication failure: the envelope with the error's code, and
// "WWW-Authenticate: Bearer" (plus error="invalid_token" when a token was presented, RFC 6750).
Response unauthorized(const Error& error);

// Mints a compact JWT over `claims_json` (a JSON object, sent as given), for tests and CLI tools.
std::string make_jwt_hs256(std::string_view claims_json, std::string_view secret);
std::string make_jwt_eddsa(std::string_view claims_json, const crypto::SecretKey& secret_key);

// Base64url without padding (RFC 4648 §5). Decoding is strict: only the url-safe alphabet, no
// '=' padding, no whitespace, and the unused low bits of the last character must be zero, so each
// byte string has exactly one accepted encoding.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace bizra::http
