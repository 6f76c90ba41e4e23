#include "gate/render.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "gate/compiled.h"

namespace sluss::gate {
namespace {

using internal::Compiled;
using internal::Version;

const std::string& T(const v1::Text& t, Lang lang) { return lang == Lang::kSv ? t.sv() : t.en(); }

const char* L(Lang lang, const char* sv, const char* en) { return lang == Lang::kSv ? sv : en; }

std::string SecrecyCitation(const Rulebook& rb, const std::string& id) {
  const v1::SecrecyProvision* s = rb.FindSecrecyProvision(id);
  return s != nullptr ? s->citation() : id;
}

std::string ProvisionCitation(const Rulebook& rb, const std::string& id) {
  const v1::DisclosureProvision* p = rb.FindDisclosureProvision(id);
  return p != nullptr ? p->citation() : id;
}

const char* OutcomeText(v1::Outcome o, Lang lang) {
  switch (o) {
    case v1::ALLOWED:
      return L(lang, "TILLÅTET", "ALLOWED");
    case v1::ALLOWED_IF_ATTESTED:
      return L(lang, "TILLÅTET OM INTYGAT", "ALLOWED IF ATTESTED");
    case v1::NOT_ALLOWED:
      return L(lang, "EJ TILLÅTET", "NOT ALLOWED");
    default:
      return "?";
  }
}

const char* StatusText(v1::ProvisionStatus s, Lang lang) {
  switch (s) {
    case v1::APPLIES:
      return L(lang, "tillämplig", "applies");
    case v1::APPLIES_IF_ATTESTED:
      return L(lang, "tillämplig om intygat", "applies if attested");
    case v1::DOES_NOT_APPLY:
      return L(lang, "ej tillämplig", "does not apply");
    default:
      return "?";
  }
}

const v1::ProvisionVersion* VersionUsed(const Rulebook& rb, const v1::ProvisionResult& r) {
  const v1::DisclosureProvision* p = rb.FindDisclosureProvision(r.provision());
  if (p == nullptr) return nullptr;
  for (const v1::ProvisionVersion& v : p->versions()) {
    if (v.valid_from() == r.version_from()) return &v;
  }
  return nullptr;
}

const v1::Judgement* FindJudgementIn(const v1::Condition& c, const std::string& id) {
  if (c.has_judgement() && c.judgement().id() == id) return &c.judgement();
  const v1::ConditionList* list =
      c.has_any_of() ? &c.any_of() : c.has_all_of() ? &c.all_of() : nullptr;
  if (list != nullptr) {
    for (const v1::Condition& child : list->conditions()) {
      if (const v1::Judgement* j = FindJudgementIn(child, id)) return j;
    }
  }
  return nullptr;
}

// The text of judgement `ref` ("id" or "<duty law>/<id>").
std::string JudgementText(const Rulebook& rb, const v1::ProvisionVersion* v, const std::string& ref,
                          Lang lang) {
  const size_t slash = ref.find('/');
  if (slash != std::string::npos) {
    const v1::DutyLaw* law = rb.FindDutyLaw(ref.substr(0, slash));
    if (law != nullptr) {
      for (const v1::Judgement& j : law->judgements()) {
        if (j.id() == ref.substr(slash + 1)) return absl::StrCat(T(j.text(), lang), " (", law->citation(), ")");
      }
    }
    return ref;
  }
  if (v != nullptr) {
    for (const v1::Condition& c : v->conditions()) {
      if (const v1::Judgement* j = FindJudgementIn(c, ref)) return T(j->text(), lang);
    }
  }
  return ref;
}

std::string ConditionText(const v1::ProvisionVersion* v, const std::string& id, Lang lang) {
  if (v == nullptr || id.empty()) return id;
  const v1::Condition* c = Rulebook::FindCondition(*v, id);
  if (c == nullptr || T(c->explanation(), lang).empty()) return id;
  return T(c->explanation(), lang);
}

std::string DutyLawName(const Rulebook& rb, const std::string& id) {
  const v1::DutyLaw* law = rb.FindDutyLaw(id);
  return law != nullptr ? law->citation() : id;
}

}  // namespace

const char* FactFieldPath(v1::FactField field) {
  switch (field) {
    case v1::FACT_CATEGORIES:
      return "categories";
    case v1::FACT_CONSENT:
      return "consent";
    case v1::FACT_CRIME:
      return "crime";
    case v1::FACT_CRIME_AGAINST_NARSTAENDE:
      return "crime.against_narstaende";
    case v1::FACT_CRIME_FORM:
      return "crime.form";
    case v1::FACT_CRIME_MINIMUM_PENALTY_MONTHS:
      return "crime.minimum_penalty_months";
    case v1::FACT_CRIME_OFFENCE_CLASSES:
      return "crime.offence_classes";
    case v1::FACT_CRIME_PRISON_IN_SCALE:
      return "crime.prison_in_scale";
    case v1::FACT_CRIME_STAGE:
      return "crime.stage";
    case v1::FACT_CRIME_VICTIM_AGE_YEARS:
      return "crime.victim_age_years";
    case v1::FACT_DISCLOSER_AGENCY_KIND:
      return "discloser.agency_kind";
    case v1::FACT_DUTY_LAWS:
      return "duty_laws";
    case v1::FACT_INFORMATION_KINDS:
      return "information_kinds";
    case v1::FACT_PURPOSES:
      return "purposes";
    case v1::FACT_RECIPIENT:
      return "recipient";
    case v1::FACT_SUBJECT_AGE_YEARS:
      return "subject.age_years";
    default:
      return "";
  }
}

std::string RenderFinding(const Rulebook& rb, const v1::ProvisionResult& r, const v1::Finding& f,
                          Lang lang) {
  const v1::ProvisionVersion* v = VersionUsed(rb, r);
  const std::string cond = ConditionText(v, f.condition(), lang);
  switch (f.reason()) {
    case v1::NOT_IN_FORCE:
      if (!f.condition().empty()) {
        return absl::StrCat(L(lang, "uppgiftsskyldigheten enligt ", "the duty under "),
                            DutyLawName(rb, f.ref()),
                            L(lang, " gäller inte på beslutsdagen", " is not in force on the decision date"));
      }
      if (!f.ref().empty()) {
        return absl::StrCat(L(lang, "inte i kraft på beslutsdagen (gäller från ", "not in force on the decision date (in force from "),
                            f.ref(), ")");
      }
      return L(lang, "inte i kraft på beslutsdagen", "not in force on the decision date");
    case v1::VERSION_NOT_ENCODED:
      return L(lang,
               "lydelsen som gällde på beslutsdagen finns inte i regelboken (ej verifierad); pröva manuellt",
               "the text in force on the decision date is not in the rulebook (unverified); assess by hand");
    case v1::SECRECY_NOT_REACHED:
      return absl::StrCat(L(lang, "bryter inte sekretessen enligt ", "does not break secrecy under "),
                          SecrecyCitation(rb, f.ref()));
    case v1::SECRECY_EXCLUDED:
      if (rb.FindDisclosureProvision(f.ref()) != nullptr) {
        return absl::StrCat(L(lang, "undantar sekretess som ", "excludes secrecy that "),
                            ProvisionCitation(rb, f.ref()),
                            L(lang, " räknar upp, och kategorins sekretess är en sådan",
                              " lists, and the category's secrecy is one of it"));
      }
      return absl::StrCat(L(lang, "sekretessen enligt ", "secrecy under "), SecrecyCitation(rb, f.ref()),
                          L(lang, " är undantagen", " is excluded"));
    case v1::SECRECY_PROTECTS_PUBLIC_INTEREST:
      return absl::StrCat(L(lang, "sekretessen enligt ", "secrecy under "), SecrecyCitation(rb, f.ref()),
                          L(lang, " skyddar ett allmänt intresse, inte den enskilde",
                            " protects a public interest, not the individual"));
    case v1::WRONG_RECIPIENT:
      if (!f.ref().empty()) {
        return absl::StrCat(L(lang, "uppgiftsskyldigheten enligt ", "the duty under "), DutyLawName(rb, f.ref()),
                            L(lang, " gäller inte mot denna mottagare", " is not owed to this recipient"));
      }
      return L(lang, "mottagaren är inte en myndighet som bestämmelsen tillåter",
               "the recipient is not an authority the provision allows");
    case v1::WRONG_DISCLOSER:
      if (!f.ref().empty()) {
        return absl::StrCat(L(lang, "uppgiftsskyldigheten enligt ", "the duty under "), DutyLawName(rb, f.ref()),
                            L(lang, " gäller inte för den utlämnande myndigheten",
                              " does not bind the disclosing authority"));
      }
      return absl::StrCat(L(lang, "fel utlämnande myndighet: ", "wrong discloser: "), cond);
    case v1::AGE:
      return absl::StrCat(L(lang, "ålder: villkoret är under ", "age: the condition is under "), f.limit(),
                          L(lang, " år, den enskilde är ", " years, the person is "), f.actual(),
                          " (", cond, ")");
    case v1::PURPOSE:
      return absl::StrCat(L(lang, "ändamålet saknas: ", "purpose missing: "), cond);
    case v1::CRIME_STAGE:
      if (f.field() == v1::FACT_CRIME) {
        return absl::StrCat(L(lang, "inga brottsuppgifter i faktaunderlaget: ", "no crime in the facts: "), cond);
      }
      return absl::StrCat(L(lang, "brottsuppgifterna (begånget, pågående, risk) passar inte: ",
                            "the crime's stage (committed, ongoing, risk) does not fit: "),
                          cond);
    case v1::CRIME_FORM:
      return absl::StrCat(L(lang, "brottets form (fullbordat, försök, förberedelse, stämpling) passar inte: ",
                            "the crime's form (completed, attempt, preparation, conspiracy) does not fit: "),
                          cond);
    case v1::OFFENCE_CLASS:
      return absl::StrCat(L(lang, "brottet är inte av uppräknat slag: ", "the crime is not of a listed kind: "),
                          cond);
    case v1::PENALTY_THRESHOLD:
      return absl::StrCat(L(lang, "straffvärdetröskeln är inte nådd: lägsta straff ",
                            "penalty threshold not met: minimum penalty "),
                          f.actual(), L(lang, " månader, krävs minst ", " months, at least "), f.limit(),
                          L(lang, " månader", " months required"));
    case v1::NO_PRISON_IN_SCALE:
      return L(lang, "fängelse ingår inte i straffskalan", "imprisonment is not in the penalty scale");
    case v1::VICTIM_AGE:
      return absl::StrCat(L(lang, "brottsoffrets ålder: villkoret är under ", "victim's age: the condition is under "),
                          f.limit(), L(lang, " år, brottsoffret är ", " years, the victim is "), f.actual());
    case v1::NOT_AGAINST_NARSTAENDE:
      return L(lang, "brottet riktar sig inte mot en närstående",
               "the crime is not directed at a family member");
    case v1::NO_CONSENT:
      return L(lang, "samtycke från den enskilde med dokumenterad referens saknas",
               "no recorded consent from the protected person");
    case v1::NO_DUTY:
      return L(lang, "ingen uppgiftsskyldighet enligt lag eller förordning har angetts",
               "no duty to disclose under an act or ordinance was given");
    case v1::INFORMATION_KIND:
      return absl::StrCat(L(lang, "uppgiftstypen är inte tillåten: ", "kind of information not allowed: "),
                          cond);
    case v1::PRIMARY_SECRECY:
      return absl::StrCat(L(lang, "villkoret gäller inte sekretessen enligt ",
                            "the condition does not cover secrecy under "),
                          SecrecyCitation(rb, f.ref()), " (", cond, ")");
    case v1::SETTING_OFF: {
      std::string text = f.ref();
      for (const v1::Setting& s : rb.proto().settings()) {
        if (s.id() == f.ref()) text = absl::StrCat(f.ref(), ": ", T(s.explanation(), lang));
      }
      return absl::StrCat(L(lang, "regelbokens inställning är avstängd: ", "rulebook setting is off: "), text);
    }
    case v1::MISSING_FACT:
      return absl::StrCat(L(lang, "uppgift saknas i faktaunderlaget: ", "fact missing: "), FactFieldPath(f.field()), " (",
                          cond, ")");
    case v1::EXCLUDED_BY_CONDITION:
      return absl::StrCat(L(lang, "utesluts: ", "excluded: "), cond);
    case v1::JUDGEMENT_REQUIRED:
      return absl::StrCat(L(lang, "⚖ att intyga [", "⚖ to attest ["), f.ref(), "]: ",
                          JudgementText(rb, v, f.ref(), lang));
    case v1::JUDGEMENT_ATTESTED:
      return absl::StrCat(L(lang, "⚖ intygat [", "⚖ attested ["), f.ref(), "]: ",
                          JudgementText(rb, v, f.ref(), lang));
    case v1::RESIDUAL:
      return absl::StrCat(L(lang, "används inte: ", "not used: "), ProvisionCitation(rb, f.ref()),
                          L(lang, " är redan tillämplig och denna bestämmelse är subsidiär",
                            " already applies and this provision is residual"));
    case v1::NO_ALTERNATIVE_MET:
      return absl::StrCat(L(lang, "inget av alternativen är uppfyllt: ", "none of the alternatives holds: "),
                          cond);
    default:
      return absl::StrCat("reason ", static_cast<int>(f.reason()));
  }
}

std::string RenderAssessment(const Rulebook& rb, const v1::Assessment& a, Lang lang) {
  std::string out;
  absl::StrAppend(&out, L(lang, "Bedömning: ", "Outcome: "), OutcomeText(a.outcome(), lang), "\n");
  absl::StrAppend(&out, L(lang, "Beslutsdag: ", "Decision date: "), a.decision_date(), "\n");
  absl::StrAppend(&out, L(lang, "Regelbok: ", "Rulebook: "), a.rulebook_id(), " ", a.rulebook_edition(), " (",
                  a.rulebook_digest(), ")\n");
  if (a.has_claimed_basis()) {
    const v1::ClaimedBasisResult& cb = a.claimed_basis();
    absl::StrAppend(&out, L(lang, "Åberopad grund: ", "Claimed basis: "), ProvisionCitation(rb, cb.provision()),
                    " — ");
    if (!cb.known()) {
      absl::StrAppend(&out, L(lang, "finns inte i regelboken", "not in the rulebook"), "\n");
    } else {
      absl::StrAppend(&out,
                      cb.status() == v1::APPLIES ? L(lang, "tillämplig", "applies")
                      : cb.status() == v1::APPLIES_IF_ATTESTED
                          ? L(lang, "tillämplig om intygad", "applies if attested")
                          : L(lang, "KAN INTE TILLÄMPAS (se skälen nedan)", "CANNOT APPLY (see the reasons below)"),
                      "\n");
    }
  }
  for (const v1::CategoryAssessment& ca : a.categories()) {
    const v1::InformationCategory* cat = rb.FindCategory(ca.category());
    absl::StrAppend(&out, "\n", L(lang, "Kategori: ", "Category: "),
                    cat != nullptr ? T(cat->name(), lang) : ca.category(), " (",
                    SecrecyCitation(rb, ca.secrecy_provision()), ") — ", OutcomeText(ca.outcome(), lang), "\n");
    auto cites = [&](const google::protobuf::RepeatedPtrField<std::string>& ids) {
      std::vector<std::string> c;
      for (const std::string& id : ids) c.push_back(ProvisionCitation(rb, id));
      return absl::StrJoin(c, ", ");
    };
    if (!ca.allowed_by().empty()) {
      absl::StrAppend(&out, L(lang, "  Tillåtet enligt: ", "  Allowed under: "), cites(ca.allowed_by()), "\n");
    }
    if (!ca.allowed_if_attested_by().empty()) {
      absl::StrAppend(&out, L(lang, "  Tillåtet om intygat enligt: ", "  Allowed if attested under: "),
                      cites(ca.allowed_if_attested_by()), "\n");
    }
    if (ca.outcome() == v1::NOT_ALLOWED) {
      absl::StrAppend(&out, L(lang, "  Ingen bestämmelse medger utlämnandet.\n",
                              "  No provision allows the disclosure.\n"));
    }
    absl::StrAppend(&out, L(lang, "  Prövade bestämmelser:\n", "  Provisions considered:\n"));
    for (const v1::ProvisionResult& r : ca.provisions()) {
      absl::StrAppend(&out, "    [", StatusText(r.status(), lang), "] ", r.citation());
      if (!r.version_from().empty()) {
        absl::StrAppend(&out, L(lang, " (lydelse från ", " (text from "), r.version_from(), ")");
      }
      if (r.unverified()) absl::StrAppend(&out, L(lang, " (ej verifierad)", " (unverified)"));
      absl::StrAppend(&out, "\n");
      for (const v1::Finding& f : r.findings()) {
        absl::StrAppend(&out, "        - ", RenderFinding(rb, r, f, lang), "\n");
      }
    }
    if (ca.outcome() != v1::NOT_ALLOWED) {
      absl::StrAppend(&out, L(lang, "  Sekretess hos mottagaren (7 kap. 2 § OSL): ",
                              "  Secrecy at the recipient (OSL 7:2): "));
      if (ca.recipient_secrecy().empty()) {
        absl::StrAppend(&out, L(lang, "ingen sekretess förväntas följa med uppgiften\n",
                                "no secrecy is expected to follow the information\n"));
      } else {
        std::vector<std::string> parts;
        for (const v1::ExpectedSecrecy& e : ca.recipient_secrecy()) {
          parts.push_back(absl::StrCat(SecrecyCitation(rb, e.provision()),
                                       e.transfer() ? L(lang, " (överförd sekretess)", " (transferred)")
                                                    : L(lang, " (om uppgiften omfattas där)",
                                                        " (if the information falls within it there)")));
        }
        absl::StrAppend(&out, absl::StrJoin(parts, "; "), "\n");
      }
    }
  }
  return out;
}

namespace {

std::string RecipientsText(const Rulebook& rb, const v1::RecipientRule& r, Lang lang) {
  if (r.any_authority()) return L(lang, "alla myndigheter", "any authority");
  std::vector<std::string> parts;
  for (const std::string& k : r.agency_kinds()) {
    const v1::AgencyKind* a = rb.FindAgencyKind(k);
    parts.push_back(a != nullptr ? T(a->name(), lang) : k);
  }
  for (const std::string& role : r.roles()) {
    std::string name = role;
    for (const v1::RecipientRole& rr : rb.proto().recipient_roles()) {
      if (rr.id() == role) name = T(rr.name(), lang);
    }
    parts.push_back(absl::StrCat(L(lang, "myndighet som ", "authority that "), name));
  }
  return absl::StrJoin(parts, "; ");
}

void CollectJudgements(const v1::Condition& c, std::vector<std::string>* out) {
  if (c.has_judgement()) out->push_back(c.judgement().id());
  const v1::ConditionList* list =
      c.has_any_of() ? &c.any_of() : c.has_all_of() ? &c.all_of() : nullptr;
  if (list != nullptr) {
    for (const v1::Condition& child : list->conditions()) CollectJudgements(child, out);
  }
}

}  // namespace

std::string RenderRules(const Rulebook& rb, absl::CivilDay date, Lang lang) {
  const Compiled& c = rb.compiled();
  std::string out;
  absl::StrAppend(&out, T(rb.proto().title(), lang), "\n", rb.proto().id(), " ", rb.proto().edition(), " (",
                  rb.digest(), ")\n", L(lang, "I kraft ", "In force on "), absl::FormatCivilTime(date), "\n");
  for (const internal::Provision& p : c.provisions) {
    const Version* v = p.VersionOn(date);
    absl::StrAppend(&out, "\n", p.proto->citation(), " — ", T(p.proto->title(), lang));
    if (v == nullptr) {
      absl::StrAppend(&out, L(lang, "\n  inte i kraft\n", "\n  not in force\n"));
      continue;
    }
    if (!v->proto->valid_from().empty()) {
      absl::StrAppend(&out, L(lang, " (lydelse från ", " (text from "), v->proto->valid_from(), ")");
    }
    if (v->unverified) absl::StrAppend(&out, L(lang, " (ej verifierad)", " (unverified)"));
    absl::StrAppend(&out, "\n  ", T(v->proto->explanation(), lang), "\n");
    if (v->not_encoded) continue;
    std::vector<std::string> reached;
    for (size_t s = 0; s < c.secrecy.size(); ++s) {
      int by = -1;
      if (c.secrecy[s]->protects() != v1::SecrecyProvision::TRANSFER &&
          internal::CheckReach(*v, static_cast<int>(s), c.VersionsOn(date), &by) == internal::ReachResult::kReached) {
        reached.push_back(c.secrecy[s]->id());
      }
    }
    absl::StrAppend(&out, L(lang, "  Bryter: ", "  Breaks: "),
                    reached.size() == c.secrecy.size() ? L(lang, "all sekretess", "all secrecy")
                                                       : absl::StrJoin(reached, ", "),
                    "\n");
    absl::StrAppend(&out, L(lang, "  Mottagare: ", "  Recipients: "),
                    RecipientsText(rb, v->proto->recipients(), lang), "\n");
    std::vector<std::string> judgements;
    for (const v1::Condition& cond : v->proto->conditions()) CollectJudgements(cond, &judgements);
    if (!judgements.empty()) {
      absl::StrAppend(&out, L(lang, "  ⚖ Bedömningar: ", "  ⚖ Judgements: "), absl::StrJoin(judgements, ", "),
                      "\n");
    }
  }
  return out;
}

std::vector<Route> Routes(const Rulebook& rb, absl::CivilDay date) {
  const Compiled& c = rb.compiled();
  std::vector<Route> routes;
  for (const v1::InformationCategory& cat : rb.proto().categories()) {
    const int s = c.category_secrecy[c.category_index.at(cat.id())];
    for (const v1::AgencyKind& kind : rb.proto().agency_kinds()) {
      const int k = c.agency_index.at(kind.id());
      for (const internal::Provision& p : c.provisions) {
        const Version* v = p.VersionOn(date);
        int by = -1;
        if (v == nullptr || v->not_encoded ||
            internal::CheckReach(*v, s, c.VersionsOn(date), &by) != internal::ReachResult::kReached) {
          continue;
        }
        Route r{cat.id(), kind.id(), p.proto->id(), ""};
        if (!v->recipients.any && !v->recipients.agency_kinds.test(k)) {
          if (v->recipients.roles.none()) continue;
          r.via_role = v->proto->recipients().roles(0);
        }
        routes.push_back(std::move(r));
      }
    }
  }
  return routes;
}

std::string RenderRouteTable(const Rulebook& rb, absl::CivilDay date,
                             const std::vector<std::string>& recipient_kinds) {
  const std::vector<Route> routes = Routes(rb, date);
  std::string out = "| Kategori (sekretess) |";
  std::string rule = "|---|";
  for (const std::string& k : recipient_kinds) {
    const v1::AgencyKind* a = rb.FindAgencyKind(k);
    absl::StrAppend(&out, " → ", a != nullptr ? a->name().sv() : k, " |");
    rule += "---|";
  }
  absl::StrAppend(&out, "\n", rule, "\n");
  for (const v1::InformationCategory& cat : rb.proto().categories()) {
    absl::StrAppend(&out, "| ", cat.name().sv(), " (", cat.secrecy_provision(), ") |");
    for (const std::string& k : recipient_kinds) {
      std::vector<std::string> cell;
      for (const Route& r : routes) {
        if (r.category == cat.id() && r.recipient_kind == k) {
          cell.push_back(r.via_role.empty() ? r.provision : absl::StrCat(r.provision, "*"));
        }
      }
      absl::StrAppend(&out, " ", absl::StrJoin(cell, ", "), " |");
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

std::vector<v1::DisclosureProvision> RulesInForce(const Rulebook& rb, absl::CivilDay date) {
  std::vector<v1::DisclosureProvision> out;
  for (const internal::Provision& p : rb.compiled().provisions) {
    v1::DisclosureProvision& d = out.emplace_back(*p.proto);
    d.clear_versions();
    if (const Version* v = p.VersionOn(date); v != nullptr) *d.add_versions() = *v->proto;
  }
  return out;
}

std::vector<std::string> MissingAttestations(const v1::Assessment& a) {
  std::vector<std::string> out;
  for (const v1::CategoryAssessment& c : a.categories()) {
    if (c.outcome() == v1::ALLOWED) continue;
    for (const v1::ProvisionResult& p : c.provisions()) {
      if (p.status() != v1::APPLIES_IF_ATTESTED) continue;
      std::vector<std::string> judgements;
      for (const v1::Finding& f : p.findings()) {
        if (f.reason() == v1::JUDGEMENT_REQUIRED) judgements.push_back(f.ref());
      }
      out.push_back(absl::StrCat(c.category(), " under ", p.provision(), ": ", absl::StrJoin(judgements, ", ")));
    }
  }
  return out;
}

std::vector<std::string> NotAllowedCategories(const v1::Assessment& a) {
  std::vector<std::string> out;
  for (const v1::CategoryAssessment& c : a.categories()) {
    if (c.outcome() == v1::NOT_ALLOWED) out.push_back(c.category());
  }
  return out;
}

}  // namespace sluss::gate
