// The entry-level half of `sluss audit verify` (docs/USAGE.md "Auditing the
// diarium"): once storage::AuditTiles has proven entries [0, size) against a
// checkpoint, check what the Merkle tree cannot —
//
//   - every entry parses as a sluss.v1.DiariumEntry;
//   - every officer signature (the DSSE envelopes in requests, decisions,
//     sends, receipts and revocations) verifies with the key the officer had
//     registered EARLIER in the log (its latest OfficerRegistration before
//     the entry), the key was not revoked before the entry, and the signed
//     action is the one the entry claims (same officer, agency, kind, case);
//   - every entry references only earlier entries: a decision or receipt
//     names a case opened before it, a case is opened once, registrations
//     and openings name agencies registered before them, a revocation an
//     officer registered before it, an assessment a rulebook activated
//     before it, an activation the chunks immediately before it.
//
// Two passes: a sequential one over the entries' wire format builds the key
// directory timeline and checks references (cheap: no full parse), then
// `threads` workers parse every entry and verify every signature (the cost:
// one Ed25519 verification per signed entry).
//
// Thread-compatible; runs its own worker threads, which read `source`
// concurrently.
#ifndef SLUSS_CLIENT_AUDIT_ENTRIES_H_
#define SLUSS_CLIENT_AUDIT_ENTRIES_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/tile_source.h"

namespace sluss::client {

struct EntryProblem {
  uint64_t index = 0;
  // "entry_malformed", "reference_invalid", "signer_unknown", "signer_revoked",
  // "signature_invalid", "action_mismatch".
  std::string kind;
  std::string message;  // one sentence naming the entry and what is wrong
};

struct EntryAuditReport {
  uint64_t entries_checked = 0;
  uint64_t signatures_verified = 0;  // signatures checked (valid or not)
  std::vector<EntryProblem> problems;  // ascending index; at most max_problems
  uint64_t problems_omitted = 0;
  absl::Duration elapsed;
  bool ok() const { return problems.empty() && problems_omitted == 0; }
};

struct EntryAuditOptions {
  int threads = 0;  // 0: one per hardware thread
  // The size the source's latest checkpoint names (file names of partial
  // bundles, as storage::ReadEntryBundle's hint_size). 0: the audited size.
  uint64_t hint_size = 0;
  size_t max_problems = 100;
  // Called on the calling thread about every 100 ms with (entries whose
  // signatures are checked, size).
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// Checks entries [0, size) of `source`. Problems are in the report; non-OK
// only if an entry bundle cannot be read (the source's error, naming it)
// or options are invalid (kInvalidArgument).
absl::StatusOr<EntryAuditReport> AuditSlussEntries(storage::TileSource& source, uint64_t size,
                                                   const EntryAuditOptions& options);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_AUDIT_ENTRIES_H_
