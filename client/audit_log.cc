// client/audit_log.h: the log read in order, decoded, projected.
#include "client/audit_log.h"

#include <map>
#include <memory>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "crypto/hash.h"
#include "storage/checkpoint.h"
#include "storage/tiled_log.h"
#include "storage/tiles.h"
#include "storage/verify.h"

namespace sluss::client {
namespace {

// Rulebooks logged in chunks + activation, loaded once each.
class RulebookHistory {
 public:
  // Before entry `index` is applied.
  void See(const v1::DiariumEntry& e, uint64_t index, std::string* problem) {
    if (e.has_rulebook_chunk()) {
      const v1::RulebookChunk& c = e.rulebook_chunk();
      if (c.index() == 0) chunks_.clear();
      chunks_.push_back({index, c});
      return;
    }
    if (!e.has_rulebook_activation()) {
      chunks_.clear();
      return;
    }
    const v1::RulebookActivation& a = e.rulebook_activation();
    auto loaded = loaded_.find(a.digest());
    if (loaded != loaded_.end()) {
      active_ = loaded->second.get();
      chunks_.clear();
      return;
    }
    std::string ser = a.rulebook();
    if (a.chunks() > 0) {
      ser.clear();
      // The `chunks` entries immediately before, chunk 0 first.
      if (chunks_.size() != a.chunks() || chunks_.back().first + 1 != index) {
        *problem = absl::StrCat("activation of ", a.digest(), " names ", a.chunks(),
                                " chunks, but the entries immediately before it hold ", chunks_.size());
        chunks_.clear();
        return;
      }
      for (uint32_t i = 0; i < chunks_.size(); ++i) {
        const v1::RulebookChunk& c = chunks_[i].second;
        if (c.index() != i || c.count() != a.chunks() || c.digest() != a.digest()) {
          *problem = absl::StrCat("chunk at entry ", chunks_[i].first, " is not chunk ", i, " of ", a.chunks(),
                                  " of rulebook ", a.digest());
          chunks_.clear();
          return;
        }
        ser += c.data();
      }
    }
    chunks_.clear();
    const std::string digest =
        absl::StrCat("sha256:", crypto::ToHex(crypto::AsStringView(crypto::Sha256(ser))));
    if (digest != a.digest()) {
      *problem = absl::StrCat("the logged rulebook hashes to ", digest, ", not the activated ", a.digest());
      return;
    }
    v1::Rulebook proto;
    if (!proto.ParseFromString(ser)) {
      *problem = absl::StrCat("the logged rulebook ", a.digest(), " does not parse");
      return;
    }
    absl::StatusOr<std::unique_ptr<const gate::Rulebook>> rb = gate::Rulebook::FromProto(std::move(proto));
    if (!rb.ok()) {
      *problem = absl::StrCat("the logged rulebook ", a.digest(), " is not valid: ", rb.status().message());
      return;
    }
    if ((*rb)->digest() != a.digest()) {
      *problem = absl::StrCat("the logged rulebook's digest is ", (*rb)->digest(), ", not ", a.digest());
      return;
    }
    active_ = rb->get();
    loaded_[a.digest()] = *std::move(rb);
  }
  const gate::Rulebook* active() const { return active_; }

 private:
  std::vector<std::pair<uint64_t, v1::RulebookChunk>> chunks_;
  std::map<std::string, std::unique_ptr<const gate::Rulebook>> loaded_;
  const gate::Rulebook* active_ = nullptr;
};

absl::Status BadEntry(uint64_t index, std::string message) {
  absl::Status s = absl::DataLossError(std::move(message));
  s.SetPayload(storage::kBadEntryPayload, absl::Cord(absl::StrCat(index)));
  return s;
}

}  // namespace

absl::Status ReadSlussLog(storage::TileSource& source, uint64_t size, const ReadLogOptions& options,
                          absl::FunctionRef<absl::Status(const LogEntryView&)> fn) {
  broker::Projection internal;
  broker::Projection& projection = options.projection != nullptr ? *options.projection : internal;
  if (projection.applied != 0) return absl::InvalidArgumentError("ReadSlussLog: the projection given is not empty");
  RulebookHistory rulebooks;
  std::string buffer, path;
  std::vector<absl::string_view> entries;
  v1::DiariumEntry entry;
  const uint64_t hint = std::max(options.hint_size, size);
  for (uint64_t k = 0; k * storage::kTileWidth < size; ++k) {
    SLUSS_RETURN_IF_ERROR(storage::ReadEntryBundle(source, size, k, &buffer, &entries, &path, hint));
    for (size_t j = 0; j < entries.size(); ++j) {
      const uint64_t index = k * storage::kTileWidth + j;
      if (!entry.ParseFromArray(entries[j].data(), static_cast<int>(entries[j].size()))) {
        return BadEntry(index, absl::StrCat("entry ", index, " (", path,
                                            ") does not parse as a sluss.v1.DiariumEntry"));
      }
      LogEntryView view;
      view.index = index;
      view.bytes = entries[j];
      view.entry = &entry;
      view.before = &projection;
      rulebooks.See(entry, index, &view.rulebook_problem);
      view.rulebook = rulebooks.active();
      SLUSS_RETURN_IF_ERROR(fn(view));
      absl::Status s = projection.Apply(entry, index);
      if (!s.ok()) return BadEntry(index, absl::StrCat("entry ", index, ": ", s.message()));
      if (options.progress && index % 4096 == 4095) options.progress(index + 1, size);
    }
  }
  if (options.progress) options.progress(size, size);
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> TrustedSize(storage::TileSource& source, absl::Span<const crypto::NoteVerifier> trusted) {
  SLUSS_ASSIGN_OR_RETURN(std::string origin, storage::OriginOfKeys(trusted));
  std::string note;
  SLUSS_RETURN_IF_ERROR(source.Read(storage::kCheckpointPath, &note));
  absl::StatusOr<storage::SignedCheckpoint> cp = storage::OpenCheckpoint(note, origin, trusted);
  if (!cp.ok()) {
    return absl::DataLossError(absl::StrCat("verification failed: checkpoint: ", cp.status().message()));
  }
  return cp->body.size;
}

}  // namespace sluss::client
