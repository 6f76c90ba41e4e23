// `sluss audit fetch --out DIR` (client/audit_fetch.h): download the live
// diarium from slussd (Diarium.GetCheckpoint and GetTile, auditors only) as
// a tlog-tiles export that `sluss audit verify --export DIR` checks offline.
#include "client/audit_fetch.h"

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "storage/checkpoint.h"
#include "storage/tile_audit.h"
#include "storage/tiled_log.h"
#include "storage/tiles.h"

namespace sluss::client {
namespace {

namespace fs = std::filesystem;

absl::Status Put(const std::string& dir, const std::string& rel, const std::string& data) {
  const fs::path path = fs::path(dir) / rel;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat(path.parent_path().string(), ": ", ec.message()));
  return WriteFileAtomically(path.string(), data, 0644, true);
}

// "<name>.tmp.<pid>": what WriteFileAtomically leaves if the process dies
// between creating and renaming it.
bool IsStaleTemp(const std::string& name) {
  const size_t at = name.rfind(".tmp.");
  if (at == std::string::npos) return false;
  uint64_t pid;
  return absl::SimpleAtoi(name.substr(at + 5), &pid);
}

uint64_t RemoveStaleTemps(const std::string& dir) {
  uint64_t removed = 0;
  std::error_code ec;
  std::vector<fs::path> stale;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec) && IsStaleTemp(it->path().filename().string())) stale.push_back(it->path());
  }
  for (const fs::path& p : stale) removed += fs::remove(p, ec) ? 1 : 0;
  return removed;
}

// The export directory as the audit sees it once the new checkpoint is in
// place (which is written only after the audit passes).
class PendingExport : public storage::TileSource {
 public:
  PendingExport(std::unique_ptr<storage::TileSource> dir, std::string note, std::string vkeys)
      : dir_(std::move(dir)), note_(std::move(note)), vkeys_(std::move(vkeys)) {}
  std::string Describe() const override { return dir_->Describe(); }
  absl::Status Read(absl::string_view path, std::string* out) override {
    if (path == storage::kCheckpointPath) {
      *out = note_;
      return absl::OkStatus();
    }
    if (path == storage::kVerifierKeysPath) {
      *out = vkeys_;
      return absl::OkStatus();
    }
    return dir_->Read(path, out);
  }
  absl::StatusOr<std::vector<uint64_t>> CheckpointHistory() override { return dir_->CheckpointHistory(); }

 private:
  std::unique_ptr<storage::TileSource> dir_;
  const std::string note_, vkeys_;
};

class ClientFetcher : public TileFetcher {
 public:
  explicit ClientFetcher(SlussClient& client) : client_(client) {}
  absl::StatusOr<Checkpoint> GetCheckpoint() override {
    SLUSS_ASSIGN_OR_RETURN(v1::GetCheckpointResponse cp, client_.GetCheckpoint());
    Checkpoint c;
    c.note = cp.checkpoint();
    c.verifier_keys.assign(cp.verifier_keys().begin(), cp.verifier_keys().end());
    return c;
  }
  absl::StatusOr<std::string> GetTile(int level, uint64_t n, uint64_t width) override {
    SLUSS_ASSIGN_OR_RETURN(v1::GetTileResponse t, client_.GetTile(level, n, static_cast<uint32_t>(width)));
    return std::move(*t.mutable_data());
  }

 private:
  SlussClient& client_;
};

std::string PathOf(int level, uint64_t n, uint64_t width) {
  return level < 0 ? storage::EntryBundlePath(n, width) : storage::TilePath(level, n, width);
}

}  // namespace

absl::StatusOr<TileFetcher::Checkpoint> TileSourceFetcher::GetCheckpoint() {
  Checkpoint c;
  SLUSS_RETURN_IF_ERROR(source_.Read(storage::kCheckpointPath, &c.note));
  std::string vkeys;
  SLUSS_RETURN_IF_ERROR(source_.Read(storage::kVerifierKeysPath, &vkeys));
  for (absl::string_view k : absl::StrSplit(vkeys, '\n', absl::SkipWhitespace())) c.verifier_keys.emplace_back(k);
  return c;
}

absl::StatusOr<std::string> TileSourceFetcher::GetTile(int level, uint64_t n, uint64_t width) {
  std::string out;
  SLUSS_RETURN_IF_ERROR(source_.Read(PathOf(level, n, width), &out));
  return out;
}

