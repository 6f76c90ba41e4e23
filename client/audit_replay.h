// `sluss audit replay`: rebuild the broker's state from the log with the
// broker's own projection (server/broker/projection.h, through
// client/audit_log.h) and re-run the gate (gate/assess.h) on every
// assessment with the rulebook active at that index and the entry's
// decision date. It reports, naming each entry:
//
//   disclosure_not_allowed  a disclosure (decision or send) the rules in
//                           force did not allow (the gate says NOT_ALLOWED)
//   attestation_missing     a disclosure the gate allows only once judgements
//                           are attested, and they are not (or not signed)
//   attestation_foreign     an attestation naming another officer than the
//                           one who signed the disclosure
//   date_differs            a decision date that is not the day the entry
//                           was logged (in any zone, UTC-12 to UTC+14)
//   outcome_differs         an assessment whose recorded outcome is not the
//                           replayed one
//   facts_differ            logged facts that are not the signed ones (plus
//                           what the broker completes: parties, subject)
//   rulebook_mismatch       an assessment made under another rulebook than
//                           the one active at its index, or none active
//   rulebook_invalid        an activation whose logged rulebook does not load
//   state_invalid           a decision on a case not awaiting one, a receipt
//                           on one not disclosed
//   no_beslutsratt          a decision by an officer without beslutsrätt for
//                           the case's categories at that index
//   log_invalid             an entry the projection cannot apply (replay stops)
//
// Thread-compatible.
#ifndef SLUSS_CLIENT_AUDIT_REPLAY_H_
#define SLUSS_CLIENT_AUDIT_REPLAY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/tile_source.h"

namespace sluss::client {

struct ReplayFinding {
  uint64_t index = 0;
  std::string kind;     // see the file comment
  std::string case_id;  // if the entry belongs to a case
  std::string message;
};

struct ReplayReport {
  uint64_t size = 0;            // entries replayed
  uint64_t assessments = 0;     // assessments re-run
  uint64_t disclosures = 0;     // disclosures (decisions to disclose, sends) checked
  uint64_t cases = 0;           // cases in the rebuilt state
  uint64_t rulebooks = 0;       // rulebook activations
  std::vector<ReplayFinding> findings;  // ascending index
  absl::Duration elapsed;
  bool ok() const { return findings.empty(); }
};

struct ReplayOptions {
  uint64_t hint_size = 0;  // as ReadLogOptions::hint_size
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// Replays entries [0, size) of `source` (which `audit verify` should have
// proven). Findings are in the report; non-OK only for a source error.
absl::StatusOr<ReplayReport> ReplayLog(storage::TileSource& source, uint64_t size,
                                       const ReplayOptions& options);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_AUDIT_REPLAY_H_
