// Full offline audit of a tlog-tiles log (docs/DIARIUM.md §6.2): recompute
// the Merkle tree from every entry, on several threads; compare every tile
// with the recomputed nodes and every checkpoint (the latest and the older
// ones kept under checkpoints/) with the recomputed roots; check each
// checkpoint's consistency with the one before it; and, on failure, name the
// first bad entry index and why.
//
//   SLUSS_ASSIGN_OR_RETURN(std::unique_ptr<TileSource> src, OpenExportDirectory(dir));
//   SLUSS_ASSIGN_OR_RETURN(AuditReport report, AuditTiles(*src, trusted_keys, {}));
//   if (!report.ok()) {
//     const AuditProblem& first = report.problems.front();
//     // first.index, AuditProblemKindName(first.kind), first.message
//   }
//
// What "first bad index" means: the smallest entry index from which the
// source can no longer be shown intact against a trusted checkpoint —
// an entry whose bytes differ from the signed ones (or that is missing),
// the first entry under a missing, truncated or altered tile hash, or, when
// a checkpoint itself is at fault (unsigned by a trusted key, a root of
// another tree), the first entry not covered by an earlier checkpoint that
// did verify.
//
// AuditTiles is thread-compatible; it runs `threads` worker threads of its
// own and calls the TileSource from all of them.
#ifndef SLUSS_STORAGE_TILE_AUDIT_H_
#define SLUSS_STORAGE_TILE_AUDIT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "crypto/note.h"
#include "storage/merkle.h"
#include "storage/tile_source.h"

namespace sluss::storage {

enum class AuditProblemKind {
  kEntryAltered,            // the entry's leaf hash is not the signed one
  kEntryMissing,            // bundle missing, truncated, or short of entries
  kBundleMalformed,         // bytes after a bundle's last entry
  kTileAltered,             // a tile hash differs from the node recomputed from proven entries
  kTileMissing,             // a tile is missing, truncated or too long
  kCheckpointUntrusted,     // not signed by a trusted key, malformed, or another origin
  kCheckpointMismatch,      // its root is not the root of the entries (which the tiles agree with)
  kCheckpointInconsistent,  // not consistent with another checkpoint (fork, rollback)
  kTreeMismatch,            // entries, tiles and checkpoint disagree; first entry not singled out
};

// "entry_altered", "entry_missing", …: stable names for --json output.
absl::string_view AuditProblemKindName(AuditProblemKind kind);

struct AuditProblem {
  uint64_t index = 0;  // the first bad entry index (see the file comment)
  AuditProblemKind kind = AuditProblemKind::kEntryAltered;
  std::string path;     // the object at fault: "tile/entries/001", "checkpoint", …
  std::string message;  // one sentence saying what is wrong and why it matters
};

// One checkpoint the audit looked at.
struct AuditedCheckpoint {
  std::string path;       // "checkpoint" or "checkpoints/<size>"
  uint64_t size = 0;      // as its text says (even if untrusted)
  Hash root{};
  bool trusted = false;   // signed by a trusted key, right origin
  bool matches = false;   // trusted and its root is the root of entries [0, size)
};

struct AuditReport {
  std::string source;            // TileSource::Describe()
  // The tree size audited: the latest checkpoint's or, if that one is not
  // signed by a trusted key, the largest trusted older checkpoint's.
  uint64_t size = 0;
  uint64_t entries_read = 0;     // entries parsed and hashed
  uint64_t entry_bytes = 0;      // their total length
  uint64_t tiles_read = 0;       // hash tiles compared (all levels)
  bool root_recomputed = false;  // every entry was readable, so:
  Hash recomputed_root{};        // MTH of entries [0, size)
  // Entries [0, proven_size) are proven intact by a trusted checkpoint that
  // matches the recomputed tree.
  uint64_t proven_size = 0;
  std::vector<AuditedCheckpoint> checkpoints;  // ascending size; the latest last
  // Ascending by index; at most AuditOptions::max_problems of them.
  std::vector<AuditProblem> problems;
  uint64_t problems_omitted = 0;
  absl::Duration elapsed;

  bool ok() const { return problems.empty() && problems_omitted == 0; }
};

struct AuditOptions {
  // Worker threads that read, parse and hash entry bundles. 0: one per
  // hardware thread.
  int threads = 2;
  // If set, called on the calling thread about every `progress_interval`
  // with the number of entries hashed so far and the total.
  std::function<void(uint64_t done, uint64_t total)> progress;
  absl::Duration progress_interval = absl::Milliseconds(100);
  // At most this many problems are kept (the first ones by index).
  size_t max_problems = 100;
};

// Audits `source` trusting only `trusted` (all named after the log's
// origin). Problems found in the log are returned in the report, never as a
// status. Non-OK only when the audit cannot start: kInvalidArgument (no keys,
// keys of different logs, bad options) or an error listing the checkpoint
// history.
absl::StatusOr<AuditReport> AuditTiles(TileSource& source,
                                       absl::Span<const crypto::NoteVerifier> trusted,
                                       const AuditOptions& options);

}  // namespace sluss::storage

#endif  // SLUSS_STORAGE_TILE_AUDIT_H_
