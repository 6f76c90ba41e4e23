// The store's contract (storage/diarium.h, docs/DIARIUM.md): appends,
// reads, indexes, checkpoints, proofs, reopen, export, tamper detection.
#include "storage/diarium.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "storage/fault_fs.h"
#include "storage/test_util.h"
#include "storage/tiles.h"
#include "storage/verify.h"

namespace sluss::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kOrigin;
using testing::ScratchDir;
using testing::TestOptions;
using testing::TestSigner;

std::unique_ptr<Diarium> MustOpen(const DiariumOptions& o, const std::string& path) {
  absl::StatusOr<std::unique_ptr<Diarium>> d = Diarium::Open(o, path);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *std::move(d) : nullptr;
}

std::string Entry(uint64_t i) { return absl::StrCat("entry number ", i); }

TEST(DiariumTest, OpenRejectsBadOptions) {
  ScratchDir dir("db");
  DiariumOptions o = TestOptions();
  o.signers.clear();
  EXPECT_THAT(Diarium::Open(o, dir.path()).status().message(), HasSubstr("signer"));
  o = TestOptions();
  o.signers = {TestSigner(1, "other.example/log")};
  absl::Status s = Diarium::Open(o, dir.path()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("named after the origin"));
  o = TestOptions();
  o.origin = "has space";
  EXPECT_EQ(Diarium::Open(o, dir.path()).status().code(), absl::StatusCode::kInvalidArgument);
  o = TestOptions();
  o.create_if_missing = false;
  EXPECT_EQ(Diarium::Open(o, dir.path() + "/none").status().code(),
            absl::StatusCode::kNotFound);
}

TEST(DiariumTest, AppendReadAndIndexes) {
  ScratchDir dir("db");
  auto d = MustOpen(TestOptions(), dir.path());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->size(), 0u);
  EXPECT_EQ(d->LatestCheckpoint().body.size, 0u);
  EXPECT_EQ(d->LatestCheckpoint().body.root, EmptyRoot());

  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  for (uint64_t i = 0; i < 20; ++i) {
    IndexKeys keys;
    keys.case_id = absl::StrCat("case-", i % 3);
    keys.agency_ids = {"212000-0142/socialtjanst", absl::StrCat("agency-", i % 2)};
    if (i % 5 == 0) keys.subject_pseudonyms = {"pseudo-A"};
    keys.time = t0 + absl::Seconds(i);
    absl::StatusOr<uint64_t> idx = d->Append(Entry(i), keys);
    ASSERT_TRUE(idx.ok()) << idx.status();
    EXPECT_EQ(*idx, i);
  }
  EXPECT_EQ(d->size(), 20u);
  EXPECT_EQ(*d->Get(7), Entry(7));
  absl::Status s = d->Get(20).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);

  std::vector<uint64_t> seen;
  ASSERT_TRUE(d->ReadRange(3, 9, [&](uint64_t i, absl::string_view e) {
                 EXPECT_EQ(e, Entry(i));
                 seen.push_back(i);
                 return true;
               }).ok());
  EXPECT_THAT(seen, ElementsAre(3, 4, 5, 6, 7, 8));
  EXPECT_EQ(d->ReadRange(0, 21, [](uint64_t, absl::string_view) { return true; }).code(),
            absl::StatusCode::kOutOfRange);

  EXPECT_THAT(*d->Find(IndexKind::kCase, "case-1"), ElementsAre(1, 4, 7, 10, 13, 16, 19));
  EXPECT_THAT(*d->Find(IndexKind::kCase, "case-1", 8, 2), ElementsAre(10, 13));
  EXPECT_THAT(*d->Find(IndexKind::kSubject, "pseudo-A"), ElementsAre(0, 5, 10, 15));
  EXPECT_EQ(d->Find(IndexKind::kAgency, "212000-0142/socialtjanst")->size(), 20u);
  EXPECT_THAT(*d->Find(IndexKind::kAgency, "agency-1", 0, 3), ElementsAre(1, 3, 5));
  // "case-1" must not match "case-10"-style prefixes of other values.
  EXPECT_TRUE(d->Find(IndexKind::kCase, "case-")->empty());
  EXPECT_THAT(*d->FindByTime(t0 + absl::Seconds(17), t0 + absl::Hours(1)),
              ElementsAre(17, 18, 19));

  EXPECT_EQ(d->Append(std::string(kMaxEntrySize + 1, 'x')).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(d->Append(std::string(kMaxEntrySize, 'x')).ok());
  IndexKeys big;
  big.case_id = std::string(70000, 'c');
  EXPECT_EQ(d->Append("x", big).status().code(), absl::StatusCode::kInvalidArgument);
}

