#include "server/broker/projection.h"

#include <google/protobuf/text_format.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "crypto/hash.h"
#include "exchange/action.h"

namespace sluss::broker {
namespace {

using exchange::AgencyKey;

// `a` is `action` parsed.
void RecordIdempotency(Projection& p, const v1::Action& a, const v1::DsseEnvelope& action, uint64_t index) {
  IdemState& s = p.idempotency[AgencyKey(a.agency()) + "\n" + a.idempotency_key()];
  s.action_digest = std::string(crypto::AsStringView(crypto::Sha256(action.payload())));
  s.index = index;
}

void RecordIdempotency(Projection& p, const v1::DsseEnvelope& action, uint64_t index) {
  absl::StatusOr<v1::Action> a = exchange::ParseActionUnverified(action);
  if (!a.ok()) return;
  RecordIdempotency(p, *a, action, index);
}

}  // namespace

std::vector<std::string> RequiredJudgements(const v1::Assessment& a) {
  std::set<std::string> out;
  for (const auto& c : a.categories()) {
    for (const auto& p : c.provisions()) {
      if (p.status() != v1::APPLIES_IF_ATTESTED) continue;
      for (const auto& f : p.findings()) {
        if (f.reason() == v1::JUDGEMENT_REQUIRED) out.insert(absl::StrCat(p.provision(), "/", f.ref()));
      }
    }
  }
  return {out.begin(), out.end()};
}

absl::Status Projection::Apply(absl::string_view bytes, uint64_t index) {
  v1::DiariumEntry e;
  if (!e.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::DataLossError(absl::StrCat("broker: diarium entry ", index, " does not parse"));
  }
  return Apply(e, index);
}

absl::Status Projection::Apply(const v1::DiariumEntry& e, uint64_t index) {
  ++applied;
  const int64_t t = e.time_unix_micros();
  switch (e.kind_case()) {
    case v1::DiariumEntry::kAgency:
      agencies[AgencyKey(e.agency().agency())] = e.agency();
      return absl::OkStatus();
    case v1::DiariumEntry::kOfficer: {
      OfficerState& o = officers[e.officer().id()];
      o.reg = e.officer();
      auto k = crypto::Ed25519PublicKeyFromBytes(e.officer().signing_key());
      if (!k.ok()) return absl::DataLossError(absl::StrCat("broker: entry ", index, ": ", k.status().message()));
      o.key = *k;
      o.revoked = false;
      return absl::OkStatus();
    }
    case v1::DiariumEntry::kRevocation: {
      auto it = officers.find(e.revocation().officer());
      if (it != officers.end()) it->second.revoked = true;
      RecordIdempotency(*this, e.revocation().action(), index);
      return absl::OkStatus();
    }
    case v1::DiariumEntry::kRulebookChunk:
      return absl::OkStatus();
    case v1::DiariumEntry::kRulebookActivation:
      active_rulebook = e.rulebook_activation().digest();
      return absl::OkStatus();
    case v1::DiariumEntry::kRequest:
    case v1::DiariumEntry::kSend: {
      const bool is_send = e.has_send();
      const v1::CaseOpening& op = is_send ? e.send().opening() : e.request().opening();
      const v1::DsseEnvelope& action = is_send ? e.send().action() : e.request().action();
      const v1::Facts& facts = is_send ? e.send().facts() : e.request().facts();
      const v1::Assessment& assessment = is_send ? e.send().assessment() : e.request().assessment();
      const std::string& date = is_send ? e.send().decision_date() : e.request().decision_date();
      absl::StatusOr<v1::Action> a = exchange::ParseActionUnverified(action);
      if (!a.ok()) return absl::DataLossError(absl::StrCat("broker: entry ", index, ": ", a.status().message()));
      CaseState& c = cases[op.case_id()];
      v1::CaseSummary& s = c.summary;
      s.set_case_id(op.case_id());
      *s.mutable_from() = op.from();
      *s.mutable_to() = op.to();
      s.set_from_diarienummer(op.from_diarienummer());
      s.set_to_diarienummer(op.to_diarienummer());
      *s.mutable_categories() = facts.categories();
      s.set_opened_unix_micros(t);
      s.set_updated_unix_micros(t);
      s.set_outcome(assessment.outcome());
      c.facts = facts;
      c.facts.clear_attestations();
      c.indices.push_back(index);
      if (is_send) {
        s.set_kind(a->send().kind() == v1::SendAction::DUTY_NOTICE ? v1::DUTY_NOTICE : v1::OWN_INITIATIVE);
        s.set_state(v1::DISCLOSED);
        s.set_summary(a->send().summary());
        *s.mutable_discloser() = op.from();
        *s.mutable_recipient() = op.to();
        c.answer_digest = a->send().envelope_digest();
        c.answer_action = action;
      } else {
        s.set_kind(v1::REQUEST);
        s.set_state(v1::AWAITING_DECISION);
        s.set_summary(a->request().summary());
        *s.mutable_discloser() = op.to();
        *s.mutable_recipient() = op.from();
        c.question_digest = a->request().question_digest();
        c.question_action = action;
        for (const std::string& j : RequiredJudgements(assessment)) s.add_judgements_required(j);
      }
      const std::string year = date.substr(0, 4);
      ++counters[AgencyKey(op.from()) + "\n" + year];
      ++counters[AgencyKey(op.to()) + "\n" + year];
      RecordIdempotency(*this, *a, action, index);
      return absl::OkStatus();
    }
    case v1::DiariumEntry::kDecision: {
      auto it = cases.find(e.decision().case_id());
      if (it == cases.end()) {
        return absl::DataLossError(absl::StrCat("broker: entry ", index, ": decision on unknown case"));
      }
      absl::StatusOr<v1::Action> a = exchange::ParseActionUnverified(e.decision().action());
      if (!a.ok()) return absl::DataLossError(absl::StrCat("broker: entry ", index, ": ", a.status().message()));
      CaseState& c = it->second;
      c.indices.push_back(index);
      c.summary.set_updated_unix_micros(t);
      if (a->decide().has_disclose()) {
        c.summary.set_state(v1::DISCLOSED);
        c.summary.set_outcome(e.decision().assessment().outcome());
        c.answer_digest = a->decide().disclose().envelope_digest();
        c.answer_action = e.decision().action();
      } else {
        c.summary.set_state(v1::REFUSED);
      }
      RecordIdempotency(*this, *a, e.decision().action(), index);
      return absl::OkStatus();
    }
    case v1::DiariumEntry::kReceipt: {
      auto it = cases.find(e.receipt().case_id());
      if (it == cases.end()) {
        return absl::DataLossError(absl::StrCat("broker: entry ", index, ": receipt on unknown case"));
      }
      it->second.indices.push_back(index);
      it->second.summary.set_state(v1::RECEIVED);
      it->second.summary.set_updated_unix_micros(t);
      RecordIdempotency(*this, e.receipt().action(), index);
      return absl::OkStatus();
    }
    case v1::DiariumEntry::KIND_NOT_SET:
      break;
  }
  return absl::DataLossError(absl::StrCat("broker: diarium entry ", index, " has no known kind"));
}

std::string Projection::Canonical() const {
  std::string out;
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  auto text = [&](const google::protobuf::Message& m) {
    std::string s;
    printer.PrintToString(m, &s);
    return s;
  };
  auto hex = [](absl::string_view b) { return crypto::ToHex(b); };
  absl::StrAppend(&out, "applied ", applied, "\nrulebook ", active_rulebook, "\n");
  for (const auto& [k, a] : agencies) absl::StrAppend(&out, "agency ", k, " ", text(a), "\n");
  for (const auto& [k, o] : officers) absl::StrAppend(&out, "officer ", k, " revoked=", o.revoked, " ", text(o.reg), "\n");
  for (const auto& [k, c] : cases) {
    absl::StrAppend(&out, "case ", k, " ", text(c.summary), " facts ", text(c.facts), " q ", hex(c.question_digest),
                    " a ", hex(c.answer_digest), " idx ", absl::StrJoin(c.indices, ","), "\n");
  }
  for (const auto& [k, i] : idempotency) {
    absl::StrAppend(&out, "idem ", absl::StrReplaceAll(k, {{"\n", " "}}), " ", hex(i.action_digest), " ", i.index, "\n");
  }
  for (const auto& [k, n] : counters) absl::StrAppend(&out, "counter ", absl::StrReplaceAll(k, {{"\n", " "}}), " ", n, "\n");
  return out;
}

}  // namespace sluss::broker
