// The auditor's reading and verification of tlog-tiles exports
// (tile_source.h, tiled_log.h, tile_audit.h; docs/DIARIUM.md §6): exports
// made by a real Diarium, then tampered with one defect at a time, each
// found at the right index for the right reason.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/diarium.h"
#include "storage/test_util.h"
#include "storage/tile_audit.h"
#include "storage/tile_source.h"
#include "storage/tiled_log.h"
#include "storage/tiles.h"

namespace sluss::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ScratchDir;
using testing::TestOptions;
using testing::TestSigner;

std::string Entry(uint64_t i, char salt = 'a') {
  if (i == 3) return "";  // empty entries are allowed
  return absl::StrCat("entry ", i, " ", std::string(10 + i % 53, salt));
}

// Appends entries [from, to) and waits for a checkpoint covering them.
void Fill(Diarium& d, uint64_t from, uint64_t to, char salt = 'a') {
  for (uint64_t i = from; i < to; ++i) {
    d.AppendAsync(Entry(i, salt), {}, [](absl::StatusOr<uint64_t> r) { ASSERT_TRUE(r.ok()); });
  }
  ASSERT_TRUE(d.AwaitCheckpoint(to, absl::Seconds(30)).ok());
}

void WriteRaw(const std::string& path, const std::string& data) {
  ASSERT_TRUE(WriteFileAtomically(path, data, 0644, true).ok()) << path;
}

std::string ReadRaw(const std::string& path) {
  auto s = ReadFile(path);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "";
}

class TileAuditTest : public ::testing::Test {
 protected:
  // A log of 1000 entries exported after 100, 300 and 1000 entries into one
  // directory, keeping the older checkpoints (checkpoints/100, /300).
  void SetUp() override {
    auto d = Diarium::Open(TestOptions(), db_.path());
    ASSERT_TRUE(d.ok()) << d.status();
    log_ = *std::move(d);
    uint64_t at = 0;
    for (uint64_t size : {100, 300, 1000}) {
      Fill(*log_, at, size);
      at = size;
      ASSERT_TRUE(ArchiveExportCheckpoint(dir()).ok());
      ASSERT_TRUE(log_->Export(dir()).ok());
    }
    ASSERT_EQ(log_->LatestCheckpoint().body.size, 1000u);
    keys_ = log_->Verifiers();
  }

  const std::string& dir() const { return export_.path(); }
  std::string file(absl::string_view rel) const { return absl::StrCat(dir(), "/", rel); }

  AuditReport Audit(int threads = 2) {
    auto src = OpenExportDirectory(dir());
    EXPECT_TRUE(src.ok()) << src.status();
    AuditOptions o;
    o.threads = threads;
    auto r = AuditTiles(**src, keys_, o);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *std::move(r) : AuditReport();
  }

  // Audits and checks that the first problem is (index, kind) and its
  // message says `why`.
  void ExpectFirstProblem(uint64_t index, AuditProblemKind kind, absl::string_view why) {
    AuditReport r = Audit();
    ASSERT_FALSE(r.ok());
    ASSERT_FALSE(r.problems.empty());
    EXPECT_EQ(r.problems[0].index, index) << r.problems[0].message;
    EXPECT_EQ(AuditProblemKindName(r.problems[0].kind), AuditProblemKindName(kind))
        << r.problems[0].message;
    EXPECT_THAT(r.problems[0].message, HasSubstr(std::string(why)));
  }

  ScratchDir db_{"db"};
  ScratchDir export_{"export"};
  std::unique_ptr<Diarium> log_;
  std::vector<crypto::NoteVerifier> keys_;
};

TEST(TileSourceTest, Widths) {
  EXPECT_EQ(BundleWidth(1000, 0), 256u);
  EXPECT_EQ(BundleWidth(1000, 3), 232u);
  EXPECT_EQ(BundleWidth(1000, 4), 0u);
  EXPECT_EQ(BundleWidth(1024, 3), 256u);
  EXPECT_EQ(BundleWidth(1024, 4), 0u);
  EXPECT_EQ(TileWidth(1000, 1, 0), 3u);
  EXPECT_EQ(TileWidth(1000, 2, 0), 0u);
  EXPECT_EQ(TileWidth(65536, 2, 0), 1u);
  EXPECT_EQ(TileWidth(0, 0, 0), 0u);
}

