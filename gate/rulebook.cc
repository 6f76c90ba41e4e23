#include "gate/rulebook.h"

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "base/file.h"
#include "crypto/hash.h"
#include "gate/compiled.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"

namespace sluss::gate {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::TextFormat;
using internal::Cond;
using internal::CondKind;
using internal::Compiled;
using internal::kMaxSecrecyProvisions;
using internal::kMaxVocabulary;

namespace {

constexpr int kMaxErrors = 20;

// A path from the root message to a field: each step is a field and, for
// repeated fields, an index (-1 for singular fields).
struct Step {
  const FieldDescriptor* field;
  int index;
};
using Path = std::vector<Step>;

Path Sub(const Path& parent, const Message& msg, absl::string_view field, int index = -1) {
  const FieldDescriptor* f = msg.GetDescriptor()->FindFieldByName(std::string(field.data(), field.size()));
  Path p = parent;
  p.push_back({f, index});
  return p;
}

std::string PathString(const Path& path) {
  std::string out;
  for (const Step& s : path) {
    if (!out.empty()) out += ".";
    out += s.field == nullptr ? "?" : s.field->name();
    if (s.index >= 0) absl::StrAppend(&out, "[", s.index, "]");
  }
  return out;
}

class TextErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit TextErrorCollector(std::string filename) : filename_(std::move(filename)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    errors_.push_back(absl::StrCat(filename_, ":", line + 1, ":", column + 1, ": ", message));
  }
  void AddWarning(int line, google::protobuf::io::ColumnNumber column,
                  const std::string& message) override {
    AddError(line, column, absl::StrCat("warning: ", message));
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string filename_;
  std::vector<std::string> errors_;
};

bool ParseDate(absl::string_view text, absl::CivilDay* out) {
  if (text.size() != 10) return false;
  absl::CivilDay d;
  if (!absl::ParseCivilTime(text, &d)) return false;
  if (absl::FormatCivilTime(d) != std::string(text.data(), text.size())) return false;
  *out = d;
  return true;
}

// Validates a v1::Rulebook and compiles it. Collects every error it finds.
class Builder {
 public:
  Builder(const v1::Rulebook& rb, const TextFormat::ParseInfoTree* tree, std::string filename)
      : rb_(rb), tree_(tree), filename_(std::move(filename)) {}

  absl::Status Build(Compiled* c) {
    c_ = c;
    IndexVocabularies();
    IndexSecrecy();
    IndexCategories();
    IndexAgencies();
    IndexSettings();
    IndexDutyLaws();
    IndexProvisions();
    CompileProvisions();
    if (errors_.empty()) {
      static std::atomic<uint64_t> instances{0};
      c->instance = instances.fetch_add(1, std::memory_order_relaxed) + 1;
      c->BuildEpochs();
      c->BuildStatic();
      c->BuildIdTables();
      c->MarkCategoryFree();
      return absl::OkStatus();
    }
    if (dropped_ > 0) errors_.push_back(absl::StrCat("... and ", dropped_, " more errors"));
    return absl::InvalidArgumentError(
        absl::StrCat("invalid rulebook:\n", absl::StrJoin(errors_, "\n")));
  }

 private:
  void Error(const Path& path, absl::string_view message) {
    if (static_cast<int>(errors_.size()) >= kMaxErrors) {
      ++dropped_;
      return;
    }
    std::string where = filename_;
    if (tree_ != nullptr) {
      // The deepest step of the path that the text has a location for.
      const TextFormat::ParseInfoTree* t = tree_;
      int line = -1, column = -1;
      for (size_t i = 0; i < path.size() && t != nullptr; ++i) {
        const Step& s = path[i];
        if (s.field == nullptr) break;
        const int index = s.field->is_repeated() ? s.index : -1;
        if (s.field->is_repeated() && s.index < 0) break;
        google::protobuf::TextFormat::ParseLocation loc = t->GetLocation(s.field, index);
        if (loc.line < 0) break;
        line = loc.line;
        column = loc.column;
        if (s.field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) break;
        t = t->GetTreeForNested(s.field, index);
      }
      if (line >= 0) absl::StrAppend(&where, ":", line + 1, ":", column + 1);
    }
    errors_.push_back(absl::StrCat(where, ": ", PathString(path), ": ", message));
  }

  void RequireText(const Path& path, const v1::Text& text, bool present, absl::string_view what) {
    if (!present || text.sv().empty()) Error(path, absl::StrCat("missing ", what, " in Swedish (sv)"));
    if (!present || text.en().empty()) Error(path, absl::StrCat("missing ", what, " in English (en)"));
  }

