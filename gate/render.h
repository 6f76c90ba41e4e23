// Human-readable views of the gate: an Assessment as text, the provisions in
// force on a date, and the table of routes the rulebook produces.
//
// Text is Swedish (the language of the law) or English. Everything shown is
// taken from the Assessment and the rulebook's own explanations; nothing here
// decides anything. Pure functions; thread-safe.
#ifndef SLUSS_GATE_RENDER_H_
#define SLUSS_GATE_RENDER_H_

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gate/rulebook.h"
#include "sluss/v1/gate.pb.h"

namespace sluss::gate {

enum class Lang { kSv, kEn };

// The assessment as a report: outcome, citations, reasons, judgements to
// attest, expected secrecy at the recipient. `rulebook` must be the one that
// produced it (same digest); otherwise texts may be missing.
std::string RenderAssessment(const Rulebook& rulebook, const v1::Assessment& assessment, Lang lang);

// The Facts field path a FactField stands for, e.g. "subject.age_years" for
// FACT_SUBJECT_AGE_YEARS; "" for FACT_FIELD_UNSPECIFIED (and unknown values).
const char* FactFieldPath(v1::FactField field);

// What an assessment that is not ALLOWED still lacks, for error messages
// and audit reports: for each category not yet allowed, each provision that
// would apply once attested, as "<category> under <provision>: <judgement>,
// ..."; and the categories whose outcome is NOT_ALLOWED. Both empty for an
// ALLOWED assessment.
std::vector<std::string> MissingAttestations(const v1::Assessment& assessment);
std::vector<std::string> NotAllowedCategories(const v1::Assessment& assessment);

// One line of explanation for a finding of `result`.
std::string RenderFinding(const Rulebook& rulebook, const v1::ProvisionResult& result,
                          const v1::Finding& finding, Lang lang);

// The disclosure provisions in force on `date`, with what they break, whom
// they allow and what they require (⚖ marks judgements).
std::string RenderRules(const Rulebook& rulebook, absl::CivilDay date, Lang lang);

// The same for machines: every disclosure provision of the rulebook, each
// with only the version in force on `date` (none if it is not in force), in
// rulebook order. `sluss gate rules --json` prints it.
std::vector<v1::DisclosureProvision> RulesInForce(const Rulebook& rulebook, absl::CivilDay date);

// A structural route: `provision` can break `category`'s secrecy towards
// `recipient_kind` on the date, subject to its conditions. `via_role` is set
// when the recipient matches only through a role it must have in the case
// (e.g. "ingripande_mot_brott").
struct Route {
  std::string category;
  std::string recipient_kind;
  std::string provision;
  std::string via_role;
};

// Every route for every category and recipient agency kind on `date`,
// ignoring conditions on the facts. Rulebook order.
std::vector<Route> Routes(const Rulebook& rulebook, absl::CivilDay date);

// The route table as Markdown (docs/GATE.md embeds it): one row per
// category, one column per recipient kind in `recipient_kinds`.
std::string RenderRouteTable(const Rulebook& rulebook, absl::CivilDay date,
                             const std::vector<std::string>& recipient_kinds);

}  // namespace sluss::gate

#endif  // SLUSS_GATE_RENDER_H_
