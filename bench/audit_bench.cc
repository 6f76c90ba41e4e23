// audit_bench: the figures of docs/PERFORMANCE.md "Audit (client/)" — the
// throughput of `sluss audit verify` (storage::AuditTiles, the code the CLI
// runs) on a 1,000,000-entry export, beside ceilings measured in the same
// run:
//   (a) SHA-256 tree hashing of the same entries, from memory, on all
//       threads: every leaf hash and every node hash, nothing else;
//   (b) Ed25519 verifications per second (libsodium), one thread and all
//       threads at once — the cost of the officer signature checks that
//       come once the broker defines its entries.
//
//   cmake --preset release && cmake --build build/release -j2 --target audit_bench
//   build/release/bin/audit_bench [--dir=var/audit-bench] [--entries=1000000]
//                                 [--min-bytes=300] [--max-bytes=600] [--rounds=3]
//                                 [--threads=2]
//
// The export is built with storage::Diarium (AppendAsync, groups of up to
// 65,536) under --dir and removed at the end. Entry sizes are uniform in
// [min-bytes, max-bytes] with random content. Ceiling (a) and the audit run
// alternately, --rounds times each; medians are reported. The export is in
// the page cache when it is audited (it was just written; the machine has
// far more memory than the export), so this measures the CPU work and the
// file-system calls, not the disk.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstring>
#include <optional>
#include <cstdio>
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
#include "base/file.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "storage/diarium.h"
#include "storage/merkle.h"
#include "storage/tile_audit.h"
#include "storage/tile_source.h"
#include "storage/tiles.h"

namespace {

using namespace sluss;
using storage::Hash;

struct Flags {
  std::string dir = "var/audit-bench";
  uint64_t entries = 1'000'000;
  size_t min_bytes = 300;
  size_t max_bytes = 600;
  int rounds = 3;
  int threads = 2;
};

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    auto val = [&](absl::string_view name) -> std::optional<absl::string_view> {
      const std::string prefix = absl::StrCat("--", name, "=");
      if (absl::StartsWith(a, prefix)) return a.substr(prefix.size());
      return std::nullopt;
    };
    bool ok = true;
    if (auto v_dir = val("dir")) {
      f.dir = std::string(*v_dir);
    } else if (auto v_entries = val("entries")) {
      ok = absl::SimpleAtoi(*v_entries, &f.entries);
    } else if (auto v_min = val("min-bytes")) {
      ok = absl::SimpleAtoi(*v_min, &f.min_bytes);
    } else if (auto v_max = val("max-bytes")) {
      ok = absl::SimpleAtoi(*v_max, &f.max_bytes);
    } else if (auto v_rounds = val("rounds")) {
      ok = absl::SimpleAtoi(*v_rounds, &f.rounds);
    } else if (auto v_threads = val("threads")) {
      ok = absl::SimpleAtoi(*v_threads, &f.threads);
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr, "audit_bench: bad flag %s\n", argv[i]);
      std::exit(2);
    }
  }
  return f;
}

// Process CPU time (all threads), to compare costs independently of how
// much of the machine the other users left us.
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "audit_bench: %s: %s\n", what, std::string(s.message()).c_str());
    std::exit(1);
  }
}

