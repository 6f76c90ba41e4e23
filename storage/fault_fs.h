// Test-only fault-injecting RocksDB FileSystem (the idea of leveldb's
// ErrorEnv and db/fault_injection_test.cc): failing syncs, disk full,
// corrupted reads, and "crash" by dropping everything not yet synced.
//
//   auto fs = std::make_shared<FaultFs>(rocksdb::FileSystem::Default());
//   std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
//   options.env = env.get();
//   fs->fail_sync = true;  // the next WAL sync fails
//
// Thread-safe: the switches are atomics, the bookkeeping is locked.
#ifndef SLUSS_STORAGE_FAULT_FS_H_
#define SLUSS_STORAGE_FAULT_FS_H_

#include <atomic>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "rocksdb/file_system.h"

namespace sluss::storage::testing {

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultFs(std::shared_ptr<rocksdb::FileSystem> base) : FileSystemWrapper(base) {}
  const char* Name() const override { return "FaultFs"; }

  std::atomic<bool> fail_sync{false};      // Sync/Fsync of WAL files fail (EIO)
  std::atomic<bool> disk_full{false};      // every Append fails (ENOSPC)
  std::atomic<bool> corrupt_reads{false};  // reads of .sst files get one byte flipped
  std::atomic<int> failed_syncs{0};
  // If set, the next WAL sync notifies sync_entered and waits for
  // sync_released before it goes on (and fails, if fail_sync is set): lets
  // a test act while a synced write is under way.
  std::atomic<bool> hold_sync{false};
  absl::Notification sync_entered;
  absl::Notification sync_released;
  // If set, every WAL sync first calls it, on the syncing thread: lets a
  // test make synced writes take time on a fake clock.
  void SetOnSync(std::function<void()> f) {
    std::lock_guard<std::mutex> l(hook_mu_);
    on_sync_ = std::move(f);
  }
  // If set (before use), WAL syncs also fail while this file exists: lets a
  // test fail a separate process's syncs (slussd's [testing] config key).
  std::string fail_sync_if_exists;
  bool SyncFailureTriggered() const {
    std::error_code ec;
    return fail_sync || (!fail_sync_if_exists.empty() && std::filesystem::exists(fail_sync_if_exists, ec));
  }

  // Truncates every WAL file to the bytes it had at its last successful sync,
  // as a power cut would. Call only with the database closed.
  void DropUnsyncedData() {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& [name, f] : files_) {
      if (!absl::EndsWith(name, ".log")) continue;  // the WAL: what our syncs cover
      std::error_code ec;
      if (std::filesystem::exists(name, ec)) std::filesystem::resize_file(name, f.synced, ec);
    }
    files_.clear();
  }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r,
                                    rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSWritableFile> base;
    rocksdb::IOStatus s = target()->NewWritableFile(f, o, &base, dbg);
    if (!s.ok()) return s;
    {
      std::lock_guard<std::mutex> l(mu_);
      files_[f] = FileState{};
    }
    r->reset(new File(this, f, std::move(base)));
    return s;
  }

  rocksdb::IOStatus NewRandomAccessFile(const std::string& f, const rocksdb::FileOptions& o,
                                        std::unique_ptr<rocksdb::FSRandomAccessFile>* r,
                                        rocksdb::IODebugContext* dbg) override {
    std::unique_ptr<rocksdb::FSRandomAccessFile> base;
    rocksdb::IOStatus s = target()->NewRandomAccessFile(f, o, &base, dbg);
    if (!s.ok()) return s;
    if (absl::EndsWith(f, ".sst")) {
      r->reset(new Reader(this, std::move(base)));
    } else {
      *r = std::move(base);
    }
    return s;
  }

 private:
  struct FileState {
    uint64_t appended = 0;
    uint64_t synced = 0;
  };

  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(FaultFs* fs, std::string name, std::unique_ptr<rocksdb::FSWritableFile> base)
        : FSWritableFileOwnerWrapper(std::move(base)), fs_(fs), name_(std::move(name)),
          wal_(absl::EndsWith(name_, ".log")) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->disk_full) return rocksdb::IOStatus::NoSpace("injected: disk full");
      rocksdb::IOStatus s = target()->Append(data, o, dbg);
      if (s.ok()) fs_->Appended(name_, data.size());
      return s;
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* dbg) override {
      if (fs_->disk_full) return rocksdb::IOStatus::NoSpace("injected: disk full");
      rocksdb::IOStatus s = target()->Append(data, o, v, dbg);
      if (s.ok()) fs_->Appended(name_, data.size());
      return s;
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      return DoSync([&] { return target()->Sync(o, dbg); });
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
      return DoSync([&] { return target()->Fsync(o, dbg); });
    }

   private:
    template <typename F>
    rocksdb::IOStatus DoSync(F sync) {
      if (wal_) {
        std::lock_guard<std::mutex> l(fs_->hook_mu_);
        if (fs_->on_sync_) fs_->on_sync_();
      }
      if (wal_ && fs_->hold_sync.exchange(false)) {
        fs_->sync_entered.Notify();
        fs_->sync_released.WaitForNotification();
      }
      if (wal_ && fs_->SyncFailureTriggered()) {
        fs_->failed_syncs++;
        return rocksdb::IOStatus::IOError("injected: fdatasync failed (EIO)");
      }
      rocksdb::IOStatus s = sync();
      if (s.ok()) fs_->Synced(name_);
      return s;
    }
    FaultFs* fs_;
    std::string name_;
    bool wal_;
  };

  class Reader : public rocksdb::FSRandomAccessFileOwnerWrapper {
   public:
    Reader(FaultFs* fs, std::unique_ptr<rocksdb::FSRandomAccessFile> base)
        : FSRandomAccessFileOwnerWrapper(std::move(base)), fs_(fs) {}
    rocksdb::IOStatus Read(uint64_t offset, size_t n, const rocksdb::IOOptions& o,
                           rocksdb::Slice* result, char* scratch,
                           rocksdb::IODebugContext* dbg) const override {
      rocksdb::IOStatus s = target()->Read(offset, n, o, result, scratch, dbg);
      if (s.ok() && fs_->corrupt_reads && result->size() > 0) {
        // Copy into scratch (the result may point into an mmap) and flip a bit.
        if (result->data() != scratch) {
          std::memcpy(scratch, result->data(), result->size());
          *result = rocksdb::Slice(scratch, result->size());
        }
        scratch[result->size() / 2] ^= 0x10;
      }
      return s;
    }
    rocksdb::IOStatus MultiRead(rocksdb::FSReadRequest* reqs, size_t num,
                                const rocksdb::IOOptions& o,
                                rocksdb::IODebugContext* dbg) override {
      for (size_t i = 0; i < num; ++i) {
        reqs[i].status = Read(reqs[i].offset, reqs[i].len, o, &reqs[i].result, reqs[i].scratch, dbg);
      }
      return rocksdb::IOStatus::OK();
    }

   private:
    FaultFs* fs_;
  };

  void Appended(const std::string& name, size_t n) {
    std::lock_guard<std::mutex> l(mu_);
    files_[name].appended += n;
  }
  void Synced(const std::string& name) {
    std::lock_guard<std::mutex> l(mu_);
    files_[name].synced = files_[name].appended;
  }

  std::mutex mu_;
  std::map<std::string, FileState> files_;
  std::mutex hook_mu_;
  std::function<void()> on_sync_;  // guarded by hook_mu_
};

}  // namespace sluss::storage::testing

#endif  // SLUSS_STORAGE_FAULT_FS_H_
