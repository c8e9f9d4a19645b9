#include "net/tls.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace bizra::net {
namespace {

namespace ssl = boost::asio::ssl;

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* x) const { X509_free(x); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

constexpr long kCertificateValidityDays = 36500;  // identity is the key, not the dates

Error setup_error(const char* what) { return Error("tls_setup_failed", what); }

// The ex_data slot holding a session's PeerVerifier (asio already uses the "app data" slot).
int verifier_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::optional<crypto::PublicKey> ed25519_key_of(X509* cert) {
  if (cert == nullptr) return std::nullopt;
  EVP_PKEY* pkey = X509_get0_pubkey(cert);
  if (pkey == nullptr || EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519) return std::nullopt;
  crypto::PublicKey key;
  std::size_t size = key.bytes.size();
  if (EVP_PKEY_get_raw_public_key(pkey, key.bytes.data(), &size) != 1 || size != key.bytes.size()) {
    return std::nullopt;
  }
  return key;
}

// Replaces X.509 chain validation (see the header): the leaf certificate's Ed25519 key must be
// one the session's verifier accepts. Returns 1 to accept, 0 to fail the handshake.
int verify_certificate(X509_STORE_CTX* store, void* /*unused*/) {
  auto* ssl_session =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* verifier = ssl_session == nullptr
                       ? nullptr
                       : static_cast<PeerVerifier*>(SSL_get_ex_data(ssl_session, verifier_index()));
  const std::optional<crypto::PublicKey> key = ed25519_key_of(X509_STORE_CTX_get0_cert(store));
  if (verifier != nullptr && key && verifier->verify_peer_key(*key)) return 1;
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return 0;
}

Result<X509Ptr> self_signed_certificate(EVP_PKEY* pkey) {
  X509Ptr cert(X509_new());
  if (!cert) return setup_error("X509_new failed");
  X509_NAME* name = X509_get_subject_name(cert.get());
  const auto* common_name = reinterpret_cast<const unsigned char*>("bizra-node");
  const bool ok = X509_set_version(cert.get(), 2) == 1 &&
                  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1 &&
                  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -86400) != nullptr &&
                  X509_time_adj_ex(X509_getm_notAfter(cert.get()), kCertificateValidityDays, 0, nullptr) != nullptr &&
                  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, common_name, -1, -1, 0) == 1 &&
                  X509_set_issuer_name(cert.get(), name) == 1 && X509_set_pubkey(cert.get(), pkey) == 1 &&
                  X509_sign(cert.get(), pkey, nullptr) > 0;  // Ed25519 signs without a separate digest
  if (!ok) return setup_error("building the self-signed certificate failed");
  return cert;
}

}  // namespace

Result<std::unique_ptr<ssl::context>> make_tls_context(const crypto::SecretKey& identity) {
  const ByteSpan seed = identity.seed();
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  if (!pkey) return setup_error("EVP_PKEY_new_raw_private_key(ED25519) failed");
  Result<X509Ptr> cert = self_signed_certificate(pkey.get());
  if (!cert.ok()) return cert.error();

  auto context = std::make_unique<ssl::context>(ssl::context::tls);
  SSL_CTX* ctx = context->native_handle();
  const bool ok = SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) == 1 &&
                  SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) == 1 &&
                  SSL_CTX_use_certificate(ctx, cert->get()) == 1 && SSL_CTX_use_PrivateKey(ctx, pkey.get()) == 1 &&
                  SSL_CTX_check_private_key(ctx) == 1 && SSL_CTX_set_num_tickets(ctx, 0) == 1;
  if (!ok) return setup_error("configuring the TLS context failed");
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx, verify_certificate, nullptr);
  if (verifier_index() < 0) return setup_error("SSL_get_ex_new_index failed");
  return context;
}

void set_peer_verifier(SSL* ssl, PeerVerifier* verifier) { SSL_set_ex_data(ssl, verifier_index(), verifier); }

std::optional<crypto::PublicKey> authenticated_peer_key(SSL* ssl) {
  if (SSL_version(ssl) != TLS1_3_VERSION) return std::nullopt;
  X509Ptr cert(SSL_get1_peer_certificate(ssl));
  return ed25519_key_of(cert.get());
}

}  // namespace bizra::net
