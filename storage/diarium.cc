// The diarium store. Formats and guarantees: docs/DIARIUM.md.
//
// The write path is sequenced (like leveldb's DBImpl::Write, but with
// dedicated threads): appenders queue requests and wait. By default the
// writer thread writes one WriteBatch per group (entries, tree hash runs,
// index rows) with one synced write, while the builder thread builds the
// next group's batch from what was queued meanwhile; the publisher thread
// acknowledges written groups and signs a checkpoint if the interval allows
// (docs/DIARIUM.md §1). The alternative (sync_in_sequencer = false): the
// sequencer writes each group unsynced and the syncer thread's SyncWAL
// covers every group written so far.
#include "storage/diarium.h"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <bit>
#include <filesystem>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "base/status_macros.h"
#include "crypto/hash.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/options.h"
#include "rocksdb/perf_level.h"
#include "rocksdb/slice.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/cache.h"
#include "rocksdb/write_batch.h"
#include "storage/tiles.h"
#include "storage/verify.h"

namespace sluss::storage {
namespace {

constexpr char kEntryPrefix = 'e';
constexpr char kHashRunPrefix = 'h';
constexpr char kIndexPrefix = 'i';
constexpr char kPayloadPrefix = 'p';
constexpr char kTimePrefix = 't';
constexpr char kMetaPrefix = 'm';
constexpr absl::string_view kFormatVersion = "sluss-diarium-v3";
// An entry bundle is cut where it would exceed this many bytes (§2.1); it
// always holds at least one entry.
constexpr size_t kMaxBundleBytes = 65536;
// Time rows: one per group and bucket of 2^20 µs (§2.4).
constexpr int kTimeBucketShift = 20;
// Posting and time rows live in their own column family (§2): only the
// sequencer inserts into it and only Find/FindByTime read it, so its
// memtable is an unsorted vector (sorted when read or flushed), kept small.
constexpr char kIndexFamily[] = "index";
constexpr size_t kIndexWriteBufferBytes = size_t{8} << 20;
// Hash runs never cross a multiple of this many node indices (§2.2).
constexpr uint64_t kRunAlign = 256;
// Values at least this large (payloads only: entries are at most 65,535
// bytes, hash runs 8 KiB) go to RocksDB blob files at flush, so compaction
// never rewrites them.
constexpr uint64_t kMinBlobSize = 65536;
// Nodes at this level and above are cached in memory once read (at most
// kCacheMaxNodes of them: 48 MB): a proof in a 10M-entry log then reads 6
// nodes from RocksDB instead of 24.
constexpr int kCacheMinLevel = 6;
constexpr size_t kCacheMaxNodes = size_t{1} << 20;

void PutBe64(std::string* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBe64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// Unsigned LEB128 varints, as in Protocol Buffers: 7 bits per byte, low
// group first, high bit set on every byte but the last (§2.4).
void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Reads a varint from the front of `in` and advances it; nullopt if `in`
// ends inside it or it does not fit 64 bits.
std::optional<uint64_t> GetVarint(absl::string_view* in) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    const uint64_t b = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    if (shift == 63 && b > 1) return std::nullopt;
    v |= (b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  return std::nullopt;
}

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

// The key of the entry bundle whose first entry is `first` (§2.1).
std::string EntryKey(uint64_t first) {
  std::string k(1, kEntryPrefix);
  PutBe64(&k, first);
  return k;
}

bool IsEntryKey(const rocksdb::Slice& k) { return k.size() == 9 && k[0] == kEntryPrefix; }

// Calls fn(index, bytes) for each entry of the bundle (`first`, `bundle`)
// in order until fn returns false; returns the number of entries visited.
// kDataLoss naming the entry whose length runs past the bundle's end.
template <typename Fn>
absl::StatusOr<uint64_t> ForEachInBundle(uint64_t first, absl::string_view bundle, Fn fn) {
  uint64_t index = first;
  while (!bundle.empty()) {
    if (bundle.size() < 2) {
      return absl::DataLossError(
          absl::StrCat("diarium: entry ", index, " is malformed (bundle at ", first, ")"));
    }
    const size_t len = (static_cast<size_t>(static_cast<unsigned char>(bundle[0])) << 8) |
                       static_cast<unsigned char>(bundle[1]);
    if (bundle.size() - 2 < len) {
      return absl::DataLossError(absl::StrCat("diarium: entry ", index,
                                              " is malformed (its length runs past the bundle at ",
                                              first, ")"));
    }
    const bool more = fn(index, bundle.substr(2, len));
    bundle.remove_prefix(2 + len);
    ++index;
    if (!more) break;
  }
  return index - first;
}

std::string HashRunKey(int level, uint64_t first) {
  std::string k(1, kHashRunPrefix);
  k.push_back(static_cast<char>(level));
  PutBe64(&k, first);
  return k;
}

std::string IndexPrefix(IndexKind kind, absl::string_view value) {
  std::string k(1, kIndexPrefix);
  k.push_back(static_cast<char>(kind));
  k.push_back(static_cast<char>((value.size() >> 8) & 0xff));
  k.push_back(static_cast<char>(value.size() & 0xff));
  k.append(value.data(), value.size());
  return k;
}

uint64_t TimeKey(absl::Time t) {
  return static_cast<uint64_t>(absl::ToUnixMicros(t)) ^ (uint64_t{1} << 63);
}

std::string TimeRowKey(uint64_t bucket, uint64_t first) {
  std::string k(1, kTimePrefix);
  PutBe64(&k, bucket);
  PutBe64(&k, first);
  return k;
}

std::string PayloadKey(absl::string_view digest) {
  std::string k(1, kPayloadPrefix);
  k.append(digest.data(), digest.size());
  return k;
}

std::string MetaKey(absl::string_view name) {
  return absl::StrCat(absl::string_view(&kMetaPrefix, 1), name);
}

// Memtable insert hints (RocksDB's memtable_insert_with_hint_prefix_extractor):
// the skiplist keeps one insert position per prefix, so a key that lands
// next to the previous key with its prefix is inserted without a search
// from the top. Entries ('e'), each level's hash runs ('h' level), time rows
// ('t') and each index value's rows ('i' kind len value) are all appended in
// index order, so their inserts are nearly free; without hints every jump
// between these regions restarts the search (the sequencer's main cost).
class InsertHintPrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "sluss.diarium.InsertHintPrefix"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    switch (key[0]) {
      case kHashRunPrefix:
        return rocksdb::Slice(key.data(), 2);
      case kIndexPrefix:
        return rocksdb::Slice(key.data(), key.size() - 8);
      default:
        return rocksdb::Slice(key.data(), 1);
    }
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    if (key.empty()) return false;
    switch (key[0]) {
      case kEntryPrefix:
      case kTimePrefix:
        return true;
      case kHashRunPrefix:
        return key.size() >= 2;
      case kIndexPrefix:
        return key.size() >= 12;
      default:
        return false;
    }
  }
};

rocksdb::Slice ToSlice(absl::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
absl::string_view ToView(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

// One mapping from RocksDB's status to ours (docs/DIARIUM.md §8).
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(context, ": ", s.ToString());
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsIOError()) return absl::UnavailableError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  return absl::InternalError(msg);
}

absl::string_view NoteText(absl::string_view note) {
  const size_t pos = note.find("\n\n");
  return pos == absl::string_view::npos ? note : note.substr(0, pos + 1);
}

absl::Status OtherFormat(absl::string_view format) {
  return absl::FailedPreconditionError(
      absl::StrCat("the log has format \"", format, "\"; this build reads only \"",
                   kFormatVersion, "\" (no migration; docs/DIARIUM.md §2)"));
}

absl::Status ValidateKeys(const IndexKeys& keys) {
  auto check = [](absl::string_view what, absl::string_view v) {
    if (v.size() > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("diarium: ", what, " index value of ", v.size(), " bytes; max 65535"));
    }
    return absl::OkStatus();
  };
  SLUSS_RETURN_IF_ERROR(check("case", keys.case_id));
  for (const auto& a : keys.agency_ids) SLUSS_RETURN_IF_ERROR(check("agency", a));
  for (const auto& p : keys.subject_pseudonyms) SLUSS_RETURN_IF_ERROR(check("subject", p));
  return absl::OkStatus();
}

// EntrySource and NodeSource over the store, for Verify and Export.
class StoreEntrySource : public EntrySource {
 public:
  explicit StoreEntrySource(const Diarium& d) : d_(d) {}
  absl::Status ReadEntries(uint64_t begin, uint64_t end,
                           absl::FunctionRef<bool(uint64_t, absl::string_view)> fn) override {
    return d_.ReadRange(begin, end, fn);
  }

 private:
  const Diarium& d_;
};

}  // namespace

// A queued append. Append borrows the caller's entry and keys (the caller
// waits until done); AppendAsync owns copies. Requests move between vectors,
// so views are computed on use, never stored.
struct Diarium::Request {
  absl::string_view borrowed_entry;
  const IndexKeys* borrowed_keys = nullptr;  // non-null: borrowed
  std::string owned_entry;
  IndexKeys owned_keys;
  std::vector<Payload> payloads;  // AppendAsync only
  Hash leaf;
  // The posting-row prefixes of its index keys (case, agencies, subjects):
  // made with the leaf hash on the caller's thread, not the sequencer's.
  std::vector<std::string> prefixes;
  AppendCallback done;
  // Append (the blocking call): its caller waits for durability, not for a
  // checkpoint, so align_writes_to_checkpoints never holds it.
  bool urgent = false;

