// Crypto micro-benchmarks, each beside a baseline measured in the same run:
//   - BLAKE3 (ours, SIMD-dispatched C) vs OpenSSL SHA-256 at 64 B / 1 KiB / 64 KiB / 1 MiB;
//   - Ed25519 sign and verify: our wrappers vs libsodium called directly vs OpenSSL EVP.
// Run: make bench-micro (5 repetitions; compare medians, the machine is shared and noisy).

#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <memory>
#include <random>

#include "crypto/blake3.hpp"
#include "crypto/ed25519.hpp"

namespace {

using bizra::Bytes;

Bytes random_input(std::size_t n) {
  std::mt19937_64 rng(n);
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

void BM_Blake3(benchmark::State& state) {
  const Bytes input = random_input(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(bizra::crypto::blake3(input));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
  state.SetLabel(bizra::crypto::Blake3::simd_backend());
}

void BM_OpenSSL_SHA256(benchmark::State& state) {
  const Bytes input = random_input(static_cast<std::size_t>(state.range(0)));
  unsigned char out[32];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_Digest(input.data(), input.size(), out, &len, EVP_sha256(), nullptr);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

BENCHMARK(BM_Blake3)->Arg(64)->Arg(1024)->Arg(16 << 10)->Arg(64 << 10)->Arg(1 << 20);
BENCHMARK(BM_OpenSSL_SHA256)->Arg(64)->Arg(1024)->Arg(16 << 10)->Arg(64 << 10)->Arg(1 << 20);

// The 45-byte message size of a PoI signature (tag ‖ 0 ‖ digest).
constexpr std::size_t kMessageSize = 45;

const bizra::crypto::SecretKey& bench_key() {
  static const auto key = bizra::crypto::SecretKey::from_seed(Bytes(32, 7)).value();
  return key;
}

void BM_Ed25519_Sign_Ours(benchmark::State& state) {
  const Bytes msg = random_input(kMessageSize);
  for (auto _ : state) benchmark::DoNotOptimize(bench_key().sign(msg));
}

void BM_Ed25519_Verify_Ours(benchmark::State& state) {
  const Bytes msg = random_input(kMessageSize);
  const auto sig = bench_key().sign(msg);
  for (auto _ : state) {
    if (!bizra::crypto::verify(bench_key().public_key(), msg, sig)) state.SkipWithError("verify failed");
  }
}

void BM_Ed25519_Sign_Libsodium(benchmark::State& state) {
  const Bytes msg = random_input(kMessageSize);
  unsigned char pk[32], sk[64], sig[64];
  crypto_sign_seed_keypair(pk, sk, Bytes(32, 7).data());
  for (auto _ : state) {
    crypto_sign_detached(sig, nullptr, msg.data(), msg.size(), sk);
    benchmark::DoNotOptimize(sig);
  }
}

void BM_Ed25519_Verify_Libsodium(benchmark::State& state) {
  const Bytes msg = random_input(kMessageSize);
  unsigned char pk[32], sk[64], sig[64];
  crypto_sign_seed_keypair(pk, sk, Bytes(32, 7).data());
  crypto_sign_detached(sig, nullptr, msg.data(), msg.size(), sk);
  for (auto _ : state) {
    if (crypto_sign_verify_detached(sig, msg.data(), msg.size(), pk) != 0) state.SkipWithError("verify failed");
  }
}

struct EvpKeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct EvpCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using EvpKey = std::unique_ptr<EVP_PKEY, EvpKeyDeleter>;
using EvpCtx = std::unique_ptr<EVP_MD_CTX, EvpCtxDeleter>;

EvpKey openssl_private_key() {
  const Bytes seed(32, 7);
  return EvpKey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
}

void BM_Ed25519_Sign_OpenSSL(benchmark::State& state) {
  const Bytes msg = random_input(kMessageSize);
  const EvpKey key = openssl_private_key();
  unsigned char sig[64];
  for (auto _ : state) {
    EvpCtx ctx(EVP_MD_CTX_new());
    std::size_t len = sizeof sig;
    EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get());
    EVP_DigestSign(ctx.get(), sig, &len, msg.data(), msg.size());
    benchmark::DoNotOptimize(sig);
  }
}

void BM_Ed25519_Verify_OpenSSL(benchmark::State& state) {
  const Bytes msg = random_input(kMessageSize);
  const EvpKey priv = openssl_private_key();
  unsigned char pk[32], sig[64];
  std::size_t pk_len = sizeof pk, sig_len = sizeof sig;
  EVP_PKEY_get_raw_public_key(priv.get(), pk, &pk_len);
  const EvpKey pub(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pk, pk_len));
  {
    EvpCtx ctx(EVP_MD_CTX_new());
    EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, priv.get());
    EVP_DigestSign(ctx.get(), sig, &sig_len, msg.data(), msg.size());
  }
  for (auto _ : state) {
    EvpCtx ctx(EVP_MD_CTX_new());
    EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pub.get());
    if (EVP_DigestVerify(ctx.get(), sig, sig_len, msg.data(), msg.size()) != 1) state.SkipWithError("verify failed");
  }
}

BENCHMARK(BM_Ed25519_Sign_Ours);
BENCHMARK(BM_Ed25519_Sign_Libsodium);
BENCHMARK(BM_Ed25519_Sign_OpenSSL);
BENCHMARK(BM_Ed25519_Verify_Ours);
BENCHMARK(BM_Ed25519_Verify_Libsodium);
BENCHMARK(BM_Ed25519_Verify_OpenSSL);

}  // namespace

BENCHMARK_MAIN();
