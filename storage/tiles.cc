// docs/DIARIUM.md §6.
#include "storage/tiles.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/file.h"
#include "base/status_macros.h"

namespace sluss::storage {
namespace {

absl::Status WriteWholeFile(const std::string& path, absl::string_view data) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat("creating directory for ", path, ": ", ec.message()));
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::InternalError(absl::StrCat("writing ", path, ": ", std::strerror(errno)));
  }
  const size_t n = std::fwrite(data.data(), 1, data.size(), f);
  const int werr = n == data.size() ? 0 : errno;
  if (std::fclose(f) != 0 || werr != 0) {
    return absl::InternalError(absl::StrCat("writing ", path, ": ", std::strerror(werr ? werr : errno)));
  }
  return absl::OkStatus();
}

std::string Suffix(uint64_t width) {
  return width < kTileWidth ? absl::StrCat(".p/", width) : std::string();
}

}  // namespace

std::string EncodeTileIndex(uint64_t n) {
  std::string out = absl::StrFormat("%03d", n % 1000);
  for (n /= 1000; n > 0; n /= 1000) out = absl::StrFormat("x%03d/", n % 1000) + out;
  return out;
}

std::string TilePath(int level, uint64_t n, uint64_t width) {
  return absl::StrCat("tile/", level, "/", EncodeTileIndex(n), Suffix(width));
}

std::string EntryBundlePath(uint64_t n, uint64_t width) {
  return absl::StrCat("tile/entries/", EncodeTileIndex(n), Suffix(width));
}

absl::Status WriteTiles(absl::string_view dir, uint64_t size, NodeRangeReader nodes,
                        EntrySource& entries, absl::string_view checkpoint_note,
                        absl::Span<const std::string> verifier_keys) {
  const std::string root(dir);
  std::vector<Hash> hashes;
  for (int l = 0; (size >> (kTileHeight * l)) > 0; ++l) {
    const int level = kTileHeight * l;
    const uint64_t count = size >> level;  // complete nodes at this tree level
    for (uint64_t n = 0; n * kTileWidth < count; ++n) {
      const uint64_t begin = n * kTileWidth;
      const uint64_t width = std::min(kTileWidth, count - begin);
      hashes.clear();
      SLUSS_RETURN_IF_ERROR(nodes(level, begin, begin + width, &hashes));
      SLUSS_RETURN_IF_ERROR(WriteWholeFile(
          absl::StrCat(root, "/", TilePath(l, n, width)),
          absl::string_view(reinterpret_cast<const char*>(hashes.data()), hashes.size() * 32)));
    }
  }
  std::string bundle;
  absl::Status write_status;
  SLUSS_RETURN_IF_ERROR(entries.ReadEntries(0, size, [&](uint64_t i, absl::string_view e) {
    const char len[2] = {static_cast<char>(e.size() >> 8), static_cast<char>(e.size() & 0xff)};
    bundle.append(len, 2);
    bundle.append(e.data(), e.size());
    if ((i + 1) % kTileWidth == 0 || i + 1 == size) {
      const uint64_t width = i % kTileWidth + 1;
      write_status = WriteWholeFile(
          absl::StrCat(root, "/", EntryBundlePath(i / kTileWidth, width)), bundle);
      bundle.clear();
      if (!write_status.ok()) return false;
    }
    return true;
  }));
  SLUSS_RETURN_IF_ERROR(write_status);
  SLUSS_RETURN_IF_ERROR(WriteWholeFile(absl::StrCat(root, "/vkeys"),
                                       absl::StrCat(absl::StrJoin(verifier_keys, "\n"), "\n")));
  return WriteFileAtomically(absl::StrCat(root, "/checkpoint"), checkpoint_note, 0644,
                             /*overwrite=*/true);
}

}  // namespace sluss::storage