// Posting and time rows hold varints (docs/DIARIUM.md §2.4); a row whose
// varints are cut off, or whose steps leave its range, is kDataLoss naming
// the row, never a wrong answer.
TEST(DiariumTest, MalformedIndexRowsAreDataLoss) {
  ScratchDir dir("db");
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  {
    auto d = MustOpen(TestOptions(), dir.path());
    for (int i = 0; i < 3; ++i) {
      IndexKeys k;
      k.case_id = "case-x";
      k.time = t0 + absl::Milliseconds(i);
      ASSERT_TRUE(d->Append(Entry(i), k).ok());  // one group each: rows at 0, 1, 2
    }
    ASSERT_THAT(*d->Find(IndexKind::kCase, "case-x"), ElementsAre(0, 1, 2));
  }
  // Rewrite the rows of entry 1 in the index family.
  auto rewrite = [&](char prefix, absl::string_view value) {
    auto log = testing::RawLog::Open(dir.path());
    ASSERT_NE(log, nullptr);
    rocksdb::ColumnFamilyHandle* index = log->family("index");
    ASSERT_NE(index, nullptr);
    std::vector<std::string> keys;
    std::unique_ptr<rocksdb::Iterator> it(log->db()->NewIterator(rocksdb::ReadOptions(), index));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string k = it->key().ToString();
      if (k[0] == prefix && k.back() == '\x01') keys.push_back(k);  // ends in be64(1)
    }
    it.reset();
    ASSERT_EQ(keys.size(), 1u);
    ASSERT_TRUE(log->db()->Put(rocksdb::WriteOptions(), index, keys[0],
                               rocksdb::Slice(value.data(), value.size())).ok());
  };
  auto bytes = [](std::initializer_list<int> b) {
    std::string out;
    for (int c : b) out.push_back(static_cast<char>(c));
    return out;
  };
  // Posting rows of case-x at 0, 1, 2; the one at 1 rewritten.
  const std::vector<std::pair<std::string, std::string>> bad_postings = {
      {bytes({0x00}), "a gap of 0 (an index twice)"},
      {bytes({0x02}), "a gap below index 0"},
      {bytes({0x81}), "a varint cut off"},
      {bytes({0x01}), "a row reaching back into the row before it (index 0)"},
  };
  for (const auto& [value, what] : bad_postings) {
    SCOPED_TRACE(what);
    rewrite('i', value);
    auto d = MustOpen(TestOptions(), dir.path());
    absl::Status s = d->Find(IndexKind::kCase, "case-x").status();
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_THAT(s.message(), HasSubstr("index row at 1 is malformed"));
  }
  rewrite('i', "");  // back to what the group wrote: the row of one index
  EXPECT_THAT(*MustOpen(TestOptions(), dir.path())->Find(IndexKind::kCase, "case-x"),
              ElementsAre(0, 1, 2));
  // The time row of the group at 1 (tree size 3) rewritten.
  const std::vector<std::pair<std::string, std::string>> bad_times = {
      {"", "an empty row"},
      {bytes({0x80}), "a varint cut off"},
      {bytes({0x05}), "a row ending inside a pair"},
      {bytes({0x80, 0x80, 0x40, 0x00}), "a time step of exactly 2^20 from the bucket's start"},
      {bytes({0x05, 0x00, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00}),
       "a time step of 2^64 - 2 (wraps back into the bucket)"},
      {bytes({0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}),
       "an index step beyond 64 bits"},
      {bytes({0x00, 0x06}), "an index (4) beyond the tree size (3)"},
      {bytes({0x00, 0x01}), "an index (0) below the row's first (1)"},
      {bytes({0x05, 0x00, 0x00, 0x00}), "the same pair twice"},
  };
  for (const auto& [value, what] : bad_times) {
    SCOPED_TRACE(what);
    rewrite('t', value);
    auto d = MustOpen(TestOptions(), dir.path());
    absl::Status s = d->FindByTime(t0, t0 + absl::Seconds(1)).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
    EXPECT_THAT(s.message(), HasSubstr("time row at 1 is malformed"));
  }
  rewrite('t', bytes({0x05, 0x00, 0x07, 0x02}));  // well-formed: (start+5, 1), (start+12, 2)
  EXPECT_TRUE(MustOpen(TestOptions(), dir.path())->FindByTime(t0, t0 + absl::Seconds(1)).ok());
}

// IndexKeys may name one value twice for an entry; the entry is posted once.
TEST(DiariumTest, AValueNamedTwiceByOneEntryIsPostedOnce) {
  ScratchDir dir("db");
  auto d = MustOpen(TestOptions(), dir.path());
  IndexKeys k;
  k.agency_ids = {"A", "B", "A"};
  k.subject_pseudonyms = {"p", "p"};
  ASSERT_TRUE(d->Append(Entry(0), k).ok());
  ASSERT_TRUE(d->Append(Entry(1), k).ok());
  auto expect_posted_once = [](Diarium& log, IndexKind kind, absl::string_view value) {
    absl::StatusOr<std::vector<uint64_t>> found = log.Find(kind, value);
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_THAT(*found, ElementsAre(0, 1));
  };
  expect_posted_once(*d, IndexKind::kAgency, "A");
  expect_posted_once(*d, IndexKind::kSubject, "p");
  d.reset();
  d = MustOpen(TestOptions(), dir.path());
  expect_posted_once(*d, IndexKind::kAgency, "A");
}

