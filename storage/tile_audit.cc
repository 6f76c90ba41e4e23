// docs/DIARIUM.md §6.2: the parallel recompute pass, then checkpoints and
// tiles against the recomputed tree, then (on a mismatch) the authenticated
// descent of §7 over the recomputed nodes.
#include "storage/tile_audit.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <map>
#include <optional>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "storage/checkpoint.h"
#include "storage/tiled_log.h"
#include "storage/tiles.h"

namespace sluss::storage {
namespace {

constexpr uint64_t kBundlesPerClaim = 4;

// What one worker learnt about entry bundle k and leaf tile (0, k).
struct BundleResult {
  uint64_t parsed = 0;      // entries read from the bundle
  uint64_t bytes = 0;       // their total length
  std::string defect;       // why the bundle is not exactly `width` entries; empty if it is
  bool trailing = false;    // the defect is bytes after the last entry
  std::optional<uint64_t> leaf_mismatch;     // first entry whose leaf differs from the tile
  std::optional<AuditProblem> tile_problem;  // leaf tile missing, short or long
  std::optional<Hash> subtree;               // node (8, k), for a full, readable bundle
};

// Reads, parses and hashes bundle k of a tree of `size`; compares the
// leaves with tile (0, k). `scratch` buffers are reused across calls.
struct Scratch {
  std::string bundle;
  std::vector<absl::string_view> entries;
  std::vector<Hash> leaves;
  std::vector<Hash> tile;
};

// `hint` is the size the export's latest checkpoint claims (for file names).
void ProcessBundle(TileSource& source, uint64_t size, uint64_t hint, uint64_t k, Scratch& s,
                   BundleResult& r) {
  const uint64_t width = BundleWidth(size, k);
  const uint64_t first = k * kTileWidth;
  std::string path;
  absl::Status read = ReadEntryBundle(source, size, k, &s.bundle, &s.entries, &path, hint);
  if (!read.ok()) {
    r.defect = s.entries.empty() && read.code() != absl::StatusCode::kDataLoss
                   ? absl::StrCat("entries ", first, "–", first + width - 1, " are missing: ",
                                  read.message())
                   : std::string(read.message());
    r.trailing = s.entries.size() == width;
  }
  r.parsed = s.entries.size();
  s.leaves.resize(r.parsed);
  for (uint64_t j = 0; j < r.parsed; ++j) {
    s.leaves[j] = LeafHash(s.entries[j]);
    r.bytes += s.entries[j].size();
  }
  absl::Status tile = ReadTile(source, size, 0, k, &s.tile, hint);
  if (!tile.ok()) {
    r.tile_problem = AuditProblem{first + s.tile.size(), AuditProblemKind::kTileMissing,
                                  TilePath(0, k, width), std::string(tile.message())};
  }
  const uint64_t common = std::min<uint64_t>(r.parsed, s.tile.size());
  for (uint64_t j = 0; j < common; ++j) {
    if (s.leaves[j] != s.tile[j]) {
      r.leaf_mismatch = first + j;
      break;
    }
  }
  if (width == kTileWidth && r.parsed == kTileWidth) {
    for (size_t len = kTileWidth; len > 1; len /= 2) {
      for (size_t i = 0; i < len / 2; ++i) s.leaves[i] = NodeHash(s.leaves[2 * i], s.leaves[2 * i + 1]);
    }
    r.subtree = s.leaves[0];
  }
}

// The tree recomputed from the entries: nodes at level >= 8 from the pass,
// lower ones by re-reading one bundle (cached).
class RecomputedTree {
 public:
  RecomputedTree(TileSource& source, uint64_t size, uint64_t hint)
      : source_(source), size_(size), hint_(hint) {}

  std::vector<std::vector<std::optional<Hash>>>& upper() { return upper_; }

  struct Bundle {
    std::string path;
    std::vector<Hash> leaves;  // of the entries that could be read
    std::string defect;        // why the rest could not
  };