absl::StatusOr<FetchResult> FetchExportFrom(TileFetcher& fetcher, const std::string& dir) {
  SLUSS_ASSIGN_OR_RETURN(TileFetcher::Checkpoint cp, fetcher.GetCheckpoint());
  const size_t blank = cp.note.find("\n\n");
  absl::StatusOr<storage::CheckpointBody> body =
      blank == std::string::npos ? absl::DataLossError("no blank line before the signatures")
                                 : storage::ParseCheckpointText(absl::string_view(cp.note).substr(0, blank + 1));
  if (!body.ok()) return absl::DataLossError(absl::StrCat("the server's checkpoint is malformed: ", body.status().message()));
  FetchResult result;
  result.size = body->size;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--out ", dir, ": ", ec.message()));
  result.removed_temp = RemoveStaleTemps(dir);
  // Keep the previous checkpoint so verify checks consistency with it.
  SLUSS_RETURN_IF_ERROR(storage::ArchiveExportCheckpoint(dir));

  std::set<std::string> reused;  // full tiles already present
  const auto fetch = [&](int level, uint64_t n, uint64_t width, bool again) -> absl::Status {
    const std::string rel = PathOf(level, n, width);
    // Full tiles never change: a second run fetches only what is new
    // (and the audit below checks what it kept).
    if (!again && width == storage::kTileWidth && fs::exists(fs::path(dir) / rel)) {
      reused.insert(rel);
      return absl::OkStatus();
    }
    absl::StatusOr<std::string> tile = fetcher.GetTile(level, n, width);
    if (!tile.ok()) return absl::Status(tile.status().code(), absl::StrCat(rel, ": ", tile.status().message()));
    ++result.fetched;
    return Put(dir, rel, *tile);
  };
  struct Object {
    int level;
    uint64_t n, width;
  };
  std::vector<Object> objects;
  for (uint64_t n = 0; storage::BundleWidth(result.size, n) > 0; ++n) {
    objects.push_back({-1, n, storage::BundleWidth(result.size, n)});
  }
  for (int level = 0; storage::TileWidth(result.size, level, 0) > 0; ++level) {
    for (uint64_t n = 0; storage::TileWidth(result.size, level, n) > 0; ++n) {
      objects.push_back({level, n, storage::TileWidth(result.size, level, n)});
    }
  }
  for (const Object& o : objects) SLUSS_RETURN_IF_ERROR(fetch(o.level, o.n, o.width, false));

  // Audit the export as it will be once the checkpoint is written.
  const std::string vkeys = absl::StrJoin(cp.verifier_keys, "\n") + "\n";
  SLUSS_ASSIGN_OR_RETURN(std::vector<crypto::NoteVerifier> keys,
                         storage::ParseVerifierKeys(vkeys, "the server's verifier keys"));
  auto audit = [&]() -> absl::StatusOr<storage::AuditReport> {
    SLUSS_ASSIGN_OR_RETURN(std::unique_ptr<storage::TileSource> src, storage::OpenExportDirectory(dir));
    PendingExport pending(std::move(src), cp.note, vkeys);
    storage::AuditOptions ao;
    ao.threads = 0;
    return storage::AuditTiles(pending, keys, ao);
  };
  SLUSS_ASSIGN_OR_RETURN(storage::AuditReport report, audit());
  // Fetch again what this run did not fetch itself: the files problems name
  // (one damaged file can hide another: tiles are blamed only over proven
  // entries), or, if a problem names none of them, every reused file.
  while (!report.ok() && !reused.empty()) {
    std::set<std::string> again;
    for (const auto& p : report.problems) {
      if (reused.count(p.path) != 0) again.insert(p.path);
    }
    if (again.empty()) again = reused;
    for (const Object& o : objects) {
      const std::string rel = PathOf(o.level, o.n, o.width);
      if (again.count(rel) == 0) continue;
      SLUSS_RETURN_IF_ERROR(fetch(o.level, o.n, o.width, true));
      reused.erase(rel);
      ++result.repaired;
    }
    SLUSS_ASSIGN_OR_RETURN(report, audit());
  }
  if (!report.ok()) {
    const storage::AuditProblem& p = report.problems.front();
    return absl::DataLossError(absl::StrCat(
        "the fetched log does not verify against the server's checkpoint (size ", result.size, "): entry ", p.index,
        ", ", storage::AuditProblemKindName(p.kind), ": ", p.message,
        "; the previous checkpoint was kept"));
  }
  SLUSS_RETURN_IF_ERROR(Put(dir, std::string(storage::kVerifierKeysPath), vkeys));
  // The checkpoint last: an interrupted fetch leaves the old one in place.
  SLUSS_RETURN_IF_ERROR(Put(dir, std::string(storage::kCheckpointPath), cp.note));
  return result;
}

absl::StatusOr<FetchResult> FetchExport(SlussClient& client, const std::string& dir) {
  ClientFetcher fetcher(client);
  return FetchExportFrom(fetcher, dir);
}

}  // namespace sluss::client
