// Authenticated descent of docs/DIARIUM.md §7.
#include "storage/verify.h"

#include <bit>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace sluss::storage {
namespace {

absl::Status BadEntry(uint64_t index, absl::string_view detail) {
  absl::Status s = absl::DataLossError(
      absl::StrCat("diarium: entry ", index, " does not match the signed tree: ", detail));
  s.SetPayload(kBadEntryPayload, absl::Cord(absl::StrCat(index)));
  return s;
}

}  // namespace

absl::StatusOr<Hash> HashEntries(uint64_t begin, uint64_t end, EntrySource& entries) {
  Frontier f;
  std::vector<Hash> leaves;
  leaves.reserve(1024);
  uint64_t expected = begin;
  absl::Status gap;
  auto noop = [](int, uint64_t, absl::Span<const Hash>) {};
  SLUSS_RETURN_IF_ERROR(entries.ReadEntries(begin, end, [&](uint64_t i, absl::string_view e) {
    if (i != expected) {
      gap = absl::DataLossError(absl::StrCat("diarium: entry ", expected, " is missing"));
      return false;
    }
    ++expected;
    leaves.push_back(LeafHash(e));
    if (leaves.size() == 1024) {
      f.Append(leaves, noop);
      leaves.clear();
    }
    return true;
  }));
  SLUSS_RETURN_IF_ERROR(gap);
  if (expected != end) {
    return absl::DataLossError(absl::StrCat("diarium: entry ", expected, " is missing"));
  }
  f.Append(leaves, noop);
  return f.Root();
}

absl::Status VerifyLog(uint64_t size, const Hash& root, EntrySource& entries,
                       NodeSource& nodes) {
  SLUSS_ASSIGN_OR_RETURN(Hash computed, HashEntries(0, size, entries));
  if (computed == root) return absl::OkStatus();
  if (size == 0) return absl::DataLossError("diarium: empty log but the root is not MTH({})");

  auto reader = [&nodes](int level, uint64_t index) { return nodes.Node(level, index); };
  uint64_t lo = 0, hi = size;
  Hash trusted = root;
  while (hi - lo > 1) {
    const uint64_t k = std::bit_floor(hi - lo - 1);
    SLUSS_ASSIGN_OR_RETURN(Hash left, RangeHash(lo, lo + k, reader));
    SLUSS_ASSIGN_OR_RETURN(Hash right, RangeHash(lo + k, hi, reader));
    if (NodeHash(left, right) != trusted) {
      return BadEntry(lo, absl::StrCat("some entry in [", lo, ", ", hi,
                                       ") was altered, and so were the stored tree nodes, "
                                       "so the first altered entry cannot be singled out"));
    }
    SLUSS_ASSIGN_OR_RETURN(Hash left_computed, HashEntries(lo, lo + k, entries));
    if (left_computed != left) {
      hi = lo + k;
      trusted = left;
    } else {
      lo = lo + k;
      trusted = right;
    }
  }
  return BadEntry(lo, absl::StrCat("its leaf hash is not the signed one (signed ",
                                   HashToBase64(trusted), ")"));
}

std::optional<uint64_t> BadEntryIndex(const absl::Status& status) {
  auto payload = status.GetPayload(kBadEntryPayload);
  if (!payload) return std::nullopt;
  uint64_t index;
  if (!absl::SimpleAtoi(std::string(*payload), &index)) return std::nullopt;
  return index;
}

}  // namespace sluss::storage