  const Bundle& LoadBundle(uint64_t k) {
    auto it = bundles_.find(k);
    if (it != bundles_.end()) return it->second;
    if (bundles_.size() >= 8) bundles_.clear();
    Bundle b;
    std::string data;
    std::vector<absl::string_view> entries;
    absl::Status s = ReadEntryBundle(source_, size_, k, &data, &entries, &b.path, hint_);
    if (!s.ok()) b.defect = std::string(s.message());
    for (absl::string_view e : entries) b.leaves.push_back(LeafHash(e));
    return bundles_.emplace(k, std::move(b)).first->second;
  }

  absl::StatusOr<Hash> Node(int level, uint64_t index) {
    if (level >= kTileHeight) {
      const size_t l = static_cast<size_t>(level - kTileHeight);
      if (l >= upper_.size() || index >= upper_[l].size()) {
        return absl::OutOfRangeError(absl::StrCat("node (", level, ", ", index, ") is not complete"));
      }
      if (!upper_[l][index]) {
        return absl::DataLossError(absl::StrCat("some entry under node (", level, ", ", index,
                                                ") could not be read"));
      }
      return *upper_[l][index];
    }
    const uint64_t begin = index << level;
    const uint64_t k = begin / kTileWidth;
    const Bundle& b = LoadBundle(k);
    const uint64_t offset = begin % kTileWidth;
    const uint64_t count = uint64_t{1} << level;
    if (offset + count > b.leaves.size()) return absl::DataLossError(b.defect);
    std::vector<Hash> run(b.leaves.begin() + static_cast<ptrdiff_t>(offset),
                          b.leaves.begin() + static_cast<ptrdiff_t>(offset + count));
    for (size_t len = run.size(); len > 1; len /= 2) {
      for (size_t i = 0; i < len / 2; ++i) run[i] = NodeHash(run[2 * i], run[2 * i + 1]);
    }
    return run[0];
  }

 private:
  TileSource& source_;
  const uint64_t size_;
  const uint64_t hint_;
  std::vector<std::vector<std::optional<Hash>>> upper_;  // [l - 8][index]
  std::map<uint64_t, Bundle> bundles_;
};

std::string Short(const Hash& h) { return HashToBase64(h); }

class Auditor {
 public:
  Auditor(TileSource& source, absl::Span<const crypto::NoteVerifier> trusted, std::string origin,
          const AuditOptions& options)
      : source_(source), trusted_(trusted), origin_(std::move(origin)), options_(options) {}

  absl::StatusOr<AuditReport> Run();

 private:
  struct Checkpoint {
    std::string path;
    std::string note;
    std::optional<CheckpointBody> body;  // parsed, unverified
    std::string defect;                  // why it could not be read or parsed
  };

  Checkpoint ReadCheckpoint(const std::string& path);
  void Pass();
  void CompareUpperTiles();
  void CheckCheckpoint(const Checkpoint& c, std::optional<uint64_t> expected_size);
  AuditProblem Descend(uint64_t size, const Hash& root, const std::string& cp_path);
  void Add(AuditProblem p) { problems_.push_back(std::move(p)); }

  TileSource& source_;
  absl::Span<const crypto::NoteVerifier> trusted_;
  const std::string origin_;
  const AuditOptions& options_;