// A group writes one entry bundle (cut at 64 KiB), one posting row per
// index value and one time row per time bucket (docs/DIARIUM.md §2.1, §2.4):
// reads and lookups must still see each entry on its own, from the memtable,
// after compaction and after reopening.
TEST(DiariumTest, GroupRowsReadBackPerEntry) {
  ScratchDir dir("db");
  auto d = MustOpen(TestOptions(), dir.path());
  constexpr int kN = 300;
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  auto entry = [](int i) {
    return std::string(i % 50 == 7 ? 30000 : 10 + i % 13, static_cast<char>('a' + i % 26)) +
           absl::StrCat(i);
  };
  // A permutation of 0 .. 2.99 s: times out of index order, over 3 buckets.
  auto time = [&](int i) { return t0 + absl::Milliseconds((i * 37) % kN * 10); };
  absl::Mutex mu;
  int acked = 0;
  for (int i = 0; i < kN; ++i) {
    IndexKeys k;
    k.case_id = absl::StrCat("case-", i % 7);
    if (i % 4 == 0) k.subject_pseudonyms = {"pseudo"};
    k.time = time(i);
    d->AppendAsync(entry(i), std::move(k), [&](absl::StatusOr<uint64_t> r) {
      ASSERT_TRUE(r.ok()) << r.status();
      absl::MutexLock l(&mu);
      ++acked;
    });
  }
  {
    auto done = [&] { return acked == kN; };
    absl::MutexLock l(&mu);
    mu.Await(absl::Condition(&done));
  }
  auto check = [&](Diarium& log) {
    ASSERT_EQ(log.size(), uint64_t{kN});
    for (int i = 0; i < kN; ++i) ASSERT_EQ(*log.Get(i), entry(i)) << i;
    std::vector<uint64_t> seen;
    ASSERT_TRUE(log.ReadRange(5, 290, [&](uint64_t i, absl::string_view e) {
                     EXPECT_EQ(e, entry(static_cast<int>(i)));
                     seen.push_back(i);
                     return true;
                   }).ok());
    ASSERT_EQ(seen.size(), 285u);
    EXPECT_EQ(seen.front(), 5u);
    EXPECT_EQ(seen.back(), 289u);
    std::vector<uint64_t> want;
    for (int i = 100; i < kN; ++i) {
      if (i % 7 == 3) want.push_back(i);
    }
    EXPECT_EQ(*log.Find(IndexKind::kCase, "case-3", 100), want);
    want.resize(5);
    EXPECT_EQ(*log.Find(IndexKind::kCase, "case-3", 100, 5), want);
    EXPECT_EQ(log.Find(IndexKind::kSubject, "pseudo")->size(), size_t{kN / 4});
    const absl::Time from = t0 + absl::Milliseconds(500), to = t0 + absl::Milliseconds(2500);
    std::vector<std::pair<absl::Time, uint64_t>> by_time;
    for (int i = 0; i < kN; ++i) {
      if (time(i) >= from && time(i) < to) by_time.emplace_back(time(i), i);
    }
    std::sort(by_time.begin(), by_time.end());
    want.clear();
    for (const auto& [t, i] : by_time) want.push_back(i);
    EXPECT_EQ(*log.FindByTime(from, to), want);
    want.resize(10);
    EXPECT_EQ(*log.FindByTime(from, to, 10), want);
  };
  // Rows of several entries (gaps, negative index steps) only exist if
  // groups held more than one entry.
  EXPECT_GT(d->stats().max_group, 1u);
  check(*d);
  ASSERT_TRUE(d->Compact().ok());
  check(*d);
  d.reset();
  d = MustOpen(TestOptions(), dir.path());
  check(*d);
  EXPECT_TRUE(d->Verify().ok());
}

TEST(DiariumTest, OpenRefusesAnotherFormat) {
  ScratchDir dir("db");
  {
    rocksdb::DB* raw = nullptr;
    rocksdb::Options o;
    o.create_if_missing = true;
    ASSERT_TRUE(rocksdb::DB::Open(o, dir.path(), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "mformat", "sluss-diarium-v1").ok());
    ASSERT_TRUE(db->Close().ok());
  }
  absl::Status s = Diarium::Open(TestOptions(), dir.path()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("format \"sluss-diarium-v1\""));
  EXPECT_THAT(s.message(), HasSubstr("\"sluss-diarium-v3\""));
  // The old log is left as it was: no index family was added to it.
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir.path(), &families).ok());
  EXPECT_THAT(families, ElementsAre("default"));
}

// A v2 log has both column families but fixed-width index rows: refused by
// name, entries untouched.
TEST(DiariumTest, OpenRefusesAVersion2Log) {
  ScratchDir dir("db");
  {
    auto d = MustOpen(TestOptions(), dir.path());
    ASSERT_TRUE(d->Append(Entry(0)).ok());
  }
  auto set_format = [&](absl::string_view format) {
    auto log = testing::RawLog::Open(dir.path());
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(log->db()->Put(rocksdb::WriteOptions(), "mformat",
                               rocksdb::Slice(format.data(), format.size())).ok());
  };
  set_format("sluss-diarium-v2");
  absl::Status s = Diarium::Open(TestOptions(), dir.path()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("format \"sluss-diarium-v2\""));
  EXPECT_THAT(s.message(), HasSubstr("\"sluss-diarium-v3\""));
  {
    // Refused, not rewritten: the log still says v2.
    auto log = testing::RawLog::Open(dir.path(), /*read_only=*/true);
    ASSERT_NE(log, nullptr);
    std::string format;
    ASSERT_TRUE(log->db()->Get(rocksdb::ReadOptions(), "mformat", &format).ok());
    EXPECT_EQ(format, "sluss-diarium-v2");
  }
  set_format("sluss-diarium-v3");
  auto d = MustOpen(TestOptions(), dir.path());
  EXPECT_EQ(*d->Get(0), Entry(0));
}