TEST(TileSourceTest, ParseEntryBundleNamesTheDefect) {
  const std::string bundle = std::string("\x00\x02" "hi" "\x00\x00\x00\x03" "abc", 11);
  std::vector<absl::string_view> e;
  EXPECT_TRUE(ParseEntryBundle("tile/entries/000.p/3", bundle, 0, 3, &e).ok());
  EXPECT_THAT(e, ElementsAre("hi", "", "abc"));

  e.clear();
  absl::Status s = ParseEntryBundle("tile/entries/001", bundle.substr(0, 10), 256, 3, &e);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("tile/entries/001: entry 258 (byte offset 6): length 3 runs "
                                     "past the end of the bundle (10 bytes): truncated"));
  EXPECT_EQ(e.size(), 2u);

  e.clear();
  s = ParseEntryBundle("b", bundle.substr(0, 5), 0, 3, &e);
  EXPECT_THAT(s.message(), HasSubstr("entry 1 (byte offset 4) is missing: the bundle ends inside "
                                     "its length prefix"));
  e.clear();
  s = ParseEntryBundle("b", bundle, 0, 4, &e);
  EXPECT_THAT(s.message(), HasSubstr("entry 3 (byte offset 11) is missing: the bundle ends before it"));
  e.clear();
  s = ParseEntryBundle("b", bundle + "x", 0, 3, &e);
  EXPECT_THAT(s.message(), HasSubstr("1 bytes after its last entry 2"));
  EXPECT_EQ(e.size(), 3u);
}

