// client/audit_replay.h: the gate re-run over the rebuilt state.
#include "client/audit_replay.h"

#include <google/protobuf/util/message_differencer.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "client/audit_log.h"
#include "exchange/action.h"
#include "gate/assess.h"
#include "gate/render.h"
#include "storage/verify.h"

namespace sluss::client {
namespace {

using google::protobuf::util::MessageDifferencer;

std::string Outcome(v1::Outcome o) { return v1::Outcome_Name(o); }

// The facts as the officer signs them: without what the broker completes
// (the parties from the directory, the subject from the identifier).
v1::Facts Signed(v1::Facts f) {
  f.clear_discloser();
  f.clear_recipient();
  f.clear_subject();
  return f;
}

class Replayer {
 public:
  explicit Replayer(ReplayReport& report) : report_(report) {}

  absl::Status Entry(const LogEntryView& v) {
    const v1::DiariumEntry& e = *v.entry;
    if (e.has_rulebook_activation()) {
      ++report_.rulebooks;
      if (!v.rulebook_problem.empty()) Add(v.index, "rulebook_invalid", "", v.rulebook_problem);
      return absl::OkStatus();
    }
    if (e.has_request()) {
      Opening(v, e.request().opening(), e.request().action(), e.request().facts(), e.request().decision_date(),
              e.request().assessment(), /*disclosure=*/false);
    } else if (e.has_send()) {
      Opening(v, e.send().opening(), e.send().action(), e.send().facts(), e.send().decision_date(),
              e.send().assessment(), /*disclosure=*/true);
    } else if (e.has_decision()) {
      Decision(v, e.decision());
    } else if (e.has_receipt()) {
      auto it = v.before->cases.find(e.receipt().case_id());
      if (it != v.before->cases.end() && it->second.summary.state() != v1::DISCLOSED) {
        Add(v.index, "state_invalid", e.receipt().case_id(),
            absl::StrCat("receipt on case ", e.receipt().case_id(), ", which is ",
                         v1::CaseState_Name(it->second.summary.state()), ", not DISCLOSED"));
      }
    }
    return absl::OkStatus();
  }

 private:
  void Add(uint64_t index, const char* kind, const std::string& case_id, std::string message) {
    report_.findings.push_back({index, kind, case_id, std::move(message)});
  }

  // The party facts must be the directory's at this index.
  void CheckParty(const LogEntryView& v, const std::string& case_id, const char* role, const v1::Party& p,
                  const v1::AgencyRef& expected) {
    const std::string key = exchange::AgencyKey(expected);
    auto it = v.before->agencies.find(key);
    if (exchange::AgencyKey(p.agency()) != key) {
      Add(v.index, "facts_differ", case_id,
          absl::StrCat("the gate was given ", role, " ", exchange::AgencyKey(p.agency()), ", but the case's ", role,
                       " is ", key));
    } else if (it != v.before->agencies.end() && it->second.kind() != p.agency_kind()) {
      Add(v.index, "facts_differ", case_id,
          absl::StrCat("the gate was given ", role, " kind \"", p.agency_kind(), "\", but the directory registers ",
                       key, " as \"", it->second.kind(), "\""));
    }
  }

