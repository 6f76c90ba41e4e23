#include "crypto/dsse.h"

#include "gtest/gtest.h"

namespace sluss::crypto {
namespace {

TEST(DsseTest, PaeMatchesSpecExample) {
  // The example in DSSE's protocol.md.
  EXPECT_EQ(DssePae("http://example.com/HelloWorld", "hello world"),
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  EXPECT_EQ(DssePae("", ""), "DSSEv1 0  0 ");
}

TEST(DsseTest, SignVerifyAndTamper) {
  Ed25519SigningKey key = Ed25519SigningKey::Generate();
  DsseEnvelope env{"application/vnd.sluss.action+protobuf", "beslut: lämna ut", {}};
  DsseSign(env, "officer:anna", key);
  EXPECT_TRUE(DsseVerify(env, "officer:anna", key.public_key()).ok());

  absl::Status missing = DsseVerify(env, "officer:bo", key.public_key());
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "dsse: no signature with keyid officer:bo");

  DsseEnvelope payload_changed = env;
  payload_changed.payload[0] ^= 1;
  absl::Status bad = DsseVerify(payload_changed, "officer:anna", key.public_key());
  EXPECT_EQ(bad.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(bad.message(), "dsse: signature by officer:anna does not verify");

  DsseEnvelope type_changed = env;
  type_changed.payload_type = "text/plain";
  EXPECT_EQ(DsseVerify(type_changed, "officer:anna", key.public_key()).code(),
            absl::StatusCode::kUnauthenticated);

  DsseEnvelope sig_flipped = env;
  sig_flipped.signatures[0].sig[5] ^= 1;
  EXPECT_EQ(DsseVerify(sig_flipped, "officer:anna", key.public_key()).code(),
            absl::StatusCode::kUnauthenticated);

  Ed25519SigningKey other = Ed25519SigningKey::Generate();
  EXPECT_EQ(DsseVerify(env, "officer:anna", other.public_key()).code(),
            absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace sluss::crypto