  AuditReport report_;
  uint64_t n_ = 0;     // the tree size audited
  uint64_t hint_ = 0;  // the size the latest checkpoint claims: names the files to read
  std::vector<BundleResult> bundles_;
  std::optional<RecomputedTree> tree_;
  std::optional<TileNodeSource> tiles_;
  // Tile hashes that differ from recomputed nodes: (level, index, path).
  struct TileMismatch {
    int level;
    uint64_t index;
    std::string path;
  };
  std::vector<TileMismatch> tile_mismatches_;
  std::optional<CheckpointBody> last_good_;
  std::vector<AuditProblem> problems_;
};

Auditor::Checkpoint Auditor::ReadCheckpoint(const std::string& path) {
  Checkpoint c;
  c.path = path;
  absl::Status s = source_.Read(path, &c.note);
  if (!s.ok()) {
    c.defect = std::string(s.message());
    return c;
  }
  const size_t blank = c.note.find("\n\n");
  if (blank == std::string::npos) {
    c.defect = absl::StrCat(path, ": not a signed note (no blank line before the signatures)");
    return c;
  }
  absl::StatusOr<CheckpointBody> body = ParseCheckpointText(absl::string_view(c.note).substr(0, blank + 1));
  if (!body.ok()) {
    c.defect = absl::StrCat(path, ": ", body.status().message());
    return c;
  }
  c.body = *std::move(body);
  return c;
}

void Auditor::Pass() {
  const uint64_t nb = (n_ + kTileWidth - 1) / kTileWidth;
  bundles_.assign(nb, BundleResult());
  std::atomic<uint64_t> next{0};
  std::atomic<uint64_t> hashed{0};
  absl::Mutex mu;
  int running = 0;
  int threads = options_.threads > 0 ? options_.threads
                                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(threads), std::max<uint64_t>(nb, 1)));
  std::vector<std::thread> workers;
  running = threads;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      Scratch scratch;
      for (;;) {
        const uint64_t begin = next.fetch_add(kBundlesPerClaim);
        if (begin >= nb) break;
        const uint64_t end = std::min(nb, begin + kBundlesPerClaim);
        for (uint64_t k = begin; k < end; ++k) {
          ProcessBundle(source_, n_, hint_, k, scratch, bundles_[k]);
          hashed.fetch_add(BundleWidth(n_, k), std::memory_order_relaxed);
        }
      }
      absl::MutexLock l(&mu);
      --running;
    });
  }
  {
    absl::MutexLock l(&mu);
    auto done = [&running]() { return running == 0; };
    while (!mu.AwaitWithTimeout(absl::Condition(&done), options_.progress_interval)) {
      if (options_.progress) {
        mu.Unlock();
        options_.progress(hashed.load(std::memory_order_relaxed), n_);
        mu.Lock();
      }
    }
  }
  for (auto& w : workers) w.join();
  if (options_.progress) options_.progress(hashed.load(), n_);
}

void Auditor::CompareUpperTiles() {
  std::vector<Hash> hashes;
  auto& upper = tree_->upper();
  for (int tl = 1; tl * kTileHeight < 64 && (n_ >> (tl * kTileHeight)) > 0; ++tl) {
    const int level = tl * kTileHeight;
    const uint64_t count = n_ >> level;
    const auto& recomputed = upper[static_cast<size_t>(level - kTileHeight)];
    for (uint64_t t = 0; t * kTileWidth < count; ++t) {
      const std::string path = TilePath(tl, t, TileWidth(n_, tl, t));
      absl::Status s = ReadTile(source_, n_, tl, t, &hashes, hint_);
      ++report_.tiles_read;
      if (!s.ok()) {
        Add({(t * kTileWidth + hashes.size()) << level, AuditProblemKind::kTileMissing, path,
             std::string(s.message())});
      }
      for (size_t j = 0; j < hashes.size(); ++j) {
        const uint64_t idx = t * kTileWidth + j;
        if (recomputed[idx] && *recomputed[idx] != hashes[j]) {
          tile_mismatches_.push_back({level, idx, path});
          break;
        }
      }
    }
  }
}