TEST(TileSourceTest, MissingDirectory) {
  EXPECT_EQ(OpenExportDirectory("/nonexistent/sluss-export").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(TileAuditTest, SourcesMatchTheStore) {
  auto src = OpenExportDirectory(dir());
  ASSERT_TRUE(src.ok());
  EXPECT_THAT(*(*src)->CheckpointHistory(), ElementsAre(100, 300));
  TileNodeSource nodes(**src, 1000);
  auto reader = [&](int level, uint64_t k) { return nodes.Node(level, k); };
  EXPECT_EQ(*RootAt(1000, reader), log_->LatestCheckpoint().body.root);
  EXPECT_EQ(*RootAt(300, reader), *log_->RootAt(300));
  EXPECT_EQ(*RootAt(777, reader), *log_->RootAt(777));
  EXPECT_EQ(*InclusionProof(517, 1000, reader), *log_->InclusionProof(517, 1000));
  EXPECT_EQ(*ConsistencyProof(300, 1000, reader), *log_->ConsistencyProof(300, 1000));
  EXPECT_EQ(nodes.Node(3, 125).status().code(), absl::StatusCode::kOutOfRange);

  TileEntrySource entries(**src, 1000);
  uint64_t count = 0;
  ASSERT_TRUE(entries.ReadEntries(250, 600, [&](uint64_t i, absl::string_view e) {
    EXPECT_EQ(e, Entry(i));
    ++count;
    return true;
  }).ok());
  EXPECT_EQ(count, 350u);
  EXPECT_EQ(entries.ReadEntries(0, 1001, [](uint64_t, absl::string_view) { return true; }).code(),
            absl::StatusCode::kOutOfRange);
  // verify.h's sequential verifier runs on the export too.
  EXPECT_TRUE(VerifyLog(1000, log_->LatestCheckpoint().body.root, entries, nodes).ok());
}

TEST_F(TileAuditTest, ArchiveKeepsHistoryAndDetectsAFork) {
  // Archiving the same checkpoint twice is a no-op.
  ASSERT_TRUE(ArchiveExportCheckpoint(dir()).ok());
  ASSERT_TRUE(ArchiveExportCheckpoint(dir()).ok());
  EXPECT_EQ(ReadRaw(file("checkpoints/1000")), ReadRaw(file("checkpoint")));
  // Another tree of the same size under the same key: a fork.
  ScratchDir other_db("other-db"), other("other");
  auto d = Diarium::Open(TestOptions(), other_db.path());
  ASSERT_TRUE(d.ok());
  Fill(**d, 0, 1000, 'b');
  ASSERT_TRUE((*d)->Export(other.path()).ok());
  WriteRaw(file("checkpoint"), ReadRaw(other.path() + "/checkpoint"));
  absl::Status s = ArchiveExportCheckpoint(dir());
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("different checkpoints of the same size 1000: the log forked"));
}

TEST_F(TileAuditTest, TiledLogReadsAndProves) {
  auto src = OpenExportDirectory(dir());
  auto log = TiledLog::Open(**src, keys_);
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ((*log)->size(), 1000u);
  EXPECT_EQ(*(*log)->Entry(3), "");
  EXPECT_EQ(*(*log)->Entry(999), Entry(999));
  EXPECT_EQ((*log)->Entry(1000).status().code(), absl::StatusCode::kOutOfRange);

  auto proof = (*log)->InclusionProofFile(517);
  ASSERT_TRUE(proof.ok()) << proof.status();
  EXPECT_TRUE(VerifyInclusionProofFile(*proof, Entry(517), testing::kOrigin, keys_).ok());
  EXPECT_EQ(*proof, *log_->InclusionProofFile(517));

  auto body = (*log)->ConsistencyProofBody(300);
  ASSERT_TRUE(body.ok()) << body.status();
  auto parsed = ParseConsistencyBody(*body);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(VerifyConsistency(300, 1000, *log_->RootAt(300), log_->LatestCheckpoint().body.root,
                                parsed->proof)
                  .ok());
  EXPECT_EQ(*body, *log_->ConsistencyProofBody(300));
  EXPECT_TRUE((*log)->ConsistencyProofBody(0).ok());
  EXPECT_TRUE((*log)->ConsistencyProofBody(1000).ok());
  EXPECT_EQ((*log)->ConsistencyProofBody(1001).status().code(), absl::StatusCode::kOutOfRange);

  // An altered entry is not handed out.
  std::string b = ReadRaw(file("tile/entries/002"));
  std::vector<absl::string_view> parts;
  ASSERT_TRUE(ParseEntryBundle("", b, 512, 256, &parts).ok());
  b[static_cast<size_t>(parts[600 - 512].data() - b.data())] ^= 0x20;
  WriteRaw(file("tile/entries/002"), b);
  absl::Status s = (*log)->Entry(600).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_EQ((*log)->InclusionProofFile(600).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(TileAuditTest, TiledLogRefusesAnUntrustedCheckpoint) {
  auto src = OpenExportDirectory(dir());
  std::vector<crypto::NoteVerifier> other = {TestSigner(9)->verifier()};
  absl::Status s = TiledLog::Open(**src, other).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("checkpoint: note: no signature by a known key"));
  std::vector<crypto::NoteVerifier> two_logs = {keys_[0], TestSigner(9, "other.example/log")->verifier()};
  EXPECT_THAT(TiledLog::Open(**src, two_logs).status().message(), HasSubstr("name different logs"));
}

TEST(ParseVerifierKeysTest, LinesCommentsAndErrors) {
  const std::string vkey = TestSigner(1)->VerifierKey();
  auto keys = ParseVerifierKeys(absl::StrCat("# the log's key\n\n", vkey, "\n"), "--vkey-file k");
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 1u);
  absl::Status s = ParseVerifierKeys("# nothing\n", "--vkey-file k").status();
  EXPECT_THAT(s.message(), HasSubstr("--vkey-file k: no verifier key"));
  s = ParseVerifierKeys(absl::StrCat(vkey, "\nnot-a-key\n"), "--vkey-file k").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("--vkey-file k line 2: not a verifier key"));
}

TEST_F(TileAuditTest, IntactExportVerifies) {
  for (int threads : {1, 2, 3}) {
    AuditReport r = Audit(threads);
    EXPECT_TRUE(r.ok()) << (r.problems.empty() ? "" : r.problems[0].message);
    EXPECT_EQ(r.size, 1000u);
    EXPECT_EQ(r.entries_read, 1000u);
    EXPECT_EQ(r.proven_size, 1000u);
    EXPECT_TRUE(r.root_recomputed);
    EXPECT_EQ(r.recomputed_root, log_->LatestCheckpoint().body.root);
    ASSERT_EQ(r.checkpoints.size(), 3u);
    EXPECT_EQ(r.checkpoints[0].path, "checkpoints/100");
    EXPECT_EQ(r.checkpoints[2].path, "checkpoint");
    for (const auto& c : r.checkpoints) EXPECT_TRUE(c.trusted && c.matches) << c.path;
    EXPECT_EQ(r.tiles_read, 4u + 1u);  // 4 leaf tiles, 1 partial level-1 tile
  }
}