  // Adds `id` to `index` as the next entry; reports empty and duplicate ids.
  template <typename Msg>
  void AddId(const Path& path, const Msg& msg, absl::flat_hash_map<std::string, int>* index,
             absl::string_view what, int limit) {
    const Path id_path = Sub(path, msg, "id");
    if (msg.id().empty()) {
      Error(id_path, absl::StrCat(what, " has no id"));
      return;
    }
    const int next = static_cast<int>(index->size());
    if (next >= limit) {
      Error(id_path, absl::StrCat("too many ", what, "s (the engine supports ", limit, ")"));
      return;
    }
    if (!index->emplace(msg.id(), next).second) {
      Error(id_path, absl::StrCat("duplicate ", what, " id \"", msg.id(), "\""));
    }
  }

  template <typename Msg>
  void IndexVocabulary(const google::protobuf::RepeatedPtrField<Msg>& items, absl::string_view field,
                       absl::flat_hash_map<std::string, int>* index, absl::string_view what) {
    for (int i = 0; i < items.size(); ++i) {
      const Path p = Sub({}, rb_, field, i);
      AddId(p, items[i], index, what, kMaxVocabulary);
      RequireText(Sub(p, items[i], "name"), items[i].name(), items[i].has_name(), "name");
    }
  }

  void IndexVocabularies() {
    if (rb_.id().empty()) Error(Sub({}, rb_, "id"), "rulebook has no id");
    if (rb_.edition().empty()) Error(Sub({}, rb_, "edition"), "rulebook has no edition");
    RequireText(Sub({}, rb_, "title"), rb_.title(), rb_.has_title(), "title");
    IndexVocabulary(rb_.recipient_roles(), "recipient_roles", &c_->role_index, "recipient role");
    IndexVocabulary(rb_.purposes(), "purposes", &c_->purpose_index, "purpose");
    IndexVocabulary(rb_.offence_classes(), "offence_classes", &c_->offence_index, "offence class");
    IndexVocabulary(rb_.information_kinds(), "information_kinds", &c_->information_kind_index,
                    "information kind");
  }

  void IndexSecrecy() {
    for (int i = 0; i < rb_.secrecy_provisions_size(); ++i) {
      const v1::SecrecyProvision& s = rb_.secrecy_provisions(i);
      const Path p = Sub({}, rb_, "secrecy_provisions", i);
      AddId(p, s, &c_->secrecy_index, "secrecy provision", kMaxSecrecyProvisions);
      c_->secrecy.push_back(&s);
      if (s.citation().empty()) Error(Sub(p, s, "citation"), "missing citation");
      RequireText(Sub(p, s, "name"), s.name(), s.has_name(), "name");
      if (s.protects() == v1::SecrecyProvision::PROTECTS_UNSPECIFIED) {
        Error(Sub(p, s, "protects"), "say whom the provision protects (INDIVIDUAL, PUBLIC_INTEREST or TRANSFER)");
      }
      int chapter = 0;
      if (!ChapterOf(s.id(), &chapter)) {
        Error(Sub(p, s, "id"), absl::StrCat("secrecy provision id \"", s.id(),
                                            "\" is not of the form chapter:paragraph[/stycke]"));
      }
    }
  }

  static bool ChapterOf(absl::string_view id, int* chapter) {
    const size_t colon = id.find(':');
    if (colon == absl::string_view::npos || colon == 0 || colon + 1 >= id.size()) return false;
    int ch = 0;
    for (char ch_c : id.substr(0, colon)) {
      if (ch_c < '0' || ch_c > '9') return false;
      ch = ch * 10 + (ch_c - '0');
    }
    *chapter = ch;
    return true;
  }

  // The secrecy provisions a reference covers: the provision with that id,
  // and, for a reference without a stycke, every stycke of it ("25:2" covers
  // "25:2/1"). Reports an unknown reference with `what` as the noun.
  internal::SecrecySet ResolveSecrecy(const Path& path, const std::string& ref,
                                      absl::string_view what) {
    internal::SecrecySet set;
    for (int i = 0; i < static_cast<int>(c_->secrecy.size()); ++i) {
      const std::string& id = c_->secrecy[i]->id();
      if (id == ref || (id.size() > ref.size() && id.compare(0, ref.size(), ref) == 0 &&
                        id[ref.size()] == '/')) {
        set.set(i);
      }
    }
    if (set.none()) Error(path, absl::StrCat(what, " \"", ref, "\""));
    return set;
  }

