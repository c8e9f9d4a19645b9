#include "crypto/ed25519.hpp"

#include <gtest/gtest.h>

#include "base/hex.hpp"
#include "crypto/identity.hpp"

namespace bizra::crypto {
namespace {

struct Rfc8032Vector {
  const char* name;
  const char* seed;
  const char* public_key;
  const char* message;
  const char* signature;
};

// RFC 8032 §7.1, Ed25519 tests 1, 2, 3 and SHA(abc).
const Rfc8032Vector kVectors[] = {
    {"TEST 1", "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24"
     "655141438e7a100b"},
    {"TEST 2", "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aee"
     "b00d291612bb0c00"},
    {"TEST 3", "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28d"
     "c027beceea1ec40a"},
    {"TEST SHA(abc)", "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
     "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
     "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80"
     "e2a9ac94fa54ca49f",
     "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17a"
     "d9bef1177331a704"},
};

Bytes unhex(std::string_view s) { return hex::decode(s).value(); }

TEST(Ed25519, Rfc8032Vectors) {
  for (const auto& v : kVectors) {
    SCOPED_TRACE(v.name);
    auto key = SecretKey::from_seed(unhex(v.seed));
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(hex::encode(key->public_key().bytes), v.public_key);
    const Bytes message = unhex(v.message);
    const Signature sig = key->sign(message);
    EXPECT_EQ(hex::encode(sig.bytes), v.signature);
    EXPECT_TRUE(verify(key->public_key(), message, sig));
  }
}

class Ed25519Tamper : public ::testing::Test {
 protected:
  SecretKey key_ = SecretKey::from_seed(unhex(kVectors[2].seed)).value();
  Bytes message_ = to_bytes("BIZRA tamper test message");
  Signature sig_ = key_.sign(message_);
};

TEST_F(Ed25519Tamper, EveryFlippedMessageBitIsRejected) {
  for (std::size_t bit = 0; bit < message_.size() * 8; ++bit) {
    Bytes m = message_;
    m[bit / 8] = static_cast<std::uint8_t>(m[bit / 8] ^ (1u << (bit % 8)));
    EXPECT_FALSE(verify(key_.public_key(), m, sig_)) << "bit " << bit;
  }
}

TEST_F(Ed25519Tamper, EveryFlippedSignatureBitIsRejected) {
  for (std::size_t bit = 0; bit < Signature::kSize * 8; ++bit) {
    Signature s = sig_;
    s.bytes.bytes[bit / 8] = static_cast<std::uint8_t>(s.bytes.bytes[bit / 8] ^ (1u << (bit % 8)));
    EXPECT_FALSE(verify(key_.public_key(), message_, s)) << "bit " << bit;
  }
}

TEST_F(Ed25519Tamper, OtherKeysAndTruncationAreRejected) {
  const auto other = SecretKey::from_seed(unhex(kVectors[0].seed)).value();
  EXPECT_TRUE(verify(key_.public_key(), message_, sig_));
  EXPECT_FALSE(verify(other.public_key(), message_, sig_));
  EXPECT_FALSE(verify(key_.public_key(), ByteSpan(message_).first(message_.size() - 1), sig_));
  EXPECT_FALSE(verify(PublicKey{}, message_, sig_));  // the all-zero (small-order) key
}

TEST(Ed25519, NonCanonicalScalarIsRejected) {
  // S + L (the group order) has the same value mod L but is not canonical (RFC 8032 §5.1.7
  // requires S < L); our verifier must refuse it as ZIP-215 also does.
  const auto key = SecretKey::from_seed(unhex(kVectors[0].seed)).value();
  const Bytes message = to_bytes("canonical S");
  Signature sig = key.sign(message);
  const std::uint8_t order[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                  0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                  0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
  unsigned carry = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    const unsigned sum = sig.bytes.bytes[32 + i] + order[i] + carry;
    sig.bytes.bytes[32 + i] = static_cast<std::uint8_t>(sum);
    carry = sum >> 8;
  }
  ASSERT_EQ(carry, 0u);
  EXPECT_FALSE(verify(key.public_key(), message, sig));
}

TEST(Ed25519, GeneratedKeysAreDistinctAndWork) {
  const auto a = SecretKey::generate();
  const auto b = SecretKey::generate();
  EXPECT_NE(a.public_key(), b.public_key());
  const Bytes m = to_bytes("m");
  EXPECT_TRUE(verify(a.public_key(), m, a.sign(m)));
  EXPECT_FALSE(verify(b.public_key(), m, a.sign(m)));
}

TEST(Ed25519, SeedRoundTripsAndBadSeedIsRefused) {
  const auto a = SecretKey::generate();
  const auto b = SecretKey::from_seed(a.seed()).value();
  EXPECT_EQ(a.public_key(), b.public_key());
  const auto bad = SecretKey::from_seed(Bytes(31));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), "bad_key");
}

TEST(Ed25519, MovedFromKeyIsWiped) {
  auto a = SecretKey::from_seed(unhex(kVectors[1].seed)).value();
  const SecretKey b = std::move(a);
  EXPECT_EQ(hex::encode(b.public_key().bytes), kVectors[1].public_key);
  for (std::uint8_t byte : a.seed()) EXPECT_EQ(byte, 0);  // NOLINT(bugprone-use-after-move): by design
}

TEST(Identity, AccountIdAndPublicKeyText) {
  const auto key = SecretKey::from_seed(unhex(kVectors[0].seed)).value();
  const std::string text = format_public_key(key.public_key());
  EXPECT_EQ(text, std::string("ed25519:") + kVectors[0].public_key);
  EXPECT_EQ(parse_public_key(text).value(), key.public_key());
  // "bz" + first 20 bytes of BLAKE3(pubkey bytes); expected value computed independently with
  // `printf d75a98...511a | xxd -r -p | b3sum` (first 40 hex digits).
  EXPECT_EQ(account_id(key.public_key()), "bz6c31041268f471609c79f5f2dbcc38e4a4ab2f4d");
}

TEST(Identity, MalformedPublicKeyTextIsRefused) {
  const std::string good = std::string("ed25519:") + kVectors[0].public_key;
  for (const std::string& bad : std::vector<std::string>{
           std::string(kVectors[0].public_key), "ed25519:" + std::string(63, 'a'), "ed25519:" + std::string(65, 'a'),
        "ED25519:" + std::string(kVectors[0].public_key), good.substr(0, 10) + "G" + good.substr(11),
        "ed25519:D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A68F707511A"}) {
    auto r = parse_public_key(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), "bad_key");
  }
}

}  // namespace
}  // namespace bizra::crypto
