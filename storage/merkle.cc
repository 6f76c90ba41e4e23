// See docs/DIARIUM.md §3 for the tree and proof definitions.
#include "storage/merkle.h"

#include <bit>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace sluss::storage {
namespace {

// Largest power of two strictly less than n. REQUIRES: n > 1.
uint64_t SplitPoint(uint64_t n) { return std::bit_floor(n - 1); }

bool IsPowerOfTwo(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

absl::Status ProofFailure(absl::string_view kind, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("merkle: ", kind, " proof does not verify: ", why));
}

absl::Status Subproof(uint64_t m, uint64_t lo, uint64_t hi, bool complete,
                      NodeReader nodes, std::vector<Hash>& out) {
  // RFC 6962 §2.1.2 SUBPROOF(m, D[lo:hi], b), m relative to lo.
  if (m == hi - lo) {
    if (!complete) {
      SLUSS_ASSIGN_OR_RETURN(Hash h, RangeHash(lo, hi, nodes));
      out.push_back(h);
    }
    return absl::OkStatus();
  }
  const uint64_t k = SplitPoint(hi - lo);
  if (m <= k) {
    SLUSS_RETURN_IF_ERROR(Subproof(m, lo, lo + k, complete, nodes, out));
    SLUSS_ASSIGN_OR_RETURN(Hash h, RangeHash(lo + k, hi, nodes));
    out.push_back(h);
  } else {
    SLUSS_RETURN_IF_ERROR(Subproof(m - k, lo + k, hi, false, nodes, out));
    SLUSS_ASSIGN_OR_RETURN(Hash h, RangeHash(lo, lo + k, nodes));
    out.push_back(h);
  }
  return absl::OkStatus();
}

}  // namespace

Hash EmptyRoot() { return crypto::Sha256(""); }

Hash LeafHash(absl::string_view entry) {
  crypto::Sha256Hasher h;
  const unsigned char prefix = 0x00;
  h.Update(&prefix, 1);
  h.Update(entry);
  return h.Finish();
}

Hash NodeHash(const Hash& left, const Hash& right) {
  unsigned char buf[65];
  buf[0] = 0x01;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 33);
  return crypto::Sha256(absl::string_view(reinterpret_cast<const char*>(buf), sizeof buf));
}

std::string HashToBase64(const Hash& h) { return absl::Base64Escape(crypto::AsStringView(h)); }

absl::StatusOr<Hash> HashFromBase64(absl::string_view b64) {
  std::string raw;
  if (!absl::Base64Unescape(b64, &raw) || raw.size() != 32 ||
      absl::Base64Escape(raw) != b64) {
    return absl::InvalidArgumentError(
        absl::StrCat("merkle: not a base64 SHA-256 hash: \"", b64.substr(0, 64), "\""));
  }
  Hash h;
  std::copy(raw.begin(), raw.end(), h.begin());
  return h;
}

absl::StatusOr<Hash> RangeHash(uint64_t begin, uint64_t end, NodeReader nodes) {
  const uint64_t n = end - begin;
  if (IsPowerOfTwo(n) && begin % n == 0) {
    const int level = std::countr_zero(n);
    return nodes(level, begin >> level);
  }
  const uint64_t k = SplitPoint(n);
  SLUSS_ASSIGN_OR_RETURN(Hash left, RangeHash(begin, begin + k, nodes));
  SLUSS_ASSIGN_OR_RETURN(Hash right, RangeHash(begin + k, end, nodes));
  return NodeHash(left, right);
}

absl::StatusOr<Hash> RootAt(uint64_t size, NodeReader nodes) {
  if (size == 0) return EmptyRoot();
  return RangeHash(0, size, nodes);
}

absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t size,
                                                 NodeReader nodes) {
  if (index >= size) {
    return absl::OutOfRangeError(
        absl::StrCat("merkle: no entry ", index, " in a tree of size ", size));
  }
  // RFC 6962 §2.1.1, top-down; reversed at the end so the sibling comes first.
  std::vector<Hash> path;
  uint64_t lo = 0, hi = size;
  while (hi - lo > 1) {
    const uint64_t k = SplitPoint(hi - lo);
    if (index < lo + k) {
      SLUSS_ASSIGN_OR_RETURN(Hash h, RangeHash(lo + k, hi, nodes));
      path.push_back(h);
      hi = lo + k;
    } else {
      SLUSS_ASSIGN_OR_RETURN(Hash h, RangeHash(lo, lo + k, nodes));
      path.push_back(h);
      lo = lo + k;
    }
  }
  return std::vector<Hash>(path.rbegin(), path.rend());
}

absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t old_size, uint64_t size,
                                                   NodeReader nodes) {
  if (old_size > size) {
    return absl::OutOfRangeError(absl::StrCat("merkle: no consistency proof from size ",
                                              old_size, " to the smaller size ", size));
  }
  std::vector<Hash> proof;
  if (old_size == 0 || old_size == size) return proof;
  SLUSS_RETURN_IF_ERROR(Subproof(old_size, 0, size, true, nodes, proof));
  return proof;
}

absl::Status VerifyInclusion(uint64_t index, uint64_t size, const Hash& leaf,
                             absl::Span<const Hash> proof, const Hash& root) {
  if (index >= size) {
    return ProofFailure("inclusion", absl::StrCat("index ", index, " >= tree size ", size));
  }
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return ProofFailure("inclusion", "proof too long");
    if ((fn & 1) || fn == sn) {
      r = NodeHash(p, r);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = NodeHash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return ProofFailure("inclusion", "proof too short");
  if (r != root) return ProofFailure("inclusion", "computed root differs");
  return absl::OkStatus();
}

absl::Status VerifyConsistency(uint64_t old_size, uint64_t size, const Hash& old_root,
                               const Hash& root, absl::Span<const Hash> proof) {
  if (old_size > size) {
    return ProofFailure("consistency", absl::StrCat("old size ", old_size, " > size ", size));
  }
  if (old_size == size) {
    if (!proof.empty()) return ProofFailure("consistency", "non-empty proof for equal sizes");
    if (old_root != root) return ProofFailure("consistency", "equal sizes, different roots");
    return absl::OkStatus();
  }
  if (old_size == 0) {
    if (!proof.empty()) return ProofFailure("consistency", "non-empty proof from size 0");
    return absl::OkStatus();
  }
  if (proof.empty()) return ProofFailure("consistency", "empty proof");
  std::vector<Hash> path;
  if (IsPowerOfTwo(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  uint64_t fn = old_size - 1, sn = size - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) return ProofFailure("consistency", "proof too long");
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return ProofFailure("consistency", "proof too short");
  if (fr != old_root) return ProofFailure("consistency", "old root differs");
  if (sr != root) return ProofFailure("consistency", "new root differs");
  return absl::OkStatus();
}

absl::StatusOr<Frontier> Frontier::Load(uint64_t size, NodeReader nodes) {
  Frontier f;
  f.size_ = size;
  for (int l = 0; l < 64; ++l) {
    if (size & (uint64_t{1} << l)) {
      SLUSS_ASSIGN_OR_RETURN(f.nodes_[l], nodes(l, (size >> l) - 1));
    }
  }
  return f;
}

Hash Frontier::Root() const {
  if (size_ == 0) return EmptyRoot();
  int l = std::countr_zero(size_);
  Hash acc = nodes_[l];
  for (++l; l < 64; ++l) {
    if (size_ & (uint64_t{1} << l)) acc = NodeHash(nodes_[l], acc);
  }
  return acc;
}

void Frontier::Append(absl::Span<const Hash> leaves, RunSink sink) {
  if (leaves.empty()) return;
  const uint64_t n = size_;
  const uint64_t m = n + leaves.size();
  std::vector<Hash> cur(leaves.begin(), leaves.end());
  std::vector<Hash> next;
  uint64_t first = n;  // index of cur[0] at `level`
  int level = 0;
  for (; !cur.empty(); ++level) {
    sink(level, first, cur);
    const uint64_t pfirst = n >> (level + 1), pend = m >> (level + 1);
    next.clear();
    for (uint64_t k = pfirst; k < pend; ++k) {
      const uint64_t li = 2 * k;
      // The left child precedes the run only when it is the old frontier node.
      const Hash& left = li >= first ? cur[li - first] : nodes_[level];
      next.push_back(NodeHash(left, cur[li + 1 - first]));
    }
    if (m & (uint64_t{1} << level)) {
      const uint64_t idx = (m >> level) - 1;
      // Either a node completed now, or the old frontier node (same index).
      if (idx >= first) nodes_[level] = cur[idx - first];
    }
    cur.swap(next);
    first = pfirst;
  }
  size_ = m;
}

}  // namespace sluss::storage
