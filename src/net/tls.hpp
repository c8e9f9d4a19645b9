#pragma once
// TLS 1.3 with mutual authentication, where a node's identity is its Ed25519 key
// (docs/network.md, "Handshake and identity").
//
// Each node presents a self-signed X.509 certificate made in memory from its Ed25519 seed. No
// certificate authority is involved: the TLS 1.3 CertificateVerify message proves that the peer
// holds the private key of the certificate's public key, and that raw 32-byte key *is* the
// peer's identity. Chain validation is therefore replaced by one question, asked of a
// PeerVerifier attached to the session: is this key acceptable here?

#include <memory>
#include <optional>

#include <boost/asio/ssl/context.hpp>

#include "base/error.hpp"
#include "crypto/ed25519.hpp"

namespace bizra::net {

// Decides whether the key a peer proved in the handshake is acceptable. Called from inside the
// handshake, on the thread that drives it.
class PeerVerifier {
 public:
  virtual ~PeerVerifier() = default;
  virtual bool verify_peer_key(const crypto::PublicKey& key) = 0;
};

// A context that speaks TLS 1.3 only, presents `identity`'s certificate, requires the peer's
// certificate, and has session resumption off (a resumed session would skip the key check).
// Errors: "tls_setup_failed".
Result<std::unique_ptr<boost::asio::ssl::context>> make_tls_context(const crypto::SecretKey& identity);

// Makes `verifier` decide the peer of this TLS session; it must outlive the handshake. A session
// without a verifier rejects every peer.
void set_peer_verifier(SSL* ssl, PeerVerifier* verifier);

// The Ed25519 key of the peer's certificate on a completed TLS 1.3 session; nullopt for anything
// else (no certificate, another key type, another protocol version).
std::optional<crypto::PublicKey> authenticated_peer_key(SSL* ssl);

}  // namespace bizra::net
