// diarium_bench: the figures of docs/PERFORMANCE.md "Diarium (storage/)",
// each beside its ceiling measured in the same run.
//
//   cmake --preset release && cmake --build build/release -j2 --target diarium_bench
//   build/release/bin/diarium_bench [--dir=var/diarium-bench] [--seconds=5]
//                                   [--rounds=3] [--big=10000000] [--proofs=20000]
//                                   [--gather-us=N] [--no-ceilings] [--pipelined-sync]
//                                   [--slices=10] [--flood=N [--flood-drop=cast]]
//
// Steps 1-3 run --rounds times and the median ratios are printed (the
// machine is shared: load moves between phases).
//
// 1. Durable 1 KiB appends, 64 appender threads (each entry with 5 index
//    rows: case, 2 agencies, pseudonym, time), and the latency from Append
//    to the publication of a signed checkpoint covering the entry. The
//    phase runs in --slices slices; after each, the appenders pause while
// 2. ceiling (b) runs for as long. Ceiling (b) is one writer, synced WriteBatches of the
//    diarium's mean entries per sync so far, 1 KiB values, no Merkle work,
//    no index rows (the disk's speed swings within seconds on these
//    machines, so the two are compared slice by slice).
// 3. Ceiling (a): raw RocksDB, 64 threads, synced 1 KiB Puts.
// 4. Bytes on disk per 1 KiB entry after compaction (log of step 1).
// 5. A big log (default 10M entries of 32 bytes, appended with AppendAsync so
//    groups are large): build time, Open time after a clean close, and
//    inclusion proofs for random entries.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "storage/diarium.h"

namespace {

using sluss::storage::Diarium;
using sluss::storage::DiariumOptions;

constexpr int kThreads = 64;
constexpr size_t kValueSize = 1024;
constexpr char kOrigin[] = "diarium.sluss.example/bench";

struct Flags {
  std::string dir = "var/diarium-bench";
  int seconds = 5;
  uint64_t big = 10'000'000;
  int proofs = 20000;
  bool ceilings = true;
  bool sync_in_sequencer = true;
  int64_t gather_us = -1;  // -1: DiariumOptions' default
  int rounds = 3;
  int slices = 10;  // the diarium phase and ceiling (b) alternate in this many slices
  uint64_t flood = 0;  // > 0: only step 6 (for callgrind), with this many entries
  std::string flood_drop;  // index rows left out of step 6: letters of "cast"
};

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    auto value = [&](absl::string_view name) -> std::optional<std::string> {
      if (absl::StartsWith(a, name)) return std::string(a.substr(name.size()));
      return std::nullopt;
    };
    if (auto v1 = value("--dir=")) {
      f.dir = *v1;
    } else if (auto v2 = value("--seconds=")) {
      f.seconds = std::stoi(*v2);
    } else if (auto v3 = value("--big=")) {
      f.big = std::stoull(*v3);
    } else if (auto v4 = value("--proofs=")) {
      f.proofs = std::stoi(*v4);
    } else if (auto v7 = value("--flood=")) {
      f.flood = std::stoull(*v7);
    } else if (auto v8 = value("--flood-drop=")) {
      f.flood_drop = *v8;
    } else if (auto v9 = value("--slices=")) {
      f.slices = std::max(1, std::stoi(*v9));
    } else if (auto v6 = value("--rounds=")) {
      f.rounds = std::max(1, std::stoi(*v6));
    } else if (auto v5 = value("--gather-us=")) {
      f.gather_us = std::stoll(*v5);
    } else if (a == "--no-ceilings") {
      f.ceilings = false;
    } else if (a == "--pipelined-sync") {
      f.sync_in_sequencer = false;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      std::exit(2);
    }
  }
  return f;
}

int64_t g_gather_us = -1;
bool g_sync_in_sequencer = true;

