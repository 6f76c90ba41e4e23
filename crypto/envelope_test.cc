#include "crypto/envelope.h"

#include <string>

#include "gtest/gtest.h"

namespace sluss::crypto {
namespace {

class EnvelopeTest : public ::testing::Test {
 protected:
  X25519KeyPair polisen_ = X25519KeyPair::Generate();
  X25519KeyPair kommun_ = X25519KeyPair::Generate();
  X25519KeyPair outsider_ = X25519KeyPair::Generate();
  std::string plaintext_ = "Uppgifter om personen: ...";
  std::string ad_ = "case:SO 2026/0042";

  Envelope Seal() {
    auto env = SealEnvelope(plaintext_, ad_, {polisen_.public_key(), kommun_.public_key()});
    EXPECT_TRUE(env.ok()) << env.status();
    return *env;
  }
};

TEST_F(EnvelopeTest, EveryRecipientOpens) {
  Envelope env = Seal();
  EXPECT_EQ(env.recipients.size(), 2u);
  EXPECT_EQ(env.ciphertext.find(plaintext_), std::string::npos);
  for (const X25519KeyPair* kp : {&polisen_, &kommun_}) {
    auto opened = OpenEnvelope(env, ad_, *kp);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(opened->view(), plaintext_);
  }
}

TEST_F(EnvelopeTest, WrongRecipientCannotOpen) {
  absl::StatusOr<SecretBytes> r = OpenEnvelope(Seal(), ad_, outsider_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message(), "envelope: not addressed to this key");
}

TEST_F(EnvelopeTest, OutsiderPosingAsRecipientCannotOpen) {
  Envelope env = Seal();
  env.recipients[0].recipient = outsider_.public_key();  // claim polisen's copy
  absl::StatusOr<SecretBytes> r = OpenEnvelope(env, ad_, outsider_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message(), "envelope: sealed content key does not open");
}

constexpr absl::string_view kAeadFailure =
    "envelope: ciphertext, nonce, recipients or associated data fail authentication";

TEST_F(EnvelopeTest, FlippedCiphertextByteIsRejected) {
  Envelope env = Seal();
  env.ciphertext[3] ^= 0x40;
  auto r = OpenEnvelope(env, ad_, polisen_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message(), kAeadFailure);
}

TEST_F(EnvelopeTest, FlippedNonceByteIsRejected) {
  Envelope env = Seal();
  env.nonce[0] ^= 0x01;
  auto r = OpenEnvelope(env, ad_, polisen_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message(), kAeadFailure);
}

TEST_F(EnvelopeTest, FlippedSealedKeyByteIsRejected) {
  Envelope env = Seal();
  env.recipients[0].sealed_key[40] ^= 0x01;
  auto r = OpenEnvelope(env, ad_, polisen_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message(), "envelope: sealed content key does not open");
}

TEST_F(EnvelopeTest, OtherAssociatedDataIsRejected) {
  std::string other = ad_;
  other.back() ^= 0x01;
  auto r = OpenEnvelope(Seal(), other, polisen_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message(), kAeadFailure);
}

TEST_F(EnvelopeTest, DroppingARecipientBreaksAuthentication) {
  Envelope env = Seal();
  env.recipients.erase(env.recipients.begin() + 1);  // re-address: drop kommun
  auto r = OpenEnvelope(env, ad_, polisen_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(r.status().message(), kAeadFailure);
}

TEST_F(EnvelopeTest, BadRecipientListsAreRefused) {
  EXPECT_EQ(SealEnvelope("x", "", {}).status().code(), absl::StatusCode::kInvalidArgument);
  auto dup = SealEnvelope("x", "", {polisen_.public_key(), polisen_.public_key()});
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(dup.status().message(), "envelope: a recipient is listed twice");
}

TEST_F(EnvelopeTest, EmptyAndLargePlaintexts) {
  for (size_t size : {size_t{0}, size_t{1} << 20}) {
    std::string big(size, 'z');
    auto env = SealEnvelope(big, ad_, {kommun_.public_key()});
    ASSERT_TRUE(env.ok());
    auto opened = OpenEnvelope(*env, ad_, kommun_);
    ASSERT_TRUE(opened.ok());
    EXPECT_EQ(opened->view(), big);
  }
}

}  // namespace
}  // namespace sluss::crypto
