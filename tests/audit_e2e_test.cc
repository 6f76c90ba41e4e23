// End to end: the built `sluss audit ...` on exports of real diaria made by
// bin/audit_fixture (storage::Diarium, checkpoints kept at 100 and 300).
// Each tamper fails with exit 7, the right first bad index and the right
// reason; proofs verify with storage's verifiers and with Go's x/mod
// (tests/interop/tlogverify; skipped only if Go is absent).
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/checkpoint.h"
#include "storage/merkle.h"
#include "storage/tile_source.h"
#include "storage/tiled_log.h"
#include "tests/support/process.h"

namespace sluss::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Fixtures shared by every test (made once; each test copies what it alters).
struct Fixtures {
  std::string root;
  std::string log;    // the audited log: 1000 entries, history 100, 300
  std::string other;  // same origin and key, other entries: a fork
  std::string forger; // same entries, another key
};

Fixtures* fixtures = nullptr;

ProcessResult RunCmd(const std::vector<std::string>& argv) {
  absl::StatusOr<ProcessResult> r = RunProcess(argv);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : ProcessResult();
}

void MakeFixture(const std::string& dir, const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {Bin("audit_fixture"), "--out", dir, "--entries", "1000",
                                   "--history", "100,300"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  ProcessResult r = RunCmd(argv);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_THAT(r.out, StartsWith("size 1000 root "));
}

class AuditE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixtures = new Fixtures;
    fixtures->root = MakeTempDir("audit-e2e");
    fixtures->log = fixtures->root + "/log";
    fixtures->other = fixtures->root + "/other";
    fixtures->forger = fixtures->root + "/forger";
    MakeFixture(fixtures->log, {});
    MakeFixture(fixtures->other, {"--salt", "b"});
    MakeFixture(fixtures->forger, {"--key-seed", "9"});
  }
  static void TearDownTestSuite() {
    fs::remove_all(fixtures->root);
    delete fixtures;
    fixtures = nullptr;
  }

  void SetUp() override {
    work_ = MakeTempDir("audit-case");
    export_ = work_ + "/export";
    fs::copy(fixtures->log + "/export", export_, fs::copy_options::recursive);
    vkey_ = std::string(absl::StripAsciiWhitespace(*ReadFile(fixtures->log + "/log.vkey")));
  }
  void TearDown() override { fs::remove_all(work_); }

  std::string File(absl::string_view rel) const { return absl::StrCat(export_, "/", rel); }

  ProcessResult Audit(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {Bin("sluss"), "audit"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCmd(argv);
  }

  // `audit verify --json` must fail (exit 7) with this first problem.
  void ExpectVerifyFails(uint64_t index, const std::string& kind, const std::string& why) {
    ProcessResult r = Audit({"verify", "--export", export_, "--vkey", vkey_, "--json"});
    EXPECT_EQ(r.exit_code, 7) << r.out << r.err;
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.out;
    EXPECT_EQ(j["ok"], false);
    EXPECT_EQ(j["first_bad_index"], index) << r.out;
    ASSERT_FALSE(j["problems"].empty());
    EXPECT_EQ(j["problems"][0]["kind"], kind) << r.out;
    EXPECT_THAT(j["problems"][0]["message"].get<std::string>(), HasSubstr(why));
    // The text form names the same index and reason.
    ProcessResult t = Audit({"verify", "--export", export_, "--vkey", vkey_});
    EXPECT_EQ(t.exit_code, 7);
    EXPECT_THAT(t.out, HasSubstr(absl::StrCat("FAILED: first bad entry ", index, " (", kind, ")")));
  }

  // Offset of entry `index` (its length prefix) in its bundle.
  static size_t EntryOffset(const std::string& bundle, uint64_t index) {
    size_t pos = 0;
    for (uint64_t j = 0; j < index % 256; ++j) {
      pos += 2 + ((static_cast<uint8_t>(bundle[pos]) << 8) | static_cast<uint8_t>(bundle[pos + 1]));
    }
    return pos;
  }

  void Write(const std::string& path, const std::string& data) {
    ASSERT_TRUE(WriteFileAtomically(path, data, 0644, true).ok());
  }

  std::string work_, export_, vkey_;
};

