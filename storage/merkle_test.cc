// Known answers and a naive RFC 6962 reference tree, checked against the
// real frontier / stored-node implementation (the pattern of
// certificate-transparency's merkle_tree_test.cc).
#include "storage/merkle.h"

#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sluss::storage {
namespace {

using ::testing::HasSubstr;

// ---- The reference: RFC 6962 §2.1 written out literally over leaf hashes.
uint64_t Split(uint64_t n) {
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

Hash RefMth(const std::vector<Hash>& d, uint64_t lo, uint64_t hi) {
  if (hi == lo) return EmptyRoot();
  if (hi - lo == 1) return d[lo];
  const uint64_t k = Split(hi - lo);
  return NodeHash(RefMth(d, lo, lo + k), RefMth(d, lo + k, hi));
}

std::vector<Hash> RefPath(const std::vector<Hash>& d, uint64_t m, uint64_t lo, uint64_t hi) {
  if (hi - lo <= 1) return {};
  const uint64_t k = Split(hi - lo);
  std::vector<Hash> p;
  if (m < k) {
    p = RefPath(d, m, lo, lo + k);
    p.push_back(RefMth(d, lo + k, hi));
  } else {
    p = RefPath(d, m - k, lo + k, hi);
    p.push_back(RefMth(d, lo, lo + k));
  }
  return p;
}

std::vector<Hash> RefSubproof(const std::vector<Hash>& d, uint64_t m, uint64_t lo, uint64_t hi,
                              bool b) {
  const uint64_t n = hi - lo;
  if (m == n) return b ? std::vector<Hash>{} : std::vector<Hash>{RefMth(d, lo, hi)};
  const uint64_t k = Split(n);
  std::vector<Hash> p;
  if (m <= k) {
    p = RefSubproof(d, m, lo, lo + k, b);
    p.push_back(RefMth(d, lo + k, hi));
  } else {
    p = RefSubproof(d, m - k, lo + k, hi, false);
    p.push_back(RefMth(d, lo, lo + k));
  }
  return p;
}

std::vector<Hash> Leaves(int n) {
  std::vector<Hash> out;
  for (int i = 0; i < n; ++i) out.push_back(LeafHash(absl::StrCat("entry ", i)));
  return out;
}

// The real implementation's storage: runs captured from Frontier::Append.
struct Store {
  std::map<std::pair<int, uint64_t>, Hash> nodes;
  Frontier frontier;
  void Append(absl::Span<const Hash> leaves) {
    frontier.Append(leaves, [&](int level, uint64_t first, absl::Span<const Hash> run) {
      for (size_t i = 0; i < run.size(); ++i) {
        auto [it, inserted] = nodes.emplace(std::make_pair(level, first + i), run[i]);
        ASSERT_TRUE(inserted) << "node (" << level << ", " << first + i << ") written twice";
      }
    });
  }
  absl::StatusOr<Hash> Node(int level, uint64_t index) const {
    auto it = nodes.find({level, index});
    if (it == nodes.end()) return absl::NotFoundError(absl::StrCat("no node ", level, "/", index));
    return it->second;
  }
  auto Reader() const {
    return [this](int level, uint64_t index) { return Node(level, index); };
  }
};

TEST(MerkleTest, KnownAnswerFromGoXMod) {
  // golang.org/x/mod/sumdb/tlog: leaves "leaf0".."leaf4".
  Store s;
  std::vector<Hash> leaves;
  for (int i = 0; i < 5; ++i) leaves.push_back(LeafHash(absl::StrCat("leaf", i)));
  s.Append(leaves);
  EXPECT_EQ(HashToBase64(s.frontier.Root()), "L04NebfgZgab5NORqFgCPQrNJFUFq2kTqP1pcmtldB0=");
}

TEST(MerkleTest, KnownAnswersRfc6962) {
  // RFC 6962: the empty tree is SHA-256 of the empty string (not zeros).
  EXPECT_EQ(crypto::ToHex(crypto::AsStringView(EmptyRoot())),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Leaf of the empty entry: SHA-256(0x00), from the CT test vectors.
  EXPECT_EQ(crypto::ToHex(crypto::AsStringView(LeafHash(""))),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  Store empty;
  EXPECT_EQ(empty.frontier.Root(), EmptyRoot());
  EXPECT_EQ(*RootAt(0, empty.Reader()), EmptyRoot());
}

TEST(MerkleTest, MatchesReferenceForEverySizeUpTo300) {
  const std::vector<Hash> d = Leaves(300);
  std::mt19937_64 rng(1);
  Store s;
  // Grow in random group sizes, as the sequencer does.
  uint64_t n = 0;
  std::vector<uint64_t> sizes_seen = {0};
  while (n < 300) {
    const uint64_t b = std::min<uint64_t>(300 - n, 1 + rng() % 9);
    s.Append(absl::MakeConstSpan(d).subspan(n, b));
    n += b;
    sizes_seen.push_back(n);
    ASSERT_EQ(s.frontier.Root(), RefMth(d, 0, n)) << "frontier root at size " << n;
  }
  for (uint64_t size = 0; size <= 300; ++size) {
    absl::StatusOr<Hash> root = RootAt(size, s.Reader());
    ASSERT_TRUE(root.ok()) << root.status();
    ASSERT_EQ(*root, RefMth(d, 0, size)) << "RootAt(" << size << ")";
    // Frontier::Load gives the same frontier for every size.
    absl::StatusOr<Frontier> f = Frontier::Load(size, s.Reader());
    ASSERT_TRUE(f.ok()) << f.status();
    ASSERT_EQ(f->Root(), *root) << "Frontier::Load(" << size << ")";
  }
  // Every stored node is the MTH of its range; every complete node is stored.
  for (const auto& [key, h] : s.nodes) {
    const auto [level, index] = key;
    ASSERT_EQ(h, RefMth(d, index << level, (index + 1) << level)) << level << "/" << index;
  }
  size_t complete = 0;
  for (int l = 0; (300u >> l) > 0; ++l) complete += 300u >> l;
  EXPECT_EQ(s.nodes.size(), complete);

  // Inclusion proofs: every (index, size) up to 64, random ones beyond.
  auto check_inclusion = [&](uint64_t index, uint64_t size) {
    absl::StatusOr<std::vector<Hash>> p = InclusionProof(index, size, s.Reader());
    ASSERT_TRUE(p.ok()) << p.status();
    ASSERT_EQ(*p, RefPath(d, index, 0, size)) << "PATH(" << index << ", " << size << ")";
    const Hash root = RefMth(d, 0, size);
    ASSERT_TRUE(VerifyInclusion(index, size, d[index], *p, root).ok());
    // Wrong leaf, wrong index, altered proof: all rejected.
    EXPECT_FALSE(VerifyInclusion(index, size, d[(index + 1) % 300], *p, root).ok());
    if (size > 1) {
      EXPECT_FALSE(VerifyInclusion((index + 1) % size, size, d[index], *p, root).ok());
      std::vector<Hash> bad = *p;
      bad[rng() % bad.size()][rng() % 32] ^= 1;
      EXPECT_FALSE(VerifyInclusion(index, size, d[index], bad, root).ok());
    }
  };
  for (uint64_t size = 1; size <= 64; ++size) {
    for (uint64_t i = 0; i < size; ++i) check_inclusion(i, size);
  }
  for (int t = 0; t < 2000; ++t) {
    const uint64_t size = 1 + rng() % 300;
    check_inclusion(rng() % size, size);
  }

  // Consistency proofs: every pair up to 64, random ones beyond.
  auto check_consistency = [&](uint64_t m, uint64_t size) {
    absl::StatusOr<std::vector<Hash>> p = ConsistencyProof(m, size, s.Reader());
    ASSERT_TRUE(p.ok()) << p.status();
    const std::vector<Hash> want =
        (m == 0 || m == size) ? std::vector<Hash>{} : RefSubproof(d, m, 0, size, true);
    ASSERT_EQ(*p, want) << "PROOF(" << m << ", " << size << ")";
    const Hash old_root = RefMth(d, 0, m), root = RefMth(d, 0, size);
    ASSERT_TRUE(VerifyConsistency(m, size, old_root, root, *p).ok())
        << m << " -> " << size;
    if (m > 0 && m < size) {
      std::vector<Hash> bad = *p;
      bad[rng() % bad.size()][rng() % 32] ^= 0x80;
      EXPECT_FALSE(VerifyConsistency(m, size, old_root, root, bad).ok());
      EXPECT_FALSE(VerifyConsistency(m, size, RefMth(d, 1, m + 1), root, *p).ok());
      EXPECT_FALSE(VerifyConsistency(m, size, old_root, RefMth(d, 1, size), *p).ok());
    }
  };
  for (uint64_t size = 0; size <= 64; ++size) {
    for (uint64_t m = 0; m <= size; ++m) check_consistency(m, size);
  }
  for (int t = 0; t < 2000; ++t) {
    const uint64_t size = rng() % 301;
    check_consistency(rng() % (size + 1), size);
  }
}

TEST(MerkleTest, ProofErrorsAreSpecific) {
  Store s;
  const std::vector<Hash> d = Leaves(10);
  s.Append(d);
  EXPECT_EQ(InclusionProof(10, 10, s.Reader()).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ConsistencyProof(11, 10, s.Reader()).status().code(),
            absl::StatusCode::kOutOfRange);
  absl::Status st = VerifyInclusion(3, 10, d[3], {}, s.frontier.Root());
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(st.message(), HasSubstr("proof too short"));
  // A missing stored node propagates the reader's error unchanged.
  Store partial;
  EXPECT_EQ(InclusionProof(0, 2, partial.Reader()).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(MerkleTest, HashBase64RoundTripAndRejects) {
  const Hash h = LeafHash("x");
  EXPECT_EQ(*HashFromBase64(HashToBase64(h)), h);
  EXPECT_EQ(HashFromBase64("AAAA").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(HashFromBase64("not base64!").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluss::storage