  void Prepare() {
    leaf = LeafHash(entry());
    const IndexKeys& k = keys();
    prefixes.reserve((k.case_id.empty() ? 0 : 1) + k.agency_ids.size() + k.subject_pseudonyms.size());
    if (!k.case_id.empty()) prefixes.push_back(IndexPrefix(IndexKind::kCase, k.case_id));
    for (const auto& a : k.agency_ids) prefixes.push_back(IndexPrefix(IndexKind::kAgency, a));
    for (const auto& p : k.subject_pseudonyms) prefixes.push_back(IndexPrefix(IndexKind::kSubject, p));
  }

  // What the request adds to a group's batch, for the group limit.
  size_t bytes() const {
    size_t n = entry().size();
    for (const Payload& p : payloads) n += p.bytes.size();
    return n;
  }

  absl::string_view entry() const {
    return borrowed_keys != nullptr ? borrowed_entry : absl::string_view(owned_entry);
  }
  const IndexKeys& keys() const {
    return borrowed_keys != nullptr ? *borrowed_keys : owned_keys;
  }
};

struct Diarium::OpenBatch {
  rocksdb::WriteBatch batch;
  std::vector<PendingGroup> groups;
  size_t entries = 0;
  size_t bytes = 0;
};

Diarium::Diarium(const DiariumOptions& options, std::string path,
                 std::unique_ptr<rocksdb::DB> db)
    : options_(options),
      path_(std::move(path)),
      clock_(options.clock != nullptr ? options.clock : &RealClock()),
      db_(std::move(db)),
      open_(std::make_unique<OpenBatch>()) {}

absl::StatusOr<std::unique_ptr<Diarium>> Diarium::Open(const DiariumOptions& options,
                                                       absl::string_view path) {
  SLUSS_RETURN_IF_ERROR(Annotate(crypto::ValidateNoteKeyName(options.origin), "diarium origin"));
  if (options.signers.empty()) {
    return absl::InvalidArgumentError("diarium: at least one checkpoint signer is required");
  }
  for (const auto& s : options.signers) {
    if (s == nullptr || s->name() != options.origin) {
      return absl::InvalidArgumentError(
          absl::StrCat("diarium: every signer must be named after the origin \"",
                       options.origin, "\"", s ? absl::StrCat(", not \"", s->name(), "\"") : ""));
    }
  }
  if (options.max_group_entries == 0 || options.max_group_bytes == 0) {
    return absl::InvalidArgumentError("diarium: group limits must be positive");
  }

  rocksdb::Options ropts;
  ropts.create_if_missing = options.create_if_missing;
  if (options.env != nullptr) ropts.env = options.env;
  ropts.paranoid_checks = true;
  ropts.max_background_jobs = 2;
  ropts.memtable_insert_with_hint_prefix_extractor = std::make_shared<InsertHintPrefix>();
  // Payloads (docs/DIARIUM.md §2.5) of 64 KiB and more live in blob files.
  ropts.enable_blob_files = true;
  ropts.min_blob_size = kMinBlobSize;
  ropts.enable_blob_garbage_collection = true;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  ropts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // The index family's vector memtable takes no concurrent inserts; the
  // diarium has a single writer anyway.
  ropts.allow_concurrent_memtable_write = false;
  ropts.create_missing_column_families = true;
  rocksdb::ColumnFamilyOptions index_opts(ropts);
  index_opts.memtable_factory = std::make_shared<rocksdb::VectorRepFactory>();
  index_opts.memtable_insert_with_hint_prefix_extractor = nullptr;
  index_opts.enable_blob_files = false;
  index_opts.write_buffer_size = kIndexWriteBufferBytes;
  const std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions(ropts)},
      {kIndexFamily, index_opts}};

  const std::string dir(path);
  if (!options.create_if_missing && !std::filesystem::exists(dir + "/CURRENT")) {
    return absl::NotFoundError(absl::StrCat("diarium: no log at ", dir));
  }
  if (std::filesystem::exists(dir + "/CURRENT")) {
    // A log without the index family is of an older format (v1 had one
    // family): name it without creating the family in it.
    std::vector<std::string> names;
    if (rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(ropts), dir, &names).ok() &&
        std::find(names.begin(), names.end(), kIndexFamily) == names.end()) {
      std::string format = "(none)";
      rocksdb::DB* old = nullptr;
      if (rocksdb::DB::OpenForReadOnly(ropts, dir, &old).ok()) {
        std::unique_ptr<rocksdb::DB> guard(old);
        if (!guard->Get(rocksdb::ReadOptions(), MetaKey("format"), &format).ok()) format = "(none)";
        guard->Close().PermitUncheckedError();
      }
      return Annotate(OtherFormat(format), absl::StrCat("diarium: opening ", dir));
    }
  }
  rocksdb::DB* raw = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(rocksdb::DBOptions(ropts), dir, families, &handles, &raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("diarium: opening ", dir));
  std::unique_ptr<Diarium> d(new Diarium(options, dir, std::unique_ptr<rocksdb::DB>(raw)));
  d->default_cf_ = handles[0];
  d->index_cf_ = handles[1];
  SLUSS_RETURN_IF_ERROR(Annotate(d->Load(), absl::StrCat("diarium: opening ", dir)));
  if (options.sync_in_sequencer) {
    d->sequencer_ = std::thread([p = d.get()] { p->WriterLoop(); });
    d->syncer_ = std::thread([p = d.get()] { p->BuilderLoop(); });
  } else {
    d->sequencer_ = std::thread([p = d.get()] { p->SequencerLoop(); });
    d->syncer_ = std::thread([p = d.get()] { p->SyncerLoop(); });
  }
  d->publisher_ = std::thread([p = d.get()] { p->PublisherLoop(); });
  d->warmer_ = std::thread([p = d.get(), n = d->size()] { p->WarmNodeCache(n); });
  return d;
}

absl::Status Diarium::Load() {
  // Format and origin.
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), MetaKey("format"), &value);
  const bool fresh = s.IsNotFound();
  if (!s.ok() && !fresh) return FromRocks(s, "reading format");
  if (fresh) {
    rocksdb::WriteBatch b;
    b.Put(MetaKey("format"), ToSlice(kFormatVersion));
    b.Put(MetaKey("origin"), ToSlice(options_.origin));
    rocksdb::WriteOptions wo;
    wo.sync = true;
    SLUSS_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &b), "writing format"));
  } else {
    if (value != kFormatVersion) {
      return OtherFormat(value);
    }
    SLUSS_RETURN_IF_ERROR(
        FromRocks(db_->Get(rocksdb::ReadOptions(), MetaKey("origin"), &value), "reading origin"));
    if (value != options_.origin) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the log's origin is \"", value, "\", not \"", options_.origin, "\""));
    }
  }

  // Tree size: one past the last entry of the last bundle.
  uint64_t size = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    std::string last(1, kEntryPrefix);
    last.append(8, '\xff');
    it->SeekForPrev(last);
    SLUSS_RETURN_IF_ERROR(FromRocks(it->status(), "finding the last entry"));
    if (it->Valid() && IsEntryKey(it->key())) {
      const uint64_t first = GetBe64(it->key().data() + 1);
      SLUSS_ASSIGN_OR_RETURN(uint64_t count,
                             ForEachInBundle(first, ToView(it->value()),
                                             [](uint64_t, absl::string_view) { return true; }));
      size = first + count;
    }
  }
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    auto reader = [&](int level, uint64_t index) { return ReadNode(it.get(), level, index); };
    SLUSS_ASSIGN_OR_RETURN(frontier_, Frontier::Load(size, reader));
    durable_ = frontier_;
  }

  {
    absl::MutexLock l(&mu_);
    size_ = size;
  }
  // The last persisted checkpoint must be covered by the tree.
  s = db_->Get(rocksdb::ReadOptions(), MetaKey("checkpoint"), &value);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading the last checkpoint");
  if (s.ok()) {
    absl::StatusOr<CheckpointBody> parsed = ParseCheckpointText(NoteText(value));
    if (!parsed.ok()) return Annotate(parsed.status(), "last checkpoint");
    const CheckpointBody cp = *std::move(parsed);
    if (cp.origin != options_.origin) {
      return absl::DataLossError(absl::StrCat("last checkpoint has origin \"", cp.origin, "\""));
    }
    if (cp.size > size) {
      return absl::DataLossError(absl::StrCat("the log has ", size,
                                              " entries but its last signed checkpoint covers ",
                                              cp.size));
    }
    SLUSS_ASSIGN_OR_RETURN(Hash root, RootAt(cp.size));
    if (root != cp.root) {
      return absl::DataLossError(absl::StrCat("the tree at size ", cp.size,
                                              " does not match the last signed checkpoint"));
    }
    signed_ = cp;
    absl::MutexLock l(&mu_);
    latest_ = SignedCheckpoint{cp, value};
  }
  if (s.IsNotFound() || signed_.size < size) {
    if (s.IsNotFound()) signed_ = CheckpointBody{options_.origin, 0, EmptyRoot()};
    SLUSS_RETURN_IF_ERROR(SignCheckpoint());
    // No sequencer yet to carry it: persist it here (unsynced, like the
    // sequencer's: a lost one is signed again by the next Open).
    std::string note;
    {
      absl::MutexLock l(&mu_);
      note.swap(unpersisted_note_);
    }
    SLUSS_RETURN_IF_ERROR(FromRocks(db_->Put(rocksdb::WriteOptions(), MetaKey("checkpoint"), note),
                                    "persisting checkpoint"));
  }
  signed_tree_ = durable_;
  signed_tree_known_ = true;
  return absl::OkStatus();
}

