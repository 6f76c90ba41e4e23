#include "gate/assess.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "google/protobuf/unknown_field_set.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gate/compiled.h"

namespace sluss::gate {
namespace {

using internal::Cond;
using internal::CondKind;
using internal::Compiled;
using internal::Provision;
using internal::Version;
using internal::Same;
using internal::VocabSet;

// Condition values, ordered so that AND is min and OR is max.
enum Tri { kNotMet = 0, kMissing = 1, kNeedsAttestation = 2, kMet = 3 };

// The facts, resolved against the rulebook once per call.
struct Ctx {
  Ctx(const Compiled& compiled, const v1::Facts& f, absl::CivilDay d)
      : c(compiled), facts(f), date(d) {}
  const Compiled& c;
  const v1::Facts& facts;
  absl::CivilDay date;
  int discloser_kind = -1;
  int recipient_kind = -1;
  VocabSet recipient_roles;
  VocabSet purposes;
  VocabSet information_kinds;
  VocabSet offence_classes;
  absl::InlinedVector<int, 8> duty_laws;
  // Per provision: the judgements attested with a motivation, one bit each
  // (Provision::judgement_table); empty if the facts attest nothing.
  absl::InlinedVector<uint64_t, 32> attested;
  // Per provision: its version in force on the date, or nullptr.
  const std::vector<const Version*>* versions = nullptr;
  // Per category, set while assessing it.
  int secrecy = -1;
  int provision = -1;
  uint64_t attested_now = 0;  // attested[provision]
  // Per provision: the result (of an earlier category in this call) whose
  // status and findings came from evaluating its conditions, if they do not
  // depend on the category (Version::category_free); a later category that
  // the provision reaches copies them instead of evaluating them again.
  // Empty when the facts have one category.
  absl::InlinedVector<const v1::ProvisionResult*, 64> evaluated;
};

// Sets a string field to `v`, copying only if it differs. For values that are
// constants of the rulebook at a fixed position of the output (provision ids
// and citations, the rulebook's id and digest), which a reused Assessment
// already holds; the comparison makes it correct whatever `m` held before.
template <typename M>
inline void SetSame(M* m, const std::string& (M::*get)() const, std::string* (M::*mutable_field)(),
                    const std::string& v) {
  if (Same((m->*get)(), v)) return;
  (m->*mutable_field)()->assign(v);
}

// True if `m` carries unknown fields (it was parsed from bytes with fields
// this schema does not know, or they were added by reflection). Such a
// message is cleared before it is reused, so that nothing survives from it.
// Protobuf 3.21 generates no inline unknown_fields() for proto3 messages, so
// this asks reflection (public API), with the type's Reflection taken once per
// rulebook (Compiled::reflection) rather than through GetReflection() here.
inline bool HasUnknownFields(const google::protobuf::Reflection* reflection,
                             const google::protobuf::Message& m) {
  return !reflection->GetUnknownFields(m).empty();
}

// Element i of a repeated message field, reusing an existing one (the caller
// overwrites every field of it) or adding one.
template <typename T>
inline T* Slot(google::protobuf::RepeatedPtrField<T>* f, int i) {
  return i < f->size() ? f->Mutable(i) : f->Add();
}

// Sets element i of a repeated string field to `v`, reusing the element (and
// copying only if it differs) or adding one.
inline void PutAt(google::protobuf::RepeatedPtrField<std::string>* f, int i, const std::string& v) {
  if (i < f->size()) {
    std::string* e = f->Mutable(i);
    if (!Same(*e, v)) e->assign(v);
  } else {
    f->Add()->assign(v);
  }
}

// Drops elements beyond the first n (cleared and kept for later reuse).
template <typename T>
inline void Truncate(google::protobuf::RepeatedPtrField<T>* f, int n) {
  while (f->size() > n) f->RemoveLast();
}

// Where a provision's findings go: its result and how many findings have
// been written so far.
// Findings are overwritten in place by position like the results that hold
// them: every field of a reused Finding is set, rulebook strings are copied
// only when they differ, and the surplus is dropped when the result is done.
struct Out {
  v1::ProvisionResult* r;
  const google::protobuf::Reflection* finding_reflection;
  int n = 0;
};

// Sets string field `get`/`mutable_field` of `m` to *v, or to "" if v is null.
template <typename M>
inline void SetOrClear(M* m, const std::string& (M::*get)() const, std::string* (M::*mutable_field)(),
                       const std::string* v) {
  if (v != nullptr) {
    SetSame(m, get, mutable_field, *v);
  } else if (!(m->*get)().empty()) {
    (m->*mutable_field)()->clear();
  }
}

// Writes the next finding. `condition` and `ref` may be null (= ""); strings
// are the rulebook's own std::strings, copied only if the reused Finding does
// not already hold them.
v1::Finding* AddFinding(Out* out, v1::Reason reason, const std::string* condition,
                        v1::FactField field, int limit, int actual, const std::string* ref) {
  google::protobuf::RepeatedPtrField<v1::Finding>* fs = out->r->mutable_findings();
  v1::Finding* f;
  if (out->n < fs->size()) {
    f = fs->Mutable(out->n);
    if (HasUnknownFields(out->finding_reflection, *f)) f->Clear();
  } else {
    f = fs->Add();
  }
  ++out->n;
  f->set_reason(reason);
  SetOrClear(f, &v1::Finding::condition, &v1::Finding::mutable_condition, condition);
  f->set_field(field);
  f->set_limit(limit);
  f->set_actual(actual);
  SetOrClear(f, &v1::Finding::ref, &v1::Finding::mutable_ref, ref);
  return f;
}

// Whether the judgement with bit `bit` of the current provision is attested.
inline bool Attested(const Ctx& x, int bit) { return bit >= 0 && ((x.attested_now >> bit) & 1) != 0; }

bool RecipientMatches(const internal::Recipients& r, const Ctx& x) {
  if (r.any) return true;
  if (x.recipient_kind >= 0 && r.agency_kinds.test(x.recipient_kind)) return true;
  return (r.roles & x.recipient_roles).any();
}

// Evaluates a crime pattern, emitting one finding per failing part.
Tri EvalCrime(const Cond& k, const Ctx& x, Out* out) {
  const std::string& id = k.proto->id();
  if (!x.facts.has_crime()) {
    if (out) AddFinding(out, v1::CRIME_STAGE, &id, v1::FACT_CRIME, 0, 0, nullptr);
    return kNotMet;
  }
  const v1::Crime& cr = x.facts.crime();
  Tri t = kMet;
  if (k.stages != 0) {
    if (cr.stage() == v1::CRIME_STAGE_UNSPECIFIED) {
      if (out) AddFinding(out, v1::MISSING_FACT, &id, v1::FACT_CRIME_STAGE, 0, 0, nullptr);
      t = std::min(t, kMissing);
    } else if ((k.stages & (1u << cr.stage())) == 0) {
      if (out) AddFinding(out, v1::CRIME_STAGE, &id, v1::FACT_CRIME_STAGE, 0, cr.stage(), nullptr);
      t = kNotMet;
    }
  }
  if (k.forms != 0) {
    const int form = cr.form() == v1::CRIME_FORM_UNSPECIFIED ? v1::COMPLETED : cr.form();
    if ((k.forms & (1u << form)) == 0) {
      if (out) AddFinding(out, v1::CRIME_FORM, &id, v1::FACT_CRIME_FORM, 0, form, nullptr);
      t = kNotMet;
    }
  }
  if (k.has_offence_classes) {
    if (cr.offence_classes().empty()) {
      if (out) AddFinding(out, v1::MISSING_FACT, &id, v1::FACT_CRIME_OFFENCE_CLASSES, 0, 0, nullptr);
      t = std::min(t, kMissing);
    } else if ((k.set & x.offence_classes).none()) {
      if (out) AddFinding(out, v1::OFFENCE_CLASS, &id, v1::FACT_CRIME_OFFENCE_CLASSES, 0, 0, nullptr);
      t = kNotMet;
    }
  }
  if (k.min_penalty_months > 0) {
    if (!cr.has_minimum_penalty_months()) {
      if (out) AddFinding(out, v1::MISSING_FACT, &id, v1::FACT_CRIME_MINIMUM_PENALTY_MONTHS, 0, 0, nullptr);
      t = std::min(t, kMissing);
    } else if (cr.minimum_penalty_months() < k.min_penalty_months) {
      if (out) {
        AddFinding(out, v1::PENALTY_THRESHOLD, &id, v1::FACT_CRIME_MINIMUM_PENALTY_MONTHS, k.min_penalty_months, cr.minimum_penalty_months(), nullptr);
      }
      t = kNotMet;
    }
  }
  if (k.victim_age_below > 0) {
    if (!cr.has_victim_age_years()) {
      if (out) AddFinding(out, v1::MISSING_FACT, &id, v1::FACT_CRIME_VICTIM_AGE_YEARS, k.victim_age_below, 0, nullptr);
      t = std::min(t, kMissing);
    } else if (cr.victim_age_years() >= k.victim_age_below) {
      if (out) {
        AddFinding(out, v1::VICTIM_AGE, &id, v1::FACT_CRIME_VICTIM_AGE_YEARS, k.victim_age_below, cr.victim_age_years(), nullptr);
      }
      t = kNotMet;
    }
  }
  struct Flag {
    bool required;
    bool has;
    bool value;
    v1::FactField field;
    v1::Reason reason;
  };
  const Flag flags[] = {
      {k.prison_in_scale, cr.has_prison_in_scale(), cr.prison_in_scale(), v1::FACT_CRIME_PRISON_IN_SCALE,
       v1::NO_PRISON_IN_SCALE},
      {k.against_narstaende, cr.has_against_narstaende(), cr.against_narstaende(),
       v1::FACT_CRIME_AGAINST_NARSTAENDE, v1::NOT_AGAINST_NARSTAENDE},
  };
  for (const Flag& f : flags) {
    if (!f.required) continue;
    if (!f.has) {
      if (out) AddFinding(out, v1::MISSING_FACT, &id, f.field, 0, 0, nullptr);
      t = std::min(t, kMissing);
    } else if (!f.value) {
      if (out) AddFinding(out, f.reason, &id, f.field, 0, 0, nullptr);
      t = kNotMet;
    }
  }
  return t;
}

Tri EvalLaw(int law_index, const std::vector<int>& bits, const std::string& id, const Ctx& x, Out* out) {
  const internal::DutyLaw& law = x.c.duty_laws[law_index];
  const std::string& law_id = law.proto->id();
  Tri t = kMet;
  if (!law.period.Contains(x.date)) {
    if (out) AddFinding(out, v1::NOT_IN_FORCE, &id, v1::FACT_DUTY_LAWS, 0, 0, &law_id);
    t = kNotMet;
  }
  if (!law.any_discloser && !law.disclosers.test(x.discloser_kind)) {
    if (out) AddFinding(out, v1::WRONG_DISCLOSER, &id, v1::FACT_DISCLOSER_AGENCY_KIND, 0, 0, &law_id);
    t = kNotMet;
  }
  if (!RecipientMatches(law.recipients, x)) {
    if (out) AddFinding(out, v1::WRONG_RECIPIENT, &id, v1::FACT_RECIPIENT, 0, 0, &law_id);
    t = kNotMet;
  }
  if (t != kMet) return t;
  for (int ji = 0; ji < law.proto->judgements_size(); ++ji) {
    const v1::Judgement& j = law.proto->judgements(ji);
    const bool attested = Attested(x, bits[static_cast<size_t>(ji)]);
    if (!attested) t = kNeedsAttestation;
    if (out) {
      v1::Finding* f = AddFinding(out, attested ? v1::JUDGEMENT_ATTESTED : v1::JUDGEMENT_REQUIRED, &id,
                                  v1::FACT_FIELD_UNSPECIFIED, 0, 0, nullptr);
      // ref = "<law>/<judgement>", written only if the reused Finding differs.
      const std::string& cur = f->ref();
      const std::string& jid = j.id();
      if (cur.size() != law_id.size() + 1 + jid.size() || cur.compare(0, law_id.size(), law_id) != 0 ||
          cur[law_id.size()] != '/' || cur.compare(law_id.size() + 1, jid.size(), jid) != 0) {
        std::string* ref = f->mutable_ref();
        ref->assign(law_id);
        ref->push_back('/');
        ref->append(jid);
      }
    }
  }
  return t;
}

// The best of the claimed duty laws that the condition lists. When
// explaining: the law that decided the value, or every claimed law if none
// works.
Tri EvalDuty(const Cond& k, const Ctx& x, Out* out) {
  const std::string& id = k.proto->id();
  Tri best = kNotMet;
  int best_law = -1;
  for (size_t i = 0; i < k.duty_laws.size(); ++i) {
    const int law = k.duty_laws[i];
    if (std::find(x.duty_laws.begin(), x.duty_laws.end(), law) == x.duty_laws.end()) continue;
    const Tri t = EvalLaw(law, k.duty_judgement_bits[i], id, x, nullptr);
    if (best_law < 0 || t > best) {
      best = t;
      best_law = static_cast<int>(i);
    }
  }
  if (out == nullptr) return best;
  if (best_law < 0) {
    AddFinding(out, v1::NO_DUTY, &id, v1::FACT_DUTY_LAWS, 0, 0, nullptr);
  } else if (best >= kNeedsAttestation) {
    EvalLaw(k.duty_laws[static_cast<size_t>(best_law)], k.duty_judgement_bits[static_cast<size_t>(best_law)], id, x, out);
  } else {
    for (size_t i = 0; i < k.duty_laws.size(); ++i) {
      const int law = k.duty_laws[i];
      if (std::find(x.duty_laws.begin(), x.duty_laws.end(), law) != x.duty_laws.end()) {
        EvalLaw(law, k.duty_judgement_bits[i], id, x, out);
      }
    }
  }
  return best;
}

Tri Eval(const Cond& k, const Ctx& x, Out* out);

// The value of a condition, without explaining it: the common leaves inline,
// the rest through Eval.
inline Tri Value(const Cond& k, const Ctx& x) {
  switch (k.kind) {
    case CondKind::kAgeBelow:
      if (!x.facts.subject().has_age_years()) return kMissing;
      return x.facts.subject().age_years() < k.age_years ? kMet : kNotMet;
    case CondKind::kPurpose:
      return (k.set & x.purposes).any() ? kMet : kNotMet;
    case CondKind::kJudgement:
      return Attested(x, k.judgement_bit) ? kMet : kNeedsAttestation;
    case CondKind::kConsent:
      return !x.facts.consent().reference().empty() && x.facts.consent().given_by_protected_person()
                 ? kMet
                 : kNotMet;
    case CondKind::kPrimarySecrecy:
      return k.secrecy.test(x.secrecy) ? kMet : kNotMet;
    case CondKind::kDiscloserKind:
      return k.set.test(x.discloser_kind) ? kMet : kNotMet;
    case CondKind::kSetting:
      return x.c.setting_values[k.setting] ? kMet : kNotMet;
    default:
      return Eval(k, x, nullptr);
  }
}

Tri Eval(const Cond& k, const Ctx& x, Out* out) {
  const std::string& id = k.proto->id();
  switch (k.kind) {
    case CondKind::kAgeBelow: {
      if (!x.facts.subject().has_age_years()) {
        if (out) AddFinding(out, v1::MISSING_FACT, &id, v1::FACT_SUBJECT_AGE_YEARS, k.age_years, 0, nullptr);
        return kMissing;
      }
      const int age = x.facts.subject().age_years();
      if (age < k.age_years) return kMet;
      if (out) AddFinding(out, v1::AGE, &id, v1::FACT_SUBJECT_AGE_YEARS, k.age_years, age, nullptr);
      return kNotMet;
    }
    case CondKind::kPurpose:
      if ((k.set & x.purposes).any()) return kMet;
      if (out) AddFinding(out, v1::PURPOSE, &id, v1::FACT_PURPOSES, 0, 0, nullptr);
      return kNotMet;
    case CondKind::kCrime:
      return EvalCrime(k, x, out);
    case CondKind::kJudgement: {
      const std::string& jid = k.judgement->id();
      const bool attested = Attested(x, k.judgement_bit);
      if (out) {
        AddFinding(out, attested ? v1::JUDGEMENT_ATTESTED : v1::JUDGEMENT_REQUIRED, &id, v1::FACT_FIELD_UNSPECIFIED, 0, 0, &jid);
      }
      return attested ? kMet : kNeedsAttestation;
    }
    case CondKind::kConsent: {
      const v1::Consent& c = x.facts.consent();
      if (!c.reference().empty() && c.given_by_protected_person()) return kMet;
      if (out) AddFinding(out, v1::NO_CONSENT, &id, v1::FACT_CONSENT, 0, 0, nullptr);
      return kNotMet;
    }
    case CondKind::kDuty:
      return EvalDuty(k, x, out);
    case CondKind::kInformationKinds: {
      if (x.information_kinds.none()) {
        if (out) AddFinding(out, v1::MISSING_FACT, &id, v1::FACT_INFORMATION_KINDS, 0, 0, nullptr);
        return kMissing;
      }
      if ((x.information_kinds & ~k.set).none()) return kMet;
      if (out) AddFinding(out, v1::INFORMATION_KIND, &id, v1::FACT_INFORMATION_KINDS, 0, 0, nullptr);
      return kNotMet;
    }
    case CondKind::kPrimarySecrecy:
      if (k.secrecy.test(x.secrecy)) return kMet;
      if (out) {
        AddFinding(out, v1::PRIMARY_SECRECY, &id, v1::FACT_CATEGORIES, 0, 0, &x.c.secrecy[x.secrecy]->id());
      }
      return kNotMet;
    case CondKind::kDiscloserKind:
      if (k.set.test(x.discloser_kind)) return kMet;
      if (out) AddFinding(out, v1::WRONG_DISCLOSER, &id, v1::FACT_DISCLOSER_AGENCY_KIND, 0, 0, nullptr);
      return kNotMet;
    case CondKind::kSetting:
      if (x.c.setting_values[k.setting]) return kMet;
      if (out) AddFinding(out, v1::SETTING_OFF, &id, v1::FACT_FIELD_UNSPECIFIED, 0, 0, &k.proto->setting());
      return kNotMet;
    case CondKind::kAllOf: {
      Tri t = kMet;
      for (const Cond& child : k.children) t = std::min(t, Eval(child, x, out));
      return t;
    }
    case CondKind::kAnyOf: {
      Tri best = kNotMet;
      const Cond* best_child = nullptr;
      for (const Cond& child : k.children) {
        const Tri t = Value(child, x);
        if (best_child == nullptr || t > best) {
          best = t;
          best_child = &child;
        }
      }
      if (out) {
        if (best >= kNeedsAttestation) {
          Eval(*best_child, x, out);
        } else {
          AddFinding(out, v1::NO_ALTERNATIVE_MET, &id, v1::FACT_FIELD_UNSPECIFIED, 0, 0, nullptr);
          for (const Cond& child : k.children) Eval(child, x, out);
        }
      }
      return best;
    }
    case CondKind::kNot: {
      const Cond& child = k.children.front();
      const Tri t = Value(child, x);
      if (t == kMet) {
        if (out) AddFinding(out, v1::EXCLUDED_BY_CONDITION, &id, v1::FACT_FIELD_UNSPECIFIED, 0, 0, &child.proto->id());
        return kNotMet;
      }
      if (t == kNotMet) return kMet;
      if (out) Eval(child, x, out);
      return t;  // kMissing (judgements cannot be negated)
    }
  }
  return kNotMet;
}

inline v1::ProvisionStatus StatusOf(Tri worst) {
  return worst == kMet                ? v1::APPLIES
         : worst == kNeedsAttestation ? v1::APPLIES_IF_ATTESTED
                                      : v1::DOES_NOT_APPLY;
}

void EvalProvisionFindings(int index, Ctx& x, v1::ProvisionResult* r, Out* o) {
  const Provision& p = x.c.provisions[index];
  // `r` may be a reused result: every field is set here.
  SetSame(r, &v1::ProvisionResult::provision, &v1::ProvisionResult::mutable_provision, p.proto->id());
  SetSame(r, &v1::ProvisionResult::citation, &v1::ProvisionResult::mutable_citation, p.proto->citation());
  r->set_status(v1::DOES_NOT_APPLY);
  const Version* v = (*x.versions)[index];
  if (v == nullptr) {
    r->clear_version_from();
    r->set_unverified(false);
    // Name the nearest later version's start, if there is one.
    const std::string* next = nullptr;
    for (const Version& cand : p.versions) {
      if (cand.period.from > x.date) {
        next = &cand.proto->valid_from();
        break;
      }
    }
    AddFinding(o, v1::NOT_IN_FORCE, nullptr, v1::FACT_FIELD_UNSPECIFIED, 0, 0, next);
    return;
  }
  SetSame(r, &v1::ProvisionResult::version_from, &v1::ProvisionResult::mutable_version_from,
          v->proto->valid_from());
  r->set_unverified(v->unverified);
  if (v->not_encoded) {
    AddFinding(o, v1::VERSION_NOT_ENCODED, nullptr, v1::FACT_FIELD_UNSPECIFIED, 0, 0, nullptr);
    return;
  }
  bool ok = true;
  const int s = x.secrecy;
  const std::string& sid = x.c.secrecy[s]->id();
  int by = -1;
  switch (internal::CheckReach(*v, s, *x.versions, &by)) {
    case internal::ReachResult::kReached:
      break;
    case internal::ReachResult::kNotReached: {
      const bool public_interest = v->individual_only && x.c.secrecy[s]->protects() ==
                                                             v1::SecrecyProvision::PUBLIC_INTEREST;
      AddFinding(o, public_interest ? v1::SECRECY_PROTECTS_PUBLIC_INTEREST : v1::SECRECY_NOT_REACHED, nullptr, v1::FACT_CATEGORIES, 0, 0, &sid);
      ok = false;
      break;
    }
    case internal::ReachResult::kExcluded:
      AddFinding(o, v1::SECRECY_EXCLUDED, nullptr, v1::FACT_CATEGORIES, 0, 0, &sid);
      ok = false;
      break;
    case internal::ReachResult::kExcludedByReachOf:
      AddFinding(o, v1::SECRECY_EXCLUDED, nullptr, v1::FACT_CATEGORIES, 0, 0, &x.c.provisions[by].proto->id());
      ok = false;
      break;
  }
  if (!RecipientMatches(v->recipients, x)) {
    AddFinding(o, v1::WRONG_RECIPIENT, nullptr, v1::FACT_RECIPIENT, 0, 0, nullptr);
    ok = false;
  }
  if (!ok) return;
  if (x.evaluated.empty()) {
    // One category: nothing to share.
  } else if (const v1::ProvisionResult* same = x.evaluated[index]; same != nullptr) {
    r->set_status(same->status());
    for (const v1::Finding& f : same->findings()) {
      AddFinding(o, f.reason(), &f.condition(), f.field(), f.limit(), f.actual(), &f.ref());
    }
    return;
  } else if (v->category_free) {
    x.evaluated[index] = r;
  }

  // One pass over the conditions. A provision that applies (or applies if
  // attested) is explained by its judgements, attested or required; one that
  // does not, by its failing conditions only. A condition without judgements
  // has findings only when it fails, so it is valued and explained at once
  // (Eval); one with judgements (Cond::explains_when_held) is valued first
  // and explained at once only if it fails, otherwise once the provision is
  // known to apply (then nothing has failed and nothing has been written, so
  // the findings stay in condition order).
  Tri worst = kMet;
  bool deferred = false;
  for (const Cond& k : v->conditions) {
    Tri t;
    if (k.explains_when_held) {
      t = Value(k, x);
      if (t < kNeedsAttestation) {
        Eval(k, x, o);
      } else {
        deferred = true;
      }
    } else {
      t = Eval(k, x, o);
    }
    worst = std::min(worst, t);
  }
  r->set_status(StatusOf(worst));
  if (deferred && worst >= kNeedsAttestation) {
    for (const Cond& k : v->conditions) {
      if (k.explains_when_held) Eval(k, x, o);
    }
  }
}

void EvalProvision(int index, Ctx& x, v1::ProvisionResult* r) {
  Out o{r, x.c.reflection.finding};
  EvalProvisionFindings(index, x, r, &o);
  Truncate(r->mutable_findings(), o.n);
}

// "YYYY-MM-DD" into buf[10] (years 0..9999); returns buf. snprintf would be
// a noticeable share of the hot path.
const char* FormatDate(absl::CivilDay d, char* buf) {
  int y = static_cast<int>(d.year());
  for (int i = 3; i >= 0; --i, y /= 10) buf[i] = static_cast<char>('0' + y % 10);
  buf[4] = '-';
  buf[5] = static_cast<char>('0' + d.month() / 10);
  buf[6] = static_cast<char>('0' + d.month() % 10);
  buf[7] = '-';
  buf[8] = static_cast<char>('0' + d.day() / 10);
  buf[9] = static_cast<char>('0' + d.day() % 10);
  return buf;
}

absl::Status Unknown(absl::string_view field, absl::string_view what, const std::string& value) {
  return absl::InvalidArgumentError(
      absl::StrCat("facts.", field, ": unknown ", what, " \"", value, "\" (not in the rulebook)"));
}

absl::Status ResolveSet(const internal::IdTable& index,
                        const google::protobuf::RepeatedPtrField<std::string>& values,
                        absl::string_view field, absl::string_view what, VocabSet* out) {
  for (int i = 0; i < values.size(); ++i) {
    const int k = index.Find(values[i]);
    if (k < 0) return Unknown(absl::StrCat(field, "[", i, "]"), what, values[i]);
    out->set(k);
  }
  return absl::OkStatus();
}

absl::Status ResolveKind(const Compiled& c, const v1::Party& party, absl::string_view field,
                         int* out) {
  if (party.agency_kind().empty()) {
    return absl::InvalidArgumentError(absl::StrCat("facts.", field, ".agency_kind: required"));
  }
  *out = c.agency_table.Find(party.agency_kind());
  if (*out < 0) return Unknown(absl::StrCat(field, ".agency_kind"), "agency kind", party.agency_kind());
  return absl::OkStatus();
}

}  // namespace

absl::Status AssessInto(const Rulebook& rulebook, const v1::Facts& facts, absl::CivilDay date,
                        v1::Assessment* out) {
  const Compiled& c = rulebook.compiled();
  Ctx x(c, facts, date);
  absl::Status st = ResolveKind(c, facts.discloser(), "discloser", &x.discloser_kind);
  if (!st.ok()) return st;
  st = ResolveKind(c, facts.recipient(), "recipient", &x.recipient_kind);
  if (!st.ok()) return st;
  st = ResolveSet(c.role_table, facts.recipient().roles(), "recipient.roles", "recipient role",
                  &x.recipient_roles);
  if (!st.ok()) return st;
  st = ResolveSet(c.purpose_table, facts.purposes(), "purposes", "purpose", &x.purposes);
  if (!st.ok()) return st;
  st = ResolveSet(c.information_kind_table, facts.information_kinds(), "information_kinds",
                  "information kind", &x.information_kinds);
  if (!st.ok()) return st;
  st = ResolveSet(c.offence_table, facts.crime().offence_classes(), "crime.offence_classes",
                  "offence class", &x.offence_classes);
  if (!st.ok()) return st;
  for (int i = 0; i < facts.duty_laws_size(); ++i) {
    const int law = c.duty_table.Find(facts.duty_laws(i));
    if (law < 0) return Unknown(absl::StrCat("duty_laws[", i, "]"), "duty law", facts.duty_laws(i));
    x.duty_laws.push_back(law);
  }
  for (int i = 0; i < facts.attestations_size(); ++i) {
    const v1::Attestation& a = facts.attestations(i);
    const int p = c.provision_table.Find(a.provision());
    if (p < 0) {
      return Unknown(absl::StrCat("attestations[", i, "].provision"), "disclosure provision",
                     a.provision());
    }
    const int bit = c.provisions[p].judgement_table.Find(a.judgement());
    if (bit < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "facts.attestations[", i, "].judgement: provision ", a.provision(),
          " has no judgement \"", a.judgement(), "\""));
    }
    if (a.motivation().empty()) continue;  // does not count
    if (x.attested.empty()) x.attested.assign(c.provisions.size(), 0);
    x.attested[static_cast<size_t>(p)] |= uint64_t{1} << bit;
  }
  if (facts.categories().empty()) {
    return absl::InvalidArgumentError("facts.categories: at least one information category is required");
  }

  if (date.year() < 1 || date.year() > 9999) {
    return absl::InvalidArgumentError("decision date: year must be 1..9999");
  }
  const int n = static_cast<int>(c.provisions.size());
  x.versions = &c.VersionsOn(date);
  if (facts.categories_size() > 1) x.evaluated.assign(n, nullptr);

  // `out` is overwritten in place rather than cleared: every field of every
  // message kept is set below, surplus elements are dropped (and kept for
  // reuse by the repeated fields), and strings that are rulebook constants at
  // a fixed position are only copied if they differ. A message carrying
  // unknown fields (a parsed one) is cleared first.
  if (HasUnknownFields(c.reflection.assessment, *out)) out->Clear();
  char buf[10];
  SetSame(out, &v1::Assessment::rulebook_id, &v1::Assessment::mutable_rulebook_id, rulebook.proto().id());
  SetSame(out, &v1::Assessment::rulebook_edition, &v1::Assessment::mutable_rulebook_edition,
          rulebook.proto().edition());
  SetSame(out, &v1::Assessment::rulebook_digest, &v1::Assessment::mutable_rulebook_digest, rulebook.digest());
  FormatDate(date, buf);
  if (out->decision_date().size() != 10 || std::memcmp(out->decision_date().data(), buf, 10) != 0) {
    out->mutable_decision_date()->assign(buf, 10);
  }

  int claimed = -1;
  if (facts.claimed_basis().empty()) {
    out->clear_claimed_basis();
  } else {
    const int p = c.provision_table.Find(facts.claimed_basis());
    v1::ClaimedBasisResult* cb = out->mutable_claimed_basis();
    if (HasUnknownFields(c.reflection.claimed_basis, *cb)) cb->Clear();
    SetSame(cb, &v1::ClaimedBasisResult::provision, &v1::ClaimedBasisResult::mutable_provision,
            facts.claimed_basis());
    cb->set_known(p >= 0);
    if (p >= 0) {
      claimed = p;
      cb->set_status(v1::APPLIES);
    } else {
      cb->set_status(v1::DOES_NOT_APPLY);
    }
  }

  v1::Outcome overall = v1::ALLOWED;
  for (int ci = 0; ci < facts.categories_size(); ++ci) {
    const int category = c.category_table.Find(facts.categories(ci));
    if (category < 0) {
      return Unknown(absl::StrCat("categories[", ci, "]"), "information category",
                     facts.categories(ci));
    }
    x.secrecy = c.category_secrecy[category];
    v1::CategoryAssessment* ca = Slot(out->mutable_categories(), ci);
    if (HasUnknownFields(c.reflection.category, *ca)) ca->Clear();
    SetSame(ca, &v1::CategoryAssessment::category, &v1::CategoryAssessment::mutable_category,
            facts.categories(ci));
    SetSame(ca, &v1::CategoryAssessment::secrecy_provision, &v1::CategoryAssessment::mutable_secrecy_provision,
            c.secrecy[x.secrecy]->id());
    google::protobuf::RepeatedPtrField<v1::ProvisionResult>* results = ca->mutable_provisions();
    Truncate(results, n);
    for (int pi = 0; pi < n; ++pi) {
      x.provision = pi;
      x.attested_now = x.attested.empty() ? 0 : x.attested[static_cast<size_t>(pi)];
      v1::ProvisionResult* r = Slot(results, pi);
      if (HasUnknownFields(c.reflection.result, *r)) r->Clear();
      EvalProvision(pi, x, r);
    }
    // Residual provisions (10:27) give way to the ones they are residual to.
    for (int pi = 0; pi < n; ++pi) {
      v1::ProvisionResult* r = ca->mutable_provisions(pi);
      if (r->status() == v1::DOES_NOT_APPLY) continue;
      for (int q : c.provisions[pi].residual_to) {
        if (ca->provisions(q).status() != v1::DOES_NOT_APPLY) {
          r->set_status(v1::DOES_NOT_APPLY);
          if (!x.evaluated.empty()) x.evaluated[pi] = nullptr;  // no longer its conditions' findings
          Out o{r, x.c.reflection.finding};
          AddFinding(&o, v1::RESIDUAL, nullptr, v1::FACT_FIELD_UNSPECIFIED, 0, 0, &c.provisions[q].proto->id());
          Truncate(r->mutable_findings(), o.n);
          break;
        }
      }
    }
    // The lists below are overwritten in place too (elements reused by
    // position, strings copied only if they differ, the surplus dropped).
    v1::Outcome outcome = v1::NOT_ALLOWED;
    int n_allowed = 0, n_if_attested = 0;
    for (int pi = 0; pi < n; ++pi) {
      const v1::ProvisionResult& r = ca->provisions(pi);
      if (r.status() == v1::APPLIES) {
        PutAt(ca->mutable_allowed_by(), n_allowed++, r.provision());
        outcome = v1::ALLOWED;
      } else if (r.status() == v1::APPLIES_IF_ATTESTED) {
        PutAt(ca->mutable_allowed_if_attested_by(), n_if_attested++, r.provision());
        if (outcome == v1::NOT_ALLOWED) outcome = v1::ALLOWED_IF_ATTESTED;
      }
    }
    Truncate(ca->mutable_allowed_by(), n_allowed);
    Truncate(ca->mutable_allowed_if_attested_by(), n_if_attested);
    ca->set_outcome(outcome);
    if (outcome > overall) overall = outcome;
    if (claimed >= 0) {
      v1::ClaimedBasisResult* cb = out->mutable_claimed_basis();
      if (ca->provisions(claimed).status() > cb->status()) {
        cb->set_status(ca->provisions(claimed).status());
      }
    }
    // What the recipient should expect (7:2; chapter 11).
    google::protobuf::RepeatedPtrField<v1::ExpectedSecrecy>* expected = ca->mutable_recipient_secrecy();
    int n_expected = 0;
    const auto expect = [&](const std::string& id, bool transfer) {
      v1::ExpectedSecrecy* e = Slot(expected, n_expected++);
      if (HasUnknownFields(c.reflection.expected_secrecy, *e)) e->Clear();
      SetSame(e, &v1::ExpectedSecrecy::provision, &v1::ExpectedSecrecy::mutable_provision, id);
      e->set_transfer(transfer);
    };
    if (outcome != v1::NOT_ALLOWED) {
      for (int s : c.agency_primary_secrecy[x.recipient_kind]) expect(c.secrecy[s]->id(), false);
      for (int pi = 0; pi < n; ++pi) {
        const Version* v = (*x.versions)[pi];
        const v1::ProvisionStatus status = ca->provisions(pi).status();
        if (v == nullptr || v->transfers_secrecy < 0 || status == v1::DOES_NOT_APPLY) continue;
        const std::string& tid = c.secrecy[v->transfers_secrecy]->id();
        bool dup = false;
        for (int i = 0; i < n_expected; ++i) dup = dup || Same(expected->Get(i).provision(), tid);
        if (dup) continue;
        expect(tid, true);
      }
    }
    Truncate(expected, n_expected);
  }
  Truncate(out->mutable_categories(), facts.categories_size());
  out->set_outcome(overall);
  return absl::OkStatus();
}

absl::StatusOr<v1::Assessment> Assess(const Rulebook& rulebook, const v1::Facts& facts,
                                      absl::CivilDay date) {
  v1::Assessment a;
  absl::Status st = AssessInto(rulebook, facts, date, &a);
  if (!st.ok()) return st;
  return a;
}

}  // namespace sluss::gate
