// The diarium: Sluss's append-only, signed Merkle log in RocksDB.
// Guarantees and byte formats: docs/DIARIUM.md (read it first).
//
//   DiariumOptions options;
//   options.origin = "diarium.sluss.example/kommun-lund";
//   options.signers = {signer};                 // NoteSigners named `origin`
//   SLUSS_ASSIGN_OR_RETURN(std::unique_ptr<Diarium> log, Diarium::Open(options, dir));
//   SLUSS_ASSIGN_OR_RETURN(uint64_t index, log->Append(entry_bytes, {.case_id = "A-1"}));
//   // index is durable here; a signed checkpoint covering it follows within
//   // options.checkpoint_interval:
//   SLUSS_ASSIGN_OR_RETURN(SignedCheckpoint cp, log->AwaitCheckpoint(index + 1, absl::Seconds(1)));
//
// Thread safety: a Diarium is safe for concurrent use by any number of
// threads without external locking. Appends are sequenced by one internal
// sequencer thread, which writes each group of queued appends as one
// WriteBatch; a second internal thread syncs the WAL (one sync covers every
// group written so far); a third acknowledges synced groups and signs
// checkpoints; a fourth fills the upper-node cache once after Open. Reads run on the caller's thread and
// see exactly the acknowledged entries.
//
// Entries are opaque bytes (the broker's serialized sluss.v1 entries), at
// most kMaxEntrySize bytes, stored and hashed verbatim. An append may carry
// payloads (the sealed envelopes its entry names by digest): stored in the
// same atomic batch and made durable by the same sync, but outside the tree
// (docs/DIARIUM.md §2.5).
#ifndef SLUSS_STORAGE_DIARIUM_H_
#define SLUSS_STORAGE_DIARIUM_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "crypto/note.h"
#include "storage/checkpoint.h"
#include "storage/merkle.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
class Iterator;
}  // namespace rocksdb

