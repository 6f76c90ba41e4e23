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

// The judgements `assessment` asks for before the categories that are not
// already allowed outright can be disclosed (JUDGEMENT_REQUIRED findings of
// the provisions in allowed_if_attested_by), in order, without duplicates.
std::vector<Judgement> RequiredJudgements(const v1::Assessment& assessment);

// Parses CaseSummary.judgements_required ("10:18a/konkret_risk").
std::vector<Judgement> ParseJudgements(const google::protobuf::RepeatedPtrField<std::string>& keys);

// The members of `required` that no attestation (with a motivation) covers.
std::vector<Judgement> MissingJudgements(const std::vector<Judgement>& required,
                                         const std::vector<v1::Attestation>& given);

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