  int Resolve(const Path& path, const std::string& ref,
              const absl::flat_hash_map<std::string, int>& index, absl::string_view what) {
    auto it = index.find(ref);
    if (it == index.end()) {
      Error(path, absl::StrCat("unknown ", what, " \"", ref, "\""));
      return -1;
    }
    return it->second;
  }

  internal::VocabSet ResolveSet(const Path& parent, const Message& msg, absl::string_view field,
                                const google::protobuf::RepeatedPtrField<std::string>& refs,
                                const absl::flat_hash_map<std::string, int>& index,
                                absl::string_view what) {
    internal::VocabSet set;
    for (int i = 0; i < refs.size(); ++i) {
      const int k = Resolve(Sub(parent, msg, field, i), refs[i], index, what);
      if (k >= 0) set.set(k);
    }
    return set;
  }

  void IndexCategories() {
    for (int i = 0; i < rb_.categories_size(); ++i) {
      const v1::InformationCategory& cat = rb_.categories(i);
      const Path p = Sub({}, rb_, "categories", i);
      AddId(p, cat, &c_->category_index, "information category", 1 << 20);
      RequireText(Sub(p, cat, "name"), cat.name(), cat.has_name(), "name");
      const int s = Resolve(Sub(p, cat, "secrecy_provision"), cat.secrecy_provision(),
                            c_->secrecy_index, "secrecy provision");
      c_->category_secrecy.push_back(s);
      if (s >= 0 && c_->secrecy[s]->protects() == v1::SecrecyProvision::TRANSFER) {
        Error(Sub(p, cat, "secrecy_provision"),
              absl::StrCat("a category's secrecy must be a primary provision, not the transfer provision \"",
                           cat.secrecy_provision(), "\""));
      }
    }
  }

  void IndexAgencies() {
    // Ids first, so that nothing depends on order.
    for (int i = 0; i < rb_.agency_kinds_size(); ++i) {
      const v1::AgencyKind& a = rb_.agency_kinds(i);
      const Path p = Sub({}, rb_, "agency_kinds", i);
      AddId(p, a, &c_->agency_index, "agency kind", kMaxVocabulary);
      RequireText(Sub(p, a, "name"), a.name(), a.has_name(), "name");
    }
    for (int i = 0; i < rb_.agency_kinds_size(); ++i) {
      const v1::AgencyKind& a = rb_.agency_kinds(i);
      const Path p = Sub({}, rb_, "agency_kinds", i);
      std::vector<int> primary;
      for (int j = 0; j < a.primary_secrecy_size(); ++j) {
        const int s = Resolve(Sub(p, a, "primary_secrecy", j), a.primary_secrecy(j),
                              c_->secrecy_index, "secrecy provision");
        if (s >= 0) primary.push_back(s);
      }
      c_->agency_primary_secrecy.push_back(std::move(primary));
      for (int j = 0; j < a.holds_categories_size(); ++j) {
        Resolve(Sub(p, a, "holds_categories", j), a.holds_categories(j), c_->category_index,
                "information category");
      }
    }
  }

  void IndexSettings() {
    for (int i = 0; i < rb_.settings_size(); ++i) {
      const v1::Setting& s = rb_.settings(i);
      const Path p = Sub({}, rb_, "settings", i);
      AddId(p, s, &c_->setting_index, "setting", kMaxVocabulary);
      RequireText(Sub(p, s, "explanation"), s.explanation(), s.has_explanation(), "explanation");
      c_->setting_values.push_back(s.value());
    }
  }

  internal::Recipients CompileRecipients(const Path& p, const v1::RecipientRule& r) {
    internal::Recipients out;
    out.any = r.any_authority();
    out.agency_kinds =
        ResolveSet(p, r, "agency_kinds", r.agency_kinds(), c_->agency_index, "agency kind");
    out.roles = ResolveSet(p, r, "roles", r.roles(), c_->role_index, "recipient role");
    if (!out.any && out.agency_kinds.none() && out.roles.none() && r.agency_kinds().empty() &&
        r.roles().empty()) {
      Error(p, "no recipient can match: set any_authority, agency_kinds or roles");
    }
    return out;
  }

  bool CompilePeriod(const Path& p, const Message& msg, const std::string& from,
                     const std::string& to, internal::Period* out) {
    bool ok = true;
    if (!from.empty() && !ParseDate(from, &out->from)) {
      Error(Sub(p, msg, "valid_from"), absl::StrCat("\"", from, "\" is not a date YYYY-MM-DD"));
      ok = false;
    }
    if (!to.empty() && !ParseDate(to, &out->to)) {
      Error(Sub(p, msg, "valid_to"), absl::StrCat("\"", to, "\" is not a date YYYY-MM-DD"));
      ok = false;
    }
    if (ok && out->to < out->from) {
      Error(Sub(p, msg, "valid_to"), absl::StrCat("valid_to ", to, " is before valid_from ", from));
      ok = false;
    }
    return ok;
  }