  // Re-runs the gate; false (with a finding) if it cannot.
  bool Run(const LogEntryView& v, const std::string& case_id, const v1::Facts& facts, const std::string& date,
           const v1::Assessment& recorded, v1::Assessment* replayed) {
    if (v.rulebook == nullptr) {
      Add(v.index, "rulebook_mismatch", case_id, "an assessment, but no rulebook is active at this index");
      return false;
    }
    if (recorded.rulebook_digest() != v.rulebook->digest()) {
      Add(v.index, "rulebook_mismatch", case_id,
          absl::StrCat("assessed under rulebook ", recorded.rulebook_digest(), ", but ", v.rulebook->digest(),
                       " is active at this index"));
    }
    absl::CivilDay day;
    if (!absl::ParseCivilTime(date, &day)) {
      Add(v.index, "facts_differ", case_id, absl::StrCat("decision date \"", date, "\" is not YYYY-MM-DD"));
      return false;
    }
    // The decision date must be the day the entry was logged. The broker's
    // zone is configuration, not logged, so any zone from UTC-12 to UTC+14
    // is accepted; a date outside that is a backdated (or postdated) decision.
    const absl::Time logged = absl::FromUnixMicros(v.entry->time_unix_micros());
    const absl::CivilDay earliest = absl::ToCivilDay(logged - absl::Hours(12), absl::UTCTimeZone());
    const absl::CivilDay latest = absl::ToCivilDay(logged + absl::Hours(14), absl::UTCTimeZone());
    if (day < earliest || day > latest) {
      Add(v.index, "date_differs", case_id,
          absl::StrCat("assessed as of ", date, ", but the entry was logged at ",
                       absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", logged, absl::UTCTimeZone()),
                       ", which is no earlier than ", absl::FormatCivilTime(earliest), " and no later than ",
                       absl::FormatCivilTime(latest), " in any time zone"));
    }
    absl::StatusOr<v1::Assessment> a = gate::Assess(*v.rulebook, facts, day);
    ++report_.assessments;
    if (!a.ok()) {
      Add(v.index, "outcome_differs", case_id,
          absl::StrCat("the gate refuses the logged facts: ", a.status().message(), " (recorded outcome ",
                       Outcome(recorded.outcome()), ")"));
      return false;
    }
    if (a->outcome() != recorded.outcome()) {
      Add(v.index, "outcome_differs", case_id,
          absl::StrCat("recorded outcome ", Outcome(recorded.outcome()), ", but the gate under ", v.rulebook->digest(),
                       " on ", date, " says ", Outcome(a->outcome())));
    }
    *replayed = *std::move(a);
    return true;
  }

  // An attestation counts only as the signing officer's own (the broker
  // refuses others): one naming someone else is reported.
  void CheckAttesters(const LogEntryView& v, const std::string& case_id, const v1::Action& action,
                      const google::protobuf::RepeatedPtrField<v1::Attestation>& attestations) {
    for (const v1::Attestation& a : attestations) {
      if (a.officer() == action.officer()) continue;
      Add(v.index, "attestation_foreign", case_id,
          absl::StrCat("the attestation of ", a.provision(), "/", a.judgement(), " names officer \"", a.officer(),
                       "\", but ", action.officer(), " signed it"));
    }
  }

  // A disclosure must be ALLOWED by the rules on the facts the officers signed.
  void CheckDisclosure(const LogEntryView& v, const std::string& case_id, const v1::Assessment& a) {
    ++report_.disclosures;
    if (a.outcome() == v1::ALLOWED) return;
    if (a.outcome() == v1::ALLOWED_IF_ATTESTED) {
      Add(v.index, "attestation_missing", case_id,
          absl::StrCat("disclosed without the attestations the rules require (",
                       absl::StrJoin(gate::MissingAttestations(a), "; or "), ")"));
      return;
    }
    const std::vector<std::string> cats = gate::NotAllowedCategories(a);
    Add(v.index, "disclosure_not_allowed", case_id,
        absl::StrCat("disclosed ", absl::StrJoin(cats, ", "), ", which the rules in force on ", a.decision_date(),
                     " do not allow"));
  }

  void Opening(const LogEntryView& v, const v1::CaseOpening& op, const v1::DsseEnvelope& env, const v1::Facts& facts,
               const std::string& date, const v1::Assessment& recorded, bool disclosure) {
    const std::string& id = op.case_id();
    absl::StatusOr<v1::Action> action = exchange::ParseActionUnverified(env);
    if (!action.ok()) return;  // audit verify reports it
    const v1::Facts& signed_facts = disclosure ? action->send().facts() : action->request().facts();
    if (!MessageDifferencer::Equals(Signed(facts), Signed(signed_facts))) {
      Add(v.index, "facts_differ", id,
          "the facts the gate ran on are not the ones the officer signed (categories, purposes, crime, consent, "
          "claimed basis, duty laws or attestations differ)");
    }
    if (disclosure) CheckAttesters(v, id, *action, signed_facts.attestations());
    if (!disclosure && facts.attestations_size() > 0) {
      Add(v.index, "facts_differ", id, "a request's facts carry attestations (they belong to the decision)");
    }
    CheckParty(v, id, "discloser", facts.discloser(), disclosure ? op.from() : op.to());
    CheckParty(v, id, "recipient", facts.recipient(), disclosure ? op.to() : op.from());
    v1::Assessment replayed;
    if (!Run(v, id, facts, date, recorded, &replayed)) return;
    if (disclosure) {
      v1::Assessment on_signed;
      if (Signed(facts).SerializeAsString() != Signed(signed_facts).SerializeAsString()) {
        v1::Facts f = signed_facts;
        *f.mutable_discloser() = facts.discloser();
        *f.mutable_recipient() = facts.recipient();
        *f.mutable_subject() = facts.subject();
        absl::CivilDay day;
        (void)absl::ParseCivilTime(date, &day);
        absl::StatusOr<v1::Assessment> a = gate::Assess(*v.rulebook, f, day);
        if (a.ok()) replayed = *std::move(a);
      }
      CheckDisclosure(v, id, replayed);
    }
  }

