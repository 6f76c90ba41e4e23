#include "client/profile.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sluss::client {
namespace {

using ::testing::HasSubstr;

TEST(ProfileTest, ParsesAndResolves) {
  auto p = ParseProfile("/home/a/.config/sluss/profiles/polisen.toml",
                        "server = \"127.0.0.1:7443\"\nca = \"ca.pem\"\ncert = \"/x/p.pem\"\nkey = \"p.key\"\n");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->ca, "/home/a/.config/sluss/profiles/ca.pem");
  EXPECT_EQ(p->cert, "/x/p.pem");
  EXPECT_TRUE(p->officer_key.empty());
}

TEST(ProfileTest, UnknownAndMissingKeys) {
  auto unknown = ParseProfile("p.toml", "server = \"s\"\nca = \"c\"\ncert = \"c\"\nkey = \"k\"\ncaa = \"x\"\n");
  EXPECT_EQ(unknown.status().message(), "p.toml:5: unknown key 'caa'");
  auto missing = ParseProfile("p.toml", "server = \"s\"\n");
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("missing required key 'ca'"));
}

TEST(ProfileTest, NameOrPath) {
  ::setenv("SLUSS_PROFILE_DIR", "/profiles", 1);
  EXPECT_EQ(ResolveProfilePath("auditor"), "/profiles/auditor.toml");
  EXPECT_EQ(ResolveProfilePath("var/dev/profiles/auditor.toml"), "var/dev/profiles/auditor.toml");
  ::unsetenv("SLUSS_PROFILE_DIR");
}

TEST(ProfileTest, LoadChecksFilesAndKeyPermissions) {
  std::string dir = absl::StrCat(::testing::TempDir(), "/profile_XXXXXX");
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  ASSERT_TRUE(WriteFileAtomically(dir + "/ca.pem", "ca", 0644, false).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/c.pem", "cert", 0644, false).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/c.key", "key", 0644, false).ok());
  ASSERT_TRUE(WriteFileAtomically(dir + "/p.toml",
                                  "server = \"s:1\"\nca = \"ca.pem\"\ncert = \"c.pem\"\nkey = \"c.key\"\n",
                                  0644, false).ok());
  auto p = LoadProfile(dir + "/p.toml");
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("key: private key file " + dir + "/c.key"));
  ASSERT_EQ(::chmod((dir + "/c.key").c_str(), 0600), 0);
  EXPECT_TRUE(LoadProfile(dir + "/p.toml").ok());
  ASSERT_EQ(::unlink((dir + "/c.pem").c_str()), 0);
  auto gone = LoadProfile(dir + "/p.toml");
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(gone.status().message()), HasSubstr(dir + "/c.pem"));
}

}  // namespace
}  // namespace sluss::client