  void CheckJudgement(const Path& p, const v1::Judgement& j) {
    if (j.id().empty()) Error(Sub(p, j, "id"), "judgement has no id");
    RequireText(Sub(p, j, "text"), j.text(), j.has_text(), "judgement text");
  }

  void IndexDutyLaws() {
    for (int i = 0; i < rb_.duty_laws_size(); ++i) {
      const v1::DutyLaw& d = rb_.duty_laws(i);
      const Path p = Sub({}, rb_, "duty_laws", i);
      AddId(p, d, &c_->duty_index, "duty law", 1 << 20);
      if (d.citation().empty()) Error(Sub(p, d, "citation"), "missing citation");
      RequireText(Sub(p, d, "name"), d.name(), d.has_name(), "name");
      internal::DutyLaw law;
      law.proto = &d;
      law.any_discloser = d.discloser_kinds().empty();
      law.disclosers = ResolveSet(p, d, "discloser_kinds", d.discloser_kinds(), c_->agency_index,
                                  "agency kind");
      law.recipients = CompileRecipients(Sub(p, d, "recipients"), d.recipients());
      CompilePeriod(p, d, d.valid_from(), d.valid_to(), &law.period);
      absl::flat_hash_map<std::string, int> seen;
      for (int j = 0; j < d.judgements_size(); ++j) {
        const Path jp = Sub(p, d, "judgements", j);
        CheckJudgement(jp, d.judgements(j));
        if (!d.judgements(j).id().empty() && !seen.emplace(d.judgements(j).id(), j).second) {
          Error(Sub(jp, d.judgements(j), "id"),
                absl::StrCat("duplicate judgement id \"", d.judgements(j).id(), "\""));
        }
      }
      for (const v1::Judgement& j : d.judgements()) law.judgement_refs.push_back(absl::StrCat(d.id(), "/", j.id()));
      c_->duty_laws.push_back(std::move(law));
    }
  }

  void IndexProvisions() {
    for (int i = 0; i < rb_.disclosure_provisions_size(); ++i) {
      const v1::DisclosureProvision& d = rb_.disclosure_provisions(i);
      const Path p = Sub({}, rb_, "disclosure_provisions", i);
      AddId(p, d, &c_->provision_index, "disclosure provision", 1 << 20);
    }
  }

  void CompileProvisions() {
    c_->provisions.resize(rb_.disclosure_provisions_size());
    for (int i = 0; i < rb_.disclosure_provisions_size(); ++i) {
      const v1::DisclosureProvision& d = rb_.disclosure_provisions(i);
      const Path p = Sub({}, rb_, "disclosure_provisions", i);
      internal::Provision& prov = c_->provisions[i];
      prov.proto = &d;
      if (d.citation().empty()) Error(Sub(p, d, "citation"), "missing citation");
      RequireText(Sub(p, d, "title"), d.title(), d.has_title(), "title");
      if (d.kind() == v1::DisclosureProvision::KIND_UNSPECIFIED) {
        Error(Sub(p, d, "kind"), "say the provision's kind (PERMISSIVE, DUTY or CONSENT)");
      }
      for (int j = 0; j < d.residual_to_size(); ++j) {
        const int k = Resolve(Sub(p, d, "residual_to", j), d.residual_to(j), c_->provision_index,
                              "disclosure provision");
        if (k == i) Error(Sub(p, d, "residual_to", j), "a provision cannot be residual to itself");
        if (k >= 0 && k != i) prov.residual_to.push_back(k);
      }
      if (d.versions().empty()) Error(Sub(p, d, "versions"), "provision has no versions");
      for (int j = 0; j < d.versions_size(); ++j) {
        prov.versions.push_back(CompileVersion(Sub(p, d, "versions", j), d.versions(j), i));
        for (const Cond& cond : prov.versions.back().conditions) CollectJudgements(cond, &prov);
      }
      if (prov.judgement_ids.size() > static_cast<size_t>(internal::kMaxJudgements)) {
        Error(Sub(p, d, "versions"), absl::StrCat("more than ", internal::kMaxJudgements,
                                                  " judgement ids over the provision's versions"));
      }
      // Overlapping validity periods.
      for (int a = 0; a < d.versions_size(); ++a) {
        for (int b = a + 1; b < d.versions_size(); ++b) {
          const internal::Period& x = prov.versions[a].period;
          const internal::Period& y = prov.versions[b].period;
          if (x.from <= y.to && y.from <= x.to) {
            Error(Sub(p, d, "versions", b),
                  absl::StrCat("validity period overlaps versions[", a, "] of ", d.id(), " (",
                               Describe(d.versions(a)), " and ", Describe(d.versions(b)), ")"));
          }
        }
      }
    }
    // except_reach_of must name provisions whose reach is an explicit list.
    for (int i = 0; i < rb_.disclosure_provisions_size(); ++i) {
      const v1::DisclosureProvision& d = rb_.disclosure_provisions(i);
      for (int j = 0; j < d.versions_size(); ++j) {
        const v1::Reach& r = d.versions(j).reach();
        for (int k = 0; k < r.except_reach_of_size(); ++k) {
          auto it = c_->provision_index.find(r.except_reach_of(k));
          if (it == c_->provision_index.end()) continue;  // reported already
          for (const v1::ProvisionVersion& other : rb_.disclosure_provisions(it->second).versions()) {
            if (!other.not_encoded() && other.reach().provisions().empty()) {
              Path p = Sub({}, rb_, "disclosure_provisions", i);
              p = Sub(p, d, "versions", j);
              p = Sub(p, d.versions(j), "reach");
              Error(Sub(p, r, "except_reach_of", k),
                    absl::StrCat("\"", r.except_reach_of(k),
                                 "\" has a version whose reach is not an explicit provisions list"));
              break;
            }
          }
        }
      }
    }
  }