TEST_F(TileAuditTest, ProgressReachesTheEnd) {
  auto src = OpenExportDirectory(dir());
  AuditOptions o;
  uint64_t last_done = 0, last_total = 0;
  o.progress = [&](uint64_t done, uint64_t total) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
  };
  ASSERT_TRUE(AuditTiles(**src, keys_, o).ok());
  EXPECT_EQ(last_done, 1000u);
  EXPECT_EQ(last_total, 1000u);
}

TEST_F(TileAuditTest, FlippedByteInAnEntry) {
  std::string b = ReadRaw(file("tile/entries/001"));
  // Entry 300 is the 45th of bundle 1; find its bytes and alter the last one.
  size_t pos = 0;
  for (int j = 0; j < 44; ++j) pos += 2 + ((static_cast<uint8_t>(b[pos]) << 8) | static_cast<uint8_t>(b[pos + 1]));
  const size_t len = (static_cast<uint8_t>(b[pos]) << 8) | static_cast<uint8_t>(b[pos + 1]);
  b[pos + 2 + len - 1] ^= 0x01;
  WriteRaw(file("tile/entries/001"), b);
  ExpectFirstProblem(300, AuditProblemKind::kEntryAltered,
                     "entry 300 in tile/entries/001 does not match checkpoint: its leaf hash is");
  AuditReport r = Audit();
  EXPECT_EQ(r.problems.size(), 1u);  // the tile is not blamed
  EXPECT_EQ(r.proven_size, 300u);    // checkpoints/300 still proves entries [0, 300)
}

TEST_F(TileAuditTest, DroppedEntry) {
  std::string b = ReadRaw(file("tile/entries/001"));
  size_t pos = 0;
  for (int j = 0; j < 44; ++j) pos += 2 + ((static_cast<uint8_t>(b[pos]) << 8) | static_cast<uint8_t>(b[pos + 1]));
  const size_t len = (static_cast<uint8_t>(b[pos]) << 8) | static_cast<uint8_t>(b[pos + 1]);
  b.erase(pos, 2 + len);
  WriteRaw(file("tile/entries/001"), b);
  ExpectFirstProblem(300, AuditProblemKind::kEntryAltered,
                     "its bytes are those of the signed entry 301, so entry 300 was removed");
  AuditReport r = Audit();
  ASSERT_GE(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[1].index, 511u);  // the bundle is one entry short
  EXPECT_EQ(r.problems[1].kind, AuditProblemKind::kEntryMissing);
}

TEST_F(TileAuditTest, TruncatedBundle) {
  std::string b = ReadRaw(file("tile/entries/002"));
  WriteRaw(file("tile/entries/002"), b.substr(0, b.size() / 2));
  AuditReport r = Audit();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problems[0].kind, AuditProblemKind::kEntryMissing);
  EXPECT_GT(r.problems[0].index, 512u);
  EXPECT_LT(r.problems[0].index, 768u);
  EXPECT_EQ(r.problems[0].path, "tile/entries/002");
  EXPECT_THAT(r.problems[0].message, HasSubstr("truncated"));
  EXPECT_FALSE(r.root_recomputed);
  EXPECT_EQ(r.proven_size, 300u);
}

TEST_F(TileAuditTest, MissingBundle) {
  std::filesystem::remove(file("tile/entries/003.p/232"));
  ExpectFirstProblem(768, AuditProblemKind::kEntryMissing, "tile/entries/003.p/232: missing from the export");
}

TEST_F(TileAuditTest, SwappedCheckpointFromAnotherLogWithTheSameOrigin) {
  ScratchDir other_db("other-db"), other("other");
  auto d = Diarium::Open(TestOptions(), other_db.path());  // same origin, same key
  ASSERT_TRUE(d.ok());
  Fill(**d, 0, 1000, 'b');
  ASSERT_TRUE((*d)->Export(other.path()).ok());
  WriteRaw(file("checkpoint"), ReadRaw(other.path() + "/checkpoint"));
  // checkpoints/300 still proves entries [0, 300): the first bad index is 300.
  ExpectFirstProblem(300, AuditProblemKind::kCheckpointMismatch,
                     "but the entries and the tiles agree on root");
  // Without the history nothing is proven.
  std::filesystem::remove_all(file("checkpoints"));
  ExpectFirstProblem(0, AuditProblemKind::kCheckpointMismatch,
                     "it is a checkpoint of another tree under the same origin");
}