TEST_F(AuditE2eTest, VerifyPassesOnARealLog) {
  ProcessResult r = Audit({"verify", "--export", export_, "--vkey", vkey_});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("checkpoint:  checkpoint       size 1,000     root "));
  EXPECT_THAT(r.out, HasSubstr("checkpoint:  checkpoints/300  size 300       root "));
  EXPECT_THAT(r.out, HasSubstr("OK: every entry, tile and checkpoint verifies; entries [0, 1,000) "
                               "are proven by the checkpoint, and each older checkpoint is "
                               "consistent with it"));
  EXPECT_EQ(r.err, "");  // not a terminal: no progress bar

  r = Audit({"verify", "--export", export_, "--vkey-file", fixtures->log + "/log.vkey", "--json",
             "--threads", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["proven_size"], 1000);
  EXPECT_EQ(j["entries_read"], 1000);
  EXPECT_EQ(j["checkpoints"].size(), 3u);
  EXPECT_EQ(j["trust"]["independent"], true);
  EXPECT_TRUE(j["first_bad_index"].is_null());

  // The global --json works too.
  r = RunCmd({Bin("sluss"), "--json", "audit", "verify", "--export", export_, "--vkey", vkey_});
  EXPECT_EQ(nlohmann::json::parse(r.out)["ok"], true);
}

TEST_F(AuditE2eTest, VerifyWithTheExportsOwnKeysWarns) {
  ProcessResult r = Audit({"verify", "--export", export_});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("warning: no --vkey given, so the keys in the export's own vkeys "
                               "file are trusted"));
  EXPECT_THAT(r.out, HasSubstr("(from the export's own vkeys file; not independent of the export)"));
}

TEST_F(AuditE2eTest, FlippedByteInAnEntryBundle) {
  std::string b = *ReadFile(File("tile/entries/001"));
  b[EntryOffset(b, 300) + 2 + 4] ^= 0x01;  // inside entry 300's bytes
  Write(File("tile/entries/001"), b);
  ExpectVerifyFails(300, "entry_altered", "entry 300 in tile/entries/001 does not match checkpoint");
}

TEST_F(AuditE2eTest, DroppedEntry) {
  std::string b = *ReadFile(File("tile/entries/002"));
  const size_t at = EntryOffset(b, 700);
  const size_t next = EntryOffset(b, 701);
  b.erase(at, next - at);
  Write(File("tile/entries/002"), b);
  ExpectVerifyFails(700, "entry_altered", "so entry 700 was removed");
}

TEST_F(AuditE2eTest, SwappedCheckpointFromAnotherLogWithTheSameOrigin) {
  Write(File("checkpoint"), *ReadFile(fixtures->other + "/export/checkpoint"));
  // checkpoints/300 still proves [0, 300).
  ExpectVerifyFails(300, "checkpoint_mismatch",
                    "it is a checkpoint of another tree under the same origin");
}

TEST_F(AuditE2eTest, CheckpointSignedByAnUnknownKey) {
  Write(File("checkpoint"), *ReadFile(fixtures->forger + "/export/checkpoint"));
  ExpectVerifyFails(300, "checkpoint_untrusted",
                    "checkpoint (size 1000) is not signed by a trusted key");
  // Trusting the forger's key instead (as a careless auditor might, from the
  // export's vkeys) then fails on the older checkpoints.
  Write(File("vkeys"), *ReadFile(fixtures->forger + "/export/vkeys"));
  ProcessResult r = Audit({"verify", "--export", export_, "--json"});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(nlohmann::json::parse(r.out)["problems"][0]["path"], "checkpoints/100");
}

TEST_F(AuditE2eTest, TruncatedTile) {
  std::string t = *ReadFile(File("tile/0/002"));
  Write(File("tile/0/002"), t.substr(0, 32 * 100 + 7));
  ExpectVerifyFails(612, "tile_missing", "tile/0/002: 3207 bytes, expected 8192 (256 hashes): truncated");
}

TEST_F(AuditE2eTest, TruncatedBundle) {
  std::string b = *ReadFile(File("tile/entries/003.p/232"));
  Write(File("tile/entries/003.p/232"), b.substr(0, EntryOffset(b, 900) + 10));
  ExpectVerifyFails(900, "entry_missing", "entry 900");
}