DiariumOptions Options() {
  DiariumOptions o;
  if (g_gather_us >= 0) o.sync_gather_wait = absl::Microseconds(g_gather_us);
  o.sync_in_sequencer = g_sync_in_sequencer;
  o.origin = kOrigin;
  auto key = sluss::crypto::Ed25519SigningKey::FromSeed(std::string(32, 7));
  o.signers = {std::make_shared<const sluss::crypto::NoteSigner>(
      *sluss::crypto::NoteSigner::Create(kOrigin, *std::move(key)))};
  return o;
}

std::string RandomValue(std::mt19937_64& rng, size_t n) {
  std::string v(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    const uint64_t x = rng();
    std::memcpy(v.data() + i, &x, std::min<size_t>(8, n - i));
  }
  return v;
}

// Entry contents for the throughput phases, made before any phase is timed
// (4 MiB of random 1 KiB values): the phases measure the store, not the
// random number generator, and the diarium and the ceilings draw the same.
const std::vector<std::string>& ValuePool() {
  static const std::vector<std::string>* pool = [] {
    auto* p = new std::vector<std::string>;
    std::mt19937_64 rng(2026);
    for (int i = 0; i < 4096; ++i) p->push_back(RandomValue(rng, kValueSize));
    return p;
  }();
  return *pool;
}
const std::string& PooledValue(uint64_t n) { return ValuePool()[n % ValuePool().size()]; }

