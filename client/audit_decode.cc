// client/audit_decode.h.
#include "client/audit_decode.h"

#include <google/protobuf/util/json_util.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "crypto/hash.h"
#include "exchange/action.h"

namespace sluss::client {
namespace {

class Table {
 public:
  void Add(absl::string_view label, absl::string_view value) {
    absl::StrAppendFormat(&out_, "%-14s %s\n", absl::StrCat(label, ":"), value);
  }
  void Line(absl::string_view text) { absl::StrAppend(&out_, "               ", text, "\n"); }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string Time(int64_t micros) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S UTC", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

std::string Agency(const v1::AgencyRef& a) { return exchange::AgencyKey(a); }

std::string Hex(absl::string_view b, size_t n = 64) { return crypto::ToHex(b).substr(0, n); }

void Facts(Table& t, const v1::Facts& f) {
  t.Add("categories", absl::StrJoin(f.categories(), ", "));
  if (f.purposes_size() > 0) t.Add("purposes", absl::StrJoin(f.purposes(), ", "));
  t.Add("parties", absl::StrCat("discloser ", Agency(f.discloser().agency()), " (", f.discloser().agency_kind(),
                                ") → recipient ", Agency(f.recipient().agency()), " (", f.recipient().agency_kind(), ")"));
  if (f.subject().has_age_years()) t.Add("subject age", absl::StrCat(f.subject().age_years(), " years"));
  if (!f.claimed_basis().empty()) t.Add("claimed basis", f.claimed_basis());
  if (f.duty_laws_size() > 0) t.Add("duty laws", absl::StrJoin(f.duty_laws(), ", "));
  for (const v1::Attestation& a : f.attestations()) {
    t.Add("attestation", absl::StrCat(a.provision(), "/", a.judgement(), " by ", a.officer(), ": \"",
                                      a.motivation(), "\""));
  }
}

void Assessment(Table& t, const v1::Assessment& a) {
  if (a.rulebook_digest().empty()) return;
  t.Add("gate", absl::StrCat(v1::Outcome_Name(a.outcome()), " on ", a.decision_date(), " under ", a.rulebook_id(),
                             " ", a.rulebook_edition(), " (", a.rulebook_digest().substr(0, 19), "…)"));
  for (const auto& c : a.categories()) {
    t.Line(absl::StrCat(c.category(), " (", c.secrecy_provision(), "): ", v1::Outcome_Name(c.outcome())));
    std::vector<std::string> others;
    for (const auto& p : c.provisions()) {
      if (p.status() != v1::APPLIES && p.status() != v1::APPLIES_IF_ATTESTED) {
        others.push_back(p.provision());
        continue;
      }
      std::vector<std::string> judgements;
      for (const auto& f : p.findings()) {
        if (f.reason() == v1::JUDGEMENT_REQUIRED) judgements.push_back(f.ref());
      }
      t.Line(absl::StrCat("  ", p.provision(), " ", v1::ProvisionStatus_Name(p.status()),
                          judgements.empty() ? "" : absl::StrCat(" — needs ", absl::StrJoin(judgements, ", "))));
    }
    if (!others.empty()) t.Line(absl::StrCat("  not applicable: ", absl::StrJoin(others, " ")));
  }
}

void Action(Table& t, const v1::DsseEnvelope& env) {
  absl::StatusOr<v1::Action> a = exchange::ParseActionUnverified(env);
  std::vector<std::string> keyids;
  for (const auto& s : env.signatures()) keyids.push_back(s.keyid());
  if (!a.ok()) {
    t.Add("signed action", absl::StrCat("does not parse: ", a.status().message()));
    return;
  }
  t.Add("officer", absl::StrCat(a->officer(), " of ", Agency(a->agency()), ", signed ",
                                Time(a->signed_at_unix_micros()), " (DSSE keyid ", absl::StrJoin(keyids, ", "), ")"));
  t.Add("idempotency", a->idempotency_key());
  if (a->has_request()) {
    t.Add("question", absl::StrCat("envelope sha256 ", Hex(a->request().question_digest())));
  }
  if (a->has_decide() && a->decide().has_disclose()) {
    t.Add("answer", absl::StrCat("envelope sha256 ", Hex(a->decide().disclose().envelope_digest())));
    t.Add("motivation", absl::StrCat("\"", a->decide().disclose().motivation(), "\""));
  }
  if (a->has_decide() && a->decide().has_refuse()) {
    for (const auto& r : a->decide().refuse().reasons()) t.Add("reason", absl::StrCat("\"", r, "\""));
  }
  if (a->has_send()) {
    t.Add("content", absl::StrCat("envelope sha256 ", Hex(a->send().envelope_digest())));
    t.Add("motivation", absl::StrCat("\"", a->send().motivation(), "\""));
  }
  if (a->has_acknowledge()) {
    t.Add("received", absl::StrCat("envelope sha256 ", Hex(a->acknowledge().envelope_digest())));
  }
  if (a->has_revoke_key()) t.Add("reason", absl::StrCat("\"", a->revoke_key().reason(), "\""));
}

void Opening(Table& t, const v1::CaseOpening& op) {
  t.Add("case", op.case_id());
  t.Add("from", absl::StrCat(Agency(op.from()), "  diarienummer ", op.from_diarienummer()));
  t.Add("to", absl::StrCat(Agency(op.to()), "  diarienummer ", op.to_diarienummer()));
  t.Add("subject", absl::StrCat("pseudonym ", op.subject_pseudonym().substr(0, 16), "…, commitment ",
                                Hex(op.subject_commitment(), 16), "…"));
}

}  // namespace

std::string EntryKindLabel(const v1::DiariumEntry& e) {
  switch (e.kind_case()) {
    case v1::DiariumEntry::kAgency:
      return "agency registration";
    case v1::DiariumEntry::kOfficer:
      return "officer registration";
    case v1::DiariumEntry::kRevocation:
      return "key revocation";
    case v1::DiariumEntry::kRulebookChunk:
      return "rulebook chunk";
    case v1::DiariumEntry::kRulebookActivation:
      return "rulebook activation";
    case v1::DiariumEntry::kRequest:
      return "request";
    case v1::DiariumEntry::kDecision:
      return e.decision().has_facts() ? "decision (disclose)" : "decision (refuse)";
    case v1::DiariumEntry::kSend:
      return "send (own initiative or duty notice)";
    case v1::DiariumEntry::kReceipt:
      return "receipt";
    case v1::DiariumEntry::KIND_NOT_SET:
      break;
  }
  return "unknown";
}

const v1::DsseEnvelope* SignedEnvelope(const v1::DiariumEntry& e) {
  if (e.has_request()) return &e.request().action();
  if (e.has_decision()) return &e.decision().action();
  if (e.has_send()) return &e.send().action();
  if (e.has_receipt()) return &e.receipt().action();
  if (e.has_revocation()) return &e.revocation().action();
  return nullptr;
}

std::string EntryTable(const v1::DiariumEntry& e) {
  Table t;
  t.Add("time", Time(e.time_unix_micros()));
  t.Add("kind", EntryKindLabel(e));
  switch (e.kind_case()) {
    case v1::DiariumEntry::kAgency: {
      const auto& a = e.agency();
      t.Add("agency", absl::StrCat(Agency(a.agency()), "  \"", a.name(), "\""));
      t.Add("agency kind", a.kind());
      t.Add("diarienummer", a.diarienummer_format());
      t.Add("sealing key", absl::StrCat("X25519 ", absl::Base64Escape(a.encryption_key())));
      t.Add("may audit", a.may_audit() ? "yes" : "no");
      break;
    }
    case v1::DiariumEntry::kOfficer: {
      const auto& o = e.officer();
      std::vector<std::string> roles;
      for (int r : o.roles()) roles.push_back(v1::Role_Name(static_cast<v1::Role>(r)));
      t.Add("officer", absl::StrCat(o.id(), " of ", Agency(o.agency())));
      t.Add("roles", absl::StrJoin(roles, ", "));
      if (o.delegation_categories_size() > 0) t.Add("delegation", absl::StrJoin(o.delegation_categories(), ", "));
      t.Add("signing key", absl::StrCat("Ed25519 ", absl::Base64Escape(o.signing_key())));
      break;
    }
    case v1::DiariumEntry::kRevocation:
      t.Add("revoked", e.revocation().officer());
      Action(t, e.revocation().action());
      break;
    case v1::DiariumEntry::kRulebookChunk:
      t.Add("rulebook", e.rulebook_chunk().digest());
      t.Add("chunk", absl::StrCat(e.rulebook_chunk().index() + 1, " of ", e.rulebook_chunk().count(), ", ",
                                  e.rulebook_chunk().data().size(), " bytes"));
      break;
    case v1::DiariumEntry::kRulebookActivation: {
      const auto& a = e.rulebook_activation();
      t.Add("rulebook", absl::StrCat(a.rulebook_id(), " ", a.edition()));
      t.Add("digest", a.digest());
      t.Add("text", a.chunks() > 0 ? absl::StrCat("in the ", a.chunks(), " chunk entries before this one")
                                   : absl::StrCat(a.rulebook().size(), " bytes in this entry"));
      break;
    }
    case v1::DiariumEntry::kRequest:
      Opening(t, e.request().opening());
      Action(t, e.request().action());
      Facts(t, e.request().facts());
      Assessment(t, e.request().assessment());
      break;
    case v1::DiariumEntry::kSend:
      Opening(t, e.send().opening());
      Action(t, e.send().action());
      Facts(t, e.send().facts());
      Assessment(t, e.send().assessment());
      break;
    case v1::DiariumEntry::kDecision:
      t.Add("case", e.decision().case_id());
      Action(t, e.decision().action());
      if (e.decision().has_facts()) Facts(t, e.decision().facts());
      Assessment(t, e.decision().assessment());
      break;
    case v1::DiariumEntry::kReceipt:
      t.Add("case", e.receipt().case_id());
      Action(t, e.receipt().action());
      break;
    case v1::DiariumEntry::KIND_NOT_SET:
      break;
  }
  return t.Take();
}

absl::StatusOr<std::string> ToProtoJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = false;
  auto s = google::protobuf::util::MessageToJsonString(m, &out, o);
  if (!s.ok()) return absl::InternalError(absl::StrCat("JSON: ", s.ToString()));
  return out;
}

}  // namespace sluss::client