  void Decision(const LogEntryView& v, const v1::DecisionEntry& d) {
    const std::string& id = d.case_id();
    auto it = v.before->cases.find(id);
    if (it == v.before->cases.end()) return;  // the projection refuses it (log_invalid)
    const broker::CaseState& c = it->second;
    if (c.summary.state() != v1::AWAITING_DECISION) {
      Add(v.index, "state_invalid", id,
          absl::StrCat("decision on case ", id, ", which is ", v1::CaseState_Name(c.summary.state()),
                       ", not AWAITING_DECISION"));
    }
    absl::StatusOr<v1::Action> action = exchange::ParseActionUnverified(d.action());
    if (!action.ok() || !action->has_decide()) return;  // audit verify reports it
    auto officer = v.before->officers.find(action->officer());
    if (officer != v.before->officers.end()) {
      const v1::OfficerRegistration& o = officer->second.reg;
      bool beslutsfattare = false;
      for (int r : o.roles()) beslutsfattare = beslutsfattare || r == v1::BESLUTSFATTARE;
      std::vector<std::string> lacking;
      for (const std::string& cat : c.summary.categories()) {
        bool ok = false;
        for (const std::string& dc : o.delegation_categories()) ok = ok || dc == cat;
        if (!ok) lacking.push_back(cat);
      }
      if (!beslutsfattare || !lacking.empty()) {
        Add(v.index, "no_beslutsratt", id,
            absl::StrCat("decided by ", o.id(), ", who ",
                         !beslutsfattare ? "is not a beslutsfattare"
                                         : absl::StrCat("has no delegation for ", absl::StrJoin(lacking, ", ")),
                         " at this index"));
      }
    }
    if (!action->decide().has_disclose()) return;
    CheckAttesters(v, id, *action, action->decide().disclose().attestations());
    // What the discloser signed: the opening's facts plus the attestations.
    v1::Facts expected = c.facts;
    for (const v1::Attestation& a : action->decide().disclose().attestations()) *expected.add_attestations() = a;
    if (!MessageDifferencer::Equals(d.facts(), expected)) {
      Add(v.index, "facts_differ", id,
          "the facts the gate ran on are not the case's facts plus the attestations the decider signed");
    }
    v1::Assessment replayed;
    if (!Run(v, id, d.facts(), d.decision_date(), d.assessment(), &replayed)) return;
    if (!MessageDifferencer::Equals(d.facts(), expected)) {
      absl::CivilDay day;
      (void)absl::ParseCivilTime(d.decision_date(), &day);
      absl::StatusOr<v1::Assessment> a = gate::Assess(*v.rulebook, expected, day);
      if (a.ok()) replayed = *std::move(a);
    }
    CheckDisclosure(v, id, replayed);
  }

  ReplayReport& report_;
};

}  // namespace

absl::StatusOr<ReplayReport> ReplayLog(storage::TileSource& source, uint64_t size, const ReplayOptions& options) {
  const absl::Time start = absl::Now();
  ReplayReport report;
  Replayer replayer(report);
  ReadLogOptions ro;
  ro.hint_size = options.hint_size;
  ro.progress = options.progress;
  absl::Status s = ReadSlussLog(source, size, ro, [&](const LogEntryView& v) {
    ++report.size;
    if (v.entry->has_request() || v.entry->has_send()) ++report.cases;
    return replayer.Entry(v);
  });
  if (!s.ok()) {
    std::optional<uint64_t> bad = storage::BadEntryIndex(s);
    if (!bad) return s;
    // An entry that does not parse or apply: the state cannot be rebuilt past it.
    report.findings.push_back({*bad, "log_invalid", "", absl::StrCat(s.message(), "; replay stopped here")});
  }
  report.elapsed = absl::Now() - start;
  return report;
}

}  // namespace sluss::client
