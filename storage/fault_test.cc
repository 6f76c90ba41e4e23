// Fault injection through a RocksDB FileSystem wrapper (fault_fs.h):
// failing sync, disk full, corrupted reads, lost unsynced data. Each case
// checks the exact error, that nothing unsynced was acknowledged, and that
// the store refuses appends after a failed write until reopened.
#include <memory>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "crypto/hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "storage/diarium.h"
#include "storage/fault_fs.h"
#include "storage/test_util.h"

namespace sluss::storage {
namespace {

using ::testing::HasSubstr;
using testing::FaultFs;
using testing::ScratchDir;
using testing::TestOptions;

class FaultTest : public ::testing::Test {
 protected:
  FaultTest()
      : dir_("db"),
        fs_(std::make_shared<FaultFs>(rocksdb::FileSystem::Default())),
        env_(rocksdb::NewCompositeEnv(fs_)) {}

  std::unique_ptr<Diarium> Open() {
    DiariumOptions o = TestOptions();
    o.env = env_.get();
    absl::StatusOr<std::unique_ptr<Diarium>> d = Diarium::Open(o, dir_.path());
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *std::move(d) : nullptr;
  }

  static std::string Entry(uint64_t i) { return absl::StrCat("entry ", i); }

  static Payload MakePayload(std::string bytes) {
    Payload p;
    p.digest = std::string(crypto::AsStringView(crypto::Sha256(bytes)));
    p.bytes = std::move(bytes);
    return p;
  }

  // AppendAsync with payloads, waited for.
  static absl::StatusOr<uint64_t> AppendWith(Diarium& d, std::string entry, std::vector<Payload> payloads) {
    absl::Notification done;
    absl::StatusOr<uint64_t> result;
    d.AppendAsync(std::move(entry), IndexKeys{}, std::move(payloads), [&](absl::StatusOr<uint64_t> r) {
      result = std::move(r);
      done.Notify();
    });
    done.WaitForNotification();
    return result;
  }

  // Every entry in [0, n) is present and intact, and the tree verifies.
  static void ExpectIntact(const Diarium& d, uint64_t n) {
    ASSERT_GE(d.size(), n);
    for (uint64_t i = 0; i < n; ++i) {
      absl::StatusOr<std::string> e = d.Get(i);
      ASSERT_TRUE(e.ok()) << e.status();
      EXPECT_EQ(*e, Entry(i));
    }
    EXPECT_TRUE(d.Verify().ok());
  }

  ScratchDir dir_;
  std::shared_ptr<FaultFs> fs_;
  std::unique_ptr<rocksdb::Env> env_;
};

TEST_F(FaultTest, FailedSyncIsNotAcknowledgedAndPoisonsTheStore) {
  {
    auto d = Open();
    for (int i = 0; i < 10; ++i) ASSERT_EQ(*d->Append(Entry(i)), uint64_t(i));
    // Let the checkpoint write finish first, so the failure hits the append.
    ASSERT_TRUE(d->AwaitCheckpoint(10, absl::Seconds(10)).ok());
    fs_->fail_sync = true;
    absl::StatusOr<uint64_t> r = d->Append(Entry(10));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr("injected: fdatasync failed"));
    EXPECT_GE(fs_->failed_syncs.load(), 1);
    EXPECT_EQ(d->size(), 10u);

    // The disk is fine again, but a later sync must not be taken to cover
    // the failed one: the store refuses until reopened.
    fs_->fail_sync = false;
    absl::Status again = d->Append(Entry(10)).status();
    EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(again.message(), HasSubstr("reopen"));
    EXPECT_THAT(again.message(), HasSubstr("injected: fdatasync failed"));
    // Acknowledged entries stay readable.
    ExpectIntact(*d, 10);
  }
  // Power cut: whatever was not synced is gone.
  fs_->DropUnsyncedData();
  auto d = Open();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->size(), 10u) << "the entry whose sync failed must not survive a power cut";
  ExpectIntact(*d, 10);
  EXPECT_EQ(*d->Append(Entry(10)), 10u);
  EXPECT_TRUE(d->AwaitCheckpoint(11, absl::Seconds(10)).ok());
}

// Appends queued while a synced write runs are built into the next batch
// (docs/DIARIUM.md §1); when that write fails, the built batch must never be
// written: it would put entries after a gap the log cannot fill.
TEST_F(FaultTest, GroupBuiltDuringAFailedWriteIsNeverWritten) {
  {
    // Declared before the store: its callbacks may run until it closes.
    constexpr int kQueued = 4;
    absl::Mutex mu;
    std::vector<absl::Status> later;
    absl::StatusOr<uint64_t> first;
    std::thread writer;
    auto d = Open();
    ASSERT_NE(d, nullptr);
    // On any early return: release the held sync and join, so that neither
    // the test nor the store's writer is left blocked.
    absl::Cleanup release = [&] {
      if (!fs_->sync_released.HasBeenNotified()) fs_->sync_released.Notify();
      if (writer.joinable()) writer.join();
    };
    for (int i = 0; i < 5; ++i) ASSERT_EQ(*d->Append(Entry(i)), uint64_t(i));
    ASSERT_TRUE(d->AwaitCheckpoint(5, absl::Seconds(10)).ok());
    fs_->fail_sync = true;
    fs_->hold_sync = true;
    writer = std::thread([&] { first = d->Append(Entry(5)); });
    // Entry 5's write is under way.
    ASSERT_TRUE(fs_->sync_entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
    for (int i = 0; i < kQueued; ++i) {
      d->AppendAsync(Entry(6 + i), IndexKeys{}, [&](absl::StatusOr<uint64_t> r) {
        absl::MutexLock l(&mu);
        later.push_back(r.status());
      });
    }
    // Wait until the builder has built them into the next batch.
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (d->stats().prebuilt == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
    ASSERT_GE(d->stats().prebuilt, 1u);
    fs_->sync_released.Notify();
    writer.join();
    EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable) << first.status();
    {
      absl::MutexLock l(&mu);
      auto all = [&] { return later.size() == kQueued; };
      ASSERT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all), absl::Seconds(10)));
      for (const absl::Status& s : later) {
        EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
        EXPECT_THAT(s.message(), HasSubstr("injected: fdatasync failed"));
      }
    }
    EXPECT_EQ(d->size(), 5u);
    fs_->fail_sync = false;
  }
  // No power cut: entry 5 reached the WAL before its sync failed and may
  // survive; the batch built after it was never written.
  auto d = Open();
  ASSERT_NE(d, nullptr);
  EXPECT_GE(d->size(), 5u);
  EXPECT_LE(d->size(), 6u);
  ExpectIntact(*d, d->size());
  const uint64_t next = d->size();
  EXPECT_EQ(*d->Append(Entry(next)), next);
}