  void CollectJudgements(const Cond& cond, internal::Provision* prov) {
    if (cond.judgement != nullptr) prov->judgement_ids.insert(cond.judgement->id());
    for (int law : cond.duty_laws) {
      for (const v1::Judgement& j : c_->duty_laws[law].proto->judgements()) {
        prov->judgement_ids.insert(absl::StrCat(c_->duty_laws[law].proto->id(), "/", j.id()));
      }
    }
    for (const Cond& child : cond.children) CollectJudgements(child, prov);
  }

  static std::string Describe(const v1::ProvisionVersion& v) {
    return absl::StrCat(v.valid_from().empty() ? "open" : v.valid_from(), "..",
                        v.valid_to().empty() ? "open" : v.valid_to());
  }

  internal::Version CompileVersion(const Path& p, const v1::ProvisionVersion& v, int self) {
    internal::Version out;
    out.proto = &v;
    out.not_encoded = v.not_encoded();
    out.unverified = v.provenance().unverified();
    CompilePeriod(p, v, v.valid_from(), v.valid_to(), &out.period);
    RequireText(Sub(p, v, "explanation"), v.explanation(), v.has_explanation(), "explanation");
    if (v.not_encoded()) {
      if (!v.provenance().unverified()) {
        Error(Sub(p, v, "provenance"), "a not_encoded version must be marked unverified with a note");
      }
      return out;
    }
    // Reach.
    const Path rp = Sub(p, v, "reach");
    const v1::Reach& r = v.reach();
    const int n = static_cast<int>(c_->secrecy.size());
    for (int i = 0; i < n; ++i) {
      const v1::SecrecyProvision& s = *c_->secrecy[i];
      if (s.protects() == v1::SecrecyProvision::TRANSFER) continue;
      int chapter = 0;
      ChapterOf(s.id(), &chapter);
      bool in = r.all_secrecy() ||
                (r.individual_secrecy() && s.protects() == v1::SecrecyProvision::INDIVIDUAL);
      for (const v1::ChapterRange& cr : r.chapters()) {
        if (chapter >= cr.first() && chapter <= cr.last()) in = true;
      }
      if (in) out.base.set(i);
    }
    for (int i = 0; i < r.chapters_size(); ++i) {
      if (r.chapters(i).first() <= 0 || r.chapters(i).last() < r.chapters(i).first()) {
        Error(Sub(rp, r, "chapters", i), "chapter range must have 0 < first <= last");
      }
    }
    for (int i = 0; i < r.provisions_size(); ++i) {
      out.listed |= ResolveSecrecy(Sub(rp, r, "provisions", i), r.provisions(i),
                                   "reach names unknown secrecy provision");
    }
    out.base |= out.listed;
    for (int i = 0; i < r.except_size(); ++i) {
      out.except |= ResolveSecrecy(Sub(rp, r, "except", i), r.except(i),
                                   "exclusion list names unknown secrecy provision");
    }
    for (int i = 0; i < r.except_reach_of_size(); ++i) {
      const int k = Resolve(Sub(rp, r, "except_reach_of", i), r.except_reach_of(i),
                            c_->provision_index, "disclosure provision");
      if (k == self) Error(Sub(rp, r, "except_reach_of", i), "a provision cannot exclude its own reach");
      if (k >= 0 && k != self) out.except_reach_of.push_back(k);
    }
    out.individual_only = r.individual_secrecy() && !r.all_secrecy() && r.chapters().empty() &&
                          r.provisions().empty();
    if (out.base.none()) Error(rp, "the reach is empty: the provision breaks no secrecy");
    // Recipients, conditions, transfer.
    out.recipients = CompileRecipients(Sub(p, v, "recipients"), v.recipients());
    absl::flat_hash_map<std::string, int> judgement_ids;
    for (int i = 0; i < v.conditions_size(); ++i) {
      const Path cp = Sub(p, v, "conditions", i);
      if (!v.conditions(i).has_explanation()) {
        RequireText(Sub(cp, v.conditions(i), "explanation"), v.conditions(i).explanation(), false,
                    "explanation");
      } else {
        RequireText(Sub(cp, v.conditions(i), "explanation"), v.conditions(i).explanation(), true,
                    "explanation");
      }
      out.conditions.push_back(CompileCondition(cp, v.conditions(i), false, &judgement_ids));
    }
    if (!v.transfers_secrecy().empty()) {
      out.transfers_secrecy = Resolve(Sub(p, v, "transfers_secrecy"), v.transfers_secrecy(),
                                      c_->secrecy_index, "secrecy provision");
      if (out.transfers_secrecy >= 0 &&
          c_->secrecy[out.transfers_secrecy]->protects() != v1::SecrecyProvision::TRANSFER) {
        Error(Sub(p, v, "transfers_secrecy"),
              absl::StrCat("\"", v.transfers_secrecy(), "\" is not a chapter-11 transfer provision"));
      }
    }
    return out;
  }