TEST_F(TileAuditTest, CheckpointSignedByAnUnknownKey) {
  const std::string note = ReadRaw(file("checkpoint"));
  const std::string text = note.substr(0, note.find("\n\n") + 1);
  const auto forger = TestSigner(9);
  const crypto::NoteSigner* signers[] = {forger.get()};
  WriteRaw(file("checkpoint"), *crypto::SignNote(text, signers));
  ExpectFirstProblem(300, AuditProblemKind::kCheckpointUntrusted,
                     "checkpoint (size 1000) is not signed by a trusted key: note: no signature by "
                     "a known key");
}

TEST_F(TileAuditTest, ForgedHugeCheckpointDoesNotDecideHowMuchIsRead) {
  const auto forger = TestSigner(9);
  const crypto::NoteSigner* signers[] = {forger.get()};
  CheckpointBody body{std::string(testing::kOrigin), uint64_t{1} << 60, EmptyRoot()};
  WriteRaw(file("checkpoint"), *crypto::SignNote(FormatCheckpointText(body), signers));
  AuditReport r = Audit();
  EXPECT_EQ(r.size, 300u);  // the largest trusted checkpoint
  ASSERT_FALSE(r.problems.empty());
  EXPECT_EQ(r.problems[0].index, 300u);
  EXPECT_EQ(r.problems[0].kind, AuditProblemKind::kCheckpointUntrusted);
  EXPECT_EQ(r.proven_size, 300u);
}

TEST_F(TileAuditTest, FullTilesStandInForMissingPartialOnes) {
  // A mirror refreshed since size 300 may hold only the full tiles.
  for (const char* f : {"tile/0/001.p/44", "tile/entries/001.p/44", "tile/1/000.p/1"}) {
    std::filesystem::remove(file(f));
  }
  auto src = OpenExportDirectory(dir());
  TileNodeSource nodes(**src, 300, /*hint_size=*/1000);
  auto reader = [&](int level, uint64_t k) { return nodes.Node(level, k); };
  EXPECT_EQ(*RootAt(300, reader), *log_->RootAt(300));  // tile/1/000.p/3 stands in for .p/1
  TileNodeSource no_hint(**src, 300);
  EXPECT_EQ(no_hint.Node(8, 0).status().code(), absl::StatusCode::kNotFound);
  TileEntrySource entries(**src, 300);
  uint64_t count = 0;
  ASSERT_TRUE(entries.ReadEntries(250, 300, [&](uint64_t i, absl::string_view e) {
    EXPECT_EQ(e, Entry(i));
    ++count;
    return true;
  }).ok());
  EXPECT_EQ(count, 50u);
  std::string buffer, path;
  std::vector<absl::string_view> parsed;
  ASSERT_TRUE(ReadEntryBundle(**src, 300, 1, &buffer, &parsed, &path).ok());
  EXPECT_EQ(path, "tile/entries/001");
  EXPECT_EQ(parsed.size(), 44u);
  // And the audit of the whole log still passes, as does one whose latest
  // checkpoint is untrusted (it then audits up to 300).
  EXPECT_TRUE(Audit().ok());
  WriteRaw(file("vkeys"), "");
  const auto forger = TestSigner(9);
  const crypto::NoteSigner* signers[] = {forger.get()};
  const std::string note = ReadRaw(file("checkpoint"));
  WriteRaw(file("checkpoint"), *crypto::SignNote(note.substr(0, note.find("\n\n") + 1), signers));
  AuditReport r = Audit();
  EXPECT_EQ(r.size, 300u);
  ASSERT_EQ(r.problems.size(), 1u) << r.problems[1].message;
  EXPECT_EQ(r.problems[0].kind, AuditProblemKind::kCheckpointUntrusted);
}

TEST_F(TileAuditTest, TruncatedTile) {
  std::string t = ReadRaw(file("tile/0/001"));
  WriteRaw(file("tile/0/001"), t.substr(0, 4000));  // 125 whole hashes
  ExpectFirstProblem(381, AuditProblemKind::kTileMissing,
                     "tile/0/001: 4000 bytes, expected 8192 (256 hashes): truncated");
  AuditReport r = Audit();
  EXPECT_EQ(r.proven_size, 1000u);  // the entries themselves are intact
}

