// `sluss send`: a disclosure on the agency's own initiative (OSL 10 kap.,
// e.g. 10:24 or 10:18a), or a notice under a duty in another law (10:28,
// --duty LAW), to an agency that has not asked. The gate runs in the broker
// on the facts given; the content is sealed to both agencies' keys and
// signed with the profile's officer key (SlussClient::SendDisclosure). The
// recipient opens it with `sluss open CASE`. See docs/USAGE.md.
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "client/cli.h"
#include "client/cmd_common.h"
#include "client/tty.h"
#include "client/workflow.h"
#include "gate/identifiers.h"
#include "google/protobuf/util/json_util.h"

namespace sluss::client {
namespace {

struct SendOptions {
  std::string to, basis, subject, subject_kind = "person", facts, content, file, summary, motivation, key;
  std::vector<std::string> categories, purposes, duties, attest;
};

// The gate's view of the send before anything is signed: the facts
// completed as the broker completes them (both agencies' kinds from the
// directory, the subject's age today), through the server's Gate.Check.
absl::StatusOr<v1::Assessment> DryRun(SlussClient& client, const NewCase& c) {
  v1::CheckRequest req;
  *req.mutable_facts() = c.facts;
  SLUSS_ASSIGN_OR_RETURN(v1::AgencyRef me, client.MyAgency());
  SLUSS_ASSIGN_OR_RETURN(v1::ListAgenciesResponse all, client.ListAgencies());
  for (const auto& a : all.agencies()) {
    if (a.agency().orgnr() == me.orgnr() && a.agency().function() == me.function()) {
      req.mutable_facts()->mutable_discloser()->set_agency_kind(a.kind());
      *req.mutable_facts()->mutable_discloser()->mutable_agency() = me;
    }
    if (a.agency().orgnr() == c.to.orgnr() && a.agency().function() == c.to.function()) {
      req.mutable_facts()->mutable_recipient()->set_agency_kind(a.kind());
      *req.mutable_facts()->mutable_recipient()->mutable_agency() = c.to;
    }
  }
  if (c.subject_kind == v1::PERSON) {
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::LocalTimeZone());
    absl::StatusOr<int> age = gate::AgeOnDate(c.subject_id, today);
    if (!age.ok()) return absl::InvalidArgumentError(absl::StrCat("--subject: ", age.status().message()));
    req.mutable_facts()->mutable_subject()->set_age_years(*age);
  }
  SLUSS_ASSIGN_OR_RETURN(v1::CheckResponse resp, client.GateCheck(req));
  return resp.assessment();
}

absl::Status Send(SlussClient& client, const SendOptions& o, bool json) {
  if (o.content.empty() == o.file.empty()) {
    return absl::InvalidArgumentError("give the content to disclose: --content TEXT or --file FILE");
  }
  NewCase c;
  auto to = ParseAgencyRef(o.to);
  if (!to.ok()) return to.status();
  c.to = *to;
  if (!o.facts.empty()) {
    auto text = ReadFile(o.facts);
    if (!text.ok()) return text.status();
    const auto parsed = google::protobuf::util::JsonStringToMessage(*text, &c.facts);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--facts ", o.facts, ": ",
                                                     std::string(parsed.message().data(), parsed.message().size()),
                                                     " (the file holds sluss.v1.Facts as Protobuf JSON)"));
    }
  }
  for (const auto& cat : o.categories) c.facts.add_categories(cat);
  for (const auto& p : o.purposes) c.facts.add_purposes(p);
  for (const auto& d : o.duties) c.facts.add_duty_laws(d);
  if (!o.basis.empty()) c.facts.set_claimed_basis(o.basis);
  if (c.facts.categories_size() == 0) {
    return absl::InvalidArgumentError("no category: pass --category (e.g. skatt) or put it in --facts");
  }
  for (const auto& a : o.attest) {
    auto parsed = ParseAttestation(a, client.profile().officer);
    if (!parsed.ok()) return parsed.status();
    *c.facts.add_attestations() = *parsed;
  }
  absl::StatusOr<v1::SubjectKind> kind = ParseSubjectKind(o.subject_kind);
  if (!kind.ok()) return kind.status();
  c.subject_kind = *kind;
  c.subject_id = o.subject;
  absl::StatusOr<std::string> text = TextFromFileOr(o.file, o.content);
  if (!text.ok()) return text.status();
  c.text = *std::move(text);
  // On a terminal, ask for the judgements the gate will need and the
  // motivation, as `decide` does; a script must pass them as flags.
  std::string motivation = o.motivation;
  if (StdinIsTerminal()) {
    absl::StatusOr<v1::Assessment> a = DryRun(client, c);
    if (!a.ok()) return a.status();
    std::vector<v1::Attestation> given(c.facts.attestations().begin(), c.facts.attestations().end());
    const std::vector<Judgement> missing =
        a->outcome() == v1::NOT_ALLOWED ? std::vector<Judgement>{} : MissingJudgements(*a, o.basis, given);
    SLUSS_RETURN_IF_ERROR(
        PromptForAttestations(*a, missing, client.profile().officer, &given, &motivation, std::cin, std::cerr));
    c.facts.clear_attestations();
    for (const auto& g : given) *c.facts.add_attestations() = g;
  }
  if (motivation.empty()) {
    return absl::InvalidArgumentError(
        "--motivation TEXT is required: say why the information may and should be disclosed unasked");
  }
  const bool duty = c.facts.duty_laws_size() > 0;
  c.send_kind = duty ? v1::SendAction::DUTY_NOTICE : v1::SendAction::OWN_INITIATIVE;
  c.motivation = motivation;
  c.summary = !o.summary.empty() ? o.summary
              : duty            ? "Underrättelse enligt uppgiftsskyldighet (10:28 OSL)"
              : o.basis.empty() ? "Uppgifter lämnade på eget initiativ"
                                : absl::StrCat("Uppgifter lämnade på eget initiativ enligt ", o.basis, " OSL");
  c.idempotency_key = o.key;
  auto r = client.SendDisclosure(c);
  if (!r.ok()) return r.status();
  if (json) {
    std::cout << nlohmann::json{{"kind", duty ? "duty_notice" : "own_initiative"},
                                {"logged", ProtoJson(r->logged())},
                                {"assessment", ProtoJson(r->assessment())}}
                     .dump(2)
              << std::endl;
    return absl::OkStatus();
  }
  std::cout << (duty ? "Duty notice" : "Own-initiative disclosure") << " sent and recorded in the diarium.\n"
            << "case:          " << r->logged().case_id() << "\n"
            << "diarienummer:  " << r->logged().diarienummer() << "\n"
            << "log index:     " << r->logged().log_index()
            << (r->logged().replayed() ? "  (replayed: nothing new written)" : "") << "\n"
            << "to:            " << o.to << " (opens it with `sluss open " << r->logged().case_id() << " --out DIR`)\n"
            << "\nThe gate's assessment:\n"
            << RenderAssessmentText(r->assessment());
  std::cout.flush();
  return absl::OkStatus();
}

}  // namespace