  static uint32_t Mask(const google::protobuf::RepeatedField<int>& values) {
    uint32_t m = 0;
    for (int v : values) m |= 1u << v;
    return m;
  }

  Cond CompileCondition(const Path& p, const v1::Condition& c, bool under_not,
                        absl::flat_hash_map<std::string, int>* judgement_ids) {
    Cond out;
    out.proto = &c;
    if (c.id().empty()) Error(Sub(p, c, "id"), "condition has no id");
    switch (c.kind_case()) {
      case v1::Condition::kAgeBelow:
        out.kind = CondKind::kAgeBelow;
        out.age_years = c.age_below().years();
        if (out.age_years <= 0 || out.age_years > 150) {
          Error(Sub(Sub(p, c, "age_below"), c.age_below(), "years"), "age limit must be 1..150");
        }
        break;
      case v1::Condition::kPurposeAnyOf: {
        out.kind = CondKind::kPurpose;
        const Path pp = Sub(p, c, "purpose_any_of");
        out.set = ResolveSet(pp, c.purpose_any_of(), "purposes", c.purpose_any_of().purposes(),
                             c_->purpose_index, "purpose");
        if (c.purpose_any_of().purposes().empty()) Error(pp, "purpose_any_of lists no purpose");
        break;
      }
      case v1::Condition::kCrime: {
        out.kind = CondKind::kCrime;
        const v1::CrimeCondition& cc = c.crime();
        const Path pp = Sub(p, c, "crime");
        out.stages = Mask(cc.stages());
        out.forms = Mask(cc.forms());
        if ((out.stages & 1u) != 0) Error(Sub(pp, cc, "stages"), "CRIME_STAGE_UNSPECIFIED is not a stage");
        if ((out.forms & 1u) != 0) Error(Sub(pp, cc, "forms"), "CRIME_FORM_UNSPECIFIED is not a form");
        out.has_offence_classes = !cc.offence_classes().empty();
        out.set = ResolveSet(pp, cc, "offence_classes", cc.offence_classes(), c_->offence_index,
                             "offence class");
        out.min_penalty_months = cc.minimum_penalty_months_at_least();
        if (out.min_penalty_months < 0) {
          Error(Sub(pp, cc, "minimum_penalty_months_at_least"), "must not be negative");
        }
        out.prison_in_scale = cc.prison_in_scale();
        out.victim_age_below = cc.victim_age_below();
        if (out.victim_age_below < 0 || out.victim_age_below > 150) {
          Error(Sub(pp, cc, "victim_age_below"), "age limit must be 0..150");
        }
        out.against_narstaende = cc.against_narstaende();
        break;
      }
      case v1::Condition::kJudgement:
        out.kind = CondKind::kJudgement;
        out.judgement = &c.judgement();
        CheckJudgement(Sub(p, c, "judgement"), c.judgement());
        if (under_not) Error(Sub(p, c, "judgement"), "a judgement cannot be negated (under not_)");
        if (!c.judgement().id().empty() &&
            !judgement_ids->emplace(c.judgement().id(), 0).second) {
          Error(Sub(Sub(p, c, "judgement"), c.judgement(), "id"),
                absl::StrCat("duplicate judgement id \"", c.judgement().id(), "\" in this version"));
        }
        break;
      case v1::Condition::kConsent:
        out.kind = CondKind::kConsent;
        break;
      case v1::Condition::kDuty: {
        out.kind = CondKind::kDuty;
        const Path pp = Sub(p, c, "duty");
        for (int i = 0; i < c.duty().duty_laws_size(); ++i) {
          const int k = Resolve(Sub(pp, c.duty(), "duty_laws", i), c.duty().duty_laws(i),
                                c_->duty_index, "duty law");
          if (k >= 0) out.duty_laws.push_back(k);
        }
        if (c.duty().duty_laws().empty()) Error(pp, "duty lists no duty law");
        if (under_not) Error(pp, "a duty condition cannot be negated (it may need judgements)");
        break;
      }
      case v1::Condition::kInformationKindsWithin: {
        out.kind = CondKind::kInformationKinds;
        const Path pp = Sub(p, c, "information_kinds_within");
        out.set = ResolveSet(pp, c.information_kinds_within(), "kinds",
                             c.information_kinds_within().kinds(), c_->information_kind_index,
                             "information kind");
        if (c.information_kinds_within().kinds().empty()) Error(pp, "lists no information kind");
        break;
      }
      case v1::Condition::kPrimarySecrecyIn: {
        out.kind = CondKind::kPrimarySecrecy;
        const Path pp = Sub(p, c, "primary_secrecy_in");
        const v1::PrimarySecrecyIn& ps = c.primary_secrecy_in();
        for (int i = 0; i < ps.provisions_size(); ++i) {
          out.secrecy |= ResolveSecrecy(Sub(pp, ps, "provisions", i), ps.provisions(i),
                                        "condition names unknown secrecy provision");
        }
        if (ps.provisions().empty()) Error(pp, "lists no secrecy provision");
        break;
      }
      case v1::Condition::kDiscloserKindIn: {
        out.kind = CondKind::kDiscloserKind;
        const Path pp = Sub(p, c, "discloser_kind_in");
        out.set = ResolveSet(pp, c.discloser_kind_in(), "agency_kinds",
                             c.discloser_kind_in().agency_kinds(), c_->agency_index, "agency kind");
        if (c.discloser_kind_in().agency_kinds().empty()) Error(pp, "lists no agency kind");
        break;
      }
      case v1::Condition::kSetting:
        out.kind = CondKind::kSetting;
        out.setting = Resolve(Sub(p, c, "setting"), c.setting(), c_->setting_index, "setting");
        break;
      case v1::Condition::kAnyOf:
      case v1::Condition::kAllOf: {
        const bool any = c.kind_case() == v1::Condition::kAnyOf;
        out.kind = any ? CondKind::kAnyOf : CondKind::kAllOf;
        const v1::ConditionList& list = any ? c.any_of() : c.all_of();
        const Path lp = Sub(p, c, any ? "any_of" : "all_of");
        if (list.conditions().empty()) Error(lp, "empty condition list");
        for (int i = 0; i < list.conditions_size(); ++i) {
          out.children.push_back(CompileCondition(Sub(lp, list, "conditions", i), list.conditions(i),
                                                  under_not, judgement_ids));
        }
        break;
      }
      case v1::Condition::kNot:
        out.kind = CondKind::kNot;
        out.children.push_back(CompileCondition(Sub(p, c, "not_"), c.not_(), true, judgement_ids));
        break;
      case v1::Condition::KIND_NOT_SET:
        Error(p, "condition has no kind (age_below, purpose_any_of, crime, judgement, ...)");
        break;
    }
    return out;
  }

