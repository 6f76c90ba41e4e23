// Interop: a log built here, exported as C2SP tlog-tiles, with a
// tlog-proof@v1 file and a tlog-witness consistency body, verified by Go's
// golang.org/x/mod/sumdb/{note,tlog} through tests/interop/tlogverify — no
// Sluss code on the verifying side. Skipped only if Go is not installed.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/diarium.h"
#include "storage/test_util.h"

namespace sluss::storage {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string FindGo() {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "/usr/bin:/bin", ':')) {
    const std::string candidate = absl::StrCat(dir, "/go");
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

struct Result {
  int exit_code;
  std::string output;
};

Result RunCommand(const std::string& command) {
  Result r{-1, ""};
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class InteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string go = FindGo();
    if (go.empty()) {
      GTEST_SKIP() << "`go` is not installed, so the x/mod interop check cannot run "
                      "(apt-get install golang-go golang-golang-x-mod-dev)";
    }
    if (!std::filesystem::exists("/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog")) {
      GTEST_SKIP() << "golang.org/x/mod is not in /usr/share/gocode "
                      "(apt-get install golang-golang-x-mod-dev)";
    }
    // ctest runs tests in the source tree; SLUSS_SOURCE_DIR overrides.
    const char* env_src = std::getenv("SLUSS_SOURCE_DIR");
    const std::string src =
        env_src != nullptr ? env_src : std::filesystem::current_path().string();
    ASSERT_TRUE(std::filesystem::exists(src + "/tests/interop/tlogverify/main.go"))
        << "run from the source tree (ctest does) or set SLUSS_SOURCE_DIR";
    tool_ = absl::StrCat(work_.path(), "/tlogverify");
    // Go's build cache beside bin/, reused across runs.
    const std::string cache =
        (std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() /
         "go-build-cache").string();
    Result b = RunCommand(absl::StrCat("cd ", src, "/tests/interop/tlogverify && GO111MODULE=off "
                                "GOPATH=/usr/share/gocode GOFLAGS= GOCACHE=",
                                cache, " ", go, " build -o ", tool_, " ."));
    ASSERT_EQ(b.exit_code, 0) << "building the Go verifier failed:\n" << b.output;
  }

  Result Verify(const std::string& args) { return RunCommand(absl::StrCat(tool_, " ", args)); }

  testing::ScratchDir work_{"work"};
  std::string tool_;
};

std::string Entry(uint64_t i) {
  // Varied sizes, including empty and the largest allowed.
  if (i == 3) return "";
  if (i == 500) return std::string(kMaxEntrySize, 'z');
  return absl::StrCat("disclosure ", i, std::string(i % 97, '.'));
}

TEST_F(InteropTest, GoXModVerifiesExportProofsAndConsistency) {
  testing::ScratchDir db("db");
  DiariumOptions o = testing::TestOptions();
  o.signers = {testing::TestSigner(1), testing::TestSigner(2)};  // rotation: two keys
  auto opened = Diarium::Open(o, db.path());
  ASSERT_TRUE(opened.ok()) << opened.status();
  Diarium& d = **opened;

  for (uint64_t i = 0; i < 300; ++i) ASSERT_TRUE(d.Append(Entry(i)).ok());
  const SignedCheckpoint old_cp = *d.AwaitCheckpoint(300, absl::Seconds(10));
  const std::string old_export = work_.path() + "/export-300";
  ASSERT_TRUE(d.Export(old_export).ok());
  const std::string old_note = work_.path() + "/old.checkpoint";
  ASSERT_TRUE(WriteFileAtomically(old_note, old_cp.note, 0644, true).ok());

  for (uint64_t i = 300; i < 1000; ++i) {
    d.AppendAsync(Entry(i), {}, [](absl::StatusOr<uint64_t> r) { ASSERT_TRUE(r.ok()); });
  }
  ASSERT_TRUE(d.AwaitCheckpoint(1000, absl::Seconds(30)).ok());
  const std::string exp = work_.path() + "/export";
  ASSERT_TRUE(d.Export(exp).ok());
  ASSERT_EQ(d.LatestCheckpoint().body.size, 1000u);

  const std::string proof = work_.path() + "/entry-777.tlog-proof";
  ASSERT_TRUE(WriteFileAtomically(proof, *d.InclusionProofFile(777), 0644, true).ok());
  const std::string cons = work_.path() + "/add-checkpoint";
  ASSERT_TRUE(WriteFileAtomically(cons, *d.ConsistencyProofBody(300), 0644, true).ok());

  Result ok = Verify(absl::StrCat("-dir ", exp, " -proof ", proof, " -consistency ", cons,
                                  " -old-checkpoint ", old_note));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(ok.output, StartsWith("OK checkpoint diarium.sluss.example/kommun-lund size 1000, "
                                    "2 signatures, 1000 entries; inclusion of entry 777 in size "
                                    "1000; consistency 300 -> 1000"));
  Result old_ok = Verify(absl::StrCat("-dir ", old_export));
  EXPECT_EQ(old_ok.exit_code, 0) << old_ok.output;
  EXPECT_THAT(old_ok.output, HasSubstr("size 300"));

  // The Go side must be able to say no: alter one proof hash, one entry.
  std::string text = *ReadFile(proof);
  const size_t at = text.find("index 777\n") + 10;
  text[at] = text[at] == 'A' ? 'B' : 'A';
  ASSERT_TRUE(WriteFileAtomically(proof, text, 0644, true).ok());
  Result bad_proof = Verify(absl::StrCat("-dir ", exp, " -proof ", proof));
  EXPECT_EQ(bad_proof.exit_code, 1) << bad_proof.output;
  EXPECT_THAT(bad_proof.output, HasSubstr("FAIL: tlog-proof: entry 777"));

  const std::string bundle = exp + "/tile/entries/001";
  std::string b = *ReadFile(bundle);
  b[10] ^= 1;
  ASSERT_TRUE(WriteFileAtomically(bundle, b, 0644, true).ok());
  Result bad_entry = Verify(absl::StrCat("-dir ", exp));
  EXPECT_EQ(bad_entry.exit_code, 1) << bad_entry.output;
  EXPECT_THAT(bad_entry.output, HasSubstr("FAIL: entry 256 does not match its leaf hash"));
}

}  // namespace
}  // namespace sluss::storage
