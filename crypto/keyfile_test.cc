#include "crypto/keyfile.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sluss::crypto {
namespace {

using ::testing::HasSubstr;

std::string TempDir() {
  std::string tmpl = absl::StrCat(::testing::TempDir(), "/keyfile_XXXXXX");
  EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

TEST(KeyFileTest, Ed25519RoundTrip) {
  std::string dir = TempDir();
  Ed25519SigningKey key = Ed25519SigningKey::Generate();
  ASSERT_TRUE(WriteKeyFile(dir + "/o.key", KeyKind::kEd25519Secret, key.seed()).ok());
  ASSERT_TRUE(WriteKeyFile(dir + "/o.pub", KeyKind::kEd25519Public, Bytes(key.public_key())).ok());
  auto loaded = ReadEd25519SigningKey(dir + "/o.key");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->public_key(), key.public_key());
  auto pub = ReadEd25519PublicKey(dir + "/o.pub");
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(*pub, key.public_key());
  struct stat st;
  ASSERT_EQ(::stat((dir + "/o.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(KeyFileTest, WorldReadableSecretIsRefused) {
  std::string path = TempDir() + "/a.key";
  X25519KeyPair kp = X25519KeyPair::Generate();
  ASSERT_TRUE(WriteKeyFile(path, KeyKind::kX25519Secret, kp.secret_key()).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto r = ReadX25519KeyPair(path);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(path));
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  EXPECT_EQ(ReadX25519KeyPair(path).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(KeyFileTest, WrongKindIsNamed) {
  std::string path = TempDir() + "/a.pub";
  X25519KeyPair kp = X25519KeyPair::Generate();
  ASSERT_TRUE(WriteKeyFile(path, KeyKind::kX25519Public, Bytes(kp.public_key())).ok());
  auto r = ReadEd25519PublicKey(path);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("sluss-ed25519-public-v1"));
}

TEST(KeyFileTest, GarbageIsRejected) {
  std::string path = TempDir() + "/g.key";
  ASSERT_TRUE(WriteFileAtomically(path, "sluss-ed25519-secret-v1\nnot base64!!\n", 0600, false).ok());
  auto r = ReadEd25519SigningKey(path);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("32 bytes in base64"));
  EXPECT_EQ(ReadEd25519SigningKey(TempDir() + "/missing").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace sluss::crypto