  const v1::Rulebook& rb_;
  const TextFormat::ParseInfoTree* tree_;
  std::string filename_;
  Compiled* c_ = nullptr;
  std::vector<std::string> errors_;
  int dropped_ = 0;
};

std::string ComputeDigest(const v1::Rulebook& rb) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream sos(&bytes);
    google::protobuf::io::CodedOutputStream cos(&sos);
    cos.SetSerializationDeterministic(true);
    rb.SerializeToCodedStream(&cos);
  }
  return absl::StrCat("sha256:", crypto::ToHex(crypto::AsStringView(crypto::Sha256(bytes))));
}

}  // namespace

class RulebookBuilder {
 public:
  static absl::StatusOr<std::unique_ptr<const Rulebook>> Build(
      v1::Rulebook proto, const TextFormat::ParseInfoTree* tree, absl::string_view filename) {
    std::unique_ptr<Rulebook> rb(new Rulebook());
    rb->proto_ = std::move(proto);
    rb->compiled_ = std::make_unique<Compiled>();
    Builder builder(rb->proto_, tree, std::string(filename.data(), filename.size()));
    const absl::Status st = builder.Build(rb->compiled_.get());
    if (!st.ok()) return st;
    rb->digest_ = ComputeDigest(rb->proto_);
    return std::unique_ptr<const Rulebook>(std::move(rb));
  }
};

