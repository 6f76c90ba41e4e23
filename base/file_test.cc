#include "base/file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sluss {
namespace {

using ::testing::HasSubstr;

std::string TempDir() {
  std::string tmpl = absl::StrCat(::testing::TempDir(), "/base_file_XXXXXX");
  char* d = ::mkdtemp(tmpl.data());
  EXPECT_NE(d, nullptr);
  return tmpl;
}

TEST(FileTest, WriteAtomicallyThenReadBack) {
  std::string dir = TempDir();
  std::string path = dir + "/a.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "hello", 0600, false).ok());
  auto got = ReadFile(path);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "hello");
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(FileTest, RefusesToOverwriteUnlessAsked) {
  std::string path = TempDir() + "/a.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "one", 0600, false).ok());
  absl::Status s = WriteFileAtomically(path, "two", 0600, false);
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(*ReadFile(path), "one");
  ASSERT_TRUE(WriteFileAtomically(path, "two", 0600, true).ok());
  EXPECT_EQ(*ReadFile(path), "two");
}

TEST(FileTest, MissingFileNamesThePath) {
  auto got = ReadFile("/nonexistent/sluss/file");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("/nonexistent/sluss/file"));
}

TEST(FileTest, SecretFileMustNotBeGroupOrWorldReadable) {
  std::string path = TempDir() + "/k";
  ASSERT_TRUE(WriteFileAtomically(path, "secret", 0600, false).ok());
  EXPECT_TRUE(CheckSecretFilePermissions(path).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  absl::Status s = CheckSecretFilePermissions(path);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(s.message()), HasSubstr("0644"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("chmod 600 " + path));
}

TEST(FileTest, ResolvePath) {
  EXPECT_EQ(ResolvePath("/etc/sluss", "tls.key"), "/etc/sluss/tls.key");
  EXPECT_EQ(ResolvePath("/etc/sluss", "/abs/k"), "/abs/k");
  EXPECT_EQ(DirName("/etc/sluss/x.toml"), "/etc/sluss");
  EXPECT_EQ(DirName("x.toml"), ".");
}

TEST(StatusMacrosTest, AnnotateKeepsCode) {
  absl::Status s = Annotate(absl::NotFoundError("inner"), "outer");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "outer: inner");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "x").ok());
}

}  // namespace
}  // namespace sluss