// Builds the log and its export; returns the verifier keys.
std::vector<crypto::NoteVerifier> BuildExport(const Flags& f, const std::string& db,
                                              const std::string& exp, uint64_t* bytes) {
  auto key = crypto::Ed25519SigningKey::FromSeed(std::string(32, '\x42'));
  auto signer = crypto::NoteSigner::Create("diarium.sluss.example/audit-bench", *std::move(key));
  storage::DiariumOptions o;
  o.origin = "diarium.sluss.example/audit-bench";
  o.signers = {std::make_shared<const crypto::NoteSigner>(*std::move(signer))};
  o.max_group_entries = 65536;
  o.max_group_bytes = size_t{64} << 20;
  auto d = storage::Diarium::Open(o, db);
  Check(d.status(), "opening the diarium");
  std::mt19937_64 rng(20261122);
  std::uniform_int_distribution<size_t> len(f.min_bytes, f.max_bytes);
  absl::Mutex mu;
  uint64_t in_flight = 0;
  absl::Status first_error;
  const absl::Time start = absl::Now();
  *bytes = 0;
  for (uint64_t i = 0; i < f.entries; ++i) {
    std::string e(len(rng), '\0');
    for (size_t j = 0; j < e.size(); j += 8) {
      const uint64_t r = rng();
      std::memcpy(e.data() + j, &r, std::min<size_t>(8, e.size() - j));
    }
    *bytes += e.size();
    {
      absl::MutexLock l(&mu);
      auto room = [&in_flight]() { return in_flight < 200'000; };
      mu.Await(absl::Condition(&room));
      ++in_flight;
    }
    (*d)->AppendAsync(std::move(e), {}, [&](absl::StatusOr<uint64_t> r) {
      absl::MutexLock l(&mu);
      --in_flight;
      if (!r.ok() && first_error.ok()) first_error = r.status();
    });
  }
  Check((*d)->AwaitCheckpoint(f.entries, absl::Minutes(10)).status(), "awaiting the checkpoint");
  Check(first_error, "appending");
  const double build_s = absl::ToDoubleSeconds(absl::Now() - start);
  const absl::Time ex = absl::Now();
  Check((*d)->Export(exp), "exporting");
  std::printf("built %" PRIu64 " entries (%.1f MB, mean %.0f B) in %.1f s; export written in %.1f s\n",
              f.entries, static_cast<double>(*bytes) / 1e6,
              static_cast<double>(*bytes) / static_cast<double>(f.entries), build_s,
              absl::ToDoubleSeconds(absl::Now() - ex));
  return (*d)->Verifiers();
}

// Ceiling (a): every leaf and node hash of the tree over entries held in
// memory, on `threads` threads (alternate 256-entry bundles), then the few
// thousand upper nodes on one. Returns entries/s.
double HashCeiling(const std::vector<std::vector<absl::string_view>>& bundles, uint64_t n,
                   int threads) {
  std::vector<Hash> subtree(bundles.size());
  const absl::Time start = absl::Now();
  std::atomic<size_t> next{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      std::vector<Hash> leaves(storage::kTileWidth);
      for (;;) {
        const size_t k = next.fetch_add(4);
        if (k >= bundles.size()) break;
        for (size_t b = k; b < std::min(bundles.size(), k + 4); ++b) {
          const auto& entries = bundles[b];
          for (size_t j = 0; j < entries.size(); ++j) leaves[j] = storage::LeafHash(entries[j]);
          size_t len = entries.size();
          for (; len > 1; len = (len + 1) / 2) {  // full bundles: 255 node hashes
            for (size_t i = 0; i + 1 < len; i += 2) leaves[i / 2] = storage::NodeHash(leaves[i], leaves[i + 1]);
            if (len % 2) leaves[len / 2] = leaves[len - 1];
          }
          subtree[b] = leaves[0];
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  for (size_t len = subtree.size(); len > 1; len = (len + 1) / 2) {
    for (size_t i = 0; i + 1 < len; i += 2) subtree[i / 2] = storage::NodeHash(subtree[i], subtree[i + 1]);
    if (len % 2) subtree[len / 2] = subtree[len - 1];
  }
  const double s = absl::ToDoubleSeconds(absl::Now() - start);
  return static_cast<double>(n) / s;
}

// Ceiling (b): Ed25519 verifies/s of a 400-byte message on `threads` threads.
double Ed25519Rate(int threads, absl::Duration d) {
  auto key = crypto::Ed25519SigningKey::FromSeed(std::string(32, '\x07'));
  const std::string msg(400, 'm');
  const crypto::Ed25519Signature sig = key->Sign(msg);
  const crypto::Ed25519PublicKey pk = key->public_key();
  std::atomic<uint64_t> total{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> ts;
  const absl::Time start = absl::Now();
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      uint64_t n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        for (int i = 0; i < 64; ++i) {
          if (!crypto::Ed25519Verify(pk, msg, crypto::Bytes(sig)).ok()) std::abort();
        }
        n += 64;
      }
      total += n;
    });
  }
  absl::SleepFor(d);
  stop = true;
  for (auto& t : ts) t.join();
  return static_cast<double>(total.load()) / absl::ToDoubleSeconds(absl::Now() - start);
}

}  // namespace

