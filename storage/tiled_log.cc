// docs/DIARIUM.md §5–§6.
#include "storage/tiled_log.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "storage/merkle.h"
#include "storage/tiles.h"

namespace sluss::storage {

absl::StatusOr<std::vector<crypto::NoteVerifier>> ParseVerifierKeys(absl::string_view text,
                                                                    absl::string_view what) {
  std::vector<crypto::NoteVerifier> keys;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#') continue;
    absl::StatusOr<crypto::NoteVerifier> v = crypto::NoteVerifier::FromVerifierKey(line);
    if (!v.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " line ", line_no, ": not a verifier key (", v.status().message(),
                       "); expected <origin>+<hex key hash>+<base64 key>"));
    }
    keys.push_back(*std::move(v));
  }
  if (keys.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": no verifier key"));
  return keys;
}

absl::StatusOr<std::string> OriginOfKeys(absl::Span<const crypto::NoteVerifier> keys) {
  if (keys.empty()) return absl::InvalidArgumentError("no trusted verifier key");
  for (const auto& k : keys) {
    if (k.name() != keys[0].name()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the trusted keys name different logs (\"", keys[0].name(), "\" and \"", k.name(),
          "\"); give the keys of one log"));
    }
  }
  return keys[0].name();
}

absl::StatusOr<SignedCheckpoint> ReadTrustedCheckpoint(
    TileSource& source, absl::string_view path, absl::Span<const crypto::NoteVerifier> trusted) {
  SLUSS_ASSIGN_OR_RETURN(std::string origin, OriginOfKeys(trusted));
  std::string note;
  SLUSS_RETURN_IF_ERROR(source.Read(path, &note));
  absl::StatusOr<SignedCheckpoint> cp = OpenCheckpoint(note, origin, trusted);
  if (!cp.ok()) return Annotate(cp.status(), path);
  return cp;
}

absl::StatusOr<std::unique_ptr<TiledLog>> TiledLog::Open(
    TileSource& source, std::vector<crypto::NoteVerifier> trusted) {
  SLUSS_ASSIGN_OR_RETURN(SignedCheckpoint cp,
                         ReadTrustedCheckpoint(source, kCheckpointPath, trusted));
  return std::unique_ptr<TiledLog>(new TiledLog(source, std::move(trusted), std::move(cp)));
}

absl::StatusOr<std::string> TiledLog::Entry(uint64_t index) {
  if (index >= size()) {
    return absl::OutOfRangeError(absl::StrCat("entry ", index, " is beyond the checkpoint (size ",
                                              size(), ")"));
  }
  std::string entry;
  SLUSS_RETURN_IF_ERROR(entries_.ReadEntries(index, index + 1, [&](uint64_t, absl::string_view e) {
    entry = std::string(e);
    return false;
  }));
  auto reader = [this](int level, uint64_t k) { return nodes_.Node(level, k); };
  SLUSS_ASSIGN_OR_RETURN(std::vector<Hash> proof, InclusionProof(index, size(), reader));
  absl::Status s = VerifyInclusion(index, size(), LeafHash(entry), proof, checkpoint_.body.root);
  if (!s.ok()) {
    return absl::DataLossError(absl::StrCat(
        "entry ", index, " (", EntryBundlePath(index / kTileWidth, BundleWidth(size(), index / kTileWidth)),
        ") is not proven by the checkpoint (size ", size(), "): the entry or the tiles on its path "
        "were altered (", s.message(), "); run `sluss audit verify` to find which"));
  }
  return entry;
}

absl::StatusOr<std::string> TiledLog::InclusionProofFile(uint64_t index) {
  SLUSS_ASSIGN_OR_RETURN(std::string entry, Entry(index));
  auto reader = [this](int level, uint64_t k) { return nodes_.Node(level, k); };
  SLUSS_ASSIGN_OR_RETURN(std::vector<Hash> proof, InclusionProof(index, size(), reader));
  std::string file = FormatInclusionProofFile(
      {.extra = "", .index = index, .proof = std::move(proof), .checkpoint = checkpoint_.note});
  SLUSS_RETURN_IF_ERROR(Annotate(
      VerifyInclusionProofFile(file, entry, checkpoint_.body.origin, trusted_),
      "checking the inclusion proof made from the tiles"));
  return file;
}

absl::StatusOr<std::string> TiledLog::ConsistencyProofBody(uint64_t old_size) {
  if (old_size > size()) {
    return absl::OutOfRangeError(absl::StrCat("old size ", old_size,
                                              " is larger than the checkpoint (size ", size(), ")"));
  }
  auto reader = [this](int level, uint64_t k) { return nodes_.Node(level, k); };
  SLUSS_ASSIGN_OR_RETURN(std::vector<Hash> proof, ConsistencyProof(old_size, size(), reader));
  SLUSS_ASSIGN_OR_RETURN(Hash old_root, RootAt(old_size, reader));
  absl::Status s = VerifyConsistency(old_size, size(), old_root, checkpoint_.body.root, proof);
  if (!s.ok()) {
    return absl::DataLossError(absl::StrCat("the tiles do not match the checkpoint (size ", size(),
                                            "): ", s.message(),
                                            "; run `sluss audit verify` to find which"));
  }
  // A kept checkpoint of the old size, if trusted, must be the same tree.
  absl::StatusOr<SignedCheckpoint> kept =
      ReadTrustedCheckpoint(source_, CheckpointHistoryPath(old_size), trusted_);
  if (kept.ok() && old_size > 0) {
    absl::Status ks = VerifyConsistency(old_size, size(), kept->body.root, checkpoint_.body.root, proof);
    if (!ks.ok()) {
      return absl::DataLossError(absl::StrCat(CheckpointHistoryPath(old_size),
                                              " is not consistent with the checkpoint (size ",
                                              size(), "): ", ks.message(), ": the log forked"));
    }
  }
  return FormatConsistencyBody(
      {.old_size = old_size, .proof = std::move(proof), .checkpoint = checkpoint_.note});
}

}  // namespace sluss::storage
