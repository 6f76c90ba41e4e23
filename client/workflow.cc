#include "client/workflow.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "sluss/v1/action.pb.h"

namespace sluss::client {

absl::StatusOr<v1::AgencyRef> ParseAgencyRef(absl::string_view text) {
  const size_t colon = text.find(':');
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == text.size() ||
      text.find(':', colon + 1) != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--to \"", text, "\" is not ORGNR:FUNCTION, e.g. 212000-0142:socialtjanst (see `sluss agencies`)"));
  }
  v1::AgencyRef ref;
  ref.set_orgnr(std::string(text.substr(0, colon)));
  ref.set_function(std::string(text.substr(colon + 1)));
  return ref;
}

absl::StatusOr<v1::Attestation> ParseAttestation(absl::string_view text, absl::string_view officer) {
  const size_t eq = text.find('=');
  const absl::string_view head = text.substr(0, eq);
  const size_t colon = head.rfind(':');
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--attest \"", text, "\": ", why,
                     "; write PROVISION:JUDGEMENT=MOTIVATION, e.g. 10:18a:konkret_risk=\"Upprepade iakttagelser\""));
  };
  if (eq == absl::string_view::npos) return bad("no '=' before the motivation");
  if (colon == absl::string_view::npos || colon == 0 || colon + 1 == head.size()) {
    return bad("no PROVISION:JUDGEMENT before '='");
  }
  const absl::string_view motivation = absl::StripAsciiWhitespace(text.substr(eq + 1));
  if (motivation.empty()) return bad("the motivation is empty (an attestation without one does not count)");
  v1::Attestation a;
  a.set_provision(std::string(head.substr(0, colon)));
  a.set_judgement(std::string(head.substr(colon + 1)));
  a.set_officer(std::string(officer));
  a.set_motivation(std::string(motivation));
  return a;
}

std::vector<std::vector<AttestationOption>> AttestationOptions(const v1::Assessment& assessment) {
  std::vector<std::vector<AttestationOption>> out;
  for (const v1::CategoryAssessment& cat : assessment.categories()) {
    if (cat.allowed_by_size() > 0) continue;
    std::vector<AttestationOption> options;
    for (const v1::ProvisionResult& p : cat.provisions()) {
      if (std::find(cat.allowed_if_attested_by().begin(), cat.allowed_if_attested_by().end(), p.provision()) ==
          cat.allowed_if_attested_by().end()) {
        continue;
      }
      AttestationOption option{p.provision(), {}};
      for (const v1::Finding& f : p.findings()) {
        if (f.reason() == v1::JUDGEMENT_REQUIRED) option.judgements.push_back({p.provision(), f.ref()});
      }
      options.push_back(std::move(option));
    }
    if (!options.empty()) out.push_back(std::move(options));
  }
  return out;
}

namespace {
std::vector<Judgement> Uncovered(const std::vector<Judgement>& required, const std::vector<v1::Attestation>& given) {
  std::vector<Judgement> missing;
  for (const Judgement& j : required) {
    const bool covered = std::any_of(given.begin(), given.end(), [&j](const v1::Attestation& a) {
      return a.provision() == j.provision && a.judgement() == j.judgement && !a.motivation().empty();
    });
    if (!covered) missing.push_back(j);
  }
  return missing;
}
}  // namespace

