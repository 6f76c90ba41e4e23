// Test-only helpers shared by the storage tests: deterministic signers,
// scratch directories, raw RocksDB key encoding for tampering.
#ifndef SLUSS_STORAGE_TEST_UTIL_H_
#define SLUSS_STORAGE_TEST_UTIL_H_

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
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

// A diarium's RocksDB opened directly, with every column family it has,
// for tests that read or rewrite stored rows the way someone with access to
// the files could (through RocksDB, so checksums stay valid). Open returns
// nullptr after recording a test failure if RocksDB refuses.
class RawLog {
 public:
  static std::unique_ptr<RawLog> Open(const std::string& path, bool read_only = false) {
    rocksdb::Options o;
    std::vector<std::string> names;
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(o, path, &names);
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const std::string& n : names) families.emplace_back(n, rocksdb::ColumnFamilyOptions());
    std::unique_ptr<RawLog> log(new RawLog);
    rocksdb::DB* raw = nullptr;
    if (s.ok()) {
      s = read_only ? rocksdb::DB::OpenForReadOnly(o, path, families, &log->handles_, &raw)
                    : rocksdb::DB::Open(o, path, families, &log->handles_, &raw);
    }
    if (!s.ok()) {
      ADD_FAILURE() << "opening " << path << " with RocksDB: " << s.ToString();
      return nullptr;
    }
    log->db_.reset(raw);
    log->names_ = std::move(names);
    return log;
  }
  ~RawLog() {
    for (rocksdb::ColumnFamilyHandle* h : handles_) EXPECT_TRUE(db_->DestroyColumnFamilyHandle(h).ok());
    EXPECT_TRUE(db_->Close().ok());
  }
  rocksdb::DB* db() const { return db_.get(); }
  // The family `name` ("default" or "index"); nullptr if the log has none.
  rocksdb::ColumnFamilyHandle* family(const std::string& name) const {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return handles_[i];
    }
    return nullptr;
  }

 private:
  RawLog() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<std::string> names_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace sluss::storage::testing

#endif  // SLUSS_STORAGE_TEST_UTIL_H_
