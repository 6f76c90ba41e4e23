// `sluss audit fetch` without the network: mirroring a log, tile by tile,
// into a tlog-tiles export directory so that a crash at any point never
// leaves a file the next run takes as valid.
//
//   - every file is written to a temporary name, fsynced and renamed
//     (base/file.h WriteFileAtomically); the directory is fsynced;
//   - a run first removes temporary files a crashed run left behind;
//   - full tiles and bundles already present are reused only after a
//     check: the whole export is audited against the new checkpoint
//     (storage/tile_audit.h: lengths, every leaf and node, the signed root,
//     consistency with the archived checkpoints); a reused file named by a
//     problem is fetched again, and a problem that remains fails the fetch;
//   - the checkpoint is written last, after that audit passed: an
//     interrupted or failed fetch leaves the previous checkpoint, which the
//     files it names still prove.
//
// Thread-compatible.
#ifndef SLUSS_CLIENT_AUDIT_FETCH_H_
#define SLUSS_CLIENT_AUDIT_FETCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/audit_cmd.h"
#include "storage/tile_source.h"

namespace sluss::client {

// Where fetch reads from: the live server (Diarium.GetCheckpoint/GetTile),
// or in tests anything else.
class TileFetcher {
 public:
  virtual ~TileFetcher() = default;
  struct Checkpoint {
    std::string note;                        // the signed checkpoint
    std::vector<std::string> verifier_keys;  // the log's keys, as published
  };
  virtual absl::StatusOr<Checkpoint> GetCheckpoint() = 0;
  // Hash tile (level >= 0) or entry bundle (level -1), `width` of 256.
  virtual absl::StatusOr<std::string> GetTile(int level, uint64_t n, uint64_t width) = 0;
};

// Mirrors `fetcher`'s log into `dir` (created). Errors: the fetcher's
// (annotated with the tile path); kDataLoss if the export does not verify
// against the checkpoint after refetching what was reused (a server serving
// tiles that do not match its own checkpoint, or a fork of the archived
// history): the previous checkpoint is then left in place.
absl::StatusOr<FetchResult> FetchExportFrom(TileFetcher& fetcher, const std::string& dir);

// A TileFetcher over another export (tests; mirroring a mirror).
class TileSourceFetcher : public TileFetcher {
 public:
  explicit TileSourceFetcher(storage::TileSource& source) : source_(source) {}
  absl::StatusOr<Checkpoint> GetCheckpoint() override;
  absl::StatusOr<std::string> GetTile(int level, uint64_t n, uint64_t width) override;

 private:
  storage::TileSource& source_;
};

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_AUDIT_FETCH_H_
