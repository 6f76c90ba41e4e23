// Reading a Sluss diarium for audit: every entry of a tlog-tiles log, in
// order, decoded, beside the broker's own projection of the entries before
// it (server/broker/projection.h) and the rulebook active at that index.
// `sluss audit replay` and `sluss audit export` read the log through this;
// so can any other auditor's view (a report), without knowing tiles,
// bundles or the broker.
//
//   SLUSS_ASSIGN_OR_RETURN(uint64_t size, TrustedSize(source, keys));
//   SLUSS_RETURN_IF_ERROR(ReadSlussLog(source, size, {}, [&](const LogEntryView& e) {
//     if (e.entry.has_decision()) ... e.before.cases.at(e.entry.decision().case_id()) ...
//     return absl::OkStatus();
//   }));
//
// ReadSlussLog trusts the entries' bytes as given: run `audit verify`
// (storage/tile_audit.h, client/audit_entries.h) to prove them against a
// checkpoint first. Thread-compatible; calls `fn` on the calling thread.
#ifndef SLUSS_CLIENT_AUDIT_LOG_H_
#define SLUSS_CLIENT_AUDIT_LOG_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "crypto/note.h"
#include "gate/rulebook.h"
#include "server/broker/projection.h"
#include "sluss/v1/diarium_entry.pb.h"
#include "storage/tile_source.h"

namespace sluss::client {

struct LogEntryView {
  uint64_t index = 0;
  absl::string_view bytes;                   // verbatim (the Merkle leaf's input)
  const v1::DiariumEntry* entry = nullptr;   // decoded
  const broker::Projection* before = nullptr;  // state after entries [0, index)
  // The rulebook active at this index (after an activation entry: the one
  // it activates), or nullptr if none is active yet.
  const gate::Rulebook* rulebook = nullptr;
  // Set on a RulebookActivation entry whose rulebook cannot be loaded
  // (chunks missing or out of order, digest mismatch, invalid rulebook);
  // `rulebook` then stays the previous one.
  std::string rulebook_problem;
};

struct ReadLogOptions {
  // The size the source's latest checkpoint names (file names of partial
  // tiles; storage::ReadEntryBundle's hint_size). 0: `size`.
  uint64_t hint_size = 0;
  // Called about every 4096 entries with (entries read, size).
  std::function<void(uint64_t done, uint64_t total)> progress;
  // If set (not owned; must be empty), the entries are applied to it, and it
  // holds the state after the last entry read when ReadSlussLog returns
  // (e.g. the cases' final summaries and the agencies' names). Otherwise a
  // projection internal to the call.
  broker::Projection* projection = nullptr;
};

// Calls fn for entries [0, size) in order, then applies the entry to the
// projection. Stops at the first non-OK status from fn and returns it.
// kDataLoss naming the index if an entry does not parse or the projection
// cannot apply it (the index also in storage::BadEntryIndex(status)); the
// source's errors naming the bundle.
absl::Status ReadSlussLog(storage::TileSource& source, uint64_t size, const ReadLogOptions& options,
                          absl::FunctionRef<absl::Status(const LogEntryView&)> fn);

// The size of the source's latest checkpoint once its signature verifies
// with `trusted`. kDataLoss ("verification failed: ...") if it does not;
// kNotFound if there is no checkpoint.
absl::StatusOr<uint64_t> TrustedSize(storage::TileSource& source,
                                     absl::Span<const crypto::NoteVerifier> trusted);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_AUDIT_LOG_H_