TEST_F(AuditE2eTest, ProofsVerifyWithStorage) {
  const std::string proof = work_ + "/517.tlog-proof";
  ProcessResult r = Audit({"prove", "--export", export_, "--vkey", vkey_, "--index", "517",
                           "--out", proof});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("wrote the inclusion proof of entry 517 in the tree of size 1000"));
  ProcessResult raw = Audit({"entry", "--export", export_, "--vkey", vkey_, "--index", "517", "--raw"});
  ASSERT_EQ(raw.exit_code, 0) << raw.err;
  const std::string bundle = *ReadFile(File("tile/entries/002"));
  const size_t at = EntryOffset(bundle, 517);
  const size_t len = (static_cast<uint8_t>(bundle[at]) << 8) | static_cast<uint8_t>(bundle[at + 1]);
  EXPECT_EQ(raw.out, bundle.substr(at + 2, len));  // verbatim
  auto keys = storage::ParseVerifierKeys(vkey_, "vkey");
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(storage::VerifyInclusionProofFile(*ReadFile(proof), raw.out,
                                                "diarium.sluss.example/kommun-lund", *keys)
                  .ok());
  // stdout form is the same file.
  ProcessResult to_stdout = Audit({"prove", "--export", export_, "--vkey", vkey_, "--index", "517"});
  EXPECT_EQ(to_stdout.out, *ReadFile(proof));

  ProcessResult cons = Audit({"consistency", "--export", export_, "--vkey", vkey_, "--old", "300"});
  ASSERT_EQ(cons.exit_code, 0) << cons.err;
  auto body = storage::ParseConsistencyBody(cons.out);
  ASSERT_TRUE(body.ok()) << body.status();
  auto old_cp = storage::OpenCheckpoint(*ReadFile(File("checkpoints/300")),
                                        "diarium.sluss.example/kommun-lund", *keys);
  auto new_cp = storage::OpenCheckpoint(body->checkpoint, "diarium.sluss.example/kommun-lund", *keys);
  ASSERT_TRUE(old_cp.ok() && new_cp.ok());
  EXPECT_TRUE(storage::VerifyConsistency(300, 1000, old_cp->body.root, new_cp->body.root, body->proof)
                  .ok());
}

TEST_F(AuditE2eTest, EntryAndVkey) {
  ProcessResult r = Audit({"entry", "--export", export_, "--vkey", vkey_, "--index", "3"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("entry:         3 of 1,000 (proven"));
  EXPECT_THAT(r.out, HasSubstr("bundle:        tile/entries/000"));
  // Decoded: entries 0-2 register agencies, 3-7 officers, 8-9 the rulebook.
  EXPECT_THAT(r.out, HasSubstr("kind:          officer registration\n"
                               "officer:       anna.handlaggare of 212000-0142/socialtjanst\n"
                               "roles:         HANDLAGGARE\n"));
  r = Audit({"entry", "--export", export_, "--vkey", vkey_, "--index", "10"});
  EXPECT_THAT(r.out, HasSubstr("kind:          request\n"));
  EXPECT_THAT(r.out, HasSubstr("from:          202100-0076/polis  diarienummer A1-2026\n"));
  EXPECT_THAT(r.out, HasSubstr("officer:       cecilia.utredare of 202100-0076/polis, signed"));
  EXPECT_THAT(r.out, HasSubstr("gate:          ALLOWED_IF_ATTESTED on 2026-03-02 under sluss-osl"));
  EXPECT_THAT(r.out, HasSubstr("  10:18a APPLIES_IF_ATTESTED — needs konkret_risk, inte_olampligt\n"));
  r = Audit({"entry", "--export", export_, "--vkey", vkey_, "--index", "999", "--json"});
  nlohmann::json j = nlohmann::json::parse(r.out);
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(j["bytes_base64"].get<std::string>(), &bytes));
  EXPECT_EQ(j["length"], bytes.size());
  EXPECT_EQ(j["bundle"], "tile/entries/003.p/232");
  // The Protobuf JSON mapping of the entry and of the action its officer signed.
  EXPECT_TRUE(j["entry"].contains("timeUnixMicros")) << r.out;
  EXPECT_EQ(j["signed_action"]["agency"]["orgnr"].is_string(), true) << r.out;
  r = Audit({"entry", "--export", export_, "--vkey", vkey_, "--index", "11", "--json"});
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["entry"]["decision"]["assessment"]["outcome"], "ALLOWED") << r.out;
  EXPECT_EQ(j["signed_action"]["officer"], "bo.beslutsfattare");
  EXPECT_EQ(j["signed_action"]["decide"]["disclose"]["attestations"][0]["judgement"], "konkret_risk");

  r = Audit({"vkey", "--export", export_});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, vkey_ + "\n");
  EXPECT_THAT(r.err, HasSubstr("these keys come from the export itself"));
  r = Audit({"vkey", "--export", export_, "--json"});
  EXPECT_EQ(nlohmann::json::parse(r.out)["keys"][0]["signs_checkpoint"], true);
}

