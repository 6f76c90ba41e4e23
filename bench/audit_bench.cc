// audit_bench: the figures of docs/PERFORMANCE.md "Audit (client/)" — the
// throughput of `sluss audit verify` (storage::AuditTiles for the tree,
// then client::AuditSlussEntries for every officer signature and
// reference: the code the CLI runs) on a 1,000,000-entry export of a
// synthetic Sluss log (tests/support/sluss_log.h: the directory, the
// rulebook, then requests, decisions and receipts, each signed by its
// officer — 99.99 % of the entries carry one Ed25519 signature), beside a
// ceiling measured in the same run:
//   (a) SHA-256 tree hashing of the same entries, from memory, on all
//       threads: every leaf hash and every node hash, nothing else;
//   (b) Ed25519 verifications per second (libsodium) of messages as long as
//       the entries' signed payloads (PAE), on one thread, x cores;
//   ceiling = entries / (entries / (a) + signatures / (b x cores)).
//
//   cmake --preset release && cmake --build build/release -j2 --target audit_bench
//   build/release/bin/audit_bench [--dir=var/audit-bench] [--entries=1000000]
//                                 [--rounds=3] [--threads=2]
//
// Instruction counts instead of time (load-independent; the machine is
// shared): run under callgrind with --instructions; the bench zeroes and
// dumps the counters (all threads) right before and after (A) the hashing
// ceiling, (B) 256 Ed25519 verifications and (C) the audit, as the dumps
// callgrind.out.<pid>.2, .3 and .4 (.1 is the log's generation):
//   valgrind --tool=callgrind build/release/bin/audit_bench --entries=4096
//     --threads=1 --instructions        (one command line)
//   ceiling = A + signatures x B / 256; ratio = ceiling / C (grep "^totals:").
//
// The export is built with storage::Diarium (AppendAsync, groups of up to
// 65,536) under --dir and removed at the end. The ceilings and the audit
// run alternately, --rounds times each; medians are reported, and process
// CPU time beside wall time (the machine is shared). The export is in the
// page cache when it is audited (it was just written), so this measures
// the CPU work and the file-system calls, not the disk.
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

#include <valgrind/callgrind.h>

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
#include "client/audit_entries.h"
#include "crypto/dsse.h"
#include "tests/support/sluss_log.h"