Diarium::~Diarium() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
    work_cv_.Signal();
    sync_cv_.Signal();
    build_cv_.Signal();
  }
  warm_stop_ = true;
  if (warmer_.joinable()) warmer_.join();
  if (sequencer_.joinable()) sequencer_.join();
  if (syncer_.joinable()) syncer_.join();
  if (publisher_.joinable()) publisher_.join();
  bool poisoned;
  std::string note;
  {
    absl::MutexLock l(&mu_);
    poisoned = !poison_.ok();
    note.swap(unpersisted_note_);
  }
  if (!poisoned && !note.empty()) {
    db_->Put(rocksdb::WriteOptions(), MetaKey("checkpoint"), note).PermitUncheckedError();
  }
  // A clean close flushes the memtable, so the next Open replays no WAL.
  if (!poisoned) db_->Flush(rocksdb::FlushOptions(), {default_cf_, index_cf_}).PermitUncheckedError();
  db_->DestroyColumnFamilyHandle(index_cf_).PermitUncheckedError();
  db_->DestroyColumnFamilyHandle(default_cf_).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

absl::StatusOr<uint64_t> Diarium::Append(absl::string_view entry, const IndexKeys& keys) {
  absl::Notification done;
  absl::StatusOr<uint64_t> result;
  Request r;
  r.borrowed_entry = entry;
  r.borrowed_keys = &keys;
  r.urgent = true;
  r.done = [&](absl::StatusOr<uint64_t> res) {
    result = std::move(res);
    done.Notify();
  };
  if (entry.size() > kMaxEntrySize) {
    return absl::InvalidArgumentError(absl::StrCat("diarium: entry of ", entry.size(),
                                                   " bytes; max ", kMaxEntrySize));
  }
  SLUSS_RETURN_IF_ERROR(ValidateKeys(keys));
  r.Prepare();
  {
    absl::MutexLock l(&mu_);
    if (!poison_.ok()) return poison_;
    if (stopping_) return absl::UnavailableError("diarium: closing");
    if (Aligned()) ++urgent_waiting_;
    queue_.push_back(std::move(r));
    WakeSequencer();
  }
  done.WaitForNotification();
  return result;
}

void Diarium::AppendAsync(std::string entry, IndexKeys keys, AppendCallback done) {
  AppendAsync(std::move(entry), std::move(keys), {}, std::move(done));
}

void Diarium::AppendAsync(std::string entry, IndexKeys keys, std::vector<Payload> payloads,
                          AppendCallback done) {
  for (const Payload& p : payloads) {
    if (p.digest.size() != 32) {
      done(absl::InvalidArgumentError(absl::StrCat("diarium: a payload digest has ", p.digest.size(),
                                                   " bytes; want 32 (SHA-256)")));
      return;
    }
  }
  if (entry.size() > kMaxEntrySize) {
    done(absl::InvalidArgumentError(
        absl::StrCat("diarium: entry of ", entry.size(), " bytes; max ", kMaxEntrySize)));
    return;
  }
  if (absl::Status s = ValidateKeys(keys); !s.ok()) {
    done(s);
    return;
  }
  Request r;
  r.owned_entry = std::move(entry);
  r.owned_keys = std::move(keys);
  r.payloads = std::move(payloads);
  r.Prepare();
  r.done = std::move(done);
  absl::Status refused;
  {
    absl::MutexLock l(&mu_);
    if (!poison_.ok()) {
      refused = poison_;
    } else if (stopping_) {
      refused = absl::UnavailableError("diarium: closing");
    } else {
      queue_.push_back(std::move(r));
      WakeSequencer();
      return;
    }
  }
  r.done(refused);
}

// At most one group waits for the syncer, so groups grow while it syncs
// (fewer, larger writes); while it gathers (sync_gather_wait) more may be
// written, up to a bound (memory under AppendAsync floods). One sync covers
// every written group.
bool Diarium::PendingFull() const {
  return pending_entries_ >= 2 * options_.max_group_entries ||
         (!pending_.empty() && sync_wake_entries_ == 0);
}

// Called after queueing a request. By default (sync_in_sequencer) it wakes
// the idle writer, or, while a write runs, the builder (on the first request
// and once the cohort is queued). In the pipelined-sync mode the sequencer
// waits for a request or for room in pending_; only the first request into an empty queue can end
// its wait, and only if there is room (otherwise the syncer wakes it when
// it takes the pending groups). Waking it for every request would cost a
// futile context switch per append while a sync runs.
void Diarium::WakeSequencer() {
  if (options_.sync_in_sequencer && writing_ && queue_.size() == cohort_ && !built_this_write_) {
    build_cv_.Signal();  // the builder's gather is complete
    return;
  }
  if (holding_) {
    // The hold ends early for a blocking Append or a full group; otherwise
    // waking the writer would only send it back to its hold.
    if (queue_.back().urgent || queue_.size() + hold_built_ == options_.max_group_entries) work_cv_.Signal();
    return;
  }
  if (queue_.size() != 1) return;
  if (!options_.sync_in_sequencer) {
    if (!PendingFull()) work_cv_.Signal();
  } else if (!writing_) {
    work_cv_.Signal();  // the idle writer builds and writes it (or holds it)
  } else if (!built_this_write_) {
    build_cv_.Signal();  // the builder gathers it for the next write
  }
}

// The longest prefix of the queue with at most `max_entries` requests and
// `max_bytes` bytes (callers that must take at least one request pass at
// least the first one's bytes).
std::vector<Diarium::Request> Diarium::TakeQueued(size_t max_entries, size_t max_bytes) {
  std::vector<Request> group;
  size_t n = 0, bytes = 0;
  while (n < queue_.size() && n < max_entries && bytes + queue_[n].bytes() <= max_bytes) {
    bytes += queue_[n].bytes();
    ++n;
  }
  if (n == queue_.size()) {
    group.swap(queue_);
  } else {
    group.assign(std::make_move_iterator(queue_.begin()),
                 std::make_move_iterator(queue_.begin() + n));
    queue_.erase(queue_.begin(), queue_.begin() + n);
  }
  return group;
}

// What of the queue fits beside what `open` already holds, within the
// group limits (a batch holding nothing takes at least one request,
// however large); empty if nothing is queued or `open` is full.
std::vector<Diarium::Request> Diarium::TakeFitting(const OpenBatch& open) {
  if (queue_.empty() || open.entries >= options_.max_group_entries || open.bytes >= options_.max_group_bytes) {
    return {};
  }
  size_t max_bytes = options_.max_group_bytes - open.bytes;
  if (open.groups.empty()) max_bytes = std::max(max_bytes, queue_.front().bytes());
  return TakeQueued(options_.max_group_entries - open.entries, max_bytes);
}

// The default write path (sync_in_sequencer): two threads share the work
// of one sequencer. The writer writes each batch with one synced write and
// hands it to the publisher; while that write runs, the builder builds what
// is queued into the next batch (entries, index rows, hash runs), so that
// the writer's next write starts as soon as the last one ends. When the
// writer finds nothing built, it builds the queued requests itself (as a
// lone sequencer would): under light load no thread is woken in between.
void Diarium::WriterLoop() {
  pthread_setname_np(pthread_self(), "diarium-seq");
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  while (true) {
    std::unique_ptr<OpenBatch> out = std::make_unique<OpenBatch>();
    {
      absl::MutexLock b(&build_mu_);
      const bool aligned = Aligned();
      if (open_->groups.empty() || aligned) {
        std::vector<Request> group;
        {
          absl::MutexLock l(&mu_);
          if (open_->groups.empty()) {
            while (queue_.empty() && !stopping_) work_cv_.Wait(&mu_);
            if (queue_.empty()) {
              sequencer_done_ = true;
              build_cv_.Signal();
              return;
            }
          }
          // Aligned, what the builder built during the last write waits
          // too, and what is queued meanwhile joins it in this write.
          if (aligned) HoldForCheckpoint(open_->entries, open_->bytes);
          group = TakeFitting(*open_);
          taken_at_ = clock_->Now();  // the build and the write follow: write_lead_
        }
        if (!group.empty()) BuildGroup(std::move(group), open_.get());
      }
      out.swap(open_);
      absl::MutexLock l(&mu_);
      if (aligned) {
        for (const PendingGroup& g : out->groups) {
          for (const Request& r : g.requests) urgent_waiting_ -= r.urgent ? 1 : 0;
        }
      }
      writing_ = true;
      built_this_write_ = false;
      write_started_ = absl::Now();
      if (!queue_.empty()) build_cv_.Signal();
    }
    absl::Status status;
    {
      absl::MutexLock l(&mu_);
      status = poison_;
    }
    if (status.ok() && !out->groups.empty()) {
      rocksdb::WriteOptions wo;
      wo.sync = true;
      const rocksdb::Status s = db_->Write(wo, &out->batch);
      if (!s.ok()) {
        const uint64_t end = out->groups.back().after.size();
        status = FromRocks(s, absl::StrCat("diarium: writing entries ", end - out->entries, "..",
                                           end - 1));
        Poison(status);
      }
    }
    absl::MutexLock l(&mu_);
    writing_ = false;
    last_write_took_ = absl::Now() - write_started_;
    cohort_ = out->entries;  // acknowledged next, they will append again
    if (!out->groups.empty()) {
      last_write_end_ = clock_->Now();
      last_write_size_ = out->groups.back().after.size();
      // Clamped: a wall clock stepped during the write must not make the
      // next hold end at once or last its whole steady-time limit.
      write_lead_ = std::clamp(last_write_end_ - taken_at_, absl::ZeroDuration(), options_.checkpoint_interval);
      if (status.ok()) {
        stats_.syncs++;
        stats_.sync_time += last_write_took_;
      }
      synced_.push_back(SyncedGroups{std::move(out->groups), std::move(status)});
      publish_cv_.Signal();
    }
  }
}