TEST_F(AuditE2eTest, ProveRefusesWhatDoesNotVerify) {
  std::string b = *ReadFile(File("tile/entries/002"));
  b[EntryOffset(b, 517) + 2] ^= 0x01;
  Write(File("tile/entries/002"), b);
  ProcessResult r = Audit({"prove", "--export", export_, "--vkey", vkey_, "--index", "517"});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_THAT(r.err, HasSubstr("entry 517 (tile/entries/002) is not proven by the checkpoint"));
  EXPECT_EQ(r.out, "");
  r = Audit({"entry", "--export", export_, "--vkey", vkey_, "--index", "517", "--raw"});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_EQ(r.out, "");
  // A checkpoint by an unknown key: nothing is proven.
  Write(File("checkpoint"), *ReadFile(fixtures->forger + "/export/checkpoint"));
  r = Audit({"consistency", "--export", export_, "--vkey", vkey_, "--old", "300"});
  EXPECT_EQ(r.exit_code, 7);
  EXPECT_THAT(r.err, HasSubstr("verification failed: checkpoint: note: no signature by a known key"));
}

TEST_F(AuditE2eTest, ExitCodes) {
  EXPECT_EQ(Audit({"verify", "--export", work_ + "/none", "--vkey", vkey_}).exit_code, 4);
  EXPECT_EQ(Audit({"verify"}).exit_code, 2);
  ProcessResult r = Audit({"verify", "--export", export_, "--vkey", "not-a-key"});
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_THAT(r.err, HasSubstr("--vkey \"not-a-key\""));
  r = Audit({"prove", "--export", export_, "--vkey", vkey_, "--index", "1000"});
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_THAT(r.err, HasSubstr("entry 1000 is beyond the checkpoint (size 1000)"));
  r = Audit({"consistency", "--export", export_, "--vkey", vkey_, "--old", "1001"});
  EXPECT_EQ(r.exit_code, 6);
  fs::remove(File("checkpoint"));
  r = Audit({"entry", "--export", export_, "--vkey", vkey_, "--index", "1"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("checkpoint: missing from the export"));
}

// --- Go's x/mod on the CLI's outputs ----------------------------------

TEST_F(AuditE2eTest, GoXModVerifiesTheCliProofs) {
  absl::StatusOr<std::string> built = BuildTlogVerify(work_);
  ASSERT_TRUE(built.ok()) << built.status();
  const std::string tool = *built;

  const std::string proof = work_ + "/517.tlog-proof";
  const std::string cons = work_ + "/add-checkpoint";
  ASSERT_EQ(Audit({"prove", "--export", export_, "--vkey", vkey_, "--index", "517", "--out", proof})
                .exit_code, 0);
  ASSERT_EQ(Audit({"consistency", "--export", export_, "--vkey", vkey_, "--old", "300", "--out", cons})
                .exit_code, 0);
  ProcessResult ok = RunCmd({tool, "-dir", export_, "-proof", proof, "-consistency", cons,
                          "-old-checkpoint", File("checkpoints/300")});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_THAT(ok.out, StartsWith("OK checkpoint diarium.sluss.example/kommun-lund size 1000, 1 "
                                 "signatures, 1000 entries; inclusion of entry 517 in size 1000; "
                                 "consistency 300 -> 1000"));
  // And a consistency body from the CLI against an old checkpoint of
  // another tree is refused by Go too.
  Write(work_ + "/other-300", *ReadFile(fixtures->other + "/export/checkpoints/300"));
  ProcessResult bad = RunCmd({tool, "-dir", export_, "-consistency", cons, "-old-checkpoint",
                           work_ + "/other-300"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out;
  EXPECT_THAT(bad.out, HasSubstr("FAIL: add-checkpoint: 300 -> 1000"));
}

}  // namespace
}  // namespace sluss::testing
