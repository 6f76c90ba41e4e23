// Reading a log in the C2SP tlog-tiles layout (docs/DIARIUM.md §6): the
// objects of an exported directory today, the live server's Diarium service
// later. Everything an offline auditor reads goes through a TileSource, so
// the verifier (tile_audit.h) and the proof tools (tiled_log.h) do not care
// where the tiles come from.
//
//   SLUSS_ASSIGN_OR_RETURN(std::unique_ptr<TileSource> src, OpenExportDirectory("/audit/lund"));
//   std::string note;
//   SLUSS_RETURN_IF_ERROR(src->Read(kCheckpointPath, &note));
//   SLUSS_ASSIGN_OR_RETURN(SignedCheckpoint cp, OpenCheckpoint(note, origin, trusted));
//   TileNodeSource nodes(*src, cp.body.size);     // verify.h's NodeSource
//   TileEntrySource entries(*src, cp.body.size);  // verify.h's EntrySource
//   absl::Status s = VerifyLog(cp.body.size, cp.body.root, entries, nodes);
//
// Nothing read from a source is trusted: every parser here checks lengths
// and reports a defect as kDataLoss naming the file, the entry index and the
// byte offset.
#ifndef SLUSS_STORAGE_TILE_SOURCE_H_
#define SLUSS_STORAGE_TILE_SOURCE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/merkle.h"
#include "storage/verify.h"

namespace sluss::storage {

// Object paths, relative to the log's root (docs/DIARIUM.md §6).
inline constexpr absl::string_view kCheckpointPath = "checkpoint";
inline constexpr absl::string_view kVerifierKeysPath = "vkeys";
// "checkpoints/<size>": an older signed checkpoint kept by repeated fetches
// (docs/DIARIUM.md §6.1, a Sluss extension that standard tooling ignores).
std::string CheckpointHistoryPath(uint64_t size);

// Where an auditor reads a tlog-tiles log from.
//
// Implementations must be safe for concurrent use: the verifier reads
// bundles and tiles from several threads at once.
class TileSource {
 public:
  virtual ~TileSource() = default;

  // For messages: "export /srv/audit/lund", "slussd 10.0.0.5:7443".
  virtual std::string Describe() const = 0;

  // Reads the object at `path` ("checkpoint", "vkeys", "checkpoints/300",
  // "tile/0/x001/234", "tile/entries/005.p/7") into *out, replacing its
  // contents (its capacity is reused). kNotFound if there is no such
  // object; other errors (kPermissionDenied, kInternal, kUnavailable) name
  // the path.
  virtual absl::Status Read(absl::string_view path, std::string* out) = 0;

