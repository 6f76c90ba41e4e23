// audit fetch's crash safety (client/audit_fetch.h): a half-written or
// damaged tile left by an earlier run is never taken as valid, a stale
// temporary file is removed, and an interrupted or failed fetch keeps the
// previous checkpoint.
#include "client/audit_fetch.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/tile_audit.h"
#include "storage/tiled_log.h"
#include "tests/support/sluss_log.h"

namespace sluss::client {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class AuditFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / absl::StrCat("audit-fetch-", ::getpid(), "-", counter_++);
    fs::create_directories(root_);
    auto gen = testing::SlussLogGenerator::Create({});
    ASSERT_TRUE(gen.ok());
    testing::WriteLogOptions w;
    w.dir = root_ + "/src";
    auto n = testing::WriteSlussLog(w, testing::SlussLogStream(**gen, 600));
    ASSERT_TRUE(n.ok()) << n.status();
    auto src = storage::OpenExportDirectory(root_ + "/src/export");
    ASSERT_TRUE(src.ok());
    src_ = *std::move(src);
    dst_ = root_ + "/dst";
  }
  void TearDown() override { fs::remove_all(root_); }

  // The export at dst_ audited with the log's key.
  storage::AuditReport Audit() {
    auto keys = storage::ParseVerifierKeys(*ReadFile(root_ + "/src/log.vkey"), "vkey");
    EXPECT_TRUE(keys.ok());
    auto src = storage::OpenExportDirectory(dst_);
    EXPECT_TRUE(src.ok());
    auto r = storage::AuditTiles(**src, *keys, {});
    EXPECT_TRUE(r.ok());
    return *r;
  }
  std::string Dst(const std::string& rel) const { return dst_ + "/" + rel; }

  static inline int counter_ = 0;
  std::string root_, dst_;
  std::unique_ptr<storage::TileSource> src_;
};

// Serves `inner`, failing after `limit` tiles, or altering one tile.
class FaultyFetcher : public TileFetcher {
 public:
  explicit FaultyFetcher(TileFetcher& inner) : inner_(inner) {}
  absl::StatusOr<Checkpoint> GetCheckpoint() override { return inner_.GetCheckpoint(); }
  absl::StatusOr<std::string> GetTile(int level, uint64_t n, uint64_t width) override {
    if (limit >= 0 && served_++ >= limit) return absl::UnavailableError("connection lost");
    absl::StatusOr<std::string> t = inner_.GetTile(level, n, width);
    if (t.ok() && level == flip_level && n == flip_n) (*t)[t->size() / 2] ^= 0x20;
    return t;
  }
  int limit = -1;
  int flip_level = -2;
  uint64_t flip_n = 0;

 private:
  TileFetcher& inner_;
  int served_ = 0;
};

TEST_F(AuditFetchTest, DamagedFilesFromAnEarlierRunAreFetchedAgain) {
  TileSourceFetcher fetcher(*src_);
  absl::StatusOr<FetchResult> first = FetchExportFrom(fetcher, dst_);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->size, 600u);
  EXPECT_EQ(first->repaired, 0u);
  ASSERT_TRUE(Audit().ok());

  // A crash mid-write without the rename (a half bundle), a torn write
  // that kept the size (a flipped byte in a full hash tile), and the
  // temporary file a killed run leaves.
  const std::string bundle = *ReadFile(Dst("tile/entries/000"));
  ASSERT_TRUE(WriteFileAtomically(Dst("tile/entries/000"), bundle.substr(0, bundle.size() / 2), 0644, true).ok());
  std::string tile = *ReadFile(Dst("tile/0/001"));
  tile[100] ^= 0x01;
  ASSERT_TRUE(WriteFileAtomically(Dst("tile/0/001"), tile, 0644, true).ok());
  ASSERT_TRUE(WriteFileAtomically(Dst("tile/0/000.tmp.4242"), "half", 0644, true).ok());
  ASSERT_FALSE(Audit().ok());

  absl::StatusOr<FetchResult> again = FetchExportFrom(fetcher, dst_);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->removed_temp, 1u);
  EXPECT_GE(again->repaired, 2u);
  EXPECT_FALSE(fs::exists(Dst("tile/0/000.tmp.4242")));
  EXPECT_EQ(*ReadFile(Dst("tile/entries/000")), bundle);
  storage::AuditReport report = Audit();
  EXPECT_TRUE(report.ok()) << (report.problems.empty() ? "" : report.problems[0].message);
  EXPECT_EQ(report.proven_size, 600u);
}

TEST_F(AuditFetchTest, AnInterruptedFetchLeavesNoCheckpointToTrust) {
  TileSourceFetcher inner(*src_);
  FaultyFetcher faulty(inner);
  faulty.limit = 2;
  absl::StatusOr<FetchResult> r = FetchExportFrom(faulty, dst_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(r.status().message(), HasSubstr("connection lost"));
  EXPECT_FALSE(fs::exists(Dst("checkpoint")));  // nothing claims the partial files
  // The next run completes from what is there.
  absl::StatusOr<FetchResult> next = FetchExportFrom(inner, dst_);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_TRUE(Audit().ok());
}

TEST_F(AuditFetchTest, TilesThatDoNotMatchTheCheckpointFailTheFetch) {
  TileSourceFetcher inner(*src_);
  ASSERT_TRUE(FetchExportFrom(inner, dst_).ok());
  const std::string before = *ReadFile(Dst("checkpoint"));
  fs::remove(Dst("tile/0/001"));  // fetched again, from a server serving it altered
  FaultyFetcher faulty(inner);
  faulty.flip_level = 0;
  faulty.flip_n = 1;
  absl::StatusOr<FetchResult> r = FetchExportFrom(faulty, dst_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("does not verify against the server's checkpoint"));
  EXPECT_THAT(r.status().message(), HasSubstr("the previous checkpoint was kept"));
  EXPECT_EQ(*ReadFile(Dst("checkpoint")), before);
}

}  // namespace
}  // namespace sluss::client