// Lets the kernel write back what the previous phase left dirty, so a
// phase does not pay for the one before it.
void Settle() {
  ::sync();
  absl::SleepFor(absl::Seconds(1));
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

void Die(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

struct AppendResult {
  double per_sec = 0;
  double mean_group = 0;
  double per_sync = 0;
  uint64_t max_group = 0;
  uint64_t entries = 0;
  double cp_p50_ms = 0, cp_p99_ms = 0, cp_max_ms = 0;
  double bytes_per_entry = 0;
};

std::unique_ptr<rocksdb::DB> RawDb(const std::string& dir) {
  std::filesystem::remove_all(dir);
  rocksdb::Options o;
  o.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(o, dir, &db);
  if (!s.ok()) {
    std::fprintf(stderr, "rocksdb open: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  return std::unique_ptr<rocksdb::DB>(db);
}

// Ceiling (b): one writer, synced WriteBatches of a given number of 1 KiB
// values, no Merkle work, no index rows. One database for the whole round,
// written in slices between the diarium's.
class BatchCeiling {
 public:
  explicit BatchCeiling(const std::string& dir) : db_(RawDb(dir)) {}

  // Writes batches of `batch_size` for `d`.
  void Run(absl::Duration d, size_t batch_size) {
    rocksdb::WriteOptions wo;
    wo.sync = true;
    const absl::Time t0 = absl::Now();
    const absl::Time end = t0 + d;
    while (absl::Now() < end) {
      rocksdb::WriteBatch b;
      for (size_t i = 0; i < batch_size; ++i) {
        std::string key(9, 'e');
        for (int j = 0; j < 8; ++j) key[1 + j] = static_cast<char>((entries_ + i) >> (56 - 8 * j));
        b.Put(key, PooledValue(rng_()));
      }
      if (!db_->Write(wo, &b).ok()) std::exit(1);
      entries_ += batch_size;
    }
    time_ += absl::Now() - t0;
  }
  double per_sec() const { return entries_ / std::max(1e-9, absl::ToDoubleSeconds(time_)); }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::mt19937_64 rng_{7};
  uint64_t entries_ = 0;
  absl::Duration time_;
};

// The diarium phase: `seconds` of appends in `slices` slices. With a
// ceiling, each slice is followed by a slice of the same length of ceiling
// (b) at the batch size the diarium reached so far, the appenders paused:
// the disk's speed on these machines swings within seconds, and slices side
// by side see the same disk.
AppendResult BenchDiarium(const std::string& dir, int seconds, int slices, BatchCeiling* ceiling) {
  std::filesystem::remove_all(dir);
  auto opened = Diarium::Open(Options(), dir);
  Die(opened.status(), "open");
  Diarium& d = **opened;
  const uint64_t kMaxEntries = 4'000'000;
  std::vector<std::atomic<int64_t>> start_ns(kMaxEntries);
  struct Published { uint64_t size; int64_t ns; };
  std::vector<Published> published;
  std::atomic<bool> stop{false};
  std::thread observer([&] {
    uint64_t last = d.LatestCheckpoint().body.size;
    while (!stop) {
      auto cp = d.AwaitCheckpoint(last + 1, absl::Milliseconds(200));
      if (!cp.ok()) continue;
      published.push_back({cp->body.size, absl::GetCurrentTimeNanos()});
      last = cp->body.size;
    }
  });
  // Appenders run while `paused` is false; `in_flight` counts appends under
  // way (raised before `paused` is read, so a pause waits for every append
  // that saw it clear).
  std::atomic<bool> paused{true};
  std::atomic<int> in_flight{0};
  struct Gate {  // what paused appenders wait on
    absl::Mutex mu;
    bool running = false;   // mirrors !paused
    bool finished = false;  // the phase is over
    bool Open() const { return running || finished; }
  } gate;
  std::atomic<uint64_t> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      sluss::storage::IndexKeys keys;
      keys.agency_ids = {"212000-0142/socialtjanst", absl::StrCat("202100-", 1000 + t % 8, "/polis")};
      for (uint64_t k = 0;; ++k) {
        in_flight.fetch_add(1);
        if (paused.load()) {
          in_flight.fetch_sub(1);
          absl::MutexLock l(&gate.mu);
          gate.mu.Await(absl::Condition(&gate, &Gate::Open));
          if (gate.finished) return;
          continue;
        }
        const std::string& e = PooledValue(rng());
        keys.case_id = absl::StrCat("2024-", t, "-", k / 10);
        keys.subject_pseudonyms = {absl::StrCat("p", rng() % 100000)};
        keys.time = absl::Now();
        const int64_t s = absl::GetCurrentTimeNanos();
        auto idx = d.Append(e, keys);
        Die(idx.status(), "append");
        if (*idx < kMaxEntries) start_ns[*idx].store(s, std::memory_order_relaxed);
        done++;
        in_flight.fetch_sub(1);
      }
    });
  }
  // Without a ceiling to interleave, one slice.
  if (ceiling == nullptr) slices = 1;
  const absl::Duration slice = absl::Seconds(seconds) / std::max(1, slices);
  absl::Duration elapsed_d;
  for (int i = 0; i < std::max(1, slices); ++i) {
    const absl::Time t0 = absl::Now();
    {
      absl::MutexLock l(&gate.mu);
      paused = false;
      gate.running = true;
    }
    absl::SleepFor(slice);
    {
      absl::MutexLock l(&gate.mu);
      paused = true;
      gate.running = false;
    }
    while (in_flight.load() > 0) absl::SleepFor(absl::Microseconds(50));
    elapsed_d += absl::Now() - t0;
    if (ceiling != nullptr) {
      // Write back each side's dirty pages before the other's slice, outside
      // both timings, so neither pays for the other's writeback.
      ::sync();
      const sluss::storage::DiariumStats st = d.stats();
      const double per_sync = static_cast<double>(st.entries) / std::max<uint64_t>(1, st.syncs);
      ceiling->Run(slice, std::max<size_t>(1, static_cast<size_t>(per_sync + 0.5)));
      ::sync();
    }
  }
  {
    absl::MutexLock l(&gate.mu);
    gate.finished = true;
  }
  for (auto& th : threads) th.join();
  const double elapsed = absl::ToDoubleSeconds(elapsed_d);
  // Let the last checkpoint land, then stop the observer.
  (void)d.AwaitCheckpoint(d.size(), absl::Seconds(5));
  absl::SleepFor(absl::Milliseconds(50));
  stop = true;
  observer.join();

  AppendResult r;
  r.entries = done.load();
  r.per_sec = r.entries / elapsed;
  const sluss::storage::DiariumStats st = d.stats();
  r.mean_group = static_cast<double>(st.entries) / std::max<uint64_t>(1, st.groups);
  r.max_group = st.max_group;
  r.per_sync = static_cast<double>(st.entries) / std::max<uint64_t>(1, st.syncs);
  std::printf("  (groups %" PRIu64 " (%" PRIu64 " built during a write), syncs %" PRIu64
              " of %.1f entries, %.0f us each of a %.0f us cycle, gather waits %" PRIu64
              ", checkpoints %" PRIu64 ")\n",
              st.groups, st.prebuilt, st.syncs, r.per_sync,
              absl::ToDoubleMicroseconds(st.sync_time) / std::max<uint64_t>(1, st.syncs),
              elapsed * 1e6 / std::max<uint64_t>(1, st.syncs), st.gather_waits, st.checkpoints);
  std::vector<double> lat;
  size_t c = 0;
  for (uint64_t i = 0; i < std::min(r.entries, kMaxEntries); ++i) {
    while (c < published.size() && published[c].size <= i) ++c;
    if (c == published.size()) break;
    lat.push_back((published[c].ns - start_ns[i].load()) / 1e6);
  }
  r.cp_p50_ms = Percentile(lat, 0.50);
  r.cp_p99_ms = Percentile(lat, 0.99);
  r.cp_max_ms = lat.empty() ? 0 : lat.back();
  Die(d.Compact(), "compact");
  auto usage = d.DiskUsage();
  Die(usage.status(), "disk usage");
  r.bytes_per_entry = static_cast<double>(*usage) / r.entries;
  return r;
}

double BenchRawPuts(const std::string& dir, int seconds) {
  auto db = RawDb(dir);
  std::atomic<uint64_t> done{0};
  const absl::Time t0 = absl::Now();
  const absl::Time end = t0 + absl::Seconds(seconds);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      rocksdb::WriteOptions wo;
      wo.sync = true;
      for (uint64_t k = 0; absl::Now() < end; ++k) {
        const std::string key = absl::StrCat("k", t, "-", k);
        const std::string& v = PooledValue(rng());
        if (!db->Put(wo, key, v).ok()) std::exit(1);
        done++;
      }
    });
  }
  for (auto& th : threads) th.join();
  return done.load() / absl::ToDoubleSeconds(absl::Now() - t0);
}