Rulebook::Rulebook() = default;
Rulebook::~Rulebook() = default;

absl::StatusOr<std::unique_ptr<const Rulebook>> Rulebook::Parse(absl::string_view text,
                                                                absl::string_view filename) {
  const std::string name(filename.data(), filename.size());
  TextErrorCollector collector(name);
  TextFormat::ParseInfoTree tree;
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(&tree);
  v1::Rulebook proto;
  google::protobuf::io::ArrayInputStream input(text.data(), static_cast<int>(text.size()));
  if (!parser.Parse(&input, &proto)) {
    std::vector<std::string> errors = collector.errors();
    if (errors.empty()) errors.push_back(absl::StrCat(name, ": could not parse"));
    return absl::InvalidArgumentError(
        absl::StrCat("invalid rulebook:\n", absl::StrJoin(errors, "\n")));
  }
  return RulebookBuilder::Build(std::move(proto), &tree, name);
}

absl::StatusOr<std::unique_ptr<const Rulebook>> Rulebook::LoadFile(absl::string_view path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

absl::StatusOr<std::unique_ptr<const Rulebook>> Rulebook::FromProto(v1::Rulebook proto) {
  return RulebookBuilder::Build(std::move(proto), nullptr, "<rulebook message>");
}

absl::StatusOr<std::unique_ptr<const Rulebook>> Rulebook::Bundled() {
  return Parse(BundledRulebookText(), "gate/rules/osl.textpb (bundled)");
}

const v1::DisclosureProvision* Rulebook::FindDisclosureProvision(absl::string_view id) const {
  auto it = compiled_->provision_index.find(id);
  return it == compiled_->provision_index.end() ? nullptr
                                                : &proto_.disclosure_provisions(it->second);
}

const v1::SecrecyProvision* Rulebook::FindSecrecyProvision(absl::string_view id) const {
  auto it = compiled_->secrecy_index.find(id);
  return it == compiled_->secrecy_index.end() ? nullptr : &proto_.secrecy_provisions(it->second);
}

const v1::InformationCategory* Rulebook::FindCategory(absl::string_view id) const {
  auto it = compiled_->category_index.find(id);
  return it == compiled_->category_index.end() ? nullptr : &proto_.categories(it->second);
}

const v1::AgencyKind* Rulebook::FindAgencyKind(absl::string_view id) const {
  auto it = compiled_->agency_index.find(id);
  return it == compiled_->agency_index.end() ? nullptr : &proto_.agency_kinds(it->second);
}

const v1::DutyLaw* Rulebook::FindDutyLaw(absl::string_view id) const {
  auto it = compiled_->duty_index.find(id);
  return it == compiled_->duty_index.end() ? nullptr : &proto_.duty_laws(it->second);
}

namespace {
const v1::Condition* FindIn(const v1::Condition& c, absl::string_view id) {
  if (c.id() == id) return &c;
  const v1::ConditionList* list = c.has_any_of() ? &c.any_of() : c.has_all_of() ? &c.all_of() : nullptr;
  if (list != nullptr) {
    for (const v1::Condition& child : list->conditions()) {
      if (const v1::Condition* f = FindIn(child, id)) return f;
    }
  }
  if (c.has_not_()) return FindIn(c.not_(), id);
  return nullptr;
}
}  // namespace

const v1::Condition* Rulebook::FindCondition(const v1::ProvisionVersion& version,
                                             absl::string_view condition_id) {
  for (const v1::Condition& c : version.conditions()) {
    if (const v1::Condition* f = FindIn(c, condition_id)) return f;
  }
  return nullptr;
}

}  // namespace sluss::gate
