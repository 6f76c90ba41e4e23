// Reusable pieces of the handläggare workflow that the `sluss` CLI (and any
// other front end) needs beside SlussClient: parsing agency references and
// attestations as typed on a command line, the judgements an assessment
// asks for, which of them a set of attestations leaves missing, and short
// human names for enums and log entries. Pure functions; thread-safe.
#ifndef SLUSS_CLIENT_WORKFLOW_H_
#define SLUSS_CLIENT_WORKFLOW_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sluss/v1/diarium_entry.pb.h"
#include "sluss/v1/exchange.pb.h"
#include "sluss/v1/gate.pb.h"

namespace sluss::client {

// "ORGNR:FUNCTION", e.g. "212000-0142:socialtjanst". kInvalidArgument
// naming the expected form otherwise.
absl::StatusOr<v1::AgencyRef> ParseAgencyRef(absl::string_view text);

// "PROVISION:JUDGEMENT=MOTIVATION", e.g. "10:18a:konkret_risk=Upprepade
// iakttagelser". The provision itself contains ':' so the judgement is what
// follows the last ':' before the '='. The motivation must not be empty (an
// attestation without one does not count). `officer` is filled in.
absl::StatusOr<v1::Attestation> ParseAttestation(absl::string_view text, absl::string_view officer);

// A required judgement: "10:18a/konkret_risk" (CaseSummary's form).
struct Judgement {
  std::string provision;
  std::string judgement;
  std::string Key() const { return provision + "/" + judgement; }
};

// One way to make a category disclosable: attest these judgements under
// `provision` (a provision in CategoryAssessment.allowed_if_attested_by).
struct AttestationOption {
  std::string provision;
  std::vector<Judgement> judgements;
};

// For each category of `assessment` that is not allowed outright, the
// alternative options (any one suffices), in rulebook order. Categories
// allowed outright are skipped.
std::vector<std::vector<AttestationOption>> AttestationOptions(const v1::Assessment& assessment);

// The judgements a decision must still attest, given `given`: per category,
// nothing if some option is fully attested; otherwise the missing ones of
// the option under `claimed_basis` if it is one, else of the option missing
// the fewest. `alternatives` (if not null) receives the other options as
// text ("10:15a:overvagande_skal").
std::vector<Judgement> MissingJudgements(const v1::Assessment& assessment, const std::string& claimed_basis,
                                         const std::vector<v1::Attestation>& given,
                                         std::vector<std::string>* alternatives = nullptr);

// Lowercase Swedish-free names for the CLI: "awaiting_decision",
// "request", "allowed_if_attested", ...
std::string StateName(v1::CaseState state);
std::string KindName(v1::CaseKind kind);
std::string OutcomeName(v1::Outcome outcome);
// "request", "decision", "send", "receipt", ... for an entry.
std::string EntryKindName(const v1::DiariumEntry& entry);
// The officer (DSSE keyid) who signed the entry's action, or "".
std::string EntrySigner(const v1::DiariumEntry& entry);
// The entry's Assessment, or nullptr if it has none.
const v1::Assessment* EntryAssessment(const v1::DiariumEntry& entry);
// "refuse" / "disclose" for a decision entry (decoded from its signed
// action), "" otherwise.
std::string DecisionVerb(const v1::DiariumEntry& entry);
// "2026-11-22 01:23:45 UTC".
std::string FormatMicros(int64_t unix_micros);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_WORKFLOW_H_
