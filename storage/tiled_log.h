// A tlog-tiles log opened at a checkpoint the auditor trusts: read entries
// and make proofs from the tiles (docs/DIARIUM.md §5–§6), each checked
// against the checkpoint before it is handed out.
//
//   SLUSS_ASSIGN_OR_RETURN(std::vector<crypto::NoteVerifier> keys,
//                          ParseVerifierKeys(vkey_file_text, "--vkey-file"));
//   SLUSS_ASSIGN_OR_RETURN(std::unique_ptr<TiledLog> log, TiledLog::Open(*source, keys));
//   SLUSS_ASSIGN_OR_RETURN(std::string proof, log->InclusionProofFile(42));
//
// An auditor trusts only the log's public key, obtained out of band: pass
// that key. An export's own `vkeys` file proves nothing about who made it.
//
// A TiledLog is thread-compatible; the TileSource must outlive it.
#ifndef SLUSS_STORAGE_TILED_LOG_H_
#define SLUSS_STORAGE_TILED_LOG_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "crypto/note.h"
#include "storage/checkpoint.h"
#include "storage/tile_source.h"

namespace sluss::storage {

// Parses verifier keys ("<name>+<hash>+<base64 key>"), one per line; blank
// lines and lines starting with '#' are skipped. kInvalidArgument naming
// `what` and the line if a key is malformed, or if there is none.
absl::StatusOr<std::vector<crypto::NoteVerifier>> ParseVerifierKeys(absl::string_view text,
                                                                    absl::string_view what);

// The log origin the keys speak for: their common name. kInvalidArgument
// if `keys` is empty or the names differ (one log, one origin).
absl::StatusOr<std::string> OriginOfKeys(absl::Span<const crypto::NoteVerifier> keys);

// Reads and opens checkpoint note `path` of `source` with `trusted`. Errors:
// the source's (kNotFound if missing); "<path>: " + OpenCheckpoint's:
// kInvalidArgument (malformed, other origin), kUnauthenticated (a trusted
// key's signature fails), kNotFound ("no signature by a known key").
absl::StatusOr<SignedCheckpoint> ReadTrustedCheckpoint(TileSource& source, absl::string_view path,
                                                       absl::Span<const crypto::NoteVerifier> trusted);

class TiledLog {
 public:
  // Opens `source` at its `checkpoint`, verified with `trusted` (which must
  // all be named after the log's origin). Errors: those of OriginOfKeys and
  // ReadTrustedCheckpoint.
  static absl::StatusOr<std::unique_ptr<TiledLog>> Open(
      TileSource& source, std::vector<crypto::NoteVerifier> trusted);

  const SignedCheckpoint& checkpoint() const { return checkpoint_; }
  uint64_t size() const { return checkpoint_.body.size; }
  const std::vector<crypto::NoteVerifier>& trusted() const { return trusted_; }

  // Entry `index`, proven: its leaf hash is shown to be in the checkpoint's
  // tree by an inclusion proof built from the tiles. kOutOfRange if
  // index >= size(); kDataLoss naming the file if the bundle is malformed
  // or the entry or the tiles do not match the checkpoint; kNotFound if a
  // file is missing.
  absl::StatusOr<std::string> Entry(uint64_t index);

  // A c2sp.org/tlog-proof@v1 file for entry `index` in the checkpoint's
  // tree, checked with VerifyInclusionProofFile against the entry before it
  // is returned. Errors as for Entry.
  absl::StatusOr<std::string> InclusionProofFile(uint64_t index);

  // A tlog-witness add-checkpoint body from `old_size` to the checkpoint.
  // The proof is checked against the old root recomputed from the tiles and,
  // if the source keeps a trusted checkpoint of `old_size`
  // (checkpoints/<old_size>), against that one's root too. kOutOfRange if
  // old_size > size(); kDataLoss if a check fails.
  absl::StatusOr<std::string> ConsistencyProofBody(uint64_t old_size);

  NodeSource& nodes() { return nodes_; }
  EntrySource& entries() { return entries_; }

 private:
  TiledLog(TileSource& source, std::vector<crypto::NoteVerifier> trusted, SignedCheckpoint cp)
      : source_(source),
        trusted_(std::move(trusted)),
        checkpoint_(std::move(cp)),
        nodes_(source, checkpoint_.body.size),
        entries_(source, checkpoint_.body.size) {}

  TileSource& source_;
  const std::vector<crypto::NoteVerifier> trusted_;
  const SignedCheckpoint checkpoint_;
  TileNodeSource nodes_;
  TileEntrySource entries_;
};

}  // namespace sluss::storage

#endif  // SLUSS_STORAGE_TILED_LOG_H_