TEST(DiariumTest, ConcurrentAppendsAreDenseAndShareSyncs) {
  ScratchDir dir("db");
  auto d = MustOpen(TestOptions(), dir.path());
  constexpr int kThreads = 16, kPerThread = 50;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<uint64_t> indices;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kPerThread; ++k) {
        const std::string e = absl::StrCat("t", t, "k", k);
        absl::StatusOr<uint64_t> idx = d->Append(e);
        if (!idx.ok()) {
          failures++;
          continue;
        }
        // The entry stored under the returned index is this thread's.
        if (*d->Get(*idx) != e) failures++;
        std::lock_guard<std::mutex> l(mu);
        indices.insert(*idx);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_EQ(indices.size(), size_t{kThreads * kPerThread});
  EXPECT_EQ(*indices.begin(), 0u);
  EXPECT_EQ(*indices.rbegin(), uint64_t{kThreads * kPerThread - 1});
  const DiariumStats st = d->stats();
  EXPECT_EQ(st.entries, uint64_t{kThreads * kPerThread});
  EXPECT_LE(st.groups, st.entries);
  EXPECT_TRUE(d->Verify().ok());
}

TEST(DiariumTest, AppendAsyncDeliversIndices) {
  ScratchDir dir("db");
  auto d = MustOpen(TestOptions(), dir.path());
  absl::Mutex mu;
  std::vector<uint64_t> got;
  for (int i = 0; i < 100; ++i) {
    d->AppendAsync(Entry(i), {}, [&](absl::StatusOr<uint64_t> r) {
      ASSERT_TRUE(r.ok()) << r.status();
      absl::MutexLock l(&mu);
      got.push_back(*r);
    });
  }
  auto done = [&] { return got.size() == 100; };
  absl::MutexLock l(&mu);
  mu.Await(absl::Condition(&done));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[i], uint64_t(i));  // queue order = index order
}

// After Open a background thread fills the upper-node cache (levels >= 6)
// from the stored hash runs; proofs served from it must still verify.
TEST(DiariumTest, ProofsAfterReopenVerifyWithWarmedNodeCache) {
  ScratchDir dir("db");
  constexpr uint64_t kN = 3000;  // levels 6..11 exist
  Hash root, old_root;
  {
    DiariumOptions o = TestOptions();
    o.max_group_entries = 512;
    auto d = MustOpen(o, dir.path());
    absl::Mutex mu;
    uint64_t acked = 0;
    for (uint64_t i = 0; i < kN; ++i) {
      d->AppendAsync(Entry(i), {}, [&](absl::StatusOr<uint64_t> r) {
        ASSERT_TRUE(r.ok()) << r.status();
        absl::MutexLock l(&mu);
        ++acked;
      });
    }
    auto done = [&] { return acked == kN; };
    absl::MutexLock l(&mu);
    mu.Await(absl::Condition(&done));
    root = *d->RootAt(kN);
    old_root = *d->RootAt(2500);
  }
  auto d = MustOpen(TestOptions(), dir.path());
  ASSERT_TRUE(d->Verify().ok());  // reads every entry: the warm-up runs meanwhile
  for (uint64_t i = 0; i < kN; i += 7) {
    auto proof = d->InclusionProof(i, kN);
    ASSERT_TRUE(proof.ok()) << proof.status();
    EXPECT_TRUE(VerifyInclusion(i, kN, LeafHash(Entry(i)), *proof, root).ok()) << i;
    if (i < 2500) {
      auto old_proof = d->InclusionProof(i, 2500);
      ASSERT_TRUE(old_proof.ok()) << old_proof.status();
      EXPECT_TRUE(VerifyInclusion(i, 2500, LeafHash(Entry(i)), *old_proof, old_root).ok()) << i;
    }
  }
  auto consistency = d->ConsistencyProof(2500, kN);
  ASSERT_TRUE(consistency.ok()) << consistency.status();
  EXPECT_TRUE(VerifyConsistency(2500, kN, old_root, root, *consistency).ok());
}