std::vector<Judgement> MissingJudgements(const v1::Assessment& assessment, const std::string& claimed_basis,
                                         const std::vector<v1::Attestation>& given,
                                         std::vector<std::string>* alternatives) {
  std::vector<Judgement> missing;
  for (const std::vector<AttestationOption>& options : AttestationOptions(assessment)) {
    const AttestationOption* best = nullptr;
    std::vector<Judgement> best_missing;
    bool satisfied = false;
    for (const AttestationOption& o : options) {
      std::vector<Judgement> m = Uncovered(o.judgements, given);
      if (m.empty()) satisfied = true;
      const bool preferred = o.provision == claimed_basis;
      if (best == nullptr || preferred || (best->provision != claimed_basis && m.size() < best_missing.size())) {
        best = &o;
        best_missing = std::move(m);
      }
    }
    if (satisfied || best == nullptr) continue;
    for (const Judgement& j : best_missing) {
      if (std::none_of(missing.begin(), missing.end(), [&j](const Judgement& k) { return k.Key() == j.Key(); })) {
        missing.push_back(j);
      }
    }
    if (alternatives != nullptr) {
      for (const AttestationOption& o : options) {
        if (&o == best) continue;
        std::vector<std::string> keys;
        for (const Judgement& j : o.judgements) keys.push_back(absl::StrCat(j.provision, ":", j.judgement));
        alternatives->push_back(keys.empty() ? o.provision : absl::StrJoin(keys, " + "));
      }
    }
  }
  return missing;
}

namespace {
template <typename E>
std::string EnumName(const std::string& name) {
  return absl::AsciiStrToLower(name);
}
}  // namespace

std::string StateName(v1::CaseState state) { return EnumName<v1::CaseState>(v1::CaseState_Name(state)); }
std::string KindName(v1::CaseKind kind) { return EnumName<v1::CaseKind>(v1::CaseKind_Name(kind)); }
std::string OutcomeName(v1::Outcome outcome) { return EnumName<v1::Outcome>(v1::Outcome_Name(outcome)); }

std::string EntryKindName(const v1::DiariumEntry& entry) {
  switch (entry.kind_case()) {
    case v1::DiariumEntry::kAgency: return "agency";
    case v1::DiariumEntry::kOfficer: return "officer";
    case v1::DiariumEntry::kRevocation: return "revocation";
    case v1::DiariumEntry::kRulebookChunk: return "rulebook_chunk";
    case v1::DiariumEntry::kRulebookActivation: return "rulebook_activation";
    case v1::DiariumEntry::kRequest: return "request";
    case v1::DiariumEntry::kDecision: return "decision";
    case v1::DiariumEntry::kSend: return "send";
    case v1::DiariumEntry::kReceipt: return "receipt";
    default: return "unknown";
  }
}

namespace {
const v1::DsseEnvelope* EntryEnvelope(const v1::DiariumEntry& entry) {
  switch (entry.kind_case()) {
    case v1::DiariumEntry::kRequest: return &entry.request().action();
    case v1::DiariumEntry::kDecision: return &entry.decision().action();
    case v1::DiariumEntry::kSend: return &entry.send().action();
    case v1::DiariumEntry::kReceipt: return &entry.receipt().action();
    case v1::DiariumEntry::kRevocation: return &entry.revocation().action();
    default: return nullptr;
  }
}
}  // namespace

std::string EntrySigner(const v1::DiariumEntry& entry) {
  const v1::DsseEnvelope* env = EntryEnvelope(entry);
  if (env == nullptr || env->signatures_size() == 0) return "";
  return env->signatures(0).keyid();
}

const v1::Assessment* EntryAssessment(const v1::DiariumEntry& entry) {
  switch (entry.kind_case()) {
    case v1::DiariumEntry::kRequest: return &entry.request().assessment();
    case v1::DiariumEntry::kDecision:
      return entry.decision().has_assessment() ? &entry.decision().assessment() : nullptr;
    case v1::DiariumEntry::kSend: return &entry.send().assessment();
    default: return nullptr;
  }
}

std::string DecisionVerb(const v1::DiariumEntry& entry) {
  if (!entry.has_decision()) return "";
  v1::Action action;
  if (!action.ParseFromString(entry.decision().action().payload())) return "";
  if (action.decide().has_disclose()) return "disclose";
  if (action.decide().has_refuse()) return "refuse";
  return "";
}

std::string FormatMicros(int64_t unix_micros) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMicros(unix_micros), absl::UTCTimeZone());
}

}  // namespace sluss::client