void BenchBig(const std::string& dir, uint64_t n, int proofs) {
  std::filesystem::remove_all(dir);
  DiariumOptions o = Options();
  o.max_group_entries = 65536;
  o.checkpoint_interval = absl::Milliseconds(100);
  const absl::Time t0 = absl::Now();
  {
    auto opened = Diarium::Open(o, dir);
    Die(opened.status(), "open big");
    Diarium& d = **opened;
    absl::Mutex mu;
    uint64_t in_flight = 0;
    std::mt19937_64 rng(42);
    for (uint64_t i = 0; i < n; ++i) {
      {
        absl::MutexLock l(&mu);
        auto room = [&] { return in_flight < 200000; };
        mu.Await(absl::Condition(&room));
        ++in_flight;
      }
      d.AppendAsync(RandomValue(rng, 32), {}, [&](absl::StatusOr<uint64_t> r) {
        Die(r.status(), "append big");
        absl::MutexLock l(&mu);
        --in_flight;
      });
    }
    absl::MutexLock l(&mu);
    auto drained = [&] { return in_flight == 0; };
    mu.Await(absl::Condition(&drained));
    const sluss::storage::DiariumStats st = d.stats();
    std::printf("big log: %" PRIu64 " entries of 32 B in %.1f s (%.0f/s, mean group %.0f)\n", n,
                absl::ToDoubleSeconds(absl::Now() - t0), n / absl::ToDoubleSeconds(absl::Now() - t0),
                static_cast<double>(st.entries) / std::max<uint64_t>(1, st.groups));
  }
  // Open after a clean close, three times; report each.
  for (int rep = 0; rep < 3; ++rep) {
    const absl::Time t1 = absl::Now();
    auto opened = Diarium::Open(o, dir);
    Die(opened.status(), "reopen big");
    const double open_ms = absl::ToDoubleMilliseconds(absl::Now() - t1);
    Diarium& d = **opened;
    std::printf("open of %" PRIu64 "-entry log: %.1f ms\n", d.size(), open_ms);
    if (rep < 2) continue;
    std::mt19937_64 rng(9);
    const uint64_t size = d.size();
    auto measure = [&](const char* label) {
      std::vector<double> us;
      for (int i = 0; i < proofs; ++i) {
        const uint64_t index = rng() % size;
        const absl::Time t2 = absl::Now();
        auto p = d.InclusionProof(index, size);
        us.push_back(absl::ToDoubleMicroseconds(absl::Now() - t2));
        Die(p.status(), "proof");
      }
      std::printf("inclusion proof, random entry of %" PRIu64 " (%s): median %.1f us, p99 %.1f us\n",
                  size, label, Percentile(us, 0.5), Percentile(us, 0.99));
    };
    measure("first after open");
    measure("again");
    Die(d.Compact(), "compact big");
    measure("after full compaction");
  }
}