TEST_F(TileAuditTest, AlteredTileHash) {
  std::string t = ReadRaw(file("tile/0/002"));
  t[32 * 10] ^= 1;  // the leaf hash of entry 522
  WriteRaw(file("tile/0/002"), t);
  ExpectFirstProblem(522, AuditProblemKind::kTileAltered, "tile/0/002 holds a hash for node (0, 522)");
  std::string u = ReadRaw(file("tile/1/000.p/3"));
  u[32 * 1] ^= 1;
  WriteRaw(file("tile/1/000.p/3"), u);
  AuditReport r = Audit();
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0].index, 256u);
  EXPECT_EQ(r.problems[0].path, "tile/1/000.p/3");
}

TEST_F(TileAuditTest, EntryAndItsTilesAlteredTogether) {
  // Alter entry 600 and rewrite its leaf tile to match: the level-1 tile
  // then disagrees, so the descent cannot authenticate the forged tile.
  std::string b = ReadRaw(file("tile/entries/002"));
  std::vector<absl::string_view> entries;
  ASSERT_TRUE(ParseEntryBundle("", b, 512, 256, &entries).ok());
  const size_t off = static_cast<size_t>(entries[600 - 512].data() - b.data());
  b[off] ^= 1;
  WriteRaw(file("tile/entries/002"), b);
  entries.clear();
  ASSERT_TRUE(ParseEntryBundle("", b, 512, 256, &entries).ok());
  std::string t = ReadRaw(file("tile/0/002"));
  const Hash leaf = LeafHash(entries[600 - 512]);
  std::copy(leaf.begin(), leaf.end(), t.begin() + 32 * (600 - 512));
  WriteRaw(file("tile/0/002"), t);
  AuditReport r = Audit();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problems[0].kind, AuditProblemKind::kTreeMismatch) << r.problems[0].message;
  EXPECT_EQ(r.problems[0].index, 512u);
  EXPECT_THAT(r.problems[0].message, HasSubstr("cannot be singled out"));
}

TEST_F(TileAuditTest, HistoryCheckpointOfAnotherTree) {
  ScratchDir other_db("other-db"), other("other");
  auto d = Diarium::Open(TestOptions(), other_db.path());
  ASSERT_TRUE(d.ok());
  Fill(**d, 0, 300, 'b');
  ASSERT_TRUE((*d)->Export(other.path()).ok());
  WriteRaw(file("checkpoints/300"), ReadRaw(other.path() + "/checkpoint"));
  ExpectFirstProblem(100, AuditProblemKind::kCheckpointMismatch, "checkpoints/300 (size 300)");
  AuditReport r = Audit();
  EXPECT_EQ(r.proven_size, 1000u);  // the latest still proves every entry
}

TEST_F(TileAuditTest, RolledBackLatestCheckpoint) {
  // The latest checkpoint is older than one already seen.
  WriteRaw(file("checkpoint"), ReadRaw(file("checkpoints/300")));
  WriteRaw(file("checkpoints/1000"), log_->LatestCheckpoint().note);
  ExpectFirstProblem(300, AuditProblemKind::kCheckpointInconsistent,
                     "checkpoints/1000 has size 1000, more than the latest checkpoint (300)");
}

TEST(TileAuditEmptyTest, EmptyLogVerifies) {
  ScratchDir db("db"), exp("export");
  auto d = Diarium::Open(TestOptions(), db.path());
  ASSERT_TRUE(d.ok());
  ASSERT_TRUE((*d)->Export(exp.path()).ok());
  auto src = OpenExportDirectory(exp.path());
  auto r = AuditTiles(**src, (*d)->Verifiers(), {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->ok());
  EXPECT_EQ(r->size, 0u);
  EXPECT_EQ(r->recomputed_root, EmptyRoot());
}

TEST(TileAuditEmptyTest, NoCheckpoint) {
  ScratchDir exp("export");
  auto src = OpenExportDirectory(exp.path());
  auto r = AuditTiles(**src, {TestSigner(1)->verifier()}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->problems.size(), 1u);
  EXPECT_EQ(r->problems[0].kind, AuditProblemKind::kCheckpointUntrusted);
  EXPECT_THAT(r->problems[0].message, HasSubstr("checkpoint: missing from the export"));
}

}  // namespace
}  // namespace sluss::storage