  // The sizes of the older checkpoints kept under "checkpoints/",
  // ascending. Empty if there are none. Names that are not canonical
  // decimal numbers are ignored.
  virtual absl::StatusOr<std::vector<uint64_t>> CheckpointHistory() = 0;
};

// A TileSource over an exported directory (Diarium::Export, or a mirror
// made by any tlog-tiles tool). kNotFound if `dir` does not exist,
// kInvalidArgument if it is not a directory. The directory is read, never
// written.
absl::StatusOr<std::unique_ptr<TileSource>> OpenExportDirectory(absl::string_view dir);

// Keeps an export's current checkpoint before it is overwritten: copies
// `dir/checkpoint` (if there is one) to `dir/checkpoints/<its size>`
// (written atomically; the size is read from the note's text, unverified).
// Call it before exporting into an existing directory again, so the
// directory keeps the history the verifier checks for consistency
// (docs/DIARIUM.md §6.1). If `checkpoints/<size>` already exists with the
// same checkpoint text it is left alone (a later signature set during a key
// rotation does not replace it); with a different text for the same size
// the log forked, and this returns kDataLoss naming both files.
absl::Status ArchiveExportCheckpoint(absl::string_view dir);

// Number of entries in entry bundle `n` of a tree of `size` (256, or the
// partial width of the last bundle; 0 if the bundle is beyond the tree).
uint64_t BundleWidth(uint64_t size, uint64_t n);
// Number of hashes in tile (level, n) of a tree of `size` (tile levels
// count in units of 8 tree levels, as in TilePath).
uint64_t TileWidth(uint64_t size, int tile_level, uint64_t n);

// Splits entry bundle `path` (bytes `bundle`), which must hold exactly the
// `width` entries first … first + width - 1 as be16(length) ‖ bytes.
// Appends a view of each entry (into `bundle`) to *entries. On a defect
// returns kDataLoss, e.g.
//   "tile/entries/001: entry 300 (byte offset 8112): length 420 runs past
//    the end of the bundle (8300 bytes)"
// and *entries holds the entries before the defect, so entries->size()
// tells which entry is the first one missing. Bytes after the last entry
// are a defect too (all `width` entries are then in *entries).
absl::Status ParseEntryBundle(absl::string_view path, absl::string_view bundle, uint64_t first,
                              uint64_t width, std::vector<absl::string_view>* entries);

// Reads entry bundle n of a tree of `size` into *buffer and splits it
// into *entries (views into *buffer; cleared first), like ParseEntryBundle.
// If a partial bundle ".p/W" is missing, the full bundle is read instead
// and its first W entries used: tlog-tiles lets a wider bundle stand in for
// a narrower one, and an export refreshed since an older checkpoint has
// only the wider one; if that is missing too and `hint_size` > size, the
// bundle of a tree of `hint_size` is tried (e.g. the export's latest
// checkpoint's: file names only, everything read is still checked).
// *path is set to the file read (for messages).
// Errors: the source's (kNotFound naming the partial path if neither file
// exists) or ParseEntryBundle's.
absl::Status ReadEntryBundle(TileSource& source, uint64_t size, uint64_t n, std::string* buffer,
                             std::vector<absl::string_view>* entries, std::string* path,
                             uint64_t hint_size = 0);

// Reads tile (tile_level, n) of a tree of `size` into *hashes (replacing
// its contents). kDataLoss if the file is shorter or longer than the tile's
// width × 32 bytes, naming the path and both lengths; *hashes then holds
// the whole hashes that were present (at most the width). kNotFound if the
// tile is missing. As for bundles, a missing partial tile is read from the
// full tile or the tile of a tree of `hint_size` (its first W hashes; then
// only a short file is an error).
absl::Status ReadTile(TileSource& source, uint64_t size, int tile_level, uint64_t n,
                      std::vector<Hash>* hashes, uint64_t hint_size = 0);

// verify.h's NodeSource over the tiles of a tree of `size`: node (level, k)
// is read from tile (level / 8) and, for levels that are not multiples of
// 8, hashed up from the 2^(level % 8) tile hashes below it (as Go's
// tlog.TileHashReader does). kOutOfRange for a node that is not complete in
// a tree of `size`; the tile errors of ReadTile otherwise (`hint_size` as
// there). Keeps the last few tiles it read. Thread-compatible; `source`
// must outlive it.
class TileNodeSource : public NodeSource {
 public:
  TileNodeSource(TileSource& source, uint64_t size, uint64_t hint_size = 0)
      : source_(source), size_(size), hint_size_(hint_size) {}
  absl::StatusOr<Hash> Node(int level, uint64_t index) override;

 private:
  TileSource& source_;
  const uint64_t size_;
  const uint64_t hint_size_;
  std::map<std::pair<int, uint64_t>, std::vector<Hash>> cache_;
};

// verify.h's EntrySource over the entry bundles of a tree of `size`.
// kOutOfRange if asked beyond `size`; ParseEntryBundle's kDataLoss (naming
// the file and the entry) on a malformed bundle; kNotFound naming the file
// if a bundle is missing (`hint_size` as in ReadEntryBundle).
// Thread-compatible; `source` must outlive it.
class TileEntrySource : public EntrySource {
 public:
  TileEntrySource(TileSource& source, uint64_t size, uint64_t hint_size = 0)
      : source_(source), size_(size), hint_size_(hint_size) {}
  absl::Status ReadEntries(
      uint64_t begin, uint64_t end,
      absl::FunctionRef<bool(uint64_t index, absl::string_view bytes)> fn) override;

 private:
  TileSource& source_;
  const uint64_t size_;
  const uint64_t hint_size_;
  std::string buffer_;
  std::vector<absl::string_view> entries_;
};

}  // namespace sluss::storage

#endif  // SLUSS_STORAGE_TILE_SOURCE_H_