AuditProblem Auditor::Descend(uint64_t size, const Hash& root, const std::string& cp_path) {
  auto tiles = [this](int level, uint64_t index) { return tiles_->Node(level, index); };
  auto recomputed = [this](int level, uint64_t index) { return tree_->Node(level, index); };
  uint64_t lo = 0, hi = size;
  Hash trusted = root;
  while (hi - lo > 1) {
    const uint64_t k = std::bit_floor(hi - lo - 1);
    absl::StatusOr<Hash> left = RangeHash(lo, lo + k, tiles);
    absl::StatusOr<Hash> right = RangeHash(lo + k, hi, tiles);
    if (!left.ok() || !right.ok()) {
      return {lo, AuditProblemKind::kTreeMismatch, "",
              absl::StrCat("entries [", lo, ", ", hi, ") do not match ", cp_path,
                           ", and the tiles needed to find the first altered one are unreadable: ",
                           (left.ok() ? right.status() : left.status()).message())};
    }
    if (NodeHash(*left, *right) != trusted) {
      return {lo, AuditProblemKind::kTreeMismatch, "",
              absl::StrCat("entries [", lo, ", ", hi, ") do not match ", cp_path,
                           ", and neither do the tiles, so the first altered entry cannot be "
                           "singled out")};
    }
    absl::StatusOr<Hash> left_recomputed = RangeHash(lo, lo + k, recomputed);
    if (!left_recomputed.ok() || *left_recomputed != *left) {
      hi = lo + k;
      trusted = *left;
    } else {
      lo = lo + k;
      trusted = *right;
    }
  }
  const RecomputedTree::Bundle& b = tree_->LoadBundle(lo / kTileWidth);
  const uint64_t j = lo % kTileWidth;
  if (j >= b.leaves.size()) {
    return {lo, AuditProblemKind::kEntryMissing, b.path,
            absl::StrCat("entry ", lo, " is signed by ", cp_path, " but ", b.defect)};
  }
  std::string message =
      absl::StrCat("entry ", lo, " in ", b.path, " does not match ", cp_path,
                   ": its leaf hash is ", Short(b.leaves[j]), ", the signed one is ", Short(trusted));
  if (lo + 1 < size) {
    absl::StatusOr<Hash> next = tiles_->Node(0, lo + 1);
    if (next.ok() && *next == b.leaves[j]) {
      absl::StrAppend(&message, "; its bytes are those of the signed entry ", lo + 1,
                      ", so entry ", lo, " was removed");
    }
  }
  return {lo, AuditProblemKind::kEntryAltered, b.path, std::move(message)};
}

void Auditor::CheckCheckpoint(const Checkpoint& c, std::optional<uint64_t> expected_size) {
  AuditedCheckpoint ac;
  ac.path = c.path;
  if (c.body) {
    ac.size = c.body->size;
    ac.root = c.body->root;
  }
  const uint64_t proven = report_.proven_size;
  auto untrusted = [&](const std::string& why) {
    Add({proven, AuditProblemKind::kCheckpointUntrusted, c.path, why});
    report_.checkpoints.push_back(ac);
  };
  if (!c.body) return untrusted(c.defect);
  absl::StatusOr<SignedCheckpoint> opened = OpenCheckpoint(c.note, origin_, trusted_);
  if (!opened.ok()) {
    return untrusted(absl::StrCat(c.path, " (size ", ac.size, ") is not signed by a trusted key: ",
                                  opened.status().message()));
  }
  ac.trusted = true;
  const uint64_t size = c.body->size;
  const Hash& root = c.body->root;
  if (expected_size && *expected_size != size) {
    Add({proven, AuditProblemKind::kCheckpointInconsistent, c.path,
         absl::StrCat(c.path, " holds a checkpoint of size ", size, ", not ", *expected_size)});
    report_.checkpoints.push_back(ac);
    return;
  }
  if (size > n_) {
    Add({proven, AuditProblemKind::kCheckpointInconsistent, c.path,
         absl::StrCat(c.path, " has size ", size, ", more than the latest checkpoint (", n_,
                      "): the log was rolled back, or the latest checkpoint is an older one")});
    report_.checkpoints.push_back(ac);
    return;
  }
  auto recomputed = [this](int level, uint64_t index) { return tree_->Node(level, index); };
  auto tiles = [this](int level, uint64_t index) { return tiles_->Node(level, index); };
  absl::StatusOr<Hash> r = RootAt(size, recomputed);
  if (r.ok() && *r == root) {
    if (last_good_) {
      // The consistency proof a witness would check, made from the
      // recomputed tree and checked by the independent verifier.
      absl::StatusOr<std::vector<Hash>> proof = ConsistencyProof(last_good_->size, size, recomputed);
      absl::Status s = proof.ok() ? VerifyConsistency(last_good_->size, size, last_good_->root, root, *proof)
                                  : proof.status();
      if (!s.ok()) {
        Add({proven, AuditProblemKind::kCheckpointInconsistent, c.path,
             absl::StrCat(c.path, " is not consistent with the checkpoint of size ",
                          last_good_->size, ": ", s.message())});
        report_.checkpoints.push_back(ac);
        return;
      }
    }
    ac.matches = true;
    report_.proven_size = std::max(report_.proven_size, size);
    last_good_ = *c.body;
    report_.checkpoints.push_back(ac);
    return;
  }
  report_.checkpoints.push_back(ac);
  absl::StatusOr<Hash> t = RootAt(size, tiles);
  if (!(t.ok() && *t == root) && r.ok() && t.ok() && *r == *t) {
    Add({proven, AuditProblemKind::kCheckpointMismatch, c.path,
         absl::StrCat(c.path, " (size ", size, ") signs root ", Short(root),
                      ", but the entries and the tiles agree on root ", Short(*r),
                      ": it is a checkpoint of another tree under the same origin (swapped, or "
                      "the log forked)")});
    return;
  }
  Add(Descend(size, root, c.path));
}