// 6. A deterministic write-path workload for instruction counts
//    (valgrind --tool=callgrind --toggle-collect='*Diarium::WriteGroup*'):
//    `n` 1 KiB entries with the same 5 index rows as step 1, queued with
//    AppendAsync from one thread in groups of exactly 32. --flood-drop=
//    letters leave out index rows (c case, a agencies, s subject, t time),
//    to see what each kind of row costs.
void BenchFlood(const std::string& dir, uint64_t n, absl::string_view drop) {
  std::filesystem::remove_all(dir);
  DiariumOptions o = Options();
  o.max_group_entries = 32;
  auto opened = Diarium::Open(o, dir);
  Die(opened.status(), "open flood");
  Diarium& d = **opened;
  std::mt19937_64 rng(5);
  std::vector<std::string> entries;
  std::vector<sluss::storage::IndexKeys> keys;
  for (uint64_t i = 0; i < n; ++i) {
    entries.push_back(RandomValue(rng, kValueSize));
    sluss::storage::IndexKeys k;
    const int t = static_cast<int>(i % kThreads);
    k.agency_ids = {"212000-0142/socialtjanst", absl::StrCat("202100-", 1000 + t % 8, "/polis")};
    k.case_id = absl::StrCat("2024-", t, "-", i / kThreads / 10);
    k.subject_pseudonyms = {absl::StrCat("p", rng() % 100000)};
    k.time = absl::FromUnixMicros(1'700'000'000'000'000 + static_cast<int64_t>(i) * 50);
    if (absl::StrContains(drop, 'c')) k.case_id.clear();
    if (absl::StrContains(drop, 'a')) k.agency_ids.clear();
    if (absl::StrContains(drop, 's')) k.subject_pseudonyms.clear();
    if (absl::StrContains(drop, 't')) k.time.reset();
    keys.push_back(std::move(k));
  }
  absl::Mutex mu;
  uint64_t acked = 0;
  const absl::Time t0 = absl::Now();
  for (uint64_t i = 0; i < n; ++i) {
    d.AppendAsync(std::move(entries[i]), std::move(keys[i]), [&](absl::StatusOr<uint64_t> r) {
      Die(r.status(), "append flood");
      absl::MutexLock l(&mu);
      ++acked;
    });
  }
  absl::MutexLock l(&mu);
  auto drained = [&] { return acked == n; };
  mu.Await(absl::Condition(&drained));
  const sluss::storage::DiariumStats st = d.stats();
  std::printf("flood: %" PRIu64 " entries in %.2f s, %" PRIu64 " groups, %" PRIu64 " syncs\n", n,
              absl::ToDoubleSeconds(absl::Now() - t0), st.groups, st.syncs);
}

}  // namespace