namespace {

using namespace sluss;
using storage::Hash;

struct Flags {
  std::string dir = "var/audit-bench";
  uint64_t entries = 1'000'000;
  int rounds = 3;
  int threads = 2;
  bool instructions = false;
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
    } else if (auto v_rounds = val("rounds")) {
      ok = absl::SimpleAtoi(*v_rounds, &f.rounds);
    } else if (a == "--instructions") {
      f.instructions = true;
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
  auto gen = testing::SlussLogGenerator::Create({});
  Check(gen.status(), "the log generator");
  auto next = testing::SlussLogStream(**gen, f.entries);
  absl::Mutex mu;
  uint64_t in_flight = 0;
  absl::Status first_error;
  const absl::Time start = absl::Now();
  *bytes = 0;
  std::string e;
  while (next(&e)) {
    *bytes += e.size();
    {
      absl::MutexLock l(&mu);
      auto room = [&in_flight]() { return in_flight < 100'000; };
      mu.Await(absl::Condition(&room));
      ++in_flight;
    }
    (*d)->AppendAsync(std::move(e), {}, [&](absl::StatusOr<uint64_t> r) {
      absl::MutexLock l(&mu);
      --in_flight;
      if (!r.ok() && first_error.ok()) first_error = r.status();
    });
    e.clear();
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

// Ceiling (b): Ed25519 verifies/s of a `len`-byte message on `threads` threads.
double Ed25519Rate(int threads, absl::Duration d, size_t len, double* cpu_per_verify = nullptr) {
  const double cpu0 = CpuSeconds();
  auto key = crypto::Ed25519SigningKey::FromSeed(std::string(32, '\x07'));
  const std::string msg(len, 'm');
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
  if (cpu_per_verify != nullptr) *cpu_per_verify = (CpuSeconds() - cpu0) / static_cast<double>(total.load());
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

  // The signatures the audit checks, and their signed messages' mean length.
  uint64_t signatures = 0, pae_bytes = 0;
  for (const auto& b : bundles) {
    for (absl::string_view e : b) {
      v1::DiariumEntry entry;
      if (!entry.ParseFromArray(e.data(), static_cast<int>(e.size()))) continue;
      const v1::DsseEnvelope* env = entry.has_request()    ? &entry.request().action()
                                    : entry.has_decision() ? &entry.decision().action()
                                    : entry.has_send()     ? &entry.send().action()
                                    : entry.has_receipt()  ? &entry.receipt().action()
                                    : entry.has_revocation() ? &entry.revocation().action()
                                                             : nullptr;
      if (env == nullptr) continue;
      ++signatures;
      pae_bytes += crypto::DssePae(env->payload_type(), env->payload()).size();
    }
  }
  const size_t pae_len = static_cast<size_t>(pae_bytes / std::max<uint64_t>(signatures, 1));
  std::printf("%" PRIu64 " signed entries of %" PRIu64 " (%.2f %%), signed messages %zu B on average\n", signatures,
              f.entries, 100.0 * static_cast<double>(signatures) / static_cast<double>(f.entries), pae_len);

  if (f.instructions) {
    // (A) hashing, (B) 256 verifications, (C) the audit: each region's
    // instructions in its own callgrind dump.
    CALLGRIND_DUMP_STATS_AT("setup");
    CALLGRIND_ZERO_STATS;
    HashCeiling(bundles, f.entries, f.threads);
    CALLGRIND_DUMP_STATS_AT("A");
    auto key = crypto::Ed25519SigningKey::FromSeed(std::string(32, '\x07'));
    const std::string msg(pae_len, 'm');
    const crypto::Ed25519Signature sig = key->Sign(msg);
    CALLGRIND_ZERO_STATS;
    for (int i = 0; i < 256; ++i) {
      if (!crypto::Ed25519Verify(key->public_key(), msg, crypto::Bytes(sig)).ok()) std::abort();
    }
    CALLGRIND_DUMP_STATS_AT("B");
    CALLGRIND_ZERO_STATS;
    storage::AuditOptions o;
    o.threads = f.threads;
    auto tree = storage::AuditTiles(**source, keys, o);
    client::EntryAuditOptions eo;
    eo.threads = f.threads;
    auto entries = client::AuditSlussEntries(**source, f.entries, eo);
    CALLGRIND_DUMP_STATS_AT("C");
    if (!tree.ok() || !tree->ok() || !entries.ok() || !entries->ok()) {
      std::fprintf(stderr, "audit_bench: the export does not verify\n");
      return 1;
    }
    std::printf("instructions: dumps A (hashing), B (256 verifies), C (audit); %" PRIu64 " signatures\n",
                entries->signatures_verified);
    std::filesystem::remove_all(root);
    return 0;
  }

  // Rounds interleave every measurement, so each ratio compares figures
  // taken under the same load (the machine is shared).
  const double cores = static_cast<double>(f.threads);
  const double n = static_cast<double>(f.entries), sigs = static_cast<double>(signatures);
  std::vector<double> hashing, ed1s, edns, ceilings, audits, ratios, cpu_ratios, tree_s, entry_s;
  for (int r = 0; r < f.rounds; ++r) {
    const double c0 = CpuSeconds();
    hashing.push_back(HashCeiling(bundles, f.entries, f.threads));
    const double cpu_hash = CpuSeconds() - c0;
    double cpu_verify = 0;
    ed1s.push_back(Ed25519Rate(1, absl::Seconds(1), pae_len, &cpu_verify));
    edns.push_back(Ed25519Rate(f.threads, absl::Seconds(1), pae_len));
    ceilings.push_back(n / (n / hashing.back() + sigs / (ed1s.back() * cores)));

    const double c1 = CpuSeconds();
    const absl::Time t0 = absl::Now();
    storage::AuditOptions o;
    o.threads = f.threads;
    auto tree = storage::AuditTiles(**source, keys, o);
    Check(tree.status(), "auditing the tree");
    if (!tree->ok()) {
      std::fprintf(stderr, "audit_bench: the export does not verify: %s\n", tree->problems[0].message.c_str());
      std::exit(1);
    }
    const absl::Time t1 = absl::Now();
    client::EntryAuditOptions eo;
    eo.threads = f.threads;
    auto entries = client::AuditSlussEntries(**source, tree->proven_size, eo);
    Check(entries.status(), "auditing the entries");
    if (!entries->ok() || entries->signatures_verified != signatures) {
      std::fprintf(stderr, "audit_bench: the entries do not verify (%" PRIu64 " signatures)\n",
                   entries->signatures_verified);
      std::exit(1);
    }
    const absl::Time t2 = absl::Now();
    const double cpu_audit = CpuSeconds() - c1;
    tree_s.push_back(absl::ToDoubleSeconds(t1 - t0));
    entry_s.push_back(absl::ToDoubleSeconds(t2 - t1));
    audits.push_back(n / absl::ToDoubleSeconds(t2 - t0));
    ratios.push_back(audits.back() / ceilings.back());
    cpu_ratios.push_back((cpu_hash + sigs * cpu_verify) / cpu_audit);
    std::printf("round %d: audit verify %.0f entries/s (tree %.1f s, signatures+references %.1f s); ceiling %.0f "
                "entries/s [(a) %.0f entries/s, (b) %.0f/s x %d; %d threads at once %.0f/s] = %.0f %%; CPU "
                "ceiling/audit %.0f %%\n",
                r + 1, audits.back(), tree_s.back(), entry_s.back(), ceilings.back(), hashing.back(), ed1s.back(),
                f.threads, f.threads, edns.back(), 100 * ratios.back(), 100 * cpu_ratios.back());
    std::fflush(stdout);
  }
  const double a = Median(audits), c = Median(ceilings);
  std::printf("\n| What | Figure |\n|---|---|\n");
  std::printf("| Export | %" PRIu64 " entries (%" PRIu64 " signed), mean %.0f B, %.0f MB of entries |\n", f.entries,
              signatures, static_cast<double>(bytes) / n, static_cast<double>(bytes) / 1e6);
  std::printf("| `audit verify`, %d threads (median of %d) | %.0f entries/s (tree %.1f s + signatures and "
              "references %.1f s) |\n",
              f.threads, f.rounds, a, Median(tree_s), Median(entry_s));
  std::printf("| (a) SHA-256 leaf+node hashing from memory, %d threads (median) | %.0f entries/s |\n", f.threads,
              Median(hashing));
  std::printf("| (b) Ed25519 verify of a %zu-byte message, 1 thread (median) | %.0f /s (x %d = %.0f /s; %d "
              "threads at once: %.0f /s) |\n",
              pae_len, Median(ed1s), f.threads, Median(ed1s) * cores, f.threads, Median(edns));
  std::printf("| Ceiling: entries / (entries/(a) + signatures/((b) x cores)) (median of rounds) | %.0f entries/s |\n",
              c);
  std::printf("| Ratio audit / ceiling: of the medians; median of the per-round ratios | %.0f %%; %.0f %% (target "
              ">= 80 %%) |\n",
              100.0 * a / c, 100.0 * Median(ratios));
  std::printf("| CPU time, ceiling / audit (median of rounds; load-independent) | %.0f %% |\n",
              100.0 * Median(cpu_ratios));
  std::filesystem::remove_all(root);
  return 0;
}
