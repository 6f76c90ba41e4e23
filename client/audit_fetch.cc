// `sluss audit fetch --out DIR`: download the live diarium from slussd
// (Diarium.GetCheckpoint and GetTile, auditors only) as a tlog-tiles export
// that `sluss audit verify --export DIR` checks offline.
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "client/audit_cmd.h"
#include "storage/tile_source.h"
#include "storage/tiles.h"

namespace sluss::client {
namespace {

absl::Status Put(const std::string& dir, const std::string& rel, const std::string& data) {
  const std::filesystem::path path = std::filesystem::path(dir) / rel;
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat(path.parent_path().string(), ": ", ec.message()));
  return WriteFileAtomically(path.string(), data, 0644, true);
}

}  // namespace

absl::StatusOr<FetchResult> FetchExport(SlussClient& client, const std::string& dir) {
  auto cp = client.GetCheckpoint();
  if (!cp.ok()) return cp.status();
  std::vector<std::string> lines = absl::StrSplit(cp->checkpoint(), '\n');
  FetchResult result;
  if (lines.size() < 3 || !absl::SimpleAtoi(lines[1], &result.size)) {
    return absl::DataLossError("the server's checkpoint is malformed (no tree size on its second line)");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--out ", dir, ": ", ec.message()));
  // Keep the previous checkpoint so verify checks consistency with it.
  if (absl::Status s = storage::ArchiveExportCheckpoint(dir); !s.ok()) return s;
  const auto fetch = [&](int level, uint64_t n, uint64_t width) -> absl::Status {
    const std::string rel = level < 0 ? storage::EntryBundlePath(n, width) : storage::TilePath(level, n, width);
    // Full tiles never change: a second run fetches only what is new.
    if (width == 256 && std::filesystem::exists(std::filesystem::path(dir) / rel)) return absl::OkStatus();
    auto tile = client.GetTile(level, n, static_cast<uint32_t>(width));
    if (!tile.ok()) return absl::Status(tile.status().code(), absl::StrCat(rel, ": ", tile.status().message()));
    ++result.fetched;
    return Put(dir, rel, tile->data());
  };
  for (uint64_t n = 0; storage::BundleWidth(result.size, n) > 0; ++n) {
    if (absl::Status s = fetch(-1, n, storage::BundleWidth(result.size, n)); !s.ok()) return s;
  }
  for (int level = 0; storage::TileWidth(result.size, level, 0) > 0; ++level) {
    for (uint64_t n = 0; storage::TileWidth(result.size, level, n) > 0; ++n) {
      if (absl::Status s = fetch(level, n, storage::TileWidth(result.size, level, n)); !s.ok()) return s;
    }
  }
  std::string vkeys = absl::StrJoin(cp->verifier_keys(), "\n") + "\n";
  if (absl::Status s = Put(dir, std::string(storage::kVerifierKeysPath), vkeys); !s.ok()) return s;
  // The checkpoint last: an interrupted fetch leaves the old one in place.
  if (absl::Status s = Put(dir, std::string(storage::kCheckpointPath), cp->checkpoint()); !s.ok()) return s;
  return result;
}

}  // namespace sluss::client
