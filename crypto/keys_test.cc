#include "crypto/keys.h"

#include <string>

#include "crypto/pseudonym.h"
#include "gtest/gtest.h"

namespace sluss::crypto {
namespace {

TEST(Ed25519Test, SignVerifyAndRejectTampering) {
  Ed25519SigningKey key = Ed25519SigningKey::Generate();
  Ed25519Signature sig = key.Sign("beslut");
  EXPECT_TRUE(Ed25519Verify(key.public_key(), "beslut", Bytes(sig)).ok());

  absl::Status wrong_msg = Ed25519Verify(key.public_key(), "beslut!", Bytes(sig));
  EXPECT_EQ(wrong_msg.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(wrong_msg.message(), "ed25519: signature does not verify");

  std::string flipped(Bytes(sig));
  flipped[10] ^= 0x01;
  EXPECT_EQ(Ed25519Verify(key.public_key(), "beslut", flipped).code(),
            absl::StatusCode::kUnauthenticated);

  EXPECT_EQ(Ed25519Verify(key.public_key(), "beslut", "short").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Ed25519Test, SeedIsDeterministicAndChecked) {
  std::string seed(32, '\x01');
  auto a = Ed25519SigningKey::FromSeed(seed);
  auto b = Ed25519SigningKey::FromSeed(seed);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->public_key(), b->public_key());
  EXPECT_EQ(a->seed(), seed);
  EXPECT_EQ(Ed25519SigningKey::FromSeed("short").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(X25519Test, SecretKeyRoundTrip) {
  X25519KeyPair kp = X25519KeyPair::Generate();
  auto again = X25519KeyPair::FromSecretKey(kp.secret_key());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->public_key(), kp.public_key());
}

TEST(PseudonymTest, KeyedAndDomainSeparated) {
  PseudonymKey k1 = *PseudonymKey::FromBytes(std::string(32, 'a'));
  PseudonymKey k2 = *PseudonymKey::FromBytes(std::string(32, 'b'));
  std::string p = k1.Pseudonym("personnummer", "198112189876");
  EXPECT_EQ(p.size(), 32u);
  EXPECT_EQ(p, k1.Pseudonym("personnummer", "198112189876"));
  EXPECT_NE(p, k2.Pseudonym("personnummer", "198112189876"));
  EXPECT_NE(p, k1.Pseudonym("orgnr", "198112189876"));
  EXPECT_NE(p, k1.Pseudonym("personnummer", "198112189875"));
  EXPECT_EQ(PseudonymKey::FromBytes("x").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluss::crypto