namespace sluss::storage {

inline constexpr size_t kMaxEntrySize = 65535;

// Secondary index keys of one entry, written in the same atomic batch.
// Every field is optional; each value is at most 65,535 bytes.
struct IndexKeys {
  std::string case_id;                          // empty: no case row
  std::vector<std::string> agency_ids;          // e.g. "212000-0142/socialtjänst"
  std::vector<std::string> subject_pseudonyms;  // keyed pseudonyms, never personnummer
  std::optional<absl::Time> time;               // the entry's time, as the caller sees it
};

enum class IndexKind : char { kCase = 'c', kAgency = 'a', kSubject = 's' };

// Content stored beside an entry, addressed by its SHA-256 digest, outside
// the Merkle tree (the log holds only the digest). Written in the entry's
// batch: both are durable, or neither is.
struct Payload {
  std::string digest;  // 32 bytes; REQUIRES: SHA-256(bytes), checked by the caller
  std::string bytes;   // any size (the group limit counts it)
};

struct DiariumOptions {
  // REQUIRED. The checkpoint origin and the note key name of every signer,
  // e.g. "diarium.sluss.example/kommun-lund". Fixed when the log is created;
  // Open refuses a different origin (kFailedPrecondition).
  std::string origin;
  // REQUIRED, at least one. Every checkpoint is signed by all of them, in
  // order (more than one during a key rotation). Each must be named `origin`.
  std::vector<std::shared_ptr<const crypto::NoteSigner>> signers;
  // Time source for the checkpoint interval. Default (nullptr): RealClock().
  // Not owned; must outlive the Diarium.
  Clock* clock = nullptr;
  // A checkpoint is signed after a group commit if at least this long has
  // passed since the previous one; otherwise as soon as it has (so a durable
  // entry is covered within about this interval). Zero: after every group.
  absl::Duration checkpoint_interval = absl::Milliseconds(5);
  // Upper bounds of one group commit (one WriteBatch, one sync).
  size_t max_group_entries = 4096;
  size_t max_group_bytes = size_t{16} << 20;
  // Group commit across groups (docs/DIARIUM.md §1): after a sync that
  // acknowledged k entries, the syncer waits up to this long (and never
  // longer than that sync took) for k entries to be written before it
  // starts the next sync, so appenders that were just acknowledged and
  // append again share one sync instead of splitting into two half-full
  // ones. Zero: sync the written group at once (a two-stage pipeline:
  // one group syncs while the next is written). Affects throughput and
  // latency only, never durability. docs/PERFORMANCE.md has measurements:
  // on a CPU-bound machine the gather did not pay, hence off by default.
  absl::Duration sync_gather_wait = absl::ZeroDuration();
  // True (default): the writer thread writes each group with one synced
  // write (WriteOptions::sync, RocksDB's WAL append + fdatasync) and hands
  // it straight to the publisher, while the builder thread builds the next
  // group from what was queued meanwhile. False: the two-stage pipeline — the group is written
  // unsynced and a syncer thread's SyncWAL covers every group written so far
  // while the sequencer writes the next (sync_gather_wait applies only
  // here). Affects throughput and latency only, never durability;
  // docs/PERFORMANCE.md compares them (round 4).
  bool sync_in_sequencer = true;
  // For callers that wait for a checkpoint anyway (slussd answers a change
  // only once a checkpoint covers it): under load, the writer holds its next
  // synced write so that it ends about when the next checkpoint may be
  // signed, and the entries that one checkpoint will cover share one sync
  // instead of taking one each. Their checkpoint comes about when it would
  // have anyway (it could not be signed earlier; a write that takes longer
  // than the last one delays it by the difference). AppendAsync's callback
  // comes up to one checkpoint interval later; the blocking Append is never
  // held. The hold ends early at a full group (max_group_entries or
  // max_group_bytes), at close and on poisoning, lasts at most one interval
  // of steady time, and does not apply when the next checkpoint is already
  // due (an idle log writes at once). Only with sync_in_sequencer. Affects
  // throughput and latency only, never durability or order; docs/DIARIUM.md
  // §1 item 5.
  bool align_writes_to_checkpoints = false;
  // RocksDB environment (file system, threads). Default (nullptr):
  // rocksdb::Env::Default(). Not owned; must outlive the Diarium. Tests pass
  // a fault-injecting one.
  rocksdb::Env* env = nullptr;
  // Create the log if `path` holds none. If false, a missing log is kNotFound.
  bool create_if_missing = true;
  // RocksDB block cache for entries and tree nodes.
  size_t block_cache_bytes = size_t{64} << 20;
};

// Counters since Open, for benchmarks and monitoring.
struct DiariumStats {
  uint64_t groups = 0;       // groups (one WriteBatch each)
  uint64_t syncs = 0;        // WAL syncs (each covers one or more groups)
  uint64_t gather_waits = 0; // syncs delayed by sync_gather_wait
  uint64_t prebuilt = 0;     // groups the builder built while a write ran
  uint64_t entries = 0;      // entries appended
  uint64_t max_group = 0;    // largest group, in entries
  uint64_t checkpoints = 0;  // checkpoints signed
  absl::Duration sync_time;  // total time in WAL syncs (synced writes, or SyncWAL calls)
};

class Diarium {
 public:
  // Called on the diarium's publisher thread once the append is durable
  // (index) or has failed. Must be quick and must not call back into the
  // Diarium's append or await methods.
  using AppendCallback = std::function<void(absl::StatusOr<uint64_t>)>;

  // Opens or creates the log in directory `path`. O(log n): reads the tree
  // frontier, checks it against the last persisted checkpoint (kDataLoss if
  // it does not extend it) and signs a checkpoint for any durable entries
  // not yet covered. Errors: kInvalidArgument (options), kNotFound (no log
  // and !create_if_missing), kFailedPrecondition (other origin, or a log of
  // another storage format, named; the log is left as it was), kDataLoss,
  // kUnavailable (I/O, or the directory is locked by another process).
  static absl::StatusOr<std::unique_ptr<Diarium>> Open(const DiariumOptions& options,
                                                       absl::string_view path);

  // Completes every queued append (or fails it if the store is poisoned),
  // signs a final checkpoint if entries are uncovered, and closes RocksDB.
  ~Diarium();
  Diarium(const Diarium&) = delete;
  Diarium& operator=(const Diarium&) = delete;