void AddSendCommand(CLI::App& app, const GlobalFlags& flags, int* exit_code) {
  auto o = std::make_shared<SendOptions>();
  CLI::App* send = app.add_subcommand(
      "send", "Disclose to another agency unasked: own initiative, or a notice under a duty (10:28, --duty)");
  send->add_option("--to", o->to, "Recipient agency ORGNR:FUNCTION, e.g. 202100-0076:polis")->required();
  send->add_option("--category", o->categories, "Information category (repeatable)");
  send->add_option("--purpose", o->purposes, "Purpose (repeatable)");
  send->add_option("--basis", o->basis, "The provision you disclose under, e.g. 10:24");
  send->add_option("--duty", o->duties, "Duty law id (10:28), e.g. lag_2025_170; makes it a duty notice (repeatable)");
  send->add_option("--subject", o->subject, "Personnummer (or orgnr with --subject-kind organisation)")->required();
  send->add_option("--subject-kind", o->subject_kind, "person (default) or organisation");
  send->add_option("--facts", o->facts, "Further facts: sluss.v1.Facts as JSON (e.g. the crime)");
  auto* content = send->add_option("--content", o->content, "The information to disclose");
  auto* file = send->add_option("--file", o->file, "File holding the information to disclose");
  content->excludes(file);
  send->add_option("--attest", o->attest, "PROVISION:JUDGEMENT=MOTIVATION (repeatable)");
  send->add_option("--motivation", o->motivation, "Why it is disclosed (required; asked for on a terminal)");
  send->add_option("--summary", o->summary, "Short public description (no personal data)");
  send->add_option("--idempotency-key", o->key, "Retry key (default: random)");
  send->callback(WithClient(flags, exit_code, [o, &flags](SlussClient& c) { return Send(c, *o, flags.json); }));
}

}  // namespace sluss::client
