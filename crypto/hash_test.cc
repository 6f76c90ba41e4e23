#include "crypto/hash.h"

#include <string>

#include "gtest/gtest.h"

namespace sluss::crypto {
namespace {

TEST(Sha256Test, KnownAnswers) {
  // FIPS 180-2 examples.
  EXPECT_EQ(ToHex(AsStringView(Sha256(""))),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ToHex(AsStringView(Sha256("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, OpenSslAndLibsodiumAgree) {
  std::string data;
  for (int i = 0; i < 5000; ++i) {
    data.push_back(static_cast<char>(i * 31));
    if (i % 97 == 0) {
      EXPECT_EQ(Sha256(data), Sha256WithLibsodium(data)) << "size " << data.size();
    }
  }
}

TEST(Sha256Test, IncrementalEqualsOneShotAndResets) {
  Sha256Hasher h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.Finish(), Sha256("abc"));
  h.Update("abc");
  EXPECT_EQ(h.Finish(), Sha256("abc"));
}

}  // namespace
}  // namespace sluss::crypto