TEST(DiariumTest, CheckpointsAreSignedByEveryKeyAndCoverAppends) {
  ScratchDir dir("db");
  DiariumOptions o = TestOptions();
  o.signers = {TestSigner(1), TestSigner(2)};  // a key rotation in progress
  auto d = MustOpen(o, dir.path());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(d->Append(Entry(i)).ok());
  absl::StatusOr<SignedCheckpoint> cp = d->AwaitCheckpoint(10, absl::Seconds(10));
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->body.size, 10u);
  EXPECT_EQ(cp->body.root, *d->RootAt(10));
  // Each key alone verifies the note; both signatures are present.
  for (const auto& v : d->Verifiers()) {
    absl::StatusOr<SignedCheckpoint> opened =
        OpenCheckpoint(cp->note, kOrigin, std::vector<crypto::NoteVerifier>{v});
    ASSERT_TRUE(opened.ok()) << opened.status();
    EXPECT_EQ(opened->body, cp->body);
  }
  auto all = crypto::OpenNote(cp->note, d->Verifiers());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->verified.size(), 2u);
  EXPECT_EQ(all->text, absl::StrCat(kOrigin, "\n10\n", HashToBase64(cp->body.root), "\n"));
  // A key of another log does not verify it.
  auto other = TestSigner(9, "other.example/log");
  EXPECT_EQ(OpenCheckpoint(cp->note, kOrigin, {other->verifier()}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(d->AwaitCheckpoint(11, absl::Milliseconds(20)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(DiariumTest, CheckpointIntervalUsesInjectedClock) {
  ScratchDir dir("db");
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  DiariumOptions o = TestOptions();
  o.clock = &clock;
  o.checkpoint_interval = absl::Seconds(10);
  auto d = MustOpen(o, dir.path());  // signs the empty tree at open
  ASSERT_TRUE(d->Append("a").ok());
  // The fake clock has not moved: no new checkpoint may be signed.
  EXPECT_EQ(d->AwaitCheckpoint(1, absl::Milliseconds(50)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  clock.Advance(absl::Seconds(10));
  absl::StatusOr<SignedCheckpoint> cp = d->AwaitCheckpoint(1, absl::Seconds(10));
  ASSERT_TRUE(cp.ok()) << cp.status();
  EXPECT_EQ(cp->body.size, 1u);
}

// align_writes_to_checkpoints: appends made while the next checkpoint is not
// yet due wait for it and share one sync; a blocking Append is never held;
// once the checkpoint is due (an idle log), an append is written at once; a
// full group ends the hold early, and what follows it joins the checkpoint
// still pending rather than the one after; closing writes what is held.
TEST(DiariumTest, AlignedWritesShareOneSyncPerCheckpoint) {
  ScratchDir dir("db");
  const absl::Time t0 = absl::FromUnixSeconds(1700000000);
  FakeClock clock(t0);
  DiariumOptions o = TestOptions();
  o.clock = &clock;
  o.checkpoint_interval = absl::Seconds(10);
  o.max_group_entries = 8;
  o.align_writes_to_checkpoints = true;
  auto fs = std::make_shared<testing::FaultFs>(rocksdb::FileSystem::Default());
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  o.env = env.get();
  std::atomic<int> done{0}, failed{0};
  auto count = [&](absl::StatusOr<uint64_t> r) {
    if (r.ok()) done++;
    else failed++;
  };
  // Polls (real time) until `n` appends are acknowledged; the hold itself
  // gives up after one checkpoint interval (10 s) of steady time, later.
  auto acknowledged = [&](int n) {
    for (int k = 0; k < 1000 && done.load() < n; ++k) absl::SleepFor(absl::Milliseconds(5));
    return done.load() == n;
  };
  {
    auto d = MustOpen(o, dir.path());  // signs the empty tree at t0: the next checkpoint is due at t0 + 10 s
    const uint64_t syncs0 = d->stats().syncs;
    for (int i = 0; i < 5; ++i) d->AppendAsync(Entry(i), {}, count);
    absl::SleepFor(absl::Milliseconds(100));  // the writer re-reads the clock every 20 ms
    EXPECT_EQ(done.load(), 0) << "written before the checkpoint was due";
    EXPECT_EQ(d->stats().syncs, syncs0);
    clock.Set(t0 + absl::Seconds(10));
    absl::StatusOr<SignedCheckpoint> cp = d->AwaitCheckpoint(5, absl::Seconds(10));
    ASSERT_TRUE(cp.ok()) << cp.status();
    EXPECT_EQ(cp->body.size, 5u);
    EXPECT_EQ(done.load(), 5);
    EXPECT_EQ(d->stats().syncs, syncs0 + 1) << "five held appends, one sync";

    // Due again (idle): written at once, without the clock moving.
    clock.Set(t0 + absl::Seconds(20));
    d->AppendAsync(Entry(5), {}, count);
    ASSERT_TRUE(acknowledged(6));
    ASSERT_TRUE(d->AwaitCheckpoint(6, absl::Seconds(10)).ok());  // signed at t0 + 20 s: next due at t0 + 30 s

    // Not due: a full group (8) ends the hold at once; its write takes 2 s
    // (t0 + 23 s to 25 s), which becomes the hold's lead ...
    clock.Set(t0 + absl::Seconds(23));
    const uint64_t syncs1 = d->stats().syncs;
    fs->SetOnSync([&] { clock.Set(t0 + absl::Seconds(25)); });
    for (int i = 6; i < 14; ++i) d->AppendAsync(Entry(i), {}, count);
    ASSERT_TRUE(acknowledged(6 + 8)) << "the full group was held";
    fs->SetOnSync(nullptr);
    EXPECT_EQ(d->stats().syncs, syncs1 + 1);
    // ... and the next append is held for the checkpoint still pending,
    // which will cover that group (due at t0 + 30 s): it is written two
    // leads before, at t0 + 26 s, not for the one after (t0 + 33 s).
    d->AppendAsync(Entry(14), {}, count);
    absl::SleepFor(absl::Milliseconds(100));
    EXPECT_EQ(done.load(), 6 + 8) << "written before the checkpoint was due";
    clock.Set(t0 + absl::Seconds(27));
    EXPECT_TRUE(acknowledged(6 + 8 + 1)) << "held past the checkpoint it could join, or too close to it";
    clock.Set(t0 + absl::Seconds(30));
    cp = d->AwaitCheckpoint(15, absl::Seconds(10));
    ASSERT_TRUE(cp.ok()) << cp.status();
    EXPECT_EQ(cp->body.size, 15u);

    // Held again (next due at t0 + 40 s) ...
    d->AppendAsync(Entry(15), {}, count);
    absl::SleepFor(absl::Milliseconds(100));
    EXPECT_EQ(done.load(), 6 + 8 + 1) << "written before the checkpoint was due";
    // ... until a blocking Append, which waits only for durability, ends the hold.
    std::future<absl::StatusOr<uint64_t>> blocking =
        std::async(std::launch::async, [&] { return d->Append(Entry(16)); });
    ASSERT_EQ(blocking.wait_for(std::chrono::seconds(5)), std::future_status::ready) << "Append was held";
    EXPECT_EQ(*blocking.get(), 16u);
    EXPECT_TRUE(acknowledged(6 + 8 + 2));
    // Another full group, written at t0 + 30 s to 33 s (lead 3 s), before the
    // checkpoint due at t0 + 40 s signs it ...
    const uint64_t syncs2 = d->stats().syncs;
    fs->SetOnSync([&] { clock.Set(t0 + absl::Seconds(33)); });
    for (int i = 17; i < 25; ++i) d->AppendAsync(Entry(i), {}, count);
    ASSERT_TRUE(acknowledged(6 + 8 + 2 + 8));
    fs->SetOnSync(nullptr);
    EXPECT_EQ(d->stats().syncs, syncs2 + 1);
    // ... but an append at t0 + 38 s can no longer join that checkpoint (a
    // write begun now would end after it): held for the one after, not
    // written at once as a group of its own.
    clock.Set(t0 + absl::Seconds(38));
    d->AppendAsync(Entry(25), {}, count);
    absl::SleepFor(absl::Milliseconds(100));
    EXPECT_EQ(done.load(), 6 + 8 + 2 + 8) << "written although it could not join the pending checkpoint";
    // Closing with an append held writes it.
  }
  EXPECT_EQ(done.load(), 6 + 8 + 2 + 8 + 1);
  EXPECT_EQ(failed.load(), 0);
  auto d = MustOpen(TestOptions(), dir.path());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->size(), 26u);
  EXPECT_TRUE(d->Verify().ok());
}

// Signing proves each new checkpoint consistent with the last one from the
// leaves acknowledged since (no stored nodes); for bursts of every shape the
// stored tree must agree, and the last note must reach the disk with the
// next group's batch or at close.
TEST(DiariumTest, SuccessiveCheckpointsAreConsistentAndTheLastIsPersisted) {
  ScratchDir dir("db");
  std::string last_note;
  {
    auto d = MustOpen(TestOptions(), dir.path());
    SignedCheckpoint prev = d->LatestCheckpoint();
    uint64_t n = 0;
    uint64_t burst = 1;
    for (int round = 0; round < 40; ++round) {
      burst = (burst * 37 + 11) % 97 + 1;  // 1..97, varied: odd sizes, powers of two
      std::atomic<int> failed{0};
      for (uint64_t i = 0; i < burst; ++i, ++n) {
        d->AppendAsync(Entry(n), {}, [&](absl::StatusOr<uint64_t> r) {
          if (!r.ok()) failed++;
        });
      }
      absl::StatusOr<SignedCheckpoint> cp = d->AwaitCheckpoint(n, absl::Seconds(30));
      ASSERT_TRUE(cp.ok()) << "round " << round << ": " << cp.status();
      ASSERT_EQ(failed.load(), 0);
      absl::StatusOr<std::vector<Hash>> proof = d->ConsistencyProof(prev.body.size, cp->body.size);
      ASSERT_TRUE(proof.ok()) << proof.status();
      EXPECT_TRUE(VerifyConsistency(prev.body.size, cp->body.size, prev.body.root, cp->body.root, *proof).ok())
          << prev.body.size << " -> " << cp->body.size;
      prev = *cp;
    }
    EXPECT_GT(d->stats().checkpoints, 40u);
    last_note = d->LatestCheckpoint().note;
    ASSERT_EQ(d->LatestCheckpoint().body.size, n);
  }
  auto log = testing::RawLog::Open(dir.path(), /*read_only=*/true);
  ASSERT_NE(log, nullptr);
  std::string stored;
  EXPECT_TRUE(log->db()->Get(rocksdb::ReadOptions(), "mcheckpoint", &stored).ok());
  EXPECT_EQ(stored, last_note);
}

TEST(DiariumTest, ReopenKeepsTreeAndRefusesOtherOrigin) {
  ScratchDir dir("db");
  Hash root;
  {
    auto d = MustOpen(TestOptions(), dir.path());
    for (int i = 0; i < 37; ++i) ASSERT_TRUE(d->Append(Entry(i)).ok());
    root = *d->RootAt(37);
  }
  {
    auto d = MustOpen(TestOptions(), dir.path());
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->size(), 37u);
    EXPECT_EQ(d->LatestCheckpoint().body.size, 37u);
    EXPECT_EQ(d->LatestCheckpoint().body.root, root);
    EXPECT_EQ(*d->Append("more"), 37u);
    EXPECT_TRUE(d->Verify().ok());
  }
  DiariumOptions o = TestOptions();
  o.origin = "diarium.sluss.example/other";
  o.signers = {TestSigner(1, o.origin)};
  absl::Status s = Diarium::Open(o, dir.path()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("kommun-lund"));
}

TEST(DiariumTest, ProofFilesVerify) {
  ScratchDir dir("db");
  auto d = MustOpen(TestOptions(), dir.path());
  for (int i = 0; i < 13; ++i) ASSERT_TRUE(d->Append(Entry(i)).ok());
  const SignedCheckpoint old_cp = *d->AwaitCheckpoint(13, absl::Seconds(10));
  for (int i = 13; i < 40; ++i) ASSERT_TRUE(d->Append(Entry(i)).ok());
  const SignedCheckpoint cp = *d->AwaitCheckpoint(40, absl::Seconds(10));
  const auto verifiers = d->Verifiers();
  for (uint64_t i = 0; i < 40; ++i) {
    absl::StatusOr<std::string> file = d->InclusionProofFile(i);
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_TRUE(absl::StartsWith(*file, absl::StrCat("c2sp.org/tlog-proof@v1\nindex ", i, "\n")));
    EXPECT_TRUE(absl::EndsWith(*file, absl::StrCat("\n\n", cp.note)));
    EXPECT_TRUE(VerifyInclusionProofFile(*file, Entry(i), kOrigin, verifiers).ok()) << i;
    absl::Status bad = VerifyInclusionProofFile(*file, Entry(i + 1), kOrigin, verifiers);
    EXPECT_EQ(bad.code(), absl::StatusCode::kDataLoss);
  }
  EXPECT_EQ(d->InclusionProofFile(40).status().code(), absl::StatusCode::kOutOfRange);

  absl::StatusOr<std::string> body = d->ConsistencyProofBody(13);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_TRUE(absl::StartsWith(*body, "old 13\n"));
  absl::StatusOr<ConsistencyBody> parsed = ParseConsistencyBody(*body);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  absl::StatusOr<SignedCheckpoint> opened = OpenCheckpoint(parsed->checkpoint, kOrigin, verifiers);
  ASSERT_TRUE(opened.ok());
  EXPECT_TRUE(VerifyConsistency(13, opened->body.size, old_cp.body.root, opened->body.root,
                                parsed->proof)
                  .ok());
  EXPECT_EQ(FormatConsistencyBody(*parsed), *body);
  EXPECT_TRUE(absl::StartsWith(*d->ConsistencyProofBody(0), "old 0\n\n"));
}

TEST(DiariumTest, ExportWritesTlogTilesLayout) {
  ScratchDir dir("db");
  ScratchDir out("export");
  auto d = MustOpen(TestOptions(), dir.path());
  for (int i = 0; i < 600; ++i) {
    d->AppendAsync(Entry(i), {}, [](absl::StatusOr<uint64_t> r) { ASSERT_TRUE(r.ok()); });
  }
  ASSERT_TRUE(d->AwaitCheckpoint(600, absl::Seconds(30)).ok());
  ASSERT_TRUE(d->Export(out.path()).ok());
  auto exists = [&](const std::string& p) { return std::filesystem::exists(out.path() + "/" + p); };
  for (const char* p : {"checkpoint", "vkeys", "tile/0/000", "tile/0/001", "tile/0/002.p/88",
                        "tile/1/000.p/2", "tile/entries/000", "tile/entries/001",
                        "tile/entries/002.p/88"}) {
    EXPECT_TRUE(exists(p)) << p;
  }
  EXPECT_FALSE(exists("tile/0/002"));
  EXPECT_EQ(std::filesystem::file_size(out.path() + "/tile/0/000"), 8192u);
  EXPECT_EQ(std::filesystem::file_size(out.path() + "/tile/1/000.p/2"), 64u);
  EXPECT_EQ(*ReadFile(out.path() + "/checkpoint"), d->LatestCheckpoint().note);
  EXPECT_EQ(*ReadFile(out.path() + "/vkeys"), d->VerifierKeys()[0] + "\n");
  // Bundle 1 starts with entry 256, 16-bit big-endian length first.
  std::string bundle = *ReadFile(out.path() + "/tile/entries/001");
  const std::string e = Entry(256);
  ASSERT_GE(bundle.size(), 2 + e.size());
  EXPECT_EQ(static_cast<unsigned char>(bundle[0]) * 256 + static_cast<unsigned char>(bundle[1]),
            e.size());
  EXPECT_EQ(bundle.substr(2, e.size()), e);
  // Level-0 tile hash j is the leaf hash of entry 256 + j.
  std::string tile = *ReadFile(out.path() + "/tile/0/001");
  const Hash leaf = LeafHash(e);
  EXPECT_EQ(tile.substr(0, 32), std::string(crypto::AsStringView(leaf)));
}

TEST(TilesTest, PathEncoding) {
  EXPECT_EQ(EncodeTileIndex(0), "000");
  EXPECT_EQ(EncodeTileIndex(5), "005");
  EXPECT_EQ(EncodeTileIndex(1000), "x001/000");
  EXPECT_EQ(EncodeTileIndex(1234067), "x001/x234/067");
  EXPECT_EQ(TilePath(2, 1234067, 256), "tile/2/x001/x234/067");
  EXPECT_EQ(TilePath(0, 7, 17), "tile/0/007.p/17");
  EXPECT_EQ(EntryBundlePath(1000, 1), "tile/entries/x001/000.p/1");
}

// Flip one byte of one stored entry, the way someone with write access to
// the RocksDB files would (through RocksDB, so checksums stay valid).
void TamperEntry(const std::string& path, uint64_t index, bool also_leaf_hash) {
  auto log = testing::RawLog::Open(path);
  ASSERT_NE(log, nullptr);
  rocksdb::DB* db = log->db();
  // Find the bundle holding `index` (the last one starting at or before it,
  // docs/DIARIUM.md §2.1) and the entry's bytes inside it.
  std::unique_ptr<rocksdb::Iterator> bundles(db->NewIterator(rocksdb::ReadOptions()));
  bundles->SeekForPrev(testing::RawEntryKey(index));
  ASSERT_TRUE(bundles->Valid());
  const std::string key = bundles->key().ToString();
  std::string bundle = bundles->value().ToString();
  bundles.reset();
  ASSERT_EQ(key[0], 'e');
  uint64_t at = 0;
  for (int i = 0; i < 8; ++i) at = (at << 8) | static_cast<unsigned char>(key[1 + i]);
  size_t offset = 0, len = 0;
  for (;; ++at) {
    ASSERT_LE(offset + 2, bundle.size());
    len = static_cast<unsigned char>(bundle[offset]) * 256 + static_cast<unsigned char>(bundle[offset + 1]);
    if (at == index) break;
    offset += 2 + len;
  }
  bundle[offset + 2 + len / 2] ^= 0x01;
  const std::string v = bundle.substr(offset + 2, len);
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, bundle).ok());
  if (also_leaf_hash) {
    // Rewrite the leaf hash too: find the level-0 run holding `index`.
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    it->SeekForPrev(testing::RawHashRunKey(0, index));
    ASSERT_TRUE(it->Valid());
    uint64_t first = 0;
    for (int i = 0; i < 8; ++i) first = (first << 8) | static_cast<unsigned char>(it->key()[2 + i]);
    std::string run = it->value().ToString();
    const Hash leaf = LeafHash(v);
    run.replace((index - first) * 32, 32, std::string(crypto::AsStringView(leaf)));
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), it->key(), run).ok());
  }
}

