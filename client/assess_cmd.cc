// `sluss assess CASE`: what the gate says about a case now, and which
// attestations a decision to disclose needs. Reads the case's opening entry
// (the broker-completed Facts the gate ran on when the case was opened) and
// re-runs them through the server's Gate.Check dry run on the decision date
// (default: the server's today). Nothing is recorded. See docs/USAGE.md.
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli.h"
#include "client/cmd_common.h"
#include "client/tty.h"
#include "client/workflow.h"

namespace sluss::client {
namespace {

struct AssessOptions {
  std::string case_id, date, lang = "sv";
};

Colour OutcomeColour(v1::Outcome o) {
  return o == v1::ALLOWED ? Colour::kGreen : o == v1::ALLOWED_IF_ATTESTED ? Colour::kYellow : Colour::kRed;
}

absl::Status Assess(SlussClient& client, const AssessOptions& o, bool json) {
  if (o.lang != "sv" && o.lang != "en") {
    return absl::InvalidArgumentError(absl::StrCat("--lang \"", o.lang, "\": use sv or en"));
  }
  auto h = client.CaseHistory(o.case_id);
  if (!h.ok()) return h.status();
  const v1::Facts* facts = nullptr;
  const v1::Assessment* recorded = nullptr;
  for (const v1::LoggedEntry& e : h->entries()) {
    if (e.entry().has_request()) {
      facts = &e.entry().request().facts();
      recorded = &e.entry().request().assessment();
    } else if (e.entry().has_send()) {
      facts = &e.entry().send().facts();
      recorded = &e.entry().send().assessment();
    }
  }
  if (facts == nullptr) {
    return absl::NotFoundError(absl::StrCat("case ", o.case_id, ": the history holds no request or send to assess"));
  }
  v1::CheckRequest req;
  *req.mutable_facts() = *facts;
  req.mutable_facts()->clear_attestations();
  req.set_decision_date(o.date);
  auto now = client.GateCheck(req);
  if (!now.ok()) return now.status();
  const v1::Assessment& a = now->assessment();
  std::vector<std::string> alternatives;
  const std::vector<Judgement> needed = MissingJudgements(a, facts->claimed_basis(), {}, &alternatives);
  const v1::CaseSummary& s = h->summary();
  const bool open = s.state() == v1::AWAITING_DECISION;
  const bool changed = recorded->outcome() != a.outcome() || recorded->rulebook_digest() != a.rulebook_digest();
  if (json) {
    nlohmann::json need = nlohmann::json::array();
    for (const Judgement& j : needed) need.push_back({{"provision", j.provision}, {"judgement", j.judgement}});
    nlohmann::json out = {{"case_id", s.case_id()},
                          {"state", StateName(s.state())},
                          {"awaiting_decision", open},
                          {"recorded", {{"decision_date", recorded->decision_date()},
                                        {"outcome", OutcomeName(recorded->outcome())},
                                        {"rulebook_digest", recorded->rulebook_digest()}}},
                          {"changed_since_recorded", changed},
                          {"assessment", ProtoJson(a)},
                          {"attestations_needed", need},
                          {"alternatives", alternatives}};
    std::cout << out.dump(2) << std::endl;
    return absl::OkStatus();
  }
  std::cout << "case:      " << s.case_id() << " (" << KindName(s.kind()) << ", " << StateName(s.state()) << ")\n"
            << "from:      " << s.from().orgnr() << ":" << s.from().function() << "  to: " << s.to().orgnr() << ":"
            << s.to().function() << "\n"
            << "recorded:  " << OutcomeName(recorded->outcome()) << " on " << recorded->decision_date() << "\n"
            << "now:       " << Paint(OutcomeColour(a.outcome()), OutcomeName(a.outcome())) << " on "
            << a.decision_date() << (changed ? "  (differs from the recorded assessment)" : "") << "\n";
  if (!open) {
    std::cout << "note:      the case is " << StateName(s.state())
              << "; this shows what the gate would say today, nothing can be decided on it\n";
  }
  std::cout << "\n" << RenderAssessmentText(a, o.lang);
  if (a.outcome() == v1::NOT_ALLOWED) {
    std::cout << "\nThe gate does not allow disclosure on these facts: refuse with `sluss decide " << s.case_id()
              << " --refuse --reason TEXT`.\n";
  } else if (!needed.empty()) {
    std::cout << "\nA decision to disclose needs these attestations by the beslutsfattare:\n";
    for (const Judgement& j : needed) {
      std::cout << "  --attest " << Paint(Colour::kBold, absl::StrCat(j.provision, ":", j.judgement)) << "=MOTIVATION\n";
    }
    for (const auto& alt : alternatives) std::cout << "  (or instead: " << alt << ")\n";
  } else {
    std::cout << "\nNo attestation is needed: the gate allows disclosure as the facts stand.\n";
  }
  std::cout.flush();
  return absl::OkStatus();
}

}  // namespace

void AddAssessCommand(CLI::App& app, const GlobalFlags& flags, int* exit_code) {
  auto o = std::make_shared<AssessOptions>();
  CLI::App* assess = app.add_subcommand("assess", "What the gate says about a case now, and what must be attested");
  assess->add_option("CASE", o->case_id, "Case id (c-...)")->required();
  assess->add_option("--date", o->date, "Decision date YYYY-MM-DD (default: the server's today)");
  assess->add_option("--lang", o->lang, "sv (default) or en");
  assess->callback(WithClient(flags, exit_code, [o, &flags](SlussClient& c) { return Assess(c, *o, flags.json); }));
}

}  // namespace sluss::client
