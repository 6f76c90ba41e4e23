#include "tests/support/sluss_log.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "crypto/hash.h"
#include "crypto/note.h"
#include "exchange/action.h"
#include "gate/assess.h"
#include "storage/diarium.h"
#include "storage/tile_source.h"

namespace sluss::testing {
namespace {

constexpr size_t kRulebookChunk = 60000;  // as the broker (server/broker/broker.cc)

std::string Seed(int seed, absl::string_view who) {
  std::string s = std::string(crypto::AsStringView(crypto::Sha256(absl::StrCat("sluss-log-", seed, "-", who))));
  return s.substr(0, 32);
}

v1::AgencyRef Ref(absl::string_view orgnr, absl::string_view function) {
  v1::AgencyRef r;
  r.set_orgnr(std::string(orgnr));
  r.set_function(std::string(function));
  return r;
}

}  // namespace

std::string SerializeEntry(const v1::DiariumEntry& entry) { return exchange::SerializeDeterministic(entry); }

absl::StatusOr<std::unique_ptr<SlussLogGenerator>> SlussLogGenerator::Create(const SlussLogOptions& options) {
  std::unique_ptr<SlussLogGenerator> g(new SlussLogGenerator());
  g->options_ = options;
  g->now_ = options.start;
  SLUSS_ASSIGN_OR_RETURN(g->rulebook_, gate::Rulebook::Bundled());
  struct A {
    const char *name, *orgnr, *function, *org, *kind, *format;
    bool audit;
  };
  const A agencies[] = {
      {"socialtjanst", "212000-0142", "socialtjanst", "Stockholms stad, socialnämnden", "kommun_socialnamnd",
       "SO {year}/{seq:04}", false},
      {"polisen", "202100-0076", "polis", "Polismyndigheten", "polismyndigheten", "A{seq}-{year}", false},
      {"auditor", "212000-0142", "revision", "Stockholms stad, revisionen", "annan_myndighet", "REV {year}/{seq:03}",
       true},
  };
  for (const A& a : agencies) {
    v1::AgencyRegistration r;
    *r.mutable_agency() = Ref(a.orgnr, a.function);
    r.set_name(a.org);
    r.set_kind(a.kind);
    r.set_diarienummer_format(a.format);
    SLUSS_ASSIGN_OR_RETURN(crypto::X25519KeyPair kp, crypto::X25519KeyPair::FromSeed(Seed(options.seed, a.name)));
    r.set_encryption_key(std::string(crypto::Bytes(kp.public_key())));
    r.set_may_audit(a.audit);
    g->agencies_[a.name] = r;
  }
  struct O {
    const char *id, *agency;
    std::vector<v1::Role> roles;
    std::vector<std::string> cats;
  };
  const O officers[] = {
      {"anna.handlaggare", "socialtjanst", {v1::HANDLAGGARE}, {}},
      {"bo.beslutsfattare", "socialtjanst", {v1::HANDLAGGARE, v1::BESLUTSFATTARE}, {"socialtjanst"}},
      {"gustav.admin", "socialtjanst", {v1::ADMIN}, {}},
      {"cecilia.utredare", "polisen", {v1::HANDLAGGARE, v1::BESLUTSFATTARE}, {"forundersokning"}},
      {"frida.revisor", "auditor", {v1::AUDITOR}, {}},
  };
  for (const O& o : officers) {
    v1::OfficerRegistration r;
    r.set_id(o.id);
    r.set_name(o.id);
    *r.mutable_agency() = g->agencies_[o.agency].agency();
    for (v1::Role role : o.roles) r.add_roles(role);
    for (const std::string& c : o.cats) r.add_delegation_categories(c);
    SLUSS_ASSIGN_OR_RETURN(crypto::Ed25519SigningKey k, crypto::Ed25519SigningKey::FromSeed(Seed(options.seed, o.id)));
    r.set_signing_key(std::string(crypto::Bytes(k.public_key())));
    g->keys_[o.id] = std::make_unique<crypto::Ed25519SigningKey>(std::move(k));
    g->officers_[o.id] = r;
  }
  return g;
}

absl::CivilDay SlussLogGenerator::Day() const { return absl::ToCivilDay(now_, absl::UTCTimeZone()); }

std::vector<v1::DiariumEntry> SlussLogGenerator::Preamble() {
  std::vector<v1::DiariumEntry> out;
  for (const char* a : {"socialtjanst", "polisen", "auditor"}) *out.emplace_back().mutable_agency() = agencies_[a];
  for (const char* o : {"anna.handlaggare", "bo.beslutsfattare", "gustav.admin", "cecilia.utredare", "frida.revisor"}) {
    *out.emplace_back().mutable_officer() = officers_[o];
  }
  const std::string ser = exchange::SerializeDeterministic(rulebook_->proto());
  v1::RulebookActivation act;
  act.set_digest(rulebook_->digest());
  act.set_rulebook_id(rulebook_->proto().id());
  act.set_edition(rulebook_->proto().edition());
  const uint32_t n = static_cast<uint32_t>((ser.size() + kRulebookChunk - 1) / kRulebookChunk);
  for (uint32_t i = 0; i < n; ++i) {
    v1::RulebookChunk* c = out.emplace_back().mutable_rulebook_chunk();
    c->set_digest(act.digest());
    c->set_index(i);
    c->set_count(n);
    c->set_data(ser.substr(i * kRulebookChunk, kRulebookChunk));
  }
  act.set_chunks(n);
  *out.emplace_back().mutable_rulebook_activation() = act;
  for (auto& e : out) Stamp(e);
  return out;
}

v1::Action SlussLogGenerator::NewAction(const std::string& officer, const std::string& idem) const {
  v1::Action a;
  a.set_idempotency_key(idem);
  a.set_officer(officer);
  *a.mutable_agency() = officers_.at(officer).agency();
  a.set_signed_at_unix_micros(absl::ToUnixMicros(now_) - 1500000);
  return a;
}

v1::DsseEnvelope SlussLogGenerator::Sign(const v1::Action& action, const crypto::Ed25519SigningKey* key) const {
  return exchange::SignAction(action, key != nullptr ? *key : *keys_.at(action.officer()));
}

std::vector<v1::DiariumEntry> SlussLogGenerator::Case(uint64_t n) {
  std::vector<v1::DiariumEntry> out;
  now_ += options_.step;
  const v1::AgencyRegistration& pol = agencies_["polisen"];
  const v1::AgencyRegistration& soc = agencies_["socialtjanst"];
  const std::string idem = absl::StrCat("pol-req-", n);
  const std::string case_id = exchange::CaseIdFor(pol.agency(), idem);
  const std::string commitment =
      exchange::SubjectCommitment(absl::StrCat("salt-of-case-", n, "-0123456789"), absl::StrCat("subject-", n));
  const std::string pseudonym = crypto::ToHex(crypto::AsStringView(crypto::Sha256(absl::StrCat("pseudonym ", n))));

  // The request, as polisen's officer signs it and the broker completes it.
  v1::Action req = NewAction("cecilia.utredare", idem);
  v1::RequestAction* ra = req.mutable_request();
  *ra->mutable_to() = soc.agency();
  ra->mutable_facts()->add_categories("socialtjanst");
  ra->mutable_facts()->add_purposes("forebygga_brott");
  ra->set_subject_kind(v1::PERSON);
  ra->set_subject_commitment(commitment);
  ra->set_question_digest(std::string(crypto::AsStringView(crypto::Sha256(absl::StrCat("question ", n)))));
  ra->set_summary("Uppgifter om insatser för en ung person (10 kap. 18 a § OSL)");
  v1::Facts facts = ra->facts();
  facts.mutable_discloser()->set_agency_kind(soc.kind());
  *facts.mutable_discloser()->mutable_agency() = soc.agency();
  facts.mutable_recipient()->set_agency_kind(pol.kind());
  *facts.mutable_recipient()->mutable_agency() = pol.agency();
  facts.mutable_subject()->set_age_years(19);
  facts.mutable_subject()->set_pseudonym(pseudonym);
  const absl::CivilDay day = Day();
  const std::string date = absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
  {
    v1::DiariumEntry& e = out.emplace_back();
    v1::RequestEntry* re = e.mutable_request();
    v1::CaseOpening* op = re->mutable_opening();
    op->set_case_id(case_id);
    *op->mutable_from() = pol.agency();
    *op->mutable_to() = soc.agency();
    const int year = static_cast<int>(day.year());
    op->set_from_diarienummer(absl::StrFormat("A%d-%d", ++seq_[absl::StrCat("pol", year)], year));
    op->set_to_diarienummer(absl::StrFormat("SO %d/%04d", year, ++seq_[absl::StrCat("soc", year)]));
    op->set_subject_pseudonym(pseudonym);
    op->set_subject_commitment(commitment);
    *re->mutable_action() = Sign(req);
    *re->mutable_facts() = facts;
    re->set_decision_date(date);
    absl::StatusOr<v1::Assessment> a = gate::Assess(*rulebook_, facts, day);
    if (a.ok()) *re->mutable_assessment() = *std::move(a);
    Stamp(e);
  }
  now_ += options_.step;
  const bool refuse = options_.refuse_every > 0 && n % static_cast<uint64_t>(options_.refuse_every) ==
                                                        static_cast<uint64_t>(options_.refuse_every) - 1;
  v1::Action dec = NewAction("bo.beslutsfattare", absl::StrCat("soc-dec-", n));
  dec.mutable_decide()->set_case_id(case_id);
  v1::DiariumEntry& d = out.emplace_back();
  d.mutable_decision()->set_case_id(case_id);
  d.mutable_decision()->set_decision_date(date);
  if (refuse) {
    dec.mutable_decide()->mutable_refuse()->add_reasons("Uppgifterna behövs inte för ändamålet.");
  } else {
    v1::Disclose* dis = dec.mutable_decide()->mutable_disclose();
    dis->set_envelope_digest(std::string(crypto::AsStringView(crypto::Sha256(absl::StrCat("answer ", n)))));
    for (const char* j : {"konkret_risk", "inte_olampligt"}) {
      v1::Attestation* at = dis->add_attestations();
      at->set_provision("10:18a");
      at->set_judgement(j);
      at->set_officer("bo.beslutsfattare");
      at->set_motivation("Bedömt utifrån utredningen i ärendet.");
    }
    dis->set_motivation("Sekretessbrytande enligt 10 kap. 18 a § OSL.");
    v1::Facts dfacts = facts;
    for (const auto& at : dis->attestations()) *dfacts.add_attestations() = at;
    absl::StatusOr<v1::Assessment> a = gate::Assess(*rulebook_, dfacts, day);
    if (a.ok()) *d.mutable_decision()->mutable_assessment() = *std::move(a);
    *d.mutable_decision()->mutable_facts() = std::move(dfacts);
  }
  *d.mutable_decision()->mutable_action() = Sign(dec);
  Stamp(d);
  if (!refuse) {
    now_ += options_.step;
    v1::Action ack = NewAction("cecilia.utredare", absl::StrCat("pol-ack-", n));
    ack.mutable_acknowledge()->set_case_id(case_id);
    ack.mutable_acknowledge()->set_envelope_digest(dec.decide().disclose().envelope_digest());
    v1::DiariumEntry& r = out.emplace_back();
    r.mutable_receipt()->set_case_id(case_id);
    *r.mutable_receipt()->mutable_action() = Sign(ack);
    Stamp(r);
  }
  return out;
}

v1::DiariumEntry SlussLogGenerator::RotateKey(const std::string& officer) {
  auto k = crypto::Ed25519SigningKey::FromSeed(Seed(options_.seed, absl::StrCat(officer, "-rotated-", ++rotations_)));
  keys_[officer] = std::make_unique<crypto::Ed25519SigningKey>(*std::move(k));
  officers_[officer].set_signing_key(std::string(crypto::Bytes(keys_[officer]->public_key())));
  v1::DiariumEntry e;
  *e.mutable_officer() = officers_[officer];
  now_ += options_.step;
  Stamp(e);
  return e;
}

v1::DiariumEntry SlussLogGenerator::Revoke(const std::string& officer) {
  v1::Action a = NewAction("gustav.admin", absl::StrCat("revoke-", officer, "-", rotations_));
  a.mutable_revoke_key()->set_officer(officer);
  a.mutable_revoke_key()->set_reason("Tjänstekortet förlorat.");
  v1::DiariumEntry e;
  e.mutable_revocation()->set_officer(officer);
  *e.mutable_revocation()->mutable_action() = Sign(a);
  now_ += options_.step;
  Stamp(e);
  return e;
}

std::function<bool(std::string* entry)> SlussLogStream(
    SlussLogGenerator& gen, uint64_t n, std::function<void(uint64_t index, v1::DiariumEntry& entry)> alter) {
  struct State {
    std::vector<v1::DiariumEntry> pending;
    size_t next = 0;
    uint64_t index = 0;
    uint64_t cases = 0;
    bool preamble = false;
  };
  auto st = std::make_shared<State>();
  return [&gen, n, alter, st](std::string* out) {
    if (st->index >= n) return false;
    if (st->next == st->pending.size()) {
      st->pending.clear();
      st->next = 0;
      if (!st->preamble) {
        st->pending = gen.Preamble();
        st->preamble = true;
      } else {
        if (st->cases == 3) st->pending.push_back(gen.RotateKey("cecilia.utredare"));
        if (st->cases == 5) st->pending.push_back(gen.Revoke("anna.handlaggare"));
        for (auto& e : gen.Case(st->cases++)) st->pending.push_back(std::move(e));
      }
    }
    v1::DiariumEntry& e = st->pending[st->next++];
    if (alter) alter(st->index, e);
    *out = SerializeEntry(e);
    ++st->index;
    return true;
  };
}

absl::StatusOr<uint64_t> WriteSlussLog(const WriteLogOptions& options,
                                       const std::function<bool(std::string* entry)>& next) {
  SLUSS_RETURN_IF_ERROR(MakeDirectories(options.dir));
  SLUSS_ASSIGN_OR_RETURN(crypto::Ed25519SigningKey key,
                         crypto::Ed25519SigningKey::FromSeed(std::string(32, static_cast<char>(options.log_key_seed))));
  SLUSS_ASSIGN_OR_RETURN(crypto::NoteSigner signer, crypto::NoteSigner::Create(options.origin, std::move(key)));
  storage::DiariumOptions o;
  o.origin = options.origin;
  o.signers = {std::make_shared<const crypto::NoteSigner>(std::move(signer))};
  o.checkpoint_interval = absl::ZeroDuration();
  o.max_group_entries = 65536;
  SLUSS_ASSIGN_OR_RETURN(std::unique_ptr<storage::Diarium> d, storage::Diarium::Open(o, options.dir + "/db"));
  const std::string exp = options.dir + "/export";
  std::vector<uint64_t> history = options.history;
  size_t h = 0;
  uint64_t n = 0;
  absl::Status failed;
  absl::Mutex mu;
  auto checkpoint_and_export = [&](uint64_t size) -> absl::Status {
    SLUSS_RETURN_IF_ERROR(d->AwaitCheckpoint(size, absl::Minutes(10)).status());
    SLUSS_RETURN_IF_ERROR(storage::ArchiveExportCheckpoint(exp));
    return d->Export(exp);
  };
  std::string entry;
  while (next(&entry)) {
    d->AppendAsync(std::move(entry), {}, [&](absl::StatusOr<uint64_t> r) {
      if (!r.ok()) {
        absl::MutexLock l(&mu);
        failed = r.status();
      }
    });
    entry.clear();
    ++n;
    if (h < history.size() && n == history[h]) {
      SLUSS_RETURN_IF_ERROR(checkpoint_and_export(n));
      ++h;
    }
  }
  SLUSS_RETURN_IF_ERROR(checkpoint_and_export(n));
  {
    absl::MutexLock l(&mu);
    SLUSS_RETURN_IF_ERROR(failed);
  }
  SLUSS_RETURN_IF_ERROR(WriteFileAtomically(options.dir + "/log.vkey",
                                            absl::StrCat(absl::StrJoin(d->VerifierKeys(), "\n"), "\n"), 0644, true));
  return n;
}

}  // namespace sluss::testing