// align_writes_to_checkpoints: holds the writer (mu_ held, build_mu_ too)
// so that its write, begun when the hold ends, ends about when the next
// checkpoint may be signed. While the last write is not yet covered, that is
// the pending checkpoint's due time if a write begun now can still end
// before it (its entries join that checkpoint; then aimed a lead early, as
// the publisher does not wait for it), otherwise the due time after the
// pending one; once covered, the next due time. The lead is the last
// hold-to-durable time (build and write). The hold ends early for a
// blocking Append, a full group (entries, with what is already built; a
// group full in bytes within 20 ms), close or poisoning, and never lasts
// longer than one checkpoint interval of steady time (a wall clock stepped
// back cannot stall the log). The injected clock is re-read at least every
// 20 ms.
void Diarium::HoldForCheckpoint(size_t built_entries, size_t built_bytes) {
  const auto give_up = std::chrono::steady_clock::now() +
                       absl::ToChronoNanoseconds(std::min(options_.checkpoint_interval, absl::Hours(1)));
  holding_ = true;
  hold_built_ = built_entries;
  bool targeted = false;
  uint64_t target_for = 0;
  absl::Time due;
  while (!stopping_ && poison_.ok() && urgent_waiting_ == 0 &&
         queue_.size() + built_entries < options_.max_group_entries) {
    size_t bytes = built_bytes;
    for (const Request& r : queue_) bytes += r.bytes();
    if (bytes >= options_.max_group_bytes) break;
    const absl::Time now = clock_->Now();
    // The target is chosen when the hold begins, and again only if a
    // checkpoint is signed meanwhile.
    if (!targeted || latest_.body.size != target_for) {
      targeted = true;
      target_for = latest_.body.size;
      if (latest_.body.size >= last_write_size_) {
        due = checkpoint_due_;  // the last write is covered: the next signing
      } else if (last_write_end_ < checkpoint_due_ && checkpoint_due_ - write_lead_ > now) {
        // The pending signing, in time to join it. The publisher does not
        // wait for this write, so aim a lead early: a write may take up to
        // twice as long as the last one and still join.
        due = checkpoint_due_ - write_lead_;
      } else {
        // The pending signing (at its due time, or once the last write is
        // acknowledged if that is later) is out of reach: the one after it.
        due = std::max(last_write_end_, checkpoint_due_) + options_.checkpoint_interval;
      }
    }
    const absl::Duration wait = due - write_lead_ - now;
    const auto left = give_up - std::chrono::steady_clock::now();
    if (wait <= absl::ZeroDuration() || left <= std::chrono::steady_clock::duration::zero()) break;
    work_cv_.WaitWithTimeout(&mu_, std::min({wait, absl::Milliseconds(20), absl::FromChrono(left)}));
  }
  holding_ = false;
}

// The writer's helper: while a synced write runs, builds what is queued
// into open_ for the writer's next write. It builds once per write, after
// gathering: appenders acknowledged by one write append again during the
// next, and one build of all of them costs less than one per arrival.
void Diarium::BuilderLoop() {
  pthread_setname_np(pthread_self(), "diarium-build");
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  while (true) {
    {
      absl::MutexLock l(&mu_);
      while (!(writing_ && !built_this_write_ && !queue_.empty()) && !sequencer_done_) {
        build_cv_.Wait(&mu_);
      }
      if (sequencer_done_) {
        // The writer has written its last batch: nothing follows it.
        syncer_done_ = true;
        publish_cv_.Signal();
        return;
      }
      const absl::Time deadline = write_started_ + last_write_took_ / 2;
      while (writing_ && queue_.size() < cohort_ && !stopping_ &&
             !build_cv_.WaitWithDeadline(&mu_, deadline)) {
      }
      if (!writing_) continue;  // the writer builds what is queued itself
      built_this_write_ = true;
    }
    absl::MutexLock b(&build_mu_);
    std::vector<Request> group;
    {
      absl::MutexLock l(&mu_);
      group = TakeFitting(*open_);
      if (group.empty()) continue;
    }
    const size_t before = open_->groups.size();
    BuildGroup(std::move(group), open_.get());
    if (open_->groups.size() == before) continue;  // refused: the store is poisoned
    absl::MutexLock l(&mu_);
    stats_.prebuilt++;
  }
}

// Stage 1 of the pipelined-sync path (sync_in_sequencer = false; docs/DIARIUM.md
// §1): take every queued request (up to the group limits), build one
// WriteBatch and write it to the WAL without syncing; then hand the group to
// the syncer. While the syncer waits for the disk, this thread already
// builds and writes the next group.
void Diarium::SequencerLoop() {
  pthread_setname_np(pthread_self(), "diarium-seq");
  // RocksDB counts every key comparison in a thread-local perf context
  // unless told not to (its default level is kEnableCount); from the shared
  // library each count is a __tls_get_addr call (docs/PERFORMANCE.md).
  rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  while (true) {
    std::vector<Request> group;
    {
      absl::MutexLock l(&mu_);
      // At most one group waits for the syncer, so groups grow while it
      // syncs (fewer, larger writes); while it gathers (sync_gather_wait)
      // more may be written, up to a bound (memory under AppendAsync
      // floods). One sync covers every written group.
      while ((queue_.empty() || PendingFull()) && !stopping_) {
        work_cv_.Wait(&mu_);
      }
      if (queue_.empty() && stopping_) {
        sequencer_done_ = true;
        sync_cv_.Signal();
        return;
      }
      group = TakeQueued(options_.max_group_entries,
                         std::max(options_.max_group_bytes, queue_.front().bytes()));
    }
    WriteGroup(std::move(group));
  }
}

// The pipelined-sync path (sync_in_sequencer = false): build the group and
// write it to the WAL without syncing; the syncer's SyncWAL covers it.
void Diarium::WriteGroup(std::vector<Request> group) {
  OpenBatch out;
  {
    absl::MutexLock b(&build_mu_);
    BuildGroup(std::move(group), &out);
  }
  if (out.groups.empty()) return;  // refused: the store is poisoned
  // Written to the WAL (one atomic record) but not synced: invisible to our
  // readers, which never look past the durable size_.
  const rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &out.batch);
  PendingGroup& g = out.groups.front();
  if (!s.ok()) {
    const uint64_t n = g.after.size() - g.requests.size();
    const absl::Status err = FromRocks(
        s, absl::StrCat("diarium: writing entries ", n, "..", g.after.size() - 1));
    Poison(err);
    for (Request& r : g.requests) r.done(err);
    return;
  }
  absl::MutexLock l(&mu_);
  pending_entries_ += g.requests.size();
  pending_.push_back(std::move(g));
  // While the syncer gathers, wake it only once it has what it waits for.
  if (pending_entries_ >= sync_wake_entries_) sync_cv_.Signal();
}