  // Appends `entry` with its index rows and returns its index once durable
  // (docs/DIARIUM.md §1). Blocks for about one sync. Errors:
  // kInvalidArgument (entry or index value too long), kResourceExhausted
  // (disk full), kUnavailable (I/O error, failed sync, closing),
  // kFailedPrecondition (store poisoned by an earlier failure; reopen).
  // After an error the entry may or may not be in the log.
  absl::StatusOr<uint64_t> Append(absl::string_view entry, const IndexKeys& keys = {});
  // As Append, without blocking: `done` runs on the publisher thread (or,
  // for an immediate refusal, on the caller's thread before returning).
  void AppendAsync(std::string entry, IndexKeys keys, AppendCallback done);
  // As above, storing `payloads` in the same batch (kInvalidArgument if a
  // digest is not 32 bytes). If the append fails, the payloads are as
  // unknown as the entry (written together or not at all).
  void AppendAsync(std::string entry, IndexKeys keys, std::vector<Payload> payloads,
                   AppendCallback done);

  // Number of acknowledged (durable) entries.
  uint64_t size() const;

  // Entry `index`. kOutOfRange if index >= size(); kDataLoss on a corrupt
  // record (the message names the entry).
  absl::StatusOr<std::string> Get(uint64_t index) const;
  // Streams entries [begin, end) in order to fn(index, bytes) (bytes valid
  // during the call; return false to stop). kOutOfRange if end > size().
  absl::Status ReadRange(uint64_t begin, uint64_t end,
                         absl::FunctionRef<bool(uint64_t, absl::string_view)> fn) const;
  // Indices of entries with index row (kind, value), ascending, starting at
  // `from_index`, at most `limit`. kDataLoss naming the row if a stored
  // index row is malformed (docs/DIARIUM.md §2.4).
  absl::StatusOr<std::vector<uint64_t>> Find(IndexKind kind, absl::string_view value,
                                             uint64_t from_index = 0,
                                             size_t limit = 1000) const;
  // Indices of entries whose time is in [from, to), by time then index.
  // kDataLoss naming the row if a stored time row is malformed.
  absl::StatusOr<std::vector<uint64_t>> FindByTime(absl::Time from, absl::Time to,
                                                   size_t limit = 1000) const;

  // The payload stored under `digest` (by an append that has at least been
  // written; callers reach digests through durable entries). kNotFound if
  // absent, kDataLoss if the stored bytes no longer hash to `digest`.
  absl::StatusOr<std::string> GetPayload(absl::string_view digest) const;

  // The last signed checkpoint (there is always one after Open).
  SignedCheckpoint LatestCheckpoint() const;
  // Waits until a signed checkpoint covers `min_size` entries.
  // kDeadlineExceeded after `timeout`; kFailedPrecondition if poisoned.
  absl::StatusOr<SignedCheckpoint> AwaitCheckpoint(uint64_t min_size,
                                                   absl::Duration timeout) const;
  // The verifier keys of the signers ("origin+hash+key"), in order.
  std::vector<std::string> VerifierKeys() const;
  std::vector<crypto::NoteVerifier> Verifiers() const;

  // Merkle reads for any size <= size(). kOutOfRange beyond.
  absl::StatusOr<Hash> RootAt(uint64_t tree_size) const;
  absl::StatusOr<std::vector<Hash>> InclusionProof(uint64_t index, uint64_t tree_size) const;
  absl::StatusOr<std::vector<Hash>> ConsistencyProof(uint64_t old_size,
                                                     uint64_t tree_size) const;
  // A c2sp.org/tlog-proof@v1 file for entry `index` against the latest
  // checkpoint. kOutOfRange if the checkpoint does not cover it yet.
  absl::StatusOr<std::string> InclusionProofFile(uint64_t index) const;
  // A tlog-witness add-checkpoint body from `old_size` to the latest
  // checkpoint. kOutOfRange if old_size is larger.
  absl::StatusOr<std::string> ConsistencyProofBody(uint64_t old_size) const;