absl::StatusOr<AuditReport> Auditor::Run() {
  const absl::Time start = absl::Now();
  report_.source = source_.Describe();
  SLUSS_ASSIGN_OR_RETURN(std::vector<uint64_t> history, source_.CheckpointHistory());
  Checkpoint latest = ReadCheckpoint(std::string(kCheckpointPath));
  if (!latest.body) {
    Add({0, AuditProblemKind::kCheckpointUntrusted, latest.path,
         absl::StrCat(latest.defect, "; without a checkpoint nothing can be verified")});
    report_.problems = std::move(problems_);
    report_.elapsed = absl::Now() - start;
    return std::move(report_);
  }
  n_ = latest.body->size;
  hint_ = n_;
  if (!OpenCheckpoint(latest.note, origin_, trusted_).ok()) {
    // An untrusted checkpoint must not decide how much is read (a forged
    // size could exhaust memory): audit up to the largest trusted older one.
    n_ = 0;
    for (uint64_t size : history) {
      Checkpoint c = ReadCheckpoint(CheckpointHistoryPath(size));
      if (c.body && c.body->size == size && OpenCheckpoint(c.note, origin_, trusted_).ok()) {
        n_ = std::max(n_, size);
      }
    }
  }
  report_.size = n_;
  tree_.emplace(source_, n_, hint_);
  tiles_.emplace(source_, n_, hint_);

  Pass();

  // Gather the pass's findings; build the levels >= 8 of the recomputed tree.
  auto& upper = tree_->upper();
  bool all_read = true;
  for (uint64_t k = 0; k < bundles_.size(); ++k) {
    BundleResult& b = bundles_[k];
    report_.entries_read += b.parsed;
    report_.entry_bytes += b.bytes;
    ++report_.tiles_read;
    const uint64_t width = BundleWidth(n_, k);
    if (!b.defect.empty()) {
      if (b.trailing) {
        Add({k * kTileWidth, AuditProblemKind::kBundleMalformed, EntryBundlePath(k, width), b.defect});
      } else {
        all_read = false;
        Add({k * kTileWidth + b.parsed, AuditProblemKind::kEntryMissing, EntryBundlePath(k, width),
             b.defect});
      }
    }
    if (b.tile_problem) Add(*b.tile_problem);
    if (b.leaf_mismatch) tile_mismatches_.push_back({0, *b.leaf_mismatch, TilePath(0, k, width)});
  }
  if (n_ >= kTileWidth) {
    upper.emplace_back(n_ >> kTileHeight);
    for (uint64_t k = 0; k < upper[0].size(); ++k) upper[0][k] = bundles_[k].subtree;
    for (int level = kTileHeight + 1; level < 64 && (n_ >> level) > 0; ++level) {
      const auto& below = upper.back();
      std::vector<std::optional<Hash>> row(n_ >> level);
      for (uint64_t k = 0; k < row.size(); ++k) {
        if (below[2 * k] && below[2 * k + 1]) row[k] = NodeHash(*below[2 * k], *below[2 * k + 1]);
      }
      upper.push_back(std::move(row));
    }
  }
  bundles_.clear();
  bundles_.shrink_to_fit();
  CompareUpperTiles();
  if (all_read) {
    auto recomputed = [this](int level, uint64_t index) { return tree_->Node(level, index); };
    absl::StatusOr<Hash> root = RootAt(n_, recomputed);
    if (root.ok()) {
      report_.root_recomputed = true;
      report_.recomputed_root = *root;
    }
  }

  // Checkpoints, oldest first, each against the recomputed tree and the
  // last one that matched.
  for (uint64_t size : history) {
    CheckCheckpoint(ReadCheckpoint(CheckpointHistoryPath(size)), size);
  }
  CheckCheckpoint(latest, std::nullopt);

  // A tile hash that differs from a node over proven entries is the tile's
  // fault. (Over unproven entries, the entry problems above explain it.)
  for (const TileMismatch& m : tile_mismatches_) {
    if (((m.index + 1) << m.level) <= report_.proven_size) {
      Add({m.index << m.level, AuditProblemKind::kTileAltered, m.path,
           absl::StrCat(m.path, " holds a hash for node (", m.level, ", ", m.index,
                        ") that differs from the one recomputed from the entries, which the "
                        "checkpoint proves: the tile was altered")});
    }
  }

  std::sort(problems_.begin(), problems_.end(), [](const AuditProblem& a, const AuditProblem& b) {
    return std::tie(a.index, a.kind) < std::tie(b.index, b.kind);
  });
  problems_.erase(std::unique(problems_.begin(), problems_.end(),
                              [](const AuditProblem& a, const AuditProblem& b) {
                                return a.index == b.index && a.kind == b.kind;
                              }),
                  problems_.end());
  if (problems_.size() > options_.max_problems) {
    report_.problems_omitted = problems_.size() - options_.max_problems;
    problems_.resize(options_.max_problems);
  }
  report_.problems = std::move(problems_);
  report_.elapsed = absl::Now() - start;
  return std::move(report_);
}

}  // namespace