// Adds one group to `out`: assigns its indices, puts its rows (entries,
// hash runs, index rows, the unpersisted checkpoint note) into out->batch
// and advances frontier_. A poisoned store fails the group instead.
void Diarium::BuildGroup(std::vector<Request> group, OpenBatch* out) {
  absl::Status poisoned;
  std::string note;  // the newest signed checkpoint, if not yet persisted
  {
    absl::MutexLock l(&mu_);
    poisoned = poison_;
    note.swap(unpersisted_note_);
  }
  if (!poisoned.ok()) {
    for (Request& r : group) r.done(poisoned);
    return;
  }
  const uint64_t n = frontier_.size();
  // Keys go into the batch in ascending order ('e' < 'h' < 'i' < 'p' < 't'): the
  // memtable's skiplist inserts a sorted run from a cached splice, several
  // times cheaper than keys in arbitrary order. Rows are per group, not per
  // entry (docs/DIARIUM.md §2): every key is a skiplist insert.
  rocksdb::WriteBatch& batch = out->batch;
  std::vector<Hash> leaves;
  leaves.reserve(group.size());
  // Entry bundles (§2.1), written without copying the entries twice: the
  // value is gathered from be16 length headers and the entries themselves.
  std::vector<std::array<char, 2>> lengths(group.size());
  std::vector<rocksdb::Slice> parts;
  parts.reserve(2 * group.size());
  uint64_t bundle_first = n;
  size_t bundle_bytes = 0;
  auto put_bundle = [&] {
    if (parts.empty()) return;
    const std::string key = EntryKey(bundle_first);
    const rocksdb::Slice key_slice(key);
    batch.Put(rocksdb::SliceParts(&key_slice, 1),
              rocksdb::SliceParts(parts.data(), static_cast<int>(parts.size())));
    parts.clear();
    bundle_bytes = 0;
  };
  // (kind, value) prefix and index, for the posting rows; (time key, index)
  // for the time rows (§2.4).
  std::vector<std::pair<std::string, uint64_t>> postings;
  {
    size_t count = 0;
    for (const Request& r : group) count += r.prefixes.size();
    postings.reserve(count);
  }
  std::vector<std::pair<uint64_t, uint64_t>> times;
  std::vector<std::pair<std::string, const std::string*>> payload_rows;
  for (size_t i = 0; i < group.size(); ++i) {
    Request& r = group[i];
    const uint64_t index = n + i;
    const IndexKeys& keys = r.keys();
    const absl::string_view entry = r.entry();
    if (!parts.empty() && bundle_bytes + 2 + entry.size() > kMaxBundleBytes) {
      put_bundle();
      bundle_first = index;
    }
    lengths[i] = {static_cast<char>((entry.size() >> 8) & 0xff),
                  static_cast<char>(entry.size() & 0xff)};
    parts.emplace_back(lengths[i].data(), 2);
    parts.emplace_back(ToSlice(entry));
    bundle_bytes += 2 + entry.size();
    for (std::string& prefix : r.prefixes) postings.emplace_back(std::move(prefix), index);
    if (keys.time.has_value()) times.emplace_back(TimeKey(*keys.time), index);
    for (const Payload& p : r.payloads) payload_rows.emplace_back(PayloadKey(p.digest), &p.bytes);
    leaves.push_back(r.leaf);
  }
  put_bundle();
  Frontier next = frontier_;
  next.Append(leaves, [&](int level, uint64_t first, absl::Span<const Hash> run) {
    // Cut at multiples of kRunAlign, so a lookup reads at most 8 KiB
    // however large the group (docs/DIARIUM.md §2.2).
    while (!run.empty()) {
      const uint64_t room = kRunAlign - first % kRunAlign;
      const size_t take = static_cast<size_t>(std::min<uint64_t>(room, run.size()));
      batch.Put(HashRunKey(level, first),
                rocksdb::Slice(reinterpret_cast<const char*>(run.data()), take * 32));
      run.remove_prefix(take);
      first += take;
    }
  });
  // One posting row per distinct (kind, value): sorted by prefix, then by
  // index (ascending already within a prefix).
  std::sort(postings.begin(), postings.end());
  // An entry may name a value twice (IndexKeys does not forbid it): its
  // index is posted once.
  postings.erase(std::unique(postings.begin(), postings.end()), postings.end());
  for (size_t i = 0; i < postings.size();) {
    size_t j = i;
    while (j < postings.size() && postings[j].first == postings[i].first) ++j;
    // Keyed by its last index; the value holds the gaps down to each
    // earlier one, last first (empty for a row of one index).
    std::string value;
    for (size_t k = j - 1; k > i; --k) PutVarint(&value, postings[k].second - postings[k - 1].second);
    std::string key = std::move(postings[i].first);
    PutBe64(&key, postings[j - 1].second);
    batch.Put(index_cf_, key, value);
    i = j;
  }
  // The checkpoint the publisher signed last rides along ('m' sorts
  // between 'h' and 'p'); it covers only entries already durable.
  if (!note.empty()) batch.Put(MetaKey("checkpoint"), note);
  std::sort(payload_rows.begin(), payload_rows.end());
  for (const auto& [k, v] : payload_rows) batch.Put(k, ToSlice(*v));
  // One time row per bucket (in practice one per group).
  std::sort(times.begin(), times.end());
  for (size_t i = 0; i < times.size();) {
    const uint64_t bucket = times[i].first >> kTimeBucketShift;
    // Each pair as the time key's step from the previous one (from the
    // bucket's start) and the index's signed step from the previous one
    // (from the group's first index).
    std::string value;
    uint64_t prev_time = bucket << kTimeBucketShift, prev_index = n;
    for (; i < times.size() && (times[i].first >> kTimeBucketShift) == bucket; ++i) {
      PutVarint(&value, times[i].first - prev_time);
      PutVarint(&value, ZigZag(static_cast<int64_t>(times[i].second - prev_index)));
      prev_time = times[i].first;
      prev_index = times[i].second;
    }
    batch.Put(index_cf_, TimeRowKey(bucket, n), value);
  }
  frontier_ = next;
  out->entries += group.size();
  for (const Request& r : group) out->bytes += r.bytes();
  out->groups.push_back(PendingGroup{std::move(group), std::move(next)});
}

// Stage 2: one WAL sync covers every group written so far (group commit
// across groups). The syncer only syncs: it hands the synced groups to the
// publisher and starts the next sync at once, so syncs run back to back
// while the publisher wakes the appenders and signs checkpoints.
void Diarium::SyncerLoop() {
  pthread_setname_np(pthread_self(), "diarium-sync");
  size_t last_acked = 0;                     // entries covered by the last sync
  absl::Duration last_sync_took;             // how long that sync took
  while (true) {
    std::vector<PendingGroup> groups;
    bool done = false;
    {
      absl::MutexLock l(&mu_);
      while (pending_.empty() && !sequencer_done_) sync_cv_.Wait(&mu_);
      // Gather: appenders acknowledged by the last sync usually append again
      // at once. Give them (at most as long as a sync takes) to be written,
      // so they share the next sync instead of waiting for the one after.
      const absl::Duration gather = std::min(options_.sync_gather_wait, last_sync_took);
      if (last_acked > 0 && gather > absl::ZeroDuration() && pending_entries_ > 0 &&
          pending_entries_ < last_acked && !stopping_ && !sequencer_done_ &&
          poison_.ok()) {
        stats_.gather_waits++;
        const absl::Time deadline = absl::Now() + gather;
        auto gathered = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return pending_entries_ >= last_acked || stopping_ || sequencer_done_ || !poison_.ok();
        };
        sync_wake_entries_ = last_acked;
        work_cv_.Signal();  // the sequencer may write more groups meanwhile
        while (!gathered() && !sync_cv_.WaitWithDeadline(&mu_, deadline)) {
        }
        sync_wake_entries_ = 0;
      }
      done = pending_.empty() && sequencer_done_;
      groups.swap(pending_);
      pending_entries_ = 0;
      work_cv_.Signal();  // room in pending_ again
    }
    if (!groups.empty()) {
      const absl::Time t0 = absl::Now();
      absl::Status status = SyncGroups(groups);
      last_sync_took = absl::Now() - t0;
      last_acked = 0;
      for (const PendingGroup& g : groups) last_acked += g.requests.size();
      absl::MutexLock l(&mu_);
      if (status.ok()) {
        stats_.syncs++;
        stats_.sync_time += last_sync_took;
      }
      synced_.push_back(SyncedGroups{std::move(groups), std::move(status)});
      publish_cv_.Signal();
    }
    if (done) {
      absl::MutexLock l(&mu_);
      syncer_done_ = true;
      publish_cv_.Signal();
      return;
    }
  }
}

absl::Status Diarium::SyncGroups(const std::vector<PendingGroup>& groups) {
  absl::Status status;
  {
    absl::MutexLock l(&mu_);
    status = poison_;
  }
  if (!status.ok()) return status;
  const rocksdb::Status s = db_->SyncWAL();
  if (s.ok()) return absl::OkStatus();
  status = FromRocks(s, absl::StrCat("diarium: syncing entries ",
                                     groups.front().after.size() - groups.front().requests.size(),
                                     "..", groups.back().after.size() - 1));
  Poison(status);
  return status;
}

// Stage 3: acknowledge synced groups in index order (or fail them with the
// sync's error), publish the durable size, and sign a checkpoint for the
// durable tree when the interval allows — also when idle, so the last
// entries of a burst are covered within about checkpoint_interval.
void Diarium::PublisherLoop() {
  pthread_setname_np(pthread_self(), "diarium-publish");
  while (true) {
    std::vector<SyncedGroups> batch;
    bool done = false;
    {
      absl::MutexLock l(&mu_);
      while (synced_.empty() && !syncer_done_) {
        if (durable_.size() > signed_.size && poison_.ok()) {
          const absl::Duration wait =
              last_signed_at_ + options_.checkpoint_interval - clock_->Now();
          if (wait <= absl::ZeroDuration()) break;
          // Re-read the (injected) clock at least every 20 ms of real time.
          publish_cv_.WaitWithTimeout(&mu_, std::min(wait, absl::Milliseconds(20)));
        } else {
          publish_cv_.Wait(&mu_);
        }
      }
      batch.swap(synced_);
      done = syncer_done_;  // the syncer adds nothing after setting it
    }
    for (SyncedGroups& synced : batch) Acknowledge(synced);
    if (done) {
      // Final checkpoint for whatever is durable and uncovered.
      absl::Status poisoned;
      {
        absl::MutexLock l(&mu_);
        poisoned = poison_;
      }
      if (poisoned.ok() && durable_.size() > signed_.size) SignCheckpoint().IgnoreError();
      return;
    }
    MaybeCheckpoint();
  }
}

