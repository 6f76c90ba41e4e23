// Internal: the rulebook in the shape the engine evaluates (ids resolved to
// indices, reference lists to bitsets). Built and validated by rulebook.cc,
// read by assess.cc. Not part of the gate's public API.
#ifndef SLUSS_GATE_COMPILED_H_
#define SLUSS_GATE_COMPILED_H_

#include <algorithm>
#include <bitset>
#include <cstring>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/civil_time.h"
#include "sluss/v1/gate.pb.h"
#include "sluss/v1/rulebook.pb.h"

namespace sluss::gate::internal {

inline constexpr int kMaxVocabulary = 128;
// Judgement ids per disclosure provision (the bits of a uint64_t).
inline constexpr int kMaxJudgements = 64;
inline constexpr int kMaxSecrecyProvisions = 512;
using VocabSet = std::bitset<kMaxVocabulary>;
using SecrecySet = std::bitset<kMaxSecrecyProvisions>;

enum class CondKind {
  kAgeBelow,
  kPurpose,
  kCrime,
  kJudgement,
  kConsent,
  kDuty,
  kInformationKinds,
  kPrimarySecrecy,
  kDiscloserKind,
  kSetting,
  kAnyOf,
  kAllOf,
  kNot,
};

// a == b, for the short strings Assess compares on every call (rulebook ids
// such as "10:18a" or "konkret_risk", citations): overlapping fixed-size
// loads instead of the out-of-line memcmp call std::string's == makes.
template <typename T>
inline T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline bool Same(const std::string& a, const std::string& b) {
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  // Overlapping fixed-size loads of the first and last bytes.
  if (n >= 8 && n <= 16) return Load<uint64_t>(p) == Load<uint64_t>(q) &&
                                 Load<uint64_t>(p + n - 8) == Load<uint64_t>(q + n - 8);
  if (n >= 4 && n < 8) return Load<uint32_t>(p) == Load<uint32_t>(q) &&
                              Load<uint32_t>(p + n - 4) == Load<uint32_t>(q + n - 4);
  if (n < 4) return n == 0 || (p[0] == q[0] && p[n / 2] == q[n / 2] && p[n - 1] == q[n - 1]);
  if (n <= 32) {  // citations, "10 kap. 18 a § OSL"
    return Load<uint64_t>(p) == Load<uint64_t>(q) && Load<uint64_t>(p + 8) == Load<uint64_t>(q + 8) &&
           Load<uint64_t>(p + n - 16) == Load<uint64_t>(q + n - 16) &&
           Load<uint64_t>(p + n - 8) == Load<uint64_t>(q + n - 8);
  }
  return std::memcmp(p, q, n) == 0;
}

// A read-only table from id to index, for the ids Assess resolves on every
// call (agency kinds, categories, purposes, ...): open addressing over a
// power-of-two array, a hash of the length and the first and last eight
// bytes, and keys compared with Same. Several times cheaper per lookup than
// flat_hash_map<std::string> for the rulebook's short ids. Built from the
// rulebook's index maps once the rulebook is compiled.
class IdTable {
 public:
  void Build(const absl::flat_hash_map<std::string, int>& m) {
    size_t cap = 8;
    while (cap < 2 * m.size()) cap *= 2;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
    for (const auto& [key, value] : m) {
      size_t i = Hash(key) & mask_;
      while (slots_[i].value >= 0) i = (i + 1) & mask_;
      slots_[i] = Slot{key, value};
    }
  }
  void Build(const absl::flat_hash_set<std::string>& keys) {
    absl::flat_hash_map<std::string, int> m;
    for (const std::string& k : keys) m.emplace(k, 0);
    Build(m);
  }
  // The index of `key`, or -1.
  int Find(const std::string& key) const {
    if (slots_.empty()) return -1;
    for (size_t i = Hash(key) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.value < 0) return -1;
      if (Same(s.key, key)) return s.value;
    }
  }

