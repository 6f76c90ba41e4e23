// Offline verification of a diarium (docs/DIARIUM.md §7): recompute the
// Merkle tree from the entries, compare it with a signed checkpoint, and on
// a mismatch name the first altered entry.
//
// The sources are interfaces so the same check runs on a live store
// (Diarium::Verify), on a RocksDB copy, or on an exported tlog-tiles
// directory (TileNodeSource and TileEntrySource in tile_source.h; the
// auditor's parallel check of a whole export is tile_audit.h).
//
//   SLUSS_ASSIGN_OR_RETURN(SignedCheckpoint cp, OpenCheckpoint(note, origin, keys));
//   absl::Status s = VerifyLog(cp.body.size, cp.body.root, entries, nodes);
//   if (auto bad = BadEntryIndex(s)) { ... entry *bad was altered ... }
//
// VerifyLog is thread-compatible: it calls the sources from the calling
// thread only.
#ifndef SLUSS_STORAGE_VERIFY_H_
#define SLUSS_STORAGE_VERIFY_H_

#include <cstdint>
#include <optional>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/merkle.h"

namespace sluss::storage {

// Entries in index order.
class EntrySource {
 public:
  virtual ~EntrySource() = default;
  // Calls fn(index, bytes) for every entry in [begin, end), in order; stops
  // early (returning OK) if fn returns false. `bytes` is valid only during
  // the call.
  virtual absl::Status ReadEntries(
      uint64_t begin, uint64_t end,
      absl::FunctionRef<bool(uint64_t index, absl::string_view bytes)> fn) = 0;
};

// Stored complete tree nodes (level, index), as in merkle.h's NodeReader.
class NodeSource {
 public:
  virtual ~NodeSource() = default;
  virtual absl::StatusOr<Hash> Node(int level, uint64_t index) = 0;
};

// The payload key under which a kDataLoss status carries the index of the
// first altered entry, as decimal text.
inline constexpr absl::string_view kBadEntryPayload = "type.sluss.dev/diarium.bad_entry";

// Checks that entries [0, size) hash to `root` (which the caller took from a
// checkpoint whose signature it verified). OK if they do. Otherwise
// kDataLoss: "diarium: entry <i> does not match the signed tree ...", with
// <i> also in the kBadEntryPayload payload. Errors of the sources propagate
// (annotated). Reads every entry once, and the altered half again at each
// level of the descent: at most 2 * size entry reads.
absl::Status VerifyLog(uint64_t size, const Hash& root, EntrySource& entries,
                       NodeSource& nodes);

// The index VerifyLog named, if `status` carries one.
std::optional<uint64_t> BadEntryIndex(const absl::Status& status);

// MTH of entries [begin, end), streamed from `entries`. Empty range: EmptyRoot().
absl::StatusOr<Hash> HashEntries(uint64_t begin, uint64_t end, EntrySource& entries);

}  // namespace sluss::storage

#endif  // SLUSS_STORAGE_VERIFY_H_