TEST(DiariumTest, TamperedEntryIsNamed) {
  ScratchDir dir("db");
  {
    auto d = MustOpen(TestOptions(), dir.path());
    for (int i = 0; i < 100; ++i) {
      d->AppendAsync(Entry(i), {}, [](absl::StatusOr<uint64_t> r) { ASSERT_TRUE(r.ok()); });
    }
    ASSERT_TRUE(d->AwaitCheckpoint(100, absl::Seconds(30)).ok());
    ASSERT_TRUE(d->Verify().ok());
  }
  TamperEntry(dir.path(), 17, /*also_leaf_hash=*/false);
  auto d = MustOpen(TestOptions(), dir.path());
  absl::Status s = d->Verify();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(s.message(), HasSubstr("entry 17 does not match the signed tree"));
  EXPECT_EQ(BadEntryIndex(s), std::optional<uint64_t>(17));
}

TEST(DiariumTest, TamperedEntryAndLeafHashIsStillNamed) {
  ScratchDir dir("db");
  {
    auto d = MustOpen(TestOptions(), dir.path());
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(d->Append(Entry(i)).ok());
  }
  TamperEntry(dir.path(), 42, /*also_leaf_hash=*/true);
  auto d = MustOpen(TestOptions(), dir.path());
  absl::Status s = d->Verify();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  // Entry 42's sibling is 43: the descent can only narrow it to [42, 44).
  ASSERT_TRUE(BadEntryIndex(s).has_value()) << s;
  EXPECT_EQ(*BadEntryIndex(s), 42u) << s;
  EXPECT_THAT(s.message(), HasSubstr("[42, 44)"));
}

}  // namespace
}  // namespace sluss::storage
