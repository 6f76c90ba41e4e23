// RFC 6962 Merkle tree arithmetic for the diarium (docs/DIARIUM.md §3):
// hashes, the compact frontier the sequencer grows, proof construction over
// stored complete nodes, and proof verification (RFC 9162 §2.1.3.2, §2.1.4.2).
//
//   Frontier f;                                   // empty tree
//   f.Append(leaves, [](int level, uint64_t first, absl::Span<const Hash> run) {
//     ...persist the run...
//   });
//   Hash root = f.Root();
//
// Everything here is pure computation; no I/O except through the NodeReader
// callbacks the caller passes. Free functions are thread-safe; a Frontier is
// thread-compatible (one writer, or external locking).
#ifndef SLUSS_STORAGE_MERKLE_H_
#define SLUSS_STORAGE_MERKLE_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "crypto/hash.h"

namespace sluss::storage {

using Hash = crypto::Sha256Digest;

// MTH({}) = SHA-256("") (RFC 6962; not x/mod 0.7.0's zeros).
Hash EmptyRoot();
// SHA-256(0x00 || entry).
Hash LeafHash(absl::string_view entry);
// SHA-256(0x01 || left || right).
Hash NodeHash(const Hash& left, const Hash& right);

// Standard base64 of a hash, and back (kInvalidArgument unless 32 bytes).
std::string HashToBase64(const Hash& h);
absl::StatusOr<Hash> HashFromBase64(absl::string_view b64);

// Returns the stored complete node (level, index): MTH of entries
// [index << level, (index + 1) << level). Errors propagate unchanged.
using NodeReader = absl::FunctionRef<absl::StatusOr<Hash>(int level, uint64_t index)>;

// MTH(D[begin:end]) from complete nodes. REQUIRES: begin < end, and begin is
// a multiple of the smallest power of two >= end - begin (true of every
// range RFC 6962's recursions visit and of [0, n)).
absl::StatusOr<Hash> RangeHash(uint64_t begin, uint64_t end, NodeReader nodes);

// MTH(D[0:size]); EmptyRoot() for size 0.
absl::StatusOr<Hash> RootAt(uint64_t size, NodeReader nodes);

// RFC 6962 PATH(index, D[0:size]), leaf sibling first. kOutOfRange if
// index >= size.
absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size,
                                                 NodeReader nodes);

// RFC 6962 PROOF(old_size, D[0:size]). Empty if old_size is 0 or equals
// size. kOutOfRange if old_size > size.
absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t size,
                                                   NodeReader nodes);

// OK if `proof` shows leaf hash `leaf` at `index` in the tree (size, root).
// kDataLoss ("merkle: inclusion proof ...") otherwise.
absl::Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf,
                             absl::Span<const Hash> proof, const Hash& root);

// OK if `proof` shows tree (size, root) extends tree (old_size, old_root).
// kDataLoss ("merkle: consistency proof ...") otherwise.
absl::Status VerifyConsistency(uint64_t old_size, uint64_t size, const Hash& old_root,
                               const Hash& root, absl::Span<const Hash> proof);

// The right frontier of a tree: for each bit l set in size(), the complete
// node (l, (size >> l) - 1). Enough to append and to compute the root.
class Frontier {
 public:
  // Called once per level with the nodes (level, first), (level, first+1), …
  // completed by an Append, lowest level first; level 0 are the leaves.
  using RunSink =
      absl::FunctionRef<void(int level, uint64_t first, absl::Span<const Hash> run)>;

  Frontier() = default;
  // Reads the frontier of a tree of `size` (at most 64 node reads).
  static absl::StatusOr<Frontier> Load(uint64_t size, NodeReader nodes);

  uint64_t size() const { return size_; }
  Hash Root() const;
  // Appends leaf hashes and reports every node they complete to `sink`.
  void Append(absl::Span<const Hash> leaves, RunSink sink);
  // The frontier node at `level`. REQUIRES: bit `level` of size() is set.
  const Hash& node(int level) const { return nodes_[level]; }

 private:
  uint64_t size_ = 0;
  std::array<Hash, 64> nodes_{};
};

}  // namespace sluss::storage

#endif  // SLUSS_STORAGE_MERKLE_H_
