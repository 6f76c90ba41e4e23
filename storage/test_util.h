// Test-only helpers shared by the storage tests: deterministic signers,
// scratch directories, raw RocksDB key encoding for tampering.
#ifndef SLUSS_STORAGE_TEST_UTIL_H_
#define SLUSS_STORAGE_TEST_UTIL_H_

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "gtest/gtest.h"
#include "storage/diarium.h"

namespace sluss::storage::testing {

inline constexpr absl::string_view kOrigin = "diarium.sluss.example/kommun-lund";

// A signer named kOrigin from a fixed seed byte.
inline std::shared_ptr<const crypto::NoteSigner> TestSigner(char seed_byte = 1,
                                                           absl::string_view name = kOrigin) {
  auto key = crypto::Ed25519SigningKey::FromSeed(std::string(32, seed_byte));
  auto signer = crypto::NoteSigner::Create(std::string(name), *std::move(key));
  return std::make_shared<const crypto::NoteSigner>(*std::move(signer));
}

inline DiariumOptions TestOptions() {
  DiariumOptions o;
  o.origin = std::string(kOrigin);
  o.signers = {TestSigner(1)};
  o.checkpoint_interval = absl::ZeroDuration();
  return o;
}

// A fresh empty directory under the test temp dir, removed on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(absl::string_view name) {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = absl::StrCat(::testing::TempDir(), "/sluss-", getpid(), "-",
                         info ? info->name() : "x", "-", name);
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// RocksDB key of the entry bundle starting at entry `first`
// (docs/DIARIUM.md §2.1), for tampering tests.
inline std::string RawEntryKey(uint64_t first) {
  std::string k(1, 'e');
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((first >> (8 * i)) & 0xff));
  return k;
}

inline std::string RawHashRunKey(int level, uint64_t first) {
  std::string k(1, 'h');
  k.push_back(static_cast<char>(level));
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>((first >> (8 * i)) & 0xff));
  return k;
}

}  // namespace sluss::storage::testing

#endif  // SLUSS_STORAGE_TEST_UTIL_H_
