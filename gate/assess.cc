#include "gate/assess.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "google/protobuf/unknown_field_set.h"
#include "absl/base/attributes.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "gate/compiled.h"

namespace sluss::gate {
namespace internal {

// A vector of trivially copyable T with room for N in place and a heap
// fallback beyond; clear() keeps the room. For the record below, so that
// neither a record on the stack nor one kept in a buffer allocates on the
// hot path.
template <typename T, size_t N>
class PodVec {
 public:
  PodVec() = default;
  PodVec(const PodVec&) = delete;
  PodVec& operator=(const PodVec&) = delete;
  uint32_t size() const { return size_; }
  void clear() { size_ = 0; }
  // Same elements, byte for byte (T has no padding).
  bool operator==(const PodVec& o) const {
    return size_ == o.size_ && (size_ == 0 || std::memcmp(data_, o.data_, size_ * sizeof(T)) == 0);
  }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  const T* data() const { return data_; }
  // By value: `v` may be an element of this vector, which Grow() moves.
  void push_back(T v) {
    if (size_ == cap_) [[unlikely]] Grow();
    data_[size_++] = v;
  }
  // Sets the size to n, every element's bytes to `byte`.
  void assign_bytes(uint32_t n, unsigned char byte) {
    while (cap_ < n) Grow();
    std::memset(data_, byte, n * sizeof(T));
    size_ = n;
  }
  // Drops elements from n on (n <= size()).
  void truncate(uint32_t n) { size_ = n; }

