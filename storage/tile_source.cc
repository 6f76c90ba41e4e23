// docs/DIARIUM.md §6.
#include "storage/tile_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "storage/checkpoint.h"
#include "storage/tiles.h"

namespace sluss::storage {
namespace {

absl::Status ErrnoError(const std::string& path, int err) {
  const std::string msg = absl::StrCat(path, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

// Reads a whole file into *out, reusing its capacity.
absl::Status ReadInto(const std::string& path, std::string* out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoError(path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  out->resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out->size()) {
    const ssize_t n = ::read(fd, out->data() + got, out->size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return ErrnoError(path, err);
    }
    if (n == 0) break;  // shrank while reading
    got += static_cast<size_t>(n);
  }
  out->resize(got);
  ::close(fd);
  return absl::OkStatus();
}

bool ParseCanonicalDecimal(absl::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(s, out);
}

class ExportDirectory : public TileSource {
 public:
  explicit ExportDirectory(std::string dir) : dir_(std::move(dir)) {}

  std::string Describe() const override { return absl::StrCat("export ", dir_); }

  absl::Status Read(absl::string_view path, std::string* out) override {
    absl::Status s = ReadInto(absl::StrCat(dir_, "/", path), out);
    if (s.ok()) return s;
    // Name the object by its path in the log, which is what the reader knows.
    return absl::Status(s.code(), absl::StrCat(path, ": ", s.code() == absl::StatusCode::kNotFound
                                                               ? "missing from the export"
                                                               : std::string(s.message())));
  }

  absl::StatusOr<std::vector<uint64_t>> CheckpointHistory() override {
    std::vector<uint64_t> sizes;
    const std::filesystem::path dir = std::filesystem::path(dir_) / "checkpoints";
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) return sizes;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      uint64_t size;
      if (it->is_regular_file(ec) && ParseCanonicalDecimal(it->path().filename().string(), &size)) {
        sizes.push_back(size);
      }
    }
    if (ec) {
      return absl::InternalError(absl::StrCat("listing ", dir.string(), ": ", ec.message()));
    }
    std::sort(sizes.begin(), sizes.end());
    return sizes;
  }

 private:
  const std::string dir_;
};

}  // namespace

std::string CheckpointHistoryPath(uint64_t size) { return absl::StrCat("checkpoints/", size); }

absl::StatusOr<std::unique_ptr<TileSource>> OpenExportDirectory(absl::string_view dir) {
  std::error_code ec;
  const std::string d(dir);
  if (!std::filesystem::exists(d, ec)) {
    return absl::NotFoundError(absl::StrCat("export directory ", d, " does not exist"));
  }
  if (!std::filesystem::is_directory(d, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(d, " is not a directory"));
  }
  return std::make_unique<ExportDirectory>(d);
}

absl::Status ArchiveExportCheckpoint(absl::string_view dir) {
  const std::string current = absl::StrCat(dir, "/", kCheckpointPath);
  absl::StatusOr<std::string> note = ReadFile(current);
  if (note.status().code() == absl::StatusCode::kNotFound) return absl::OkStatus();
  if (!note.ok()) return note.status();
  const size_t blank = note->find("\n\n");
  if (blank == std::string::npos) {
    return absl::DataLossError(absl::StrCat(current, ": not a signed note (no blank line)"));
  }
  absl::StatusOr<CheckpointBody> body = ParseCheckpointText(note->substr(0, blank + 1));
  if (!body.ok()) return Annotate(body.status(), current);
  const std::string kept = absl::StrCat(dir, "/", CheckpointHistoryPath(body->size));
  absl::StatusOr<std::string> existing = ReadFile(kept);
  if (existing.ok()) {
    const size_t eb = existing->find("\n\n");
    if (eb != std::string::npos && existing->substr(0, eb + 1) == note->substr(0, blank + 1)) {
      return absl::OkStatus();
    }
    return absl::DataLossError(absl::StrCat(current, " and ", kept,
                                            " are different checkpoints of the same size ",
                                            body->size, ": the log forked"));
  }
  if (existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
  SLUSS_RETURN_IF_ERROR(MakeDirectories(absl::StrCat(dir, "/checkpoints")));
  return WriteFileAtomically(kept, *note, 0644, /*overwrite=*/false);
}

uint64_t BundleWidth(uint64_t size, uint64_t n) { return TileWidth(size, 0, n); }

uint64_t TileWidth(uint64_t size, int tile_level, uint64_t n) {
  const int shift = kTileHeight * tile_level;
  if (shift >= 64) return 0;
  const uint64_t count = size >> shift;
  if (n >= (count + kTileWidth - 1) / kTileWidth) return 0;
  return std::min(kTileWidth, count - n * kTileWidth);
}

absl::Status ParseEntryBundle(absl::string_view path, absl::string_view bundle, uint64_t first,
                              uint64_t width, std::vector<absl::string_view>* entries) {
  size_t pos = 0;
  for (uint64_t j = 0; j < width; ++j) {
    if (bundle.size() - pos < 2) {
      return absl::DataLossError(absl::StrCat(
          path, ": entry ", first + j, " (byte offset ", pos, ") is missing: the bundle ends ",
          pos == bundle.size() ? "before it" : "inside its length prefix", " (", bundle.size(),
          " bytes, ", j, " of ", width, " entries)"));
    }
    const size_t len = (static_cast<size_t>(static_cast<uint8_t>(bundle[pos])) << 8) |
                       static_cast<uint8_t>(bundle[pos + 1]);
    if (bundle.size() - pos - 2 < len) {
      return absl::DataLossError(absl::StrCat(path, ": entry ", first + j, " (byte offset ", pos,
                                              "): length ", len, " runs past the end of the bundle (",
                                              bundle.size(), " bytes): truncated"));
    }
    entries->push_back(bundle.substr(pos + 2, len));
    pos += 2 + len;
  }
  if (pos != bundle.size()) {
    return absl::DataLossError(absl::StrCat(path, ": ", bundle.size() - pos,
                                            " bytes after its last entry ", first + width - 1,
                                            " (byte offset ", pos, ")"));
  }
  return absl::OkStatus();
}

namespace {

// The file names that may hold bundle or tile (level, n) of a tree of
// `size`, best first: its own, the full one, the one of a tree of `hint`.
std::vector<std::pair<std::string, uint64_t>> Candidates(int level, uint64_t size, uint64_t n,
                                                        uint64_t hint) {
  const uint64_t width = TileWidth(size, level < 0 ? 0 : level, n);
  auto path = [&](uint64_t w) { return level < 0 ? EntryBundlePath(n, w) : TilePath(level, n, w); };
  std::vector<std::pair<std::string, uint64_t>> out = {{path(width), width}};
  if (width < kTileWidth) {
    out.emplace_back(path(kTileWidth), kTileWidth);
    const uint64_t hint_width = hint > size ? TileWidth(hint, level < 0 ? 0 : level, n) : 0;
    if (hint_width > width && hint_width < kTileWidth) out.emplace_back(path(hint_width), hint_width);
  }
  return out;
}

// Reads the first candidate that exists; the error of the first if none.
absl::Status ReadFirst(TileSource& source, const std::vector<std::pair<std::string, uint64_t>>& c,
                       std::string* out, size_t* which) {
  absl::Status first = source.Read(c[0].first, out);
  *which = 0;
  if (first.code() != absl::StatusCode::kNotFound) return first;
  for (size_t i = 1; i < c.size(); ++i) {
    if (source.Read(c[i].first, out).ok()) {
      *which = i;
      return absl::OkStatus();
    }
  }
  return first;
}

}  // namespace

absl::Status ReadEntryBundle(TileSource& source, uint64_t size, uint64_t n, std::string* buffer,
                             std::vector<absl::string_view>* entries, std::string* path,
                             uint64_t hint_size) {
  entries->clear();
  const auto candidates = Candidates(-1, size, n, hint_size);
  const uint64_t width = candidates[0].second;
  size_t which;
  absl::Status s = ReadFirst(source, candidates, buffer, &which);
  *path = candidates[which].first;
  SLUSS_RETURN_IF_ERROR(s);
  absl::Status parsed =
      ParseEntryBundle(*path, *buffer, n * kTileWidth, candidates[which].second, entries);
  if (which > 0 && entries->size() >= width) {
    entries->resize(width);  // a wider bundle: only its first `width` entries matter
    return absl::OkStatus();
  }
  if (entries->size() > width) entries->resize(width);
  return parsed;
}

absl::Status ReadTile(TileSource& source, uint64_t size, int tile_level, uint64_t n,
                      std::vector<Hash>* hashes, uint64_t hint_size) {
  hashes->clear();
  const auto candidates = Candidates(tile_level, size, n, hint_size);
  const uint64_t width = candidates[0].second;
  thread_local std::string data;  // reused: the verifier reads a tile per bundle
  size_t which;
  SLUSS_RETURN_IF_ERROR(ReadFirst(source, candidates, &data, &which));
  const std::string& path = candidates[which].first;
  const uint64_t expected = candidates[which].second;
  const size_t whole = std::min<size_t>(data.size() / 32, width);
  hashes->resize(whole);
  std::memcpy(hashes->data(), data.data(), whole * 32);
  // Its own file must be exactly its width; a wider stand-in must hold at
  // least the hashes needed.
  if (which == 0 ? data.size() != expected * 32 : data.size() < width * 32) {
    return absl::DataLossError(absl::StrCat(path, ": ", data.size(), " bytes, expected ",
                                            expected * 32, " (", expected, " hashes): ",
                                            data.size() < expected * 32 ? "truncated" : "too long"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Hash> TileNodeSource::Node(int level, uint64_t index) {
  if (level < 0 || level >= 64 || (index + 1) > (size_ >> level)) {
    return absl::OutOfRangeError(absl::StrCat("tiles: node (", level, ", ", index,
                                              ") is not complete in a tree of size ", size_));
  }
  const int tile_level = level / kTileHeight;
  const int up = level % kTileHeight;  // levels to hash up inside the tile
  const uint64_t first = index << up;  // first hash at the tile's level
  const uint64_t n = first / kTileWidth;
  auto key = std::make_pair(tile_level, n);
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    if (cache_.size() >= 16) cache_.clear();
    std::vector<Hash> hashes;
    SLUSS_RETURN_IF_ERROR(ReadTile(source_, size_, tile_level, n, &hashes, hint_size_));
    it = cache_.emplace(key, std::move(hashes)).first;
  }
  const std::vector<Hash>& tile = it->second;
  const uint64_t offset = first % kTileWidth;
  std::vector<Hash> run(tile.begin() + static_cast<ptrdiff_t>(offset),
                        tile.begin() + static_cast<ptrdiff_t>(offset + (uint64_t{1} << up)));
  for (size_t len = run.size(); len > 1; len /= 2) {
    for (size_t i = 0; i < len / 2; ++i) run[i] = NodeHash(run[2 * i], run[2 * i + 1]);
  }
  return run[0];
}

absl::Status TileEntrySource::ReadEntries(
    uint64_t begin, uint64_t end, absl::FunctionRef<bool(uint64_t, absl::string_view)> fn) {
  if (end > size_ || begin > end) {
    return absl::OutOfRangeError(
        absl::StrCat("tiles: entries [", begin, ", ", end, ") are beyond the tree size ", size_));
  }
  std::string path;
  for (uint64_t n = begin / kTileWidth; n * kTileWidth < end; ++n) {
    const uint64_t width = BundleWidth(size_, n);
    SLUSS_RETURN_IF_ERROR(ReadEntryBundle(source_, size_, n, &buffer_, &entries_, &path, hint_size_));
    for (uint64_t j = 0; j < width; ++j) {
      const uint64_t i = n * kTileWidth + j;
      if (i < begin) continue;
      if (i >= end) return absl::OkStatus();
      if (!fn(i, entries_[j])) return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

}  // namespace sluss::storage