int main(int argc, char** argv) {
  const Flags f = ParseFlags(argc, argv);
  const std::string root = f.dir;
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  const std::string db = root + "/db", exp = root + "/export";
  uint64_t bytes = 0;
  const std::vector<crypto::NoteVerifier> keys = BuildExport(f, db, exp, &bytes);
  ::sync();

  // The same entries in memory, for ceiling (a) (loading is not timed).
  auto source = storage::OpenExportDirectory(exp);
  Check(source.status(), "opening the export");
  std::vector<std::string> blobs;
  std::vector<std::vector<absl::string_view>> bundles;
  const uint64_t nb = (f.entries + storage::kTileWidth - 1) / storage::kTileWidth;
  blobs.resize(nb);
  bundles.resize(nb);
  for (uint64_t k = 0; k < nb; ++k) {
    const uint64_t w = storage::BundleWidth(f.entries, k);
    const std::string path = storage::EntryBundlePath(k, w);
    Check((*source)->Read(path, &blobs[k]), "reading a bundle");
    Check(storage::ParseEntryBundle(path, blobs[k], k * storage::kTileWidth, w, &bundles[k]), "parsing");
  }

  // Rounds interleave every measurement, so each ratio compares figures
  // taken under the same load (the machine is shared).
  std::vector<double> ceiling, audit, audit1, ratio, ed1s, edns, cpu_ratio;
  uint64_t audited = 0;
  auto run_audit = [&](int threads) {
    storage::AuditOptions o;
    o.threads = threads;
    auto report = storage::AuditTiles(**source, keys, o);
    Check(report.status(), "auditing");
    if (!report->ok()) {
      std::fprintf(stderr, "audit_bench: the export does not verify: %s\n",
                   report->problems[0].message.c_str());
      std::exit(1);
    }
    audited = report->entries_read;
    return static_cast<double>(audited) / absl::ToDoubleSeconds(report->elapsed);
  };
  for (int r = 0; r < f.rounds; ++r) {
    const double c0 = CpuSeconds();
    ceiling.push_back(HashCeiling(bundles, f.entries, f.threads));
    const double c1 = CpuSeconds();
    audit.push_back(run_audit(f.threads));
    const double c2 = CpuSeconds();
    ratio.push_back(audit.back() / ceiling.back());
    cpu_ratio.push_back((c1 - c0) / (c2 - c1));
    audit1.push_back(run_audit(1));
    ed1s.push_back(Ed25519Rate(1, absl::Milliseconds(500)));
    edns.push_back(Ed25519Rate(f.threads, absl::Milliseconds(500)));
    std::printf("round %d: ceiling (a) %.0f entries/s, audit verify %.0f entries/s (%.0f %%), "
                "CPU per entry ceiling/audit %.0f %%, 1 thread %.0f entries/s; Ed25519 %.0f/s on 1 "
                "thread, %.0f/s on %d\n",
                r + 1, ceiling.back(), audit.back(), 100 * ratio.back(), 100 * cpu_ratio.back(),
                audit1.back(),
                ed1s.back(), edns.back(), f.threads);
  }
  const double ed1 = Median(ed1s);
  const double edn = Median(edns);
  const double cores = static_cast<double>(f.threads);
  const double c = Median(ceiling), a = Median(audit);
  const double with_sigs = 1.0 / (1.0 / c + 1.0 / (ed1 * cores));

  std::printf("\n| What | Figure |\n|---|---|\n");
  std::printf("| Export | %" PRIu64 " entries, %.0f–%.0f B (mean %.0f B), %.0f MB of entries |\n",
              audited, static_cast<double>(f.min_bytes), static_cast<double>(f.max_bytes),
              static_cast<double>(bytes) / static_cast<double>(f.entries),
              static_cast<double>(bytes) / 1e6);
  std::printf("| `audit verify`, %d threads (median of %d) | %.0f entries/s (%.0f MB/s) |\n", f.threads,
              f.rounds, a, a * static_cast<double>(bytes) / static_cast<double>(f.entries) / 1e6);
  std::printf("| `audit verify`, 1 thread (median) | %.0f entries/s |\n", Median(audit1));
  std::printf("| Ceiling (a): SHA-256 leaf+node hashing from memory, %d threads (median) | %.0f entries/s |\n",
              f.threads, c);
  std::printf("| Ratio audit / ceiling (a): of the medians; median of the per-round ratios | %.0f %%; %.0f %% (target >= 80 %%) |\n",
              100.0 * a / c, 100.0 * Median(ratio));
  std::printf("| CPU time per entry, ceiling (a) / audit (median of rounds; load-independent) | %.0f %% |\n",
              100.0 * Median(cpu_ratio));
  std::printf("| Ceiling (b): Ed25519 verify, 1 thread (median) | %.0f /s |\n", ed1);
  std::printf("| Ceiling (b): x %d cores | %.0f /s (measured with %d threads at once: %.0f /s) |\n",
              f.threads, ed1 * cores, f.threads, edn);
  std::printf("| Combined ceiling, one signature per entry: 1/(1/(a) + 1/(b x cores)) | %.0f entries/s |\n",
              with_sigs);
  std::filesystem::remove_all(root);
  return 0;
}