  // Writes the latest checkpoint's tree as a C2SP tlog-tiles directory at
  // `dir` (created if missing) plus `dir/vkeys` (docs/DIARIUM.md §6).
  absl::Status Export(absl::string_view dir) const;

  // The bytes of one C2SP tlog-tiles hash tile: tile level `tile_level`
  // (tree level 8 * tile_level), index `n`, `width` hashes (1..256), as in
  // an Export. kOutOfRange unless the durable tree has all those nodes.
  absl::StatusOr<std::string> ReadTile(int tile_level, uint64_t n, uint64_t width) const;

  // Recomputes the tree from every stored entry and checks it against the
  // latest checkpoint (signature included). OK, or verify.h's kDataLoss
  // naming the first altered entry.
  absl::Status Verify() const;

  // Flushes memtables and compacts everything (for benchmarks and ops).
  absl::Status Compact();
  // Total size of the live SST and WAL files, in bytes.
  absl::StatusOr<uint64_t> DiskUsage() const;

  DiariumStats stats() const;

 private:
  struct Request;
  Diarium(const DiariumOptions& options, std::string path, std::unique_ptr<rocksdb::DB> db);

  struct PendingGroup {
    std::vector<Request> requests;
    Frontier after;  // the tree once this group is in
  };
  struct SyncedGroups {  // what one sync covered, and how it went
    std::vector<PendingGroup> groups;
    absl::Status status;
  };
  // Groups built into one WriteBatch and not yet written (the builder adds
  // to it while the writer's synced write runs; docs/DIARIUM.md §1).
  struct OpenBatch;
  absl::Status Load();
  void SequencerLoop();
  void WriterLoop();
  void BuilderLoop();
  bool PendingFull() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WakeSequencer() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HoldForCheckpoint(size_t built_entries, size_t built_bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Aligned() const { return options_.align_writes_to_checkpoints && options_.sync_in_sequencer; }
  std::vector<Request> TakeQueued(size_t max_entries, size_t max_bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<Request> TakeFitting(const OpenBatch& open) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BuildGroup(std::vector<Request> group, OpenBatch* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(build_mu_);
  void WriteGroup(std::vector<Request> group);
  void SyncerLoop();
  absl::Status SyncGroups(const std::vector<PendingGroup>& groups);
  void PublisherLoop();
  void Acknowledge(SyncedGroups& synced);
  void MaybeCheckpoint();
  void WarmNodeCache(uint64_t tree_size);
  absl::Status SignCheckpoint();
  // RFC 6962 PROOF(signed_.size, new_size) from the signed tree's frontier
  // and the leaf hashes acknowledged since (no stored nodes read).
  absl::StatusOr<std::vector<Hash>> ProofSinceSigned(uint64_t new_size) const;
  void Poison(const absl::Status& cause);
  absl::Status CheckReadable(uint64_t end, uint64_t tree_size) const;
  absl::StatusOr<Hash> ReadNode(rocksdb::Iterator* it, int level, uint64_t index) const;
  absl::StatusOr<Hash> ReadStoredNode(rocksdb::Iterator* it, int level, uint64_t index) const;
  absl::Status ReadNodes(rocksdb::Iterator* it, int level, uint64_t begin, uint64_t end,
                         std::vector<Hash>* out) const;
  struct ProofBlock;
  absl::StatusOr<Hash> ProofNode(rocksdb::Iterator* it, ProofBlock& block, uint64_t tree_size,
                                 int level, uint64_t index) const;

  const DiariumOptions options_;
  const std::string path_;
  Clock* const clock_;
  std::unique_ptr<rocksdb::DB> db_;
  // Set by Open; destroyed before db_ closes. default: entries, hash runs,
  // payloads, metadata; index: posting and time rows (docs/DIARIUM.md §2).
  rocksdb::ColumnFamilyHandle* default_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* index_cf_ = nullptr;

  // Held by whoever builds (the writer or the builder): it owns open_ and
  // frontier_. Taken before mu_.
  absl::Mutex build_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::unique_ptr<OpenBatch> open_ ABSL_GUARDED_BY(build_mu_);  // never null
  mutable absl::Mutex mu_;
  absl::CondVar work_cv_;                 // sequencer: queue, room, shutdown
  absl::CondVar build_cv_;                // builder: queue while writing, shutdown
  bool writing_ ABSL_GUARDED_BY(mu_) = false;    // the writer's synced write runs
  // The builder builds once per write: when the entries acknowledged by the
  // previous write (cohort_) are queued again, or half a write's time after
  // the write started, whichever comes first.
  bool built_this_write_ ABSL_GUARDED_BY(mu_) = false;
  size_t cohort_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time write_started_ ABSL_GUARDED_BY(mu_);
  absl::Duration last_write_took_ ABSL_GUARDED_BY(mu_);
  // align_writes_to_checkpoints (times on clock_): when the next checkpoint
  // may be signed (last_signed_at_ + checkpoint_interval, published by the
  // publisher); when the writer's last write ended and the tree size it
  // wrote (latest_ covers it once latest_.body.size reaches it); when the
  // writer took its current group and how long taking, building and writing
  // the last one took (the hold's lead); whether the writer holds, with how
  // many entries already built; blocking Appends queued or built, not yet
  // being written (they end a hold).
  absl::Time checkpoint_due_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_write_end_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  uint64_t last_write_size_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time taken_at_ ABSL_GUARDED_BY(mu_);
  absl::Duration write_lead_ ABSL_GUARDED_BY(mu_);
  bool holding_ ABSL_GUARDED_BY(mu_) = false;
  size_t hold_built_ ABSL_GUARDED_BY(mu_) = 0;
  size_t urgent_waiting_ ABSL_GUARDED_BY(mu_) = 0;
  absl::CondVar sync_cv_;                 // syncer: pending groups, shutdown
  absl::CondVar publish_cv_;              // publisher: synced groups, shutdown
  mutable absl::CondVar checkpoint_cv_;   // AwaitCheckpoint waiters
  std::vector<Request> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<PendingGroup> pending_ ABSL_GUARDED_BY(mu_);  // written, not synced
  size_t pending_entries_ ABSL_GUARDED_BY(mu_) = 0;        // in pending_
  size_t sync_wake_entries_ ABSL_GUARDED_BY(mu_) = 0;      // syncer gathering up to this
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool sequencer_done_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<SyncedGroups> synced_ ABSL_GUARDED_BY(mu_);  // synced, not acknowledged
  bool syncer_done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status poison_ ABSL_GUARDED_BY(mu_);
  uint64_t size_ ABSL_GUARDED_BY(mu_) = 0;  // durable, acknowledged
  SignedCheckpoint latest_ ABSL_GUARDED_BY(mu_);
  // The newest signed note not yet in a write batch: the next group built
  // carries it (docs/DIARIUM.md §1.5), the close writes it. A note in a
  // batch that is never written (poisoned store) is lost; Open signs again.
  std::string unpersisted_note_ ABSL_GUARDED_BY(mu_);
  DiariumStats stats_ ABSL_GUARDED_BY(mu_);

  // The tree including groups built but not yet durable: owned by the
  // holder of build_mu_ (and by Open before the threads start).
  Frontier frontier_;
  // Owned by the publisher thread (and by Open): the durable tree and the
  // last signed checkpoint.
  Frontier durable_;
  CheckpointBody signed_;
  absl::Time last_signed_at_ = absl::InfinitePast();
  // The frontier of the signed tree and the leaves acknowledged since, so
  // that the next signing proves consistency without reading stored nodes.
  // Until the first signing after Open, the proof reads stored nodes.
  bool signed_tree_known_ = false;
  Frontier signed_tree_;
  std::vector<Hash> since_signed_;

  mutable absl::Mutex cache_mu_;
  mutable absl::flat_hash_map<uint64_t, Hash> node_cache_ ABSL_GUARDED_BY(cache_mu_);

  std::thread sequencer_;
  std::thread syncer_;
  std::thread publisher_;
  // Fills node_cache_ after Open (WarmNodeCache), so that the first proofs
  // do not pay for the upper levels; Open itself stays O(log n).
  std::thread warmer_;
  std::atomic<bool> warm_stop_{false};
};

}  // namespace sluss::storage

#endif  // SLUSS_STORAGE_DIARIUM_H_