 private:
  ABSL_ATTRIBUTE_NOINLINE void Grow() {
    std::vector<T> bigger(static_cast<size_t>(cap_) * 2);
    std::memcpy(bigger.data(), data_, size_ * sizeof(T));
    heap_.swap(bigger);
    data_ = heap_.data();
    cap_ *= 2;
  }
  T inline_[N];
  std::vector<T> heap_;
  T* data_ = inline_;
  uint32_t size_ = 0;
  uint32_t cap_ = N;
};

// One Finding. The strings are the rulebook's own (null = ""), so two
// records of the same rulebook hold the same finding iff their bytes are
// equal (no padding: 4 ints, 2 pointers).
struct FindingRec {
  int32_t reason;
  int32_t field;
  int32_t limit;
  int32_t actual;
  const std::string* condition;
  const std::string* ref;
};
static_assert(sizeof(FindingRec) == 16 + 2 * sizeof(void*), "FindingRec has padding");

// One ProvisionResult: its findings are findings[begin, end).
struct ResultRec {
  int32_t status;
  int32_t unverified;
  const std::string* version_from;  // null = none in force ("")
  uint32_t begin;
  uint32_t end;
};

static_assert(sizeof(ResultRec) == 16 + sizeof(void*), "ResultRec has padding");

struct ExpectedRec {
  int32_t secrecy;
  int32_t transfer;
};

// One CategoryAssessment: its results are results[results_begin, + the
// number of provisions), its lists slices of `lists` and `expected`.
struct CategoryRec {
  int32_t category;
  int32_t secrecy;
  int32_t outcome;
  uint32_t results_begin;
  uint32_t allowed_begin, allowed_end;
  uint32_t if_attested_begin, if_attested_end;
  uint32_t expected_begin, expected_end;
};

// Everything an Assessment holds, in rulebook terms (indices into the
// compiled rulebook, pointers to its strings), apart from what is copied
// from the facts and the date (category ids are the rulebook's, equal to the
// facts'; the claimed basis is compared with the facts directly).
struct Record {
  PodVec<FindingRec, 128> findings;
  PodVec<ResultRec, 64> results;
  PodVec<CategoryRec, 4> categories;
  PodVec<int32_t, 32> lists;  // provision indices (allowed_by, allowed_if_attested_by)
  PodVec<ExpectedRec, 16> expected;
  // Working space of Evaluate (per provision, Ctx::evaluated); not part of
  // the assessment.
  PodVec<int32_t, 64> scratch;
  PodVec<uint64_t, 64> attested;  // Ctx::attested
  int32_t outcome = 0;
  // The claimed basis: -2 none claimed, -1 not in the rulebook, else its
  // provision index; its worst status over the categories.
  int32_t claimed = -2;
  int32_t claimed_status = 0;
  // The same assessment (given the same facts' strings and date).
  bool operator==(const Record& o) const {
    return outcome == o.outcome && claimed == o.claimed && claimed_status == o.claimed_status &&
           categories == o.categories && results == o.results && findings == o.findings && lists == o.lists &&
           expected == o.expected;
  }
  void Clear() {
    findings.clear();
    results.clear();
    categories.clear();
    lists.clear();
    expected.clear();
  }
};

}  // namespace internal

namespace {

using internal::FindingRec;
using internal::Record;
using internal::ResultRec;

using internal::Cond;
using internal::CondKind;
using internal::Compiled;
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
  // (Provision::judgement_table), in rec->attested; null if the facts
  // attest nothing.
  uint64_t* attested = nullptr;
  // Per provision: its version in force on the date, or nullptr.
  const std::vector<const Version*>* versions = nullptr;
  size_t epoch = 0;
  // Per provision, for the current category: what the facts do not decide.
  const Compiled::Static* statics = nullptr;
  // Per category, set while assessing it.
  int secrecy = -1;
  int provision = -1;
  uint64_t attested_now = 0;  // attested[provision]
  // Where findings go.
  Record* rec = nullptr;
  // Per provision: the result (index into rec->results, of an earlier
  // category in this call) whose status and findings came from evaluating
  // its conditions, if they do not depend on the category
  // (Version::category_free), else -1; a later category that the provision
  // reaches copies them instead of evaluating them again. In rec->scratch;
  // null when the facts have one category.
  int* evaluated = nullptr;
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

// True if `m` carries unknown fields (it was parsed from bytes with fields
// this schema does not know, or they were added by reflection). Such a
// message is cleared before it is reused, so that nothing survives from it.
// Protobuf 3.21 generates no inline unknown_fields() for proto3 messages, so
// this asks reflection (public API), with the type's Reflection taken once per
// rulebook (Compiled::reflection) rather than through GetReflection() here.
// Only for a caller's Assessment: an AssessmentBuffer's is written by
// AssessInto alone.
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

// Findings are written to the call's record (Ctx::rec), not to protobuf
// messages; Materialize below writes them out. `condition` and `ref` may be
// null (= ""); they are the rulebook's own strings.
using Out = Record;

inline void AddFinding(Out* out, v1::Reason reason, const std::string* condition, v1::FactField field,
                       int limit, int actual, const std::string* ref) {
  out->findings.push_back(FindingRec{reason, field, limit, actual, condition, ref});
}

// Whether the judgement with bit `bit` of the current provision is attested.
inline bool Attested(const Ctx& x, int bit) { return bit >= 0 && ((x.attested_now >> bit) & 1) != 0; }

ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool RecipientMatches(const internal::Recipients& r, const Ctx& x) {
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
    const bool attested = Attested(x, bits[static_cast<size_t>(ji)]);
    if (!attested) t = kNeedsAttestation;
    if (out) {
      AddFinding(out, attested ? v1::JUDGEMENT_ATTESTED : v1::JUDGEMENT_REQUIRED, &id, v1::FACT_FIELD_UNSPECIFIED, 0,
                 0, &law.judgement_refs[static_cast<size_t>(ji)]);
    }
  }
  return t;
}

// The best of the claimed duty laws that the condition lists. When
// explaining: the law that decided the value, or every claimed law if none
// works.
Tri EvalDuty(const Cond& k, const Ctx& x, Out* out) {
  const std::string& id = k.proto->id();
  if (out != nullptr) {
    // No claimed law among the listed ones, or one (the usual cases): then
    // that one decides and explains the value, whichever it is.
    int only = -1;
    int claimed = 0;
    for (size_t i = 0; i < k.duty_laws.size(); ++i) {
      if (std::find(x.duty_laws.begin(), x.duty_laws.end(), k.duty_laws[i]) == x.duty_laws.end()) continue;
      ++claimed;
      only = static_cast<int>(i);
    }
    if (claimed == 0) {
      AddFinding(out, v1::NO_DUTY, &id, v1::FACT_DUTY_LAWS, 0, 0, nullptr);
      return kNotMet;
    }
    if (claimed == 1) {
      return EvalLaw(k.duty_laws[static_cast<size_t>(only)], k.duty_judgement_bits[static_cast<size_t>(only)], id, x,
                     out);
    }
  }
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
      if (out == nullptr) {
        for (const Cond& child : k.children) {
          const Tri t = Value(child, x);
          if (best_child == nullptr || t > best) {
            best = t;
            best_child = &child;
          }
        }
        return best;
      }
      // Explained: every child at once, after NO_ALTERNATIVE_MET, as when no
      // alternative holds (the usual case); if one does, that is undone and
      // only the best child explains it.
      const uint32_t mark = out->findings.size();
      AddFinding(out, v1::NO_ALTERNATIVE_MET, &id, v1::FACT_FIELD_UNSPECIFIED, 0, 0, nullptr);
      for (const Cond& child : k.children) {
        const Tri t = Eval(child, x, out);
        if (best_child == nullptr || t > best) {
          best = t;
          best_child = &child;
        }
      }
      if (best >= kNeedsAttestation) {
        out->findings.truncate(mark);
        Eval(*best_child, x, out);
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

// Appends provision `index`'s result for the current category to x.rec
// (its findings after the record's current ones).
void EvalProvision(int index, Ctx& x) {
  Record* o = x.rec;
  const Compiled::Static& st = x.statics[index];
  ResultRec r{v1::DOES_NOT_APPLY, st.unverified, st.version_from, o->findings.size(), 0};
  const auto done = [&] {
    r.end = o->findings.size();
    o->results.push_back(r);
  };
  const Version* v = (*x.versions)[index];
  if (st.reason != v1::REASON_UNSPECIFIED) {
    AddFinding(o, static_cast<v1::Reason>(st.reason), nullptr, static_cast<v1::FactField>(st.field), 0, 0, st.ref);
    if (v == nullptr || v->not_encoded) return done();
  }
  if (!RecipientMatches(v->recipients, x)) {
    AddFinding(o, v1::WRONG_RECIPIENT, nullptr, v1::FACT_RECIPIENT, 0, 0, nullptr);
    return done();
  }
  if (st.reason != v1::REASON_UNSPECIFIED) return done();
  if (x.evaluated == nullptr) {
    // One category: nothing to share.
  } else if (const int same = x.evaluated[index]; same >= 0) {
    const ResultRec earlier = o->results[static_cast<size_t>(same)];
    r.status = earlier.status;
    for (uint32_t i = earlier.begin; i < earlier.end; ++i) o->findings.push_back(o->findings[i]);
    return done();
  } else if (v->category_free) {
    x.evaluated[index] = static_cast<int>(o->results.size());
  }

  // One pass over the conditions, each valued and explained at once. A
  // provision that applies (or applies if attested) is explained by its
  // judgements, attested or required; one that does not, by its failing
  // conditions only. A condition without judgements has findings only when
  // it fails; one with judgements (Cond::explains_when_held) has them also
  // when it holds, and those are dropped again if the provision turns out
  // not to apply. (When it applies, nothing has failed, so its findings are
  // exactly those of its judgements, in condition order.)
  Tri worst = kMet;
  absl::InlinedVector<std::pair<uint32_t, uint32_t>, 4> held;  // findings of judgements that held
  for (const Cond& k : v->conditions) {
    Tri t;
    if (k.explains_when_held && worst < kNeedsAttestation) {
      // The provision already fails: this condition is explained only if it
      // fails too.
      t = Value(k, x);
      if (t < kNeedsAttestation) Eval(k, x, o);
    } else {
      const uint32_t before = o->findings.size();
      t = Eval(k, x, o);
      if (k.explains_when_held && t >= kNeedsAttestation && o->findings.size() > before) {
        held.emplace_back(before, o->findings.size());
      }
    }
    worst = std::min(worst, t);
  }
  r.status = StatusOf(worst);
  if (worst < kNeedsAttestation && !held.empty()) {
    uint32_t w = held[0].first;
    for (size_t i = 0; i < held.size(); ++i) {
      const uint32_t next = i + 1 < held.size() ? held[i + 1].first : o->findings.size();
      for (uint32_t j = held[i].second; j < next; ++j) o->findings[w++] = o->findings[j];
    }
    o->findings.truncate(w);
  }
  done();
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

// Resolves the facts and assesses them into `*rec` (cleared first).
absl::Status Evaluate(const Compiled& c, const v1::Facts& facts, absl::CivilDay date, Record* rec) {
  rec->Clear();
  Ctx x(c, facts, date);
  x.rec = rec;
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
    if (x.attested == nullptr) {
      rec->attested.assign_bytes(static_cast<uint32_t>(c.provisions.size()), 0);
      x.attested = &rec->attested[0];
    }
    x.attested[p] |= uint64_t{1} << bit;
  }
  if (facts.categories().empty()) {
    return absl::InvalidArgumentError("facts.categories: at least one information category is required");
  }

  if (date.year() < 1 || date.year() > 9999) {
    return absl::InvalidArgumentError("decision date: year must be 1..9999");
  }
  const int n = static_cast<int>(c.provisions.size());
  x.epoch = c.EpochOf(date);
  x.versions = &c.epoch_versions[x.epoch];
  if (facts.categories_size() > 1) {
    rec->scratch.assign_bytes(static_cast<uint32_t>(n), 0xff);  // -1
    x.evaluated = &rec->scratch[0];
  }

  rec->claimed = -2;
  rec->claimed_status = 0;
  if (!facts.claimed_basis().empty()) {
    const int p = c.provision_table.Find(facts.claimed_basis());
    rec->claimed = p >= 0 ? p : -1;
    rec->claimed_status = p >= 0 ? v1::APPLIES : v1::DOES_NOT_APPLY;
  }

  v1::Outcome overall = v1::ALLOWED;
  for (int ci = 0; ci < facts.categories_size(); ++ci) {
    const int category = c.category_table.Find(facts.categories(ci));
    if (category < 0) {
      return Unknown(absl::StrCat("categories[", ci, "]"), "information category",
                     facts.categories(ci));
    }
    x.secrecy = c.category_secrecy[category];
    x.statics = c.StaticRow(x.epoch, x.secrecy);
    internal::CategoryRec cr{};
    cr.category = category;
    cr.secrecy = x.secrecy;
    const uint32_t base = rec->results.size();
    cr.results_begin = base;
    const uint64_t* attested = x.attested;
    for (int pi = 0; pi < n; ++pi) {
      x.provision = pi;
      x.attested_now = attested != nullptr ? attested[pi] : 0;
      EvalProvision(pi, x);
    }
    ResultRec* results = &rec->results[base];
    // Residual provisions (10:27) give way to the ones they are residual to.
    for (int pi : c.residual_provisions) {
      ResultRec& r = results[pi];
      if (r.status == v1::DOES_NOT_APPLY) continue;
      for (int q : c.provisions[pi].residual_to) {
        if (results[q].status != v1::DOES_NOT_APPLY) {
          r.status = v1::DOES_NOT_APPLY;
          if (x.evaluated != nullptr) x.evaluated[pi] = -1;  // no longer its conditions' findings
          r.begin = rec->findings.size();
          AddFinding(rec, v1::RESIDUAL, nullptr, v1::FACT_FIELD_UNSPECIFIED, 0, 0, &c.provisions[q].proto->id());
          r.end = rec->findings.size();
          break;
        }
      }
    }
    // allowed_by, then allowed_if_attested_by (collected aside, appended).
    v1::Outcome outcome = v1::NOT_ALLOWED;
    cr.allowed_begin = rec->lists.size();
    absl::InlinedVector<int, 64> if_attested;
    for (int pi = 0; pi < n; ++pi) {
      const int status = results[pi].status;
      if (status == v1::APPLIES) {
        rec->lists.push_back(pi);
        outcome = v1::ALLOWED;
      } else if (status == v1::APPLIES_IF_ATTESTED) {
        if_attested.push_back(pi);
        if (outcome == v1::NOT_ALLOWED) outcome = v1::ALLOWED_IF_ATTESTED;
      }
    }
    cr.allowed_end = cr.if_attested_begin = rec->lists.size();
    for (int pi : if_attested) rec->lists.push_back(pi);
    cr.if_attested_end = rec->lists.size();
    cr.outcome = outcome;
    if (outcome > overall) overall = outcome;
    if (rec->claimed >= 0 && results[rec->claimed].status > rec->claimed_status) {
      rec->claimed_status = results[rec->claimed].status;
    }
    // What the recipient should expect (7:2; chapter 11): the recipient
    // kind's primary secrecy, then each transfer not already listed.
    cr.expected_begin = rec->expected.size();
    if (outcome != v1::NOT_ALLOWED) {
      for (int s : c.agency_primary_secrecy[x.recipient_kind]) rec->expected.push_back({s, 0});
      for (int pi : c.epoch_transfers[x.epoch]) {
        const Version* v = (*x.versions)[pi];
        if (results[pi].status == v1::DOES_NOT_APPLY) continue;
        bool dup = false;
        for (uint32_t i = cr.expected_begin; i < rec->expected.size(); ++i) {
          dup = dup || rec->expected[i].secrecy == v->transfers_secrecy;
        }
        if (!dup) rec->expected.push_back({v->transfers_secrecy, 1});
      }
    }
    cr.expected_end = rec->expected.size();
    rec->categories.push_back(cr);
  }
  rec->outcome = overall;
  return absl::OkStatus();
}

inline bool SameFinding(const FindingRec& a, const FindingRec& b) {
  return a.reason == b.reason && a.field == b.field && a.limit == b.limit && a.actual == b.actual &&
         a.condition == b.condition && a.ref == b.ref;
}

inline bool SameResult(const Record& a, const ResultRec& ra, const Record& b, const ResultRec& rb) {
  if (ra.status != rb.status || ra.unverified != rb.unverified || ra.version_from != rb.version_from ||
      ra.end - ra.begin != rb.end - rb.begin) {
    return false;
  }
  for (uint32_t i = 0; i < ra.end - ra.begin; ++i) {
    if (!SameFinding(a.findings[ra.begin + i], b.findings[rb.begin + i])) return false;
  }
  return true;
}

// Writes provision ids rec.lists[b, e) into `f`, unless the shadow's slice
// [sb, se) (what `f` holds) is the same.
void WriteList(const Compiled& c, const Record& rec, uint32_t b, uint32_t e, const Record* shadow, uint32_t sb,
               uint32_t se, google::protobuf::RepeatedPtrField<std::string>* f) {
  if (shadow != nullptr && e - b == se - sb &&
      (e == b || std::memcmp(rec.lists.data() + b, shadow->lists.data() + sb, (e - b) * sizeof(int32_t)) == 0)) {
    return;
  }
  for (uint32_t k = b; k < e; ++k) PutAt(f, static_cast<int>(k - b), c.provisions[rec.lists[k]].proto->id());
  Truncate(f, static_cast<int>(e - b));
}

// Writes `rec` (for these facts and date) into `out`. With a `shadow`, the
// record that `out` holds exactly (an AssessmentBuffer's previous one, of the
// same rulebook), only what differs from it is written. Without one, `out`
// may hold anything: it is overwritten in place rather than cleared (every
// field of every message kept is set, surplus elements are dropped and kept
// for reuse, strings that are rulebook constants at a fixed position are
// only copied if they differ), and a message carrying unknown fields (a
// parsed one) is cleared first.
// `spare`, if not null, keeps the claimed-basis message while `out` has none.
void Materialize(const Rulebook& rulebook, const v1::Facts& facts, absl::CivilDay date, const Record& rec,
                 const Record* shadow, std::unique_ptr<v1::ClaimedBasisResult>* spare, v1::Assessment* out) {
  const Compiled& c = rulebook.compiled();
  const internal::OutputReflection& refl = c.reflection;
  const bool check = shadow == nullptr;
  if (check && HasUnknownFields(refl.assessment, *out)) out->Clear();
  if (shadow == nullptr) {
    SetSame(out, &v1::Assessment::rulebook_id, &v1::Assessment::mutable_rulebook_id, rulebook.proto().id());
    SetSame(out, &v1::Assessment::rulebook_edition, &v1::Assessment::mutable_rulebook_edition,
            rulebook.proto().edition());
    SetSame(out, &v1::Assessment::rulebook_digest, &v1::Assessment::mutable_rulebook_digest, rulebook.digest());
  }
  char buf[10];
  FormatDate(date, buf);
  if (out->decision_date().size() != 10 || std::memcmp(out->decision_date().data(), buf, 10) != 0) {
    out->mutable_decision_date()->assign(buf, 10);
  }
  out->set_outcome(static_cast<v1::Outcome>(rec.outcome));
  if (rec.claimed == -2) {
    if (spare != nullptr && out->has_claimed_basis() && out->GetArena() == nullptr) {
      spare->reset(out->release_claimed_basis());
    } else {
      out->clear_claimed_basis();
    }
  } else {
    if (spare != nullptr && *spare != nullptr && !out->has_claimed_basis() && out->GetArena() == nullptr) {
      out->set_allocated_claimed_basis(spare->release());
    }
    v1::ClaimedBasisResult* cb = out->mutable_claimed_basis();
    if (check && HasUnknownFields(refl.claimed_basis, *cb)) cb->Clear();
    SetSame(cb, &v1::ClaimedBasisResult::provision, &v1::ClaimedBasisResult::mutable_provision,
            facts.claimed_basis());
    cb->set_known(rec.claimed >= 0);
    cb->set_status(static_cast<v1::ProvisionStatus>(rec.claimed_status));
  }

  // The same record as the one `out` holds: the categories hold it already
  // (their strings are the rulebook's ids of the same categories).
  if (shadow != nullptr && rec == *shadow) return;
  const int n = static_cast<int>(c.provisions.size());
  google::protobuf::RepeatedPtrField<v1::CategoryAssessment>* cats = out->mutable_categories();
  for (uint32_t ci = 0; ci < rec.categories.size(); ++ci) {
    const internal::CategoryRec& cr = rec.categories[ci];
    const internal::CategoryRec* sc =
        shadow != nullptr && ci < shadow->categories.size() ? &shadow->categories[ci] : nullptr;
    v1::CategoryAssessment* ca = Slot(cats, static_cast<int>(ci));
    if (check && HasUnknownFields(refl.category, *ca)) ca->Clear();
    if (sc == nullptr || sc->category != cr.category) {
      SetSame(ca, &v1::CategoryAssessment::category, &v1::CategoryAssessment::mutable_category,
              facts.categories(static_cast<int>(ci)));
    }
    if (sc == nullptr || sc->secrecy != cr.secrecy) {
      SetSame(ca, &v1::CategoryAssessment::secrecy_provision, &v1::CategoryAssessment::mutable_secrecy_provision,
              c.secrecy[cr.secrecy]->id());
    }
    ca->set_outcome(static_cast<v1::Outcome>(cr.outcome));
    WriteList(c, rec, cr.allowed_begin, cr.allowed_end, sc ? shadow : nullptr, sc ? sc->allowed_begin : 0,
              sc ? sc->allowed_end : 0, ca->mutable_allowed_by());
    WriteList(c, rec, cr.if_attested_begin, cr.if_attested_end, sc ? shadow : nullptr,
              sc ? sc->if_attested_begin : 0, sc ? sc->if_attested_end : 0, ca->mutable_allowed_if_attested_by());

    google::protobuf::RepeatedPtrField<v1::ProvisionResult>* results = ca->mutable_provisions();
    Truncate(results, n);
    for (int pi = 0; pi < n; ++pi) {
      const ResultRec& rr = rec.results[cr.results_begin + static_cast<uint32_t>(pi)];
      const ResultRec* sr = sc != nullptr ? &shadow->results[sc->results_begin + static_cast<uint32_t>(pi)] : nullptr;
      if (sr != nullptr && SameResult(rec, rr, *shadow, *sr)) continue;
      v1::ProvisionResult* r = Slot(results, pi);
      if (check && HasUnknownFields(refl.result, *r)) r->Clear();
      if (sr == nullptr) {
        const v1::DisclosureProvision& p = *c.provisions[pi].proto;
        SetSame(r, &v1::ProvisionResult::provision, &v1::ProvisionResult::mutable_provision, p.id());
        SetSame(r, &v1::ProvisionResult::citation, &v1::ProvisionResult::mutable_citation, p.citation());
      }
      r->set_status(static_cast<v1::ProvisionStatus>(rr.status));
      if (sr == nullptr || sr->version_from != rr.version_from) {
        SetOrClear(r, &v1::ProvisionResult::version_from, &v1::ProvisionResult::mutable_version_from,
                   rr.version_from);
      }
      r->set_unverified(rr.unverified != 0);
      google::protobuf::RepeatedPtrField<v1::Finding>* fs = r->mutable_findings();
      const uint32_t nf = rr.end - rr.begin;
      const uint32_t snf = sr != nullptr ? sr->end - sr->begin : 0;
      for (uint32_t fi = 0; fi < nf; ++fi) {
        const FindingRec& fr = rec.findings[rr.begin + fi];
        const FindingRec* sf = fi < snf ? &shadow->findings[sr->begin + fi] : nullptr;
        v1::Finding* f = Slot(fs, static_cast<int>(fi));
        if (check && HasUnknownFields(refl.finding, *f)) f->Clear();
        f->set_reason(static_cast<v1::Reason>(fr.reason));
        f->set_field(static_cast<v1::FactField>(fr.field));
        f->set_limit(fr.limit);
        f->set_actual(fr.actual);
        if (sf == nullptr || sf->condition != fr.condition) {
          SetOrClear(f, &v1::Finding::condition, &v1::Finding::mutable_condition, fr.condition);
        }
        if (sf == nullptr || sf->ref != fr.ref) SetOrClear(f, &v1::Finding::ref, &v1::Finding::mutable_ref, fr.ref);
      }
      Truncate(fs, static_cast<int>(nf));
    }

    const uint32_t ne = cr.expected_end - cr.expected_begin;
    if (sc != nullptr && sc->expected_end - sc->expected_begin == ne &&
        (ne == 0 || std::memcmp(rec.expected.data() + cr.expected_begin, shadow->expected.data() + sc->expected_begin,
                                ne * sizeof(internal::ExpectedRec)) == 0)) {
      continue;
    }
    google::protobuf::RepeatedPtrField<v1::ExpectedSecrecy>* expected = ca->mutable_recipient_secrecy();
    for (uint32_t i = 0; i < ne; ++i) {
      const internal::ExpectedRec& er = rec.expected[cr.expected_begin + i];
      v1::ExpectedSecrecy* e = Slot(expected, static_cast<int>(i));
      if (check && HasUnknownFields(refl.expected_secrecy, *e)) e->Clear();
      SetSame(e, &v1::ExpectedSecrecy::provision, &v1::ExpectedSecrecy::mutable_provision, c.secrecy[er.secrecy]->id());
      e->set_transfer(er.transfer != 0);
    }
    Truncate(expected, static_cast<int>(ne));
  }
  Truncate(cats, static_cast<int>(rec.categories.size()));
}

}  // namespace

absl::Status AssessInto(const Rulebook& rulebook, const v1::Facts& facts, absl::CivilDay date,
                        v1::Assessment* out) {
  Record rec;
  absl::Status st = Evaluate(rulebook.compiled(), facts, date, &rec);
  if (!st.ok()) return st;
  Materialize(rulebook, facts, date, rec, nullptr, nullptr, out);
  return absl::OkStatus();
}

AssessmentBuffer::AssessmentBuffer()
    : records_{std::make_unique<internal::Record>(), std::make_unique<internal::Record>()} {}

AssessmentBuffer::~AssessmentBuffer() = default;

absl::Status AssessInto(const Rulebook& rulebook, const v1::Facts& facts, absl::CivilDay date,
                        AssessmentBuffer* out) {
  const Compiled& c = rulebook.compiled();
  Record* next = out->records_[1 - out->current_].get();
  absl::Status st = Evaluate(c, facts, date, next);
  if (!st.ok()) return st;  // the Assessment and its record are untouched
  const bool known = out->valid_ && out->instance_ == c.instance;
  out->valid_ = false;
  Materialize(rulebook, facts, date, *next, known ? out->records_[out->current_].get() : nullptr,
              &out->spare_claimed_basis_, &out->assessment_);
  out->current_ = 1 - out->current_;
  out->instance_ = c.instance;
  out->valid_ = true;
  return absl::OkStatus();
}

RouteBuffers::RouteBuffers(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {
  slots_.reserve(capacity_);
}
RouteBuffers::~RouteBuffers() = default;

absl::StatusOr<const v1::Assessment*> RouteBuffers::AssessInto(const Rulebook& rulebook, const v1::Facts& facts,
                                                               absl::CivilDay date) {
  uint64_t route = absl::HashOf(facts.discloser().agency_kind(), facts.recipient().agency_kind());
  for (const std::string& category : facts.categories()) route = absl::HashOf(route, category);
  Slot* slot = nullptr;
  for (Slot& s : slots_) {
    if (s.route == route) slot = &s;
  }
  if (slot == nullptr && slots_.size() < capacity_) {
    slot = &slots_.emplace_back();
    slot->buffer = std::make_unique<AssessmentBuffer>();
  }
  if (slot == nullptr) {  // full: reuse the least recently used route's buffer
    slot = &*std::min_element(slots_.begin(), slots_.end(),
                              [](const Slot& a, const Slot& b) { return a.last_used < b.last_used; });
  }
  SLUSS_RETURN_IF_ERROR(gate::AssessInto(rulebook, facts, date, slot->buffer.get()));
  slot->route = route;
  slot->last_used = ++calls_;
  return &slot->buffer->assessment();
}

absl::StatusOr<v1::Assessment> Assess(const Rulebook& rulebook, const v1::Facts& facts,
                                      absl::CivilDay date) {
  v1::Assessment a;
  absl::Status st = AssessInto(rulebook, facts, date, &a);
  if (!st.ok()) return st;
  return a;
}

}  // namespace sluss::gate
