// Text formats of the diarium (docs/DIARIUM.md §4–§5): the C2SP
// tlog-checkpoint body, the c2sp.org/tlog-proof@v1 inclusion proof file and
// the C2SP tlog-witness add-checkpoint body (consistency proof).
//
// Pure functions, thread-safe. Parsers never trust their input: every
// defect is kInvalidArgument with a message saying which line is wrong.
#ifndef SLUSS_STORAGE_CHECKPOINT_H_
#define SLUSS_STORAGE_CHECKPOINT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "crypto/note.h"
#include "storage/merkle.h"

namespace sluss::storage {

// The signed content of a checkpoint.
struct CheckpointBody {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  friend bool operator==(const CheckpointBody&, const CheckpointBody&) = default;
};

// A checkpoint together with its signed-note form.
struct SignedCheckpoint {
  CheckpointBody body;
  std::string note;  // "<origin>\n<size>\n<root>\n\n— <name> <sig>\n…"
};

// "<origin>\n<size>\n<base64 root>\n".
std::string FormatCheckpointText(const CheckpointBody& body);
// Parses a checkpoint text (the signed part of the note); extension lines
// after the third are accepted and ignored.
absl::StatusOr<CheckpointBody> ParseCheckpointText(absl::string_view text);

// Opens a signed checkpoint note: verifies it against `verifiers`
// (crypto::OpenNote's errors: kUnauthenticated on a bad signature by a known
// key, kNotFound if no known key signed), parses it, and checks its origin
// equals `origin` (kInvalidArgument otherwise).
absl::StatusOr<SignedCheckpoint> OpenCheckpoint(absl::string_view note,
                                                absl::string_view origin,
                                                absl::Span<const crypto::NoteVerifier> verifiers);

// c2sp.org/tlog-proof@v1.
struct InclusionProofFile {
  std::string extra;  // decoded `extra` data; empty if the line is absent
  uint64_t index = 0;
  std::vector<Hash> proof;
  std::string checkpoint;  // the signed note, verbatim
};
std::string FormatInclusionProofFile(const InclusionProofFile& file);
absl::StatusOr<InclusionProofFile> ParseInclusionProofFile(absl::string_view text);

// OK if `proof_file` proves that `entry` is in a log whose checkpoint is
// signed by one of `verifiers` under `origin`. Errors: those of
// ParseInclusionProofFile and OpenCheckpoint, kDataLoss if the proof fails.
absl::Status VerifyInclusionProofFile(absl::string_view proof_file, absl::string_view entry,
                                      absl::string_view origin,
                                      absl::Span<const crypto::NoteVerifier> verifiers);

// C2SP tlog-witness add-checkpoint request body.
struct ConsistencyBody {
  uint64_t old_size = 0;
  std::vector<Hash> proof;  // at most 63 hashes
  std::string checkpoint;   // the signed note, verbatim
};
std::string FormatConsistencyBody(const ConsistencyBody& body);
absl::StatusOr<ConsistencyBody> ParseConsistencyBody(absl::string_view text);

}  // namespace sluss::storage

#endif  // SLUSS_STORAGE_CHECKPOINT_H_