 private:
  struct Slot {
    std::string key;
    int value = -1;
  };
  static size_t Hash(const std::string& key) {
    const size_t n = key.size();
    const char* p = key.data();
    uint64_t a = 0, b = 0;
    if (n >= 8) {
      a = Load<uint64_t>(p);
      b = Load<uint64_t>(p + n - 8);
    } else if (n >= 4) {
      a = Load<uint32_t>(p);
      b = Load<uint32_t>(p + n - 4);
    } else if (n > 0) {
      a = static_cast<unsigned char>(p[0]) | static_cast<uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
          static_cast<uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16;
    }
    uint64_t h = (a ^ (b * 0x9E3779B97F4A7C15ull) ^ n) * 0xff51afd7ed558ccdull;
    return static_cast<size_t>(h ^ (h >> 29));
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

struct Cond {
  CondKind kind = CondKind::kAllOf;
  const v1::Condition* proto = nullptr;
  int age_years = 0;
  // Purposes, information kinds, agency kinds or offence classes.
  VocabSet set;
  // Crime pattern: bit i set = enum value i allowed; 0 = any.
  uint32_t stages = 0;
  uint32_t forms = 0;
  bool has_offence_classes = false;
  int min_penalty_months = 0;
  bool prison_in_scale = false;
  int victim_age_below = 0;
  bool against_narstaende = false;
  SecrecySet secrecy;
  int setting = -1;
  std::vector<int> duty_laws;
  const v1::Judgement* judgement = nullptr;
  // The judgement's bit in its provision's judgement numbering
  // (Provision::judgement_table), for kJudgement.
  int judgement_bit = -1;
  // For kDuty: per duty law listed (as duty_laws), per judgement of that law,
  // the bit of "<law>/<judgement>" in the provision's numbering.
  std::vector<std::vector<int>> duty_judgement_bits;
  // A judgement or duty (its judgements) at any depth: the only conditions
  // that are explained by findings when they hold (JUDGEMENT_ATTESTED,
  // JUDGEMENT_REQUIRED). Any other condition has findings only if it fails.
  bool explains_when_held = false;
  std::vector<Cond> children;
};

struct Recipients {
  bool any = false;
  VocabSet agency_kinds;
  VocabSet roles;
};

struct Period {
  absl::CivilDay from = absl::CivilDay(1, 1, 1);
  absl::CivilDay to = absl::CivilDay(9999, 12, 31);
  bool Contains(absl::CivilDay d) const { return from <= d && d <= to; }
};

struct Version {
  const v1::ProvisionVersion* proto = nullptr;
  Period period;
  bool not_encoded = false;
  bool unverified = false;
  // No condition (at any depth) reads the category (kPrimarySecrecy): the
  // conditions' values and findings are the same for every category.
  bool category_free = true;
  // Reach: `base` before exclusions, `except` the explicit exclusions,
  // `listed` the explicit `provisions` list (what except_reach_of reads).
  SecrecySet base;
  SecrecySet except;
  SecrecySet listed;
  bool individual_only = false;
  std::vector<int> except_reach_of;
  Recipients recipients;
  std::vector<Cond> conditions;
  int transfers_secrecy = -1;
};

struct Provision {
  const v1::DisclosureProvision* proto = nullptr;
  std::vector<Version> versions;
  std::vector<int> residual_to;
  // Every judgement id an Attestation may name for this provision: the ids
  // of its judgement conditions and "<duty law>/<judgement>" for duty laws
  // its duty conditions list.
  absl::flat_hash_set<std::string> judgement_ids;
  // judgement_ids numbered 0..size-1 in sorted order (at most
  // kMaxJudgements), for Assess: an attestation becomes one bit.
  IdTable judgement_table;

  const Version* VersionOn(absl::CivilDay d) const {
    for (const Version& v : versions) {
      if (v.period.Contains(d)) return &v;
    }
    return nullptr;
  }
};

struct DutyLaw {
  const v1::DutyLaw* proto = nullptr;
  bool any_discloser = true;
  VocabSet disclosers;
  Recipients recipients;
  Period period;
  // Per judgement of the law: "<law>/<judgement>", the id an Attestation
  // names and the ref of its findings (so that Assess points at it).
  std::vector<std::string> judgement_refs;
};

// The reflection of each Assessment message type that AssessInto reuses in
// place, taken once when the rulebook is compiled: Message::GetReflection()
// goes through the descriptor table's call_once on every call, which is most
// of the cost of asking a reused message whether it carries unknown fields.
struct OutputReflection {
  const google::protobuf::Reflection* assessment = nullptr;
  const google::protobuf::Reflection* category = nullptr;
  const google::protobuf::Reflection* result = nullptr;
  const google::protobuf::Reflection* finding = nullptr;
  const google::protobuf::Reflection* claimed_basis = nullptr;
  const google::protobuf::Reflection* expected_secrecy = nullptr;

  void Build() {
    assessment = v1::Assessment::GetReflection();
    category = v1::CategoryAssessment::GetReflection();
    result = v1::ProvisionResult::GetReflection();
    finding = v1::Finding::GetReflection();
    claimed_basis = v1::ClaimedBasisResult::GetReflection();
    expected_secrecy = v1::ExpectedSecrecy::GetReflection();
  }
};

struct Compiled {
  // Unique per compiled rulebook in this process (never reused, unlike an
  // address): an AssessmentBuffer remembers which rulebook's strings its
  // record points at.
  uint64_t instance = 0;
  OutputReflection reflection;
  absl::flat_hash_map<std::string, int> secrecy_index;
  absl::flat_hash_map<std::string, int> category_index;
  absl::flat_hash_map<std::string, int> agency_index;
  absl::flat_hash_map<std::string, int> role_index;
  absl::flat_hash_map<std::string, int> purpose_index;
  absl::flat_hash_map<std::string, int> offence_index;
  absl::flat_hash_map<std::string, int> information_kind_index;
  absl::flat_hash_map<std::string, int> setting_index;
  absl::flat_hash_map<std::string, int> duty_index;
  absl::flat_hash_map<std::string, int> provision_index;
  // The same maps as IdTables, for Assess (BuildIdTables).
  IdTable category_table, agency_table, role_table, purpose_table, offence_table,
      information_kind_table, duty_table, provision_table;

  // Per secrecy provision (by index).
  std::vector<const v1::SecrecyProvision*> secrecy;
  // Per category: the index of its primary secrecy provision.
  std::vector<int> category_secrecy;
  // Per agency kind: indices of its primary_secrecy provisions.
  std::vector<std::vector<int>> agency_primary_secrecy;
  std::vector<bool> setting_values;
  std::vector<DutyLaw> duty_laws;
  std::vector<Provision> provisions;

  // Which version of each provision is in force, per epoch: the calendar is
  // cut at every version's first day and at the day after its last, so the
  // answer is the same throughout an epoch. epoch_from[e] is epoch e's first
  // day (ascending, epoch_from[0] = 0001-01-01); epoch_versions[e][p] is
  // provision p's version in force (nullptr if none). Built once the
  // provisions are compiled (BuildEpochs), so that Assess finds all versions
  // for its date with one binary search.
  std::vector<absl::CivilDay> epoch_from;
  std::vector<std::vector<const Version*>> epoch_versions;
  // Per epoch: the provisions whose version in force transfers secrecy
  // (chapter 11), in rulebook order.
  std::vector<std::vector<int>> epoch_transfers;
  // The provisions with residual_to (10:27), in rulebook order.
  std::vector<int> residual_provisions;

  const std::vector<const Version*>& VersionsOn(absl::CivilDay d) const {
    return epoch_versions[EpochOf(d)];
  }
  size_t EpochOf(absl::CivilDay d) const {
    const auto it = std::upper_bound(epoch_from.begin(), epoch_from.end(), d);
    return static_cast<size_t>(it - epoch_from.begin()) - 1;
  }

  // What does not depend on the facts, per (epoch, secrecy provision,
  // disclosure provision): the version in force, and whether the provision
  // fails before its recipients and conditions are looked at (not in force,
  // not encoded, secrecy not reached or excluded), with that finding ready.
  // Built once the epochs are (BuildStatic); Assess reads one row of n
  // provisions per category (StaticRow).
  struct Static {
    const std::string* version_from = nullptr;  // null: none in force
    const std::string* ref = nullptr;           // the finding's ref
    int16_t reason = 0;  // v1::Reason; 0 = none: recipients and conditions decide
    int16_t field = 0;   // v1::FactField of the finding
    int32_t unverified = 0;
  };
  std::vector<Static> statics;
  const Static* StaticRow(size_t epoch, int secrecy_provision) const {
    return &statics[(epoch * secrecy.size() + static_cast<size_t>(secrecy_provision)) * provisions.size()];
  }
  void BuildStatic();

  void BuildIdTables() {
    category_table.Build(category_index);
    agency_table.Build(agency_index);
    role_table.Build(role_index);
    purpose_table.Build(purpose_index);
    offence_table.Build(offence_index);
    information_kind_table.Build(information_kind_index);
    duty_table.Build(duty_index);
    provision_table.Build(provision_index);
    for (Provision& p : provisions) {
      std::vector<std::string> ids(p.judgement_ids.begin(), p.judgement_ids.end());
      std::sort(ids.begin(), ids.end());
      absl::flat_hash_map<std::string, int> bits;
      for (size_t i = 0; i < ids.size(); ++i) bits.emplace(ids[i], static_cast<int>(i));
      p.judgement_table.Build(bits);
      for (Version& v : p.versions) {
        for (Cond& k : v.conditions) NumberJudgements(bits, &k);
      }
    }
    reflection.Build();
  }

  // Sets the judgement bits of `k` and its children from `bits` (a
  // provision's judgement numbering), and explains_when_held.
  void NumberJudgements(const absl::flat_hash_map<std::string, int>& bits, Cond* k) const {
    if (k->judgement != nullptr) {
      const auto it = bits.find(k->judgement->id());
      k->judgement_bit = it == bits.end() ? -1 : it->second;
    }
    k->duty_judgement_bits.clear();
    for (int law : k->duty_laws) {
      std::vector<int>& out = k->duty_judgement_bits.emplace_back();
      const v1::DutyLaw& l = *duty_laws[law].proto;
      for (const v1::Judgement& j : l.judgements()) {
        const auto it = bits.find(l.id() + "/" + j.id());
        out.push_back(it == bits.end() ? -1 : it->second);
      }
    }
    k->explains_when_held = k->kind == CondKind::kJudgement || k->kind == CondKind::kDuty;
    for (Cond& child : k->children) {
      NumberJudgements(bits, &child);
      k->explains_when_held = k->explains_when_held || child.explains_when_held;
    }
  }

  static bool ReadsCategory(const Cond& k) {
    if (k.kind == CondKind::kPrimarySecrecy) return true;
    for (const Cond& child : k.children) {
      if (ReadsCategory(child)) return true;
    }
    return false;
  }

  void MarkCategoryFree() {
    for (Provision& p : provisions) {
      for (Version& v : p.versions) {
        v.category_free = true;
        for (const Cond& k : v.conditions) v.category_free = v.category_free && !ReadsCategory(k);
      }
    }
  }

  void BuildEpochs() {
    std::vector<absl::CivilDay> cuts = {absl::CivilDay(1, 1, 1)};
    for (const Provision& p : provisions) {
      for (const Version& v : p.versions) {
        cuts.push_back(v.period.from);
        if (v.period.to < absl::CivilDay(9999, 12, 31)) cuts.push_back(v.period.to + 1);
      }
    }
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    epoch_from.clear();
    epoch_versions.clear();
    epoch_transfers.clear();
    for (absl::CivilDay d : cuts) {
      if (d < absl::CivilDay(1, 1, 1)) continue;
      std::vector<const Version*> vs;
      vs.reserve(provisions.size());
      for (const Provision& p : provisions) vs.push_back(p.VersionOn(d));
      std::vector<int> transfers;
      for (size_t p = 0; p < vs.size(); ++p) {
        if (vs[p] != nullptr && vs[p]->transfers_secrecy >= 0) transfers.push_back(static_cast<int>(p));
      }
      epoch_from.push_back(d);
      epoch_versions.push_back(std::move(vs));
      epoch_transfers.push_back(std::move(transfers));
    }
    residual_provisions.clear();
    for (size_t p = 0; p < provisions.size(); ++p) {
      if (!provisions[p].residual_to.empty()) residual_provisions.push_back(static_cast<int>(p));
    }
  }
};

enum class ReachResult { kReached, kNotReached, kExcluded, kExcludedByReachOf };

// Does version `v` break secrecy provision `s`, given `versions`, each
// provision's version in force on the date (Compiled::VersionsOn)? For
// kExcludedByReachOf, `*by` is the provision whose list excludes it.
inline ReachResult CheckReach(const Version& v, int s, const std::vector<const Version*>& versions,
                              int* by) {
  if (!v.base.test(s)) return ReachResult::kNotReached;
  if (v.except.test(s)) return ReachResult::kExcluded;
  for (int q : v.except_reach_of) {
    const Version* qv = versions[q];
    if (qv != nullptr && !qv->not_encoded && qv->listed.test(s)) {
      *by = q;
      return ReachResult::kExcludedByReachOf;
    }
  }
  return ReachResult::kReached;
}

inline void Compiled::BuildStatic() {
  statics.assign(epoch_from.size() * secrecy.size() * provisions.size(), Static{});
  for (size_t e = 0; e < epoch_from.size(); ++e) {
    const std::vector<const Version*>& versions = epoch_versions[e];
    for (size_t s = 0; s < secrecy.size(); ++s) {
      Static* row = &statics[(e * secrecy.size() + s) * provisions.size()];
      for (size_t p = 0; p < provisions.size(); ++p) {
        Static& out = row[p];
        const Version* v = versions[p];
        if (v == nullptr) {
          // Name the nearest later version's start, if there is one (the
          // same throughout the epoch: every version's start is a cut).
          out.reason = v1::NOT_IN_FORCE;
          for (const Version& cand : provisions[p].versions) {
            if (cand.period.from > epoch_from[e]) {
              out.ref = &cand.proto->valid_from();
              break;
            }
          }
          continue;
        }
        out.version_from = &v->proto->valid_from();
        out.unverified = v->unverified;
        if (v->not_encoded) {
          out.reason = v1::VERSION_NOT_ENCODED;
          continue;
        }
        int by = -1;
        out.field = v1::FACT_CATEGORIES;
        switch (CheckReach(*v, static_cast<int>(s), versions, &by)) {
          case ReachResult::kReached:
            out.field = 0;
            break;
          case ReachResult::kNotReached:
            out.reason = v->individual_only && secrecy[s]->protects() == v1::SecrecyProvision::PUBLIC_INTEREST
                             ? v1::SECRECY_PROTECTS_PUBLIC_INTEREST
                             : v1::SECRECY_NOT_REACHED;
            out.ref = &secrecy[s]->id();
            break;
          case ReachResult::kExcluded:
            out.reason = v1::SECRECY_EXCLUDED;
            out.ref = &secrecy[s]->id();
            break;
          case ReachResult::kExcludedByReachOf:
            out.reason = v1::SECRECY_EXCLUDED;
            out.ref = &provisions[static_cast<size_t>(by)].proto->id();
            break;
        }
      }
    }
  }
}

}  // namespace sluss::gate::internal

#endif  // SLUSS_GATE_COMPILED_H_