TEST_F(FaultTest, DiskFullIsResourceExhausted) {
  {
    auto d = Open();
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(d->Append(Entry(i)).ok());
    ASSERT_TRUE(d->AwaitCheckpoint(5, absl::Seconds(10)).ok());
    fs_->disk_full = true;
    absl::Status s = d->Append(Entry(5)).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
    EXPECT_THAT(s.message(), HasSubstr("injected: disk full"));
    fs_->disk_full = false;
    EXPECT_EQ(d->Append(Entry(5)).status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(d->size(), 5u);
  }
  fs_->DropUnsyncedData();
  auto d = Open();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->size(), 5u);
  ExpectIntact(*d, 5);
  EXPECT_EQ(*d->Append(Entry(5)), 5u);
}

TEST_F(FaultTest, AcknowledgedAppendsSurviveLosingUnsyncedData) {
  {
    auto d = Open();
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&d, t] {
        for (int k = 0; k < 40; ++k) ASSERT_TRUE(d->Append(absl::StrCat("t", t, "k", k)).ok());
      });
    }
    for (auto& th : threads) th.join();
    ASSERT_EQ(d->size(), 320u);
  }
  fs_->DropUnsyncedData();
  auto d = Open();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->size(), 320u);
  EXPECT_TRUE(d->Verify().ok());
}

// A payload is written in its entry's batch: after a failed sync and a
// power cut neither survives (no orphan), while acknowledged ones do, small
// (inline) and large (in a blob file after the flush) alike.
TEST_F(FaultTest, PayloadsLiveAndDieWithTheirEntry) {
  const Payload small = MakePayload("sealed envelope 0");
  const Payload large = MakePayload(std::string(300000, 'L'));
  const Payload lost = MakePayload("sealed envelope 2");
  {
    auto d = Open();
    ASSERT_EQ(*AppendWith(*d, Entry(0), {small}), 0u);
    ASSERT_EQ(*AppendWith(*d, Entry(1), {large}), 1u);
    EXPECT_EQ(*d->GetPayload(small.digest), small.bytes);
    ASSERT_TRUE(d->AwaitCheckpoint(2, absl::Seconds(10)).ok());
    fs_->fail_sync = true;
    absl::StatusOr<uint64_t> r = AppendWith(*d, Entry(2), {lost});
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
    // A digest that is not SHA-256-sized is refused before anything is queued.
    Payload bad = lost;
    bad.digest.pop_back();
    EXPECT_EQ(AppendWith(*d, Entry(2), {bad}).status().code(), absl::StatusCode::kInvalidArgument);
  }
  fs_->DropUnsyncedData();
  fs_->fail_sync = false;
  auto d = Open();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->size(), 2u);
  ExpectIntact(*d, 2);
  EXPECT_EQ(*d->GetPayload(small.digest), small.bytes);
  EXPECT_EQ(*d->GetPayload(large.digest), large.bytes);
  absl::StatusOr<std::string> gone = d->GetPayload(lost.digest);
  EXPECT_EQ(gone.status().code(), absl::StatusCode::kNotFound) << "the payload of a failed append survived";
  EXPECT_THAT(gone.status().message(), HasSubstr("no payload"));
  // Into SST and blob files and read back from there.
  ASSERT_TRUE(d->Compact().ok());
  EXPECT_EQ(*d->GetPayload(large.digest), large.bytes);
}

TEST_F(FaultTest, CorruptedReadIsDataLossNamingTheEntry) {
  {
    auto d = Open();
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(d->Append(Entry(i)).ok());
    ASSERT_TRUE(d->Compact().ok());  // into SST files, whose blocks carry checksums
  }
  auto d = Open();
  ASSERT_NE(d, nullptr);
  fs_->corrupt_reads = true;
  absl::StatusOr<std::string> e = d->Get(5);
  ASSERT_FALSE(e.ok()) << "read corrupted bytes without noticing: " << *e;
  EXPECT_EQ(e.status().code(), absl::StatusCode::kDataLoss) << e.status();
  EXPECT_THAT(e.status().message(), HasSubstr("reading entry 5"));
  EXPECT_THAT(e.status().message(), HasSubstr("Corruption"));
  fs_->corrupt_reads = false;
  // The record was not cached in a corrupt state: a clean read works.
  EXPECT_EQ(*d->Get(5), Entry(5));
}

}  // namespace
}  // namespace sluss::storage