void Diarium::Acknowledge(SyncedGroups& synced) {
  std::vector<PendingGroup>& groups = synced.groups;
  if (!synced.status.ok()) {
    for (PendingGroup& g : groups) {
      for (Request& r : g.requests) r.done(synced.status);
    }
    return;
  }
  durable_ = groups.back().after;
  {
    absl::MutexLock l(&mu_);
    size_ = durable_.size();
    for (const PendingGroup& g : groups) {
      stats_.groups++;
      stats_.entries += g.requests.size();
      stats_.max_group = std::max<uint64_t>(stats_.max_group, g.requests.size());
    }
  }
  for (PendingGroup& g : groups) {
    for (const Request& r : g.requests) since_signed_.push_back(r.leaf);
  }
  for (PendingGroup& g : groups) {
    const uint64_t first = g.after.size() - g.requests.size();
    for (size_t i = 0; i < g.requests.size(); ++i) g.requests[i].done(first + i);
  }
}

void Diarium::Poison(const absl::Status& cause) {
  absl::MutexLock l(&mu_);
  if (!poison_.ok()) return;
  poison_ = absl::FailedPreconditionError(absl::StrCat(
      "diarium: refusing appends after a failed write (", cause.message(),
      "); close and reopen the log"));
  // Requests already queued or pending are failed with this status by the
  // sequencer and the publisher.
  checkpoint_cv_.SignalAll();
  if (holding_) work_cv_.Signal();  // a held writer fails them at once
}

void Diarium::MaybeCheckpoint() {
  if (durable_.size() <= signed_.size) return;
  {
    absl::MutexLock l(&mu_);
    if (!poison_.ok()) return;
  }
  if (clock_->Now() < last_signed_at_ + options_.checkpoint_interval) return;
  SignCheckpoint().IgnoreError();  // failures poison the store
}