int main(int argc, char** argv) {
  // As in slussd, which hosts the diarium: Debian's Abseil records every
  // Mutex acquisition for deadlock detection unless told not to.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const Flags f = ParseFlags(argc, argv);
  g_gather_us = f.gather_us;
  g_sync_in_sequencer = f.sync_in_sequencer;
  std::filesystem::create_directories(f.dir);
  if (f.flood > 0) {
    BenchFlood(f.dir + "/flood", f.flood, f.flood_drop);
    std::filesystem::remove_all(f.dir);
    return 0;
  }
  std::printf("diarium_bench: %d s per throughput phase, %d appenders, %zu-byte entries, dir %s\n",
              f.seconds, kThreads, kValueSize, f.dir.c_str());

  // Rounds of (diarium interleaved with ceiling (b), then ceiling (a)), each
  // `seconds` long: on a shared machine the disk's speed moves within
  // seconds, so each round's ratios compare phases run side by side (the
  // diarium and ceiling (b) in alternating slices), and the median ratio
  // over the rounds is the figure to report.
  ValuePool();
  std::vector<double> ratio_a, ratio_b, rates;
  for (int round = 1; round <= f.rounds; ++round) {
    std::printf("round %d of %d\n", round, f.rounds);
    Settle();
    std::unique_ptr<BatchCeiling> ceiling_b;
    if (f.ceilings) ceiling_b = std::make_unique<BatchCeiling>(f.dir + "/raw-batches");
    const AppendResult d = BenchDiarium(f.dir + "/diarium", f.seconds, f.slices, ceiling_b.get());
    rates.push_back(d.per_sec);
    std::printf("diarium durable appends: %.0f/s (mean group %.1f, max %" PRIu64
                ", %.1f entries per sync, %" PRIu64 " entries)\n",
                d.per_sec, d.mean_group, d.max_group, d.per_sync, d.entries);
    std::printf("append -> covering signed checkpoint: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                d.cp_p50_ms, d.cp_p99_ms, d.cp_max_ms);
    std::printf("bytes on disk per 1 KiB entry after compaction: %.0f (%.2fx)\n",
                d.bytes_per_entry, d.bytes_per_entry / kValueSize);
    if (!f.ceilings) continue;
    const double b = ceiling_b->per_sec();
    ceiling_b.reset();
    ratio_b.push_back(d.per_sec / b);
    std::printf("ceiling (b) one writer synced WriteBatches of the diarium's entries per sync"
                " (%.1f) x 1 KiB, in %d slices between the diarium's: %.0f/s -> diarium %.0f%%"
                " (target >= 70%%)\n",
                d.per_sync, f.slices, b, 100 * d.per_sec / b);
    Settle();
    const double a = BenchRawPuts(f.dir + "/raw-puts", f.seconds);
    ratio_a.push_back(d.per_sec / a);
    std::printf("ceiling (a) RocksDB 64 threads synced 1 KiB Put: %.0f/s -> diarium %.2fx (target >= 1.5x)\n",
                a, d.per_sec / a);
  }
  if (f.rounds > 1) {
    std::printf("median over %d rounds: diarium %.0f/s", f.rounds, Percentile(rates, 0.5));
    if (f.ceilings) {
      std::printf(", %.2fx ceiling (a), %.0f%% of ceiling (b)", Percentile(ratio_a, 0.5),
                  100 * Percentile(ratio_b, 0.5));
    }
    std::printf("\n");
  }

  if (f.big > 0) BenchBig(f.dir + "/big", f.big, f.proofs);
  std::filesystem::remove_all(f.dir);
  return 0;
}
