// C2SP tlog-tiles paths and the export writer (docs/DIARIUM.md §6).
// Free functions; thread-compatible.
#ifndef SLUSS_STORAGE_TILES_H_
#define SLUSS_STORAGE_TILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "storage/merkle.h"
#include "storage/verify.h"

namespace sluss::storage {

inline constexpr int kTileHeight = 8;
inline constexpr uint64_t kTileWidth = 256;

// 1234067 -> "x001/x234/067"; 5 -> "005".
std::string EncodeTileIndex(uint64_t n);
// "tile/<level>/<N>" or, if width < 256, "tile/<level>/<N>.p/<width>".
std::string TilePath(int level, uint64_t n, uint64_t width);
// "tile/entries/<N>[.p/<width>]".
std::string EntryBundlePath(uint64_t n, uint64_t width);

// Reads the stored nodes (level, begin) … (level, end - 1) into *out.
using NodeRangeReader =
    absl::FunctionRef<absl::Status(int level, uint64_t begin, uint64_t end, std::vector<Hash>* out)>;

// Writes every tile and entry bundle of a tree of `size` under `dir`, then
// `dir/vkeys` (one verifier key per line) and, last and atomically,
// `dir/checkpoint` (the signed note for `size`). Errors name the file.
absl::Status WriteTiles(absl::string_view dir, uint64_t size, NodeRangeReader nodes,
                        EntrySource& entries, absl::string_view checkpoint_note,
                        absl::Span<const std::string> verifier_keys);

}  // namespace sluss::storage

#endif  // SLUSS_STORAGE_TILES_H_