absl::Status Diarium::SignCheckpoint() {
  const CheckpointBody body{options_.origin, durable_.size(), durable_.Root()};
  // Never sign a tree that does not extend the last signed one: prove it
  // from the stored nodes and check the proof independently.
  if (signed_.size > 0) {
    absl::StatusOr<std::vector<Hash>> proof = signed_tree_known_
                                                  ? ProofSinceSigned(body.size)
                                                  : ConsistencyProof(signed_.size, body.size);
    absl::Status ok = proof.ok() ? VerifyConsistency(signed_.size, body.size, signed_.root,
                                                     body.root, *proof)
                                 : proof.status();
    if (!ok.ok()) {
      const absl::Status err = absl::InternalError(absl::StrCat(
          "diarium: refusing to sign a checkpoint of size ", body.size,
          " that is not consistent with the signed checkpoint of size ", signed_.size, ": ",
          ok.message()));
      Poison(err);
      return err;
    }
  }
  std::vector<const crypto::NoteSigner*> signers;
  for (const auto& s : options_.signers) signers.push_back(s.get());
  absl::StatusOr<std::string> note = crypto::SignNote(FormatCheckpointText(body), signers);
  if (!note.ok()) {
    Poison(note.status());
    return note.status();
  }
  // Persisted by the sequencer in its next group's batch (or by the clean
  // close), not by a write of its own: no second writer on the WAL, and no
  // second fdatasync in front of every reply that waits for a checkpoint. A
  // checkpoint lost in a crash is harmless: it covered durable entries only,
  // and Open signs the durable tree again (the same body gives the same note:
  // Ed25519 is deterministic).
  signed_ = body;
  signed_tree_ = durable_;
  signed_tree_known_ = true;
  since_signed_.clear();
  last_signed_at_ = clock_->Now();
  absl::MutexLock l(&mu_);
  checkpoint_due_ = last_signed_at_ + options_.checkpoint_interval;
  unpersisted_note_ = *note;
  latest_ = SignedCheckpoint{body, *std::move(note)};
  stats_.checkpoints++;
  checkpoint_cv_.SignalAll();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Hash>> Diarium::ProofSinceSigned(uint64_t new_size) const {
  const uint64_t m = signed_tree_.size();
  if (m != signed_.size || m + since_signed_.size() != new_size) {
    return absl::InternalError(absl::StrCat("the signed tree has ", m, " entries and ",
                                            since_signed_.size(), " were acknowledged since; the new tree has ",
                                            new_size));
  }
  // Every node PROOF(m, D[n]) needs is a frontier node of the tree of size
  // m or lies within [m, n) (RFC 6962 §2.1.2's recursion only splits to the
  // right of m or takes whole subtrees left of it).
  std::vector<Hash> level_nodes;
  auto reader = [&](int level, uint64_t index) -> absl::StatusOr<Hash> {
    const uint64_t begin = index << level, end = (index + 1) << level;
    if (end <= m && ((m >> level) & 1) && index == (m >> level) - 1) return signed_tree_.node(level);
    if (begin < m || end > new_size) {
      return absl::InternalError(absl::StrCat("node (", level, ", ", index, ") is not in memory"));
    }
    level_nodes.assign(since_signed_.begin() + (begin - m), since_signed_.begin() + (end - m));
    for (size_t n = level_nodes.size(); n > 1; n /= 2) {
      for (size_t i = 0; i < n / 2; ++i) level_nodes[i] = NodeHash(level_nodes[2 * i], level_nodes[2 * i + 1]);
    }
    return level_nodes[0];
  };
  return storage::ConsistencyProof(m, new_size, reader);
}

uint64_t Diarium::size() const {
  absl::MutexLock l(&mu_);
  return size_;
}

DiariumStats Diarium::stats() const {
  absl::MutexLock l(&mu_);
  return stats_;
}

absl::Status Diarium::CheckReadable(uint64_t end, uint64_t tree_size) const {
  if (end > tree_size) {
    return absl::OutOfRangeError(
        absl::StrCat("diarium: ", end, " is beyond the log's ", tree_size, " entries"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Diarium::Get(uint64_t index) const {
  SLUSS_RETURN_IF_ERROR(CheckReadable(index + 1, size()));
  std::string out;
  bool found = false;
  SLUSS_RETURN_IF_ERROR(ReadRange(index, index + 1, [&](uint64_t, absl::string_view bytes) {
    out.assign(bytes.data(), bytes.size());
    found = true;
    return false;
  }));
  if (!found) return absl::DataLossError(absl::StrCat("diarium: entry ", index, " is missing"));
  return out;
}

absl::StatusOr<std::string> Diarium::GetPayload(absl::string_view digest) const {
  if (digest.size() != 32) {
    return absl::InvalidArgumentError("diarium: a payload digest must be 32 bytes");
  }
  std::string value;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // payloads are read about once; keep the cache for the tree
  const rocksdb::Status s = db_->Get(ro, PayloadKey(digest), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("diarium: no payload ", crypto::ToHex(digest),
                                            " (never stored, or removed by gallring)"));
  }
  SLUSS_RETURN_IF_ERROR(FromRocks(s, absl::StrCat("diarium: reading payload ", crypto::ToHex(digest))));
  if (crypto::AsStringView(crypto::Sha256(value)) != digest) {
    return absl::DataLossError(absl::StrCat("diarium: payload ", crypto::ToHex(digest),
                                            " does not match its digest"));
  }
  return value;
}

absl::Status Diarium::ReadRange(uint64_t begin, uint64_t end,
                                absl::FunctionRef<bool(uint64_t, absl::string_view)> fn) const {
  SLUSS_RETURN_IF_ERROR(CheckReadable(end, size()));
  if (begin >= end) return absl::OkStatus();
  const std::string upper = EntryKey(end);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  ro.fill_cache = end - begin == 1;  // point reads (Get) only: keep the cache for them
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  // The bundle holding `begin` is the one with the largest first <= begin
  // (§2.1); bundles after it follow without gaps.
  it->SeekForPrev(EntryKey(begin));
  if (!it->Valid() || !IsEntryKey(it->key())) it->Seek(EntryKey(begin));
  uint64_t expected = begin;
  bool stopped = false;
  for (; it->Valid() && !stopped && expected < end; it->Next()) {
    if (!IsEntryKey(it->key())) break;
    const uint64_t first = GetBe64(it->key().data() + 1);
    if (first > expected) break;  // a gap: `expected` is missing
    SLUSS_RETURN_IF_ERROR(
        ForEachInBundle(first, ToView(it->value()), [&](uint64_t index, absl::string_view bytes) {
          if (index < expected) return true;
          if (index != expected || index >= end) return false;
          ++expected;
          if (!fn(index, bytes)) stopped = true;
          return !stopped && expected < end;
        }).status());
  }
  if (stopped) return absl::OkStatus();
  SLUSS_RETURN_IF_ERROR(FromRocks(it->status(), absl::StrCat("diarium: reading entry ", expected)));
  if (expected != end) {
    return absl::DataLossError(absl::StrCat("diarium: entry ", expected, " is missing"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint64_t>> Diarium::Find(IndexKind kind, absl::string_view value,
                                                    uint64_t from_index, size_t limit) const {
  const uint64_t tree_size = size();
  const std::string prefix = IndexPrefix(kind, value);
  std::string start = prefix;
  PutBe64(&start, from_index);
  std::vector<uint64_t> out;
  std::vector<uint64_t> row;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_cf_));
  auto is_row = [&](const rocksdb::Slice& k) {
    return k.size() == prefix.size() + 8 && absl::StartsWith(ToView(k), prefix);
  };
  // Rows are keyed by their last index (§2.4): the first row at or after
  // `start` is the first that holds an index >= from_index.
  std::optional<uint64_t> prev_last;
  for (it->Seek(start); it->Valid() && out.size() < limit && is_row(it->key()); it->Next()) {
    const uint64_t last = GetBe64(it->key().data() + prefix.size());
    // The row's indices, last first: each gap must be a whole varint > 0
    // that stays above zero, and the row must lie above the one before it.
    row.assign(1, last);
    bool ok = true;
    for (absl::string_view v = ToView(it->value()); ok && !v.empty();) {
      const std::optional<uint64_t> gap = GetVarint(&v);
      ok = gap.has_value() && *gap > 0 && *gap <= row.back();
      if (ok) row.push_back(row.back() - *gap);
    }
    if (!ok || (prev_last.has_value() && row.back() <= *prev_last)) {
      return absl::DataLossError(absl::StrCat("diarium: index row at ", last, " is malformed"));
    }
    prev_last = last;
    for (auto r = row.rbegin(); r != row.rend() && out.size() < limit; ++r) {
      if (*r >= tree_size) return out;
      if (*r >= from_index) out.push_back(*r);
    }
  }
  SLUSS_RETURN_IF_ERROR(FromRocks(it->status(), "diarium: reading index"));
  return out;
}

absl::StatusOr<std::vector<uint64_t>> Diarium::FindByTime(absl::Time from, absl::Time to,
                                                          size_t limit) const {
  const uint64_t tree_size = size();
  std::vector<uint64_t> out;
  if (from >= to || limit == 0) return out;
  const uint64_t lo = TimeKey(from), hi = TimeKey(to);  // [lo, hi)
  const uint64_t last_bucket = (hi - 1) >> kTimeBucketShift;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), index_cf_));
  // Each bucket's pairs, sorted (rows of one bucket come from several
  // groups, each sorted), are complete before the next bucket starts.
  std::vector<std::pair<uint64_t, uint64_t>> pairs;
  uint64_t bucket = lo >> kTimeBucketShift;
  auto flush = [&] {
    std::sort(pairs.begin(), pairs.end());
    for (const auto& p : pairs) {
      if (out.size() == limit) break;
      out.push_back(p.second);
    }
    pairs.clear();
  };
  for (it->Seek(TimeRowKey(bucket, 0)); it->Valid() && out.size() < limit; it->Next()) {
    const rocksdb::Slice k = it->key();
    if (k.size() != 17 || k[0] != kTimePrefix) break;
    const uint64_t row_bucket = GetBe64(k.data() + 1);
    if (row_bucket > last_bucket) break;
    if (row_bucket != bucket) {
      flush();
      bucket = row_bucket;
    }
    // Steps from the bucket's start and the group's first index (§2.4).
    // Every time stays inside the row's bucket; a group is acknowledged
    // whole, so a row below the acknowledged size holds only indices in
    // [first, size); pairs come by time, then index.
    const uint64_t first = GetBe64(k.data() + 9);
    absl::string_view v = ToView(it->value());
    uint64_t t = row_bucket << kTimeBucketShift, index = first;
    bool ok = !v.empty();
    for (bool at_first = true; ok && !v.empty(); at_first = false) {
      const std::optional<uint64_t> dt = GetVarint(&v);
      const std::optional<uint64_t> di = GetVarint(&v);
      ok = dt.has_value() && di.has_value() && *dt <= (uint64_t{1} << kTimeBucketShift);
      if (!ok) break;
      const int64_t step = UnZigZag(*di);
      t += *dt;
      index += static_cast<uint64_t>(step);
      ok = (t >> kTimeBucketShift) == row_bucket && index >= first &&
           (first >= tree_size || index < tree_size) && (at_first || *dt > 0 || step > 0);
      if (ok && t >= lo && t < hi && index < tree_size) pairs.emplace_back(t, index);
    }
    if (!ok) {
      return absl::DataLossError(absl::StrCat("diarium: time row at ", first, " is malformed"));
    }
  }
  SLUSS_RETURN_IF_ERROR(FromRocks(it->status(), "diarium: reading time index"));
  flush();
  return out;
}

SignedCheckpoint Diarium::LatestCheckpoint() const {
  absl::MutexLock l(&mu_);
  return latest_;
}

absl::StatusOr<SignedCheckpoint> Diarium::AwaitCheckpoint(uint64_t min_size,
                                                          absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock l(&mu_);
  while (latest_.body.size < min_size) {
    if (!poison_.ok()) return poison_;
    if (checkpoint_cv_.WaitWithDeadline(&mu_, deadline) && latest_.body.size < min_size) {
      return absl::DeadlineExceededError(absl::StrCat(
          "diarium: no checkpoint covering ", min_size, " entries within ", absl::FormatDuration(timeout)));
    }
  }
  return latest_;
}

std::vector<std::string> Diarium::VerifierKeys() const {
  std::vector<std::string> out;
  for (const auto& s : options_.signers) out.push_back(s->VerifierKey());
  return out;
}

std::vector<crypto::NoteVerifier> Diarium::Verifiers() const {
  std::vector<crypto::NoteVerifier> out;
  for (const auto& s : options_.signers) out.push_back(s->verifier());
  return out;
}

absl::StatusOr<Hash> Diarium::ReadNode(rocksdb::Iterator* it, int level, uint64_t index) const {
  // Complete nodes never change, so caching them is always correct. Upper
  // levels are few and on every proof path: keep them in memory.
  const bool cacheable = level >= kCacheMinLevel;
  const uint64_t cache_key = (static_cast<uint64_t>(level) << 58) | index;
  if (cacheable) {
    absl::MutexLock l(&cache_mu_);
    auto found = node_cache_.find(cache_key);
    if (found != node_cache_.end()) return found->second;
  }
  absl::StatusOr<Hash> h = ReadStoredNode(it, level, index);
  if (cacheable && h.ok()) {
    absl::MutexLock l(&cache_mu_);
    if (node_cache_.size() < kCacheMaxNodes) node_cache_.emplace(cache_key, *h);
  }
  return h;
}

// Reads the stored nodes at levels >= kCacheMinLevel of the tree of size
// `tree_size` (durable at Open) into node_cache_, top level first (the nodes
// most proofs share), a few thousand at a time, until the cache is full or
// the store closes. Sequential reads of hash runs (about n/32 hashes for n
// entries), off the caller's path. Errors only stop the warm-up (proofs read
// what they need and report errors themselves).
void Diarium::WarmNodeCache(uint64_t tree_size) {
  pthread_setname_np(pthread_self(), "diarium-warm");
  if (tree_size == 0) return;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // a one-off scan: keep the block cache for reads
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  constexpr uint64_t kChunk = 1024;
  std::vector<Hash> hashes;
  {
    uint64_t nodes = 0;
    for (int level = kCacheMinLevel; level < 64; ++level) nodes += tree_size >> level;
    absl::MutexLock l(&cache_mu_);
    node_cache_.reserve(std::min<uint64_t>(nodes, kCacheMaxNodes));
  }
  for (int level = std::bit_width(tree_size) - 1; level >= kCacheMinLevel; --level) {
    const uint64_t count = tree_size >> level;
    for (uint64_t begin = 0; begin < count; begin += kChunk) {
      if (warm_stop_.load(std::memory_order_relaxed)) return;
      const uint64_t end = std::min(count, begin + kChunk);
      hashes.clear();
      if (!ReadNodes(it.get(), level, begin, end, &hashes).ok()) return;
      absl::MutexLock l(&cache_mu_);
      for (uint64_t i = begin; i < end; ++i) {
        if (node_cache_.size() >= kCacheMaxNodes) return;
        node_cache_.emplace((static_cast<uint64_t>(level) << 58) | i, hashes[i - begin]);
      }
    }
  }
}

// Runs never cross a multiple of kRunAlign (§2.2), so the run holding node
// (level, index) starts in [index rounded down to kRunAlign, index]: seek
// forward to that aligned key and step over the few runs before it. (A
// SeekForPrev would land on the next run and step back into the previous
// SST block: two 8 KiB block reads per node instead of one.)
absl::StatusOr<Hash> Diarium::ReadStoredNode(rocksdb::Iterator* it, int level,
                                             uint64_t index) const {
  auto missing = [&] {
    return absl::DataLossError(
        absl::StrCat("diarium: tree node (", level, ", ", index, ") is missing"));
  };
  for (it->Seek(HashRunKey(level, index - index % kRunAlign)); it->Valid(); it->Next()) {
    const rocksdb::Slice k = it->key();
    if (k.size() != 10 || k[0] != kHashRunPrefix || static_cast<unsigned char>(k[1]) != level) {
      break;
    }
    const uint64_t first = GetBe64(k.data() + 2);
    if (first > index) break;
    const rocksdb::Slice v = it->value();
    if (v.size() % 32 != 0) {
      return absl::DataLossError(absl::StrCat("diarium: hash run (", level, ", ", first,
                                              ") has a length of ", v.size(), " bytes"));
    }
    const uint64_t offset = (index - first) * 32;
    if (offset + 32 > v.size()) continue;  // a shorter run before the one holding it
    Hash h;
    std::copy(v.data() + offset, v.data() + offset + 32, reinterpret_cast<char*>(h.data()));
    return h;
  }
  if (!it->status().ok()) {
    return FromRocks(it->status(),
                     absl::StrCat("diarium: reading tree node (", level, ", ", index, ")"));
  }
  return missing();
}

absl::Status Diarium::ReadNodes(rocksdb::Iterator* it, int level, uint64_t begin, uint64_t end,
                                std::vector<Hash>* out) const {
  // Runs before `begin` in its aligned block add nothing (see ReadStoredNode).
  it->Seek(HashRunKey(level, begin - begin % kRunAlign));
  uint64_t next = begin;
  for (; it->Valid() && next < end; it->Next()) {
    const rocksdb::Slice k = it->key();
    if (k.size() != 10 || k[0] != kHashRunPrefix || static_cast<unsigned char>(k[1]) != level) {
      break;
    }
    const uint64_t first = GetBe64(k.data() + 2);
    const rocksdb::Slice v = it->value();
    const uint64_t count = v.size() / 32;
    if (first > next) break;
    for (uint64_t i = next - first; i < count && next < end; ++i, ++next) {
      Hash h;
      std::copy(v.data() + i * 32, v.data() + i * 32 + 32, reinterpret_cast<char*>(h.data()));
      out->push_back(h);
    }
  }
  SLUSS_RETURN_IF_ERROR(FromRocks(it->status(), absl::StrCat("diarium: reading tree level ", level)));
  if (next != end) {
    return absl::DataLossError(
        absl::StrCat("diarium: tree node (", level, ", ", next, ") is missing"));
  }
  return absl::OkStatus();
}

// Below kCacheMinLevel, proofs do not read stored nodes one by one: they
// read the 64 leaf hashes of the block holding the path (one seek) and hash
// them up. Every node of a proof path below that level lies in one block.
struct Diarium::ProofBlock {
  uint64_t id = ~uint64_t{0};
  std::vector<Hash> levels[kCacheMinLevel];  // levels[l][j]: node (l, (id << (6 - l)) + j)
};

absl::StatusOr<Hash> Diarium::ProofNode(rocksdb::Iterator* it, ProofBlock& block,
                                        uint64_t tree_size, int level, uint64_t index) const {
  if (level >= kCacheMinLevel) return ReadNode(it, level, index);
  const uint64_t id = (index << level) >> kCacheMinLevel;
  if (block.id != id) {
    block.id = ~uint64_t{0};
    const uint64_t begin = id << kCacheMinLevel;
    const uint64_t end = std::min(begin + (uint64_t{1} << kCacheMinLevel), tree_size);
    block.levels[0].clear();
    SLUSS_RETURN_IF_ERROR(ReadNodes(it, 0, begin, end, &block.levels[0]));
    for (int l = 1; l < kCacheMinLevel; ++l) {
      const std::vector<Hash>& below = block.levels[l - 1];
      block.levels[l].clear();
      for (size_t j = 0; j + 1 < below.size(); j += 2) {
        block.levels[l].push_back(NodeHash(below[j], below[j + 1]));
      }
    }
    block.id = id;
  }
  const uint64_t offset = index - ((id << kCacheMinLevel) >> level);
  if (offset >= block.levels[level].size()) {
    return absl::DataLossError(
        absl::StrCat("diarium: tree node (", level, ", ", index, ") is missing"));
  }
  return block.levels[level][offset];
}

absl::StatusOr<Hash> Diarium::RootAt(uint64_t tree_size) const {
  SLUSS_RETURN_IF_ERROR(CheckReadable(tree_size, size()));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  ProofBlock block;
  auto reader = [&](int level, uint64_t i) {
    return ProofNode(it.get(), block, tree_size, level, i);
  };
  return storage::RootAt(tree_size, reader);
}

absl::StatusOr<std::vector<Hash>> Diarium::InclusionProof(uint64_t index,
                                                          uint64_t tree_size) const {
  SLUSS_RETURN_IF_ERROR(CheckReadable(tree_size, size()));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  ProofBlock block;
  auto reader = [&](int level, uint64_t i) {
    return ProofNode(it.get(), block, tree_size, level, i);
  };
  return storage::InclusionProof(index, tree_size, reader);
}

absl::StatusOr<std::vector<Hash>> Diarium::ConsistencyProof(uint64_t old_size,
                                                            uint64_t tree_size) const {
  SLUSS_RETURN_IF_ERROR(CheckReadable(tree_size, size()));
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  ProofBlock block;
  auto reader = [&](int level, uint64_t i) {
    return ProofNode(it.get(), block, tree_size, level, i);
  };
  return storage::ConsistencyProof(old_size, tree_size, reader);
}

absl::StatusOr<std::string> Diarium::InclusionProofFile(uint64_t index) const {
  const SignedCheckpoint cp = LatestCheckpoint();
  if (index >= cp.body.size) {
    return absl::OutOfRangeError(absl::StrCat("diarium: entry ", index,
                                              " is not covered by the latest checkpoint (size ",
                                              cp.body.size, ")"));
  }
  SLUSS_ASSIGN_OR_RETURN(std::vector<Hash> proof, InclusionProof(index, cp.body.size));
  return FormatInclusionProofFile({.extra = "", .index = index, .proof = std::move(proof),
                                   .checkpoint = cp.note});
}

absl::StatusOr<std::string> Diarium::ConsistencyProofBody(uint64_t old_size) const {
  const SignedCheckpoint cp = LatestCheckpoint();
  SLUSS_ASSIGN_OR_RETURN(std::vector<Hash> proof, ConsistencyProof(old_size, cp.body.size));
  return FormatConsistencyBody(
      {.old_size = old_size, .proof = std::move(proof), .checkpoint = cp.note});
}

absl::Status Diarium::Export(absl::string_view dir) const {
  const SignedCheckpoint cp = LatestCheckpoint();
  StoreEntrySource entries(*this);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  auto nodes = [&](int level, uint64_t begin, uint64_t end, std::vector<Hash>* out) {
    return ReadNodes(it.get(), level, begin, end, out);
  };
  return Annotate(WriteTiles(dir, cp.body.size, nodes, entries, cp.note, VerifierKeys()),
                  absl::StrCat("diarium: exporting to ", dir));
}

absl::StatusOr<std::string> Diarium::ReadTile(int tile_level, uint64_t n, uint64_t width) const {
  if (tile_level < 0 || tile_level > 7 || width < 1 || width > kTileWidth) {
    return absl::InvalidArgumentError("diarium: tile level must be 0..7 and width 1..256");
  }
  const int level = kTileHeight * tile_level;
  const uint64_t begin = n * kTileWidth;
  if (((begin + width) << level) > size() || (begin + width) > (uint64_t{1} << (63 - level))) {
    return absl::OutOfRangeError(absl::StrCat("diarium: tile ", tile_level, "/", n, " width ", width,
                                              " is beyond the tree of size ", size()));
  }
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  std::vector<Hash> hashes;
  SLUSS_RETURN_IF_ERROR(ReadNodes(it.get(), level, begin, begin + width, &hashes));
  return std::string(reinterpret_cast<const char*>(hashes.data()), hashes.size() * 32);
}

absl::Status Diarium::Verify() const {
  const SignedCheckpoint cp = LatestCheckpoint();
  const std::vector<crypto::NoteVerifier> verifiers = Verifiers();
  SLUSS_ASSIGN_OR_RETURN(SignedCheckpoint opened,
                         OpenCheckpoint(cp.note, options_.origin, verifiers));
  StoreEntrySource entries(*this);
  class Nodes : public NodeSource {
   public:
    explicit Nodes(const Diarium& d) : d_(d), it_(d.db_->NewIterator(rocksdb::ReadOptions())) {}
    absl::StatusOr<Hash> Node(int level, uint64_t index) override {
      return d_.ReadNode(it_.get(), level, index);
    }

   private:
    const Diarium& d_;
    std::unique_ptr<rocksdb::Iterator> it_;
  } nodes(*this);
  return VerifyLog(opened.body.size, opened.body.root, entries, nodes);
}

absl::Status Diarium::Compact() {
  SLUSS_RETURN_IF_ERROR(FromRocks(db_->Flush(rocksdb::FlushOptions(), {default_cf_, index_cf_}),
                                  "diarium: flushing"));
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  SLUSS_RETURN_IF_ERROR(FromRocks(db_->CompactRange(co, default_cf_, nullptr, nullptr),
                                  "diarium: compacting"));
  return FromRocks(db_->CompactRange(co, index_cf_, nullptr, nullptr),
                   "diarium: compacting the index");
}

absl::StatusOr<uint64_t> Diarium::DiskUsage() const {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(path_, ec)) {
    const std::string name = e.path().filename().string();
    if (absl::EndsWith(name, ".sst") || absl::EndsWith(name, ".log")) {
      total += e.file_size(ec);
    }
  }
  if (ec) return absl::InternalError(absl::StrCat("diarium: sizing ", path_, ": ", ec.message()));
  return total;
}

}  // namespace sluss::storage