absl::string_view AuditProblemKindName(AuditProblemKind kind) {
  switch (kind) {
    case AuditProblemKind::kEntryAltered:
      return "entry_altered";
    case AuditProblemKind::kEntryMissing:
      return "entry_missing";
    case AuditProblemKind::kBundleMalformed:
      return "bundle_malformed";
    case AuditProblemKind::kTileAltered:
      return "tile_altered";
    case AuditProblemKind::kTileMissing:
      return "tile_missing";
    case AuditProblemKind::kCheckpointUntrusted:
      return "checkpoint_untrusted";
    case AuditProblemKind::kCheckpointMismatch:
      return "checkpoint_mismatch";
    case AuditProblemKind::kCheckpointInconsistent:
      return "checkpoint_inconsistent";
    case AuditProblemKind::kTreeMismatch:
      return "tree_mismatch";
  }
  return "unknown";
}

absl::StatusOr<AuditReport> AuditTiles(TileSource& source,
                                       absl::Span<const crypto::NoteVerifier> trusted,
                                       const AuditOptions& options) {
  SLUSS_ASSIGN_OR_RETURN(std::string origin, OriginOfKeys(trusted));
  if (options.threads < 0) return absl::InvalidArgumentError("audit: threads must be >= 0");
  Auditor auditor(source, trusted, std::move(origin), options);
  return auditor.Run();
}

}  // namespace sluss::storage
