// The handläggare's commands: request new, inbox, outbox, case show,
// decide, open. Thin over SlussClient (client/client.h) and
// client/workflow.h; see docs/USAGE.md.
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/file.h"
#include "client/cli.h"
#include "client/cmd_common.h"
#include "client/tty.h"
#include "client/workflow.h"
#include "gate/render.h"
#include "gate/rulebook.h"
#include "google/protobuf/util/json_util.h"

namespace sluss::client {
namespace {

// Shared with the other commands (client/cmd_common.h).
nlohmann::json ToJson(const google::protobuf::Message& m) { return ProtoJson(m); }
std::string Render(const v1::Assessment& a) { return RenderAssessmentText(a); }

std::string JudgementList(const std::vector<Judgement>& js) {
  std::vector<std::string> keys;
  for (const Judgement& j : js) keys.push_back(absl::StrCat(j.provision, ":", j.judgement));
  return absl::StrJoin(keys, ", ");
}

nlohmann::json JudgementJson(const std::vector<Judgement>& js) {
  nlohmann::json out = nlohmann::json::array();
  for (const Judgement& j : js) out.push_back({{"provision", j.provision}, {"judgement", j.judgement}});
  return out;
}

std::string AgencyText(const v1::AgencyRef& a) { return absl::StrCat(a.orgnr(), ":", a.function()); }

void PrintLogged(const v1::Logged& l) {
  std::cout << "case:          " << l.case_id() << "\n"
            << "diarienummer:  " << l.diarienummer() << "\n"
            << "log index:     " << l.log_index() << (l.replayed() ? "  (replayed: nothing new written)" : "")
            << "\n";
}

// Wraps a command body: connects, runs, maps errors to exit codes.
template <typename F>
std::function<void()> Run(const GlobalFlags& flags, int* exit_code, F body) {
  return [&flags, exit_code, body] {
    auto client = ConnectFromFlags(flags);
    if (!client.ok()) {
      *exit_code = ReportError(client.status());
      return;
    }
    absl::Status s = body(**client);
    *exit_code = s.ok() ? kExitOk : ReportError(ExplainConnectError(s, (*client)->profile()));
  };
}

void PrintCases(const google::protobuf::RepeatedPtrField<v1::CaseSummary>& cases, const GlobalFlags& flags,
                const char* empty) {
  if (flags.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : cases) out.push_back(ToJson(c));
    std::cout << out.dump(2) << std::endl;
    return;
  }
  if (cases.empty()) {
    std::cout << empty << std::endl;
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"CASE", "STATE", "FROM", "TO", "DIARIENR (FROM / TO)", "CATEGORIES", "OUTCOME", "NEEDS ATTESTATION"}};
  for (const auto& c : cases) {
    rows.push_back({c.case_id(), StateName(c.state()), AgencyText(c.from()), AgencyText(c.to()),
                    absl::StrCat(c.from_diarienummer(), " / ", c.to_diarienummer()),
                    absl::StrJoin(c.categories(), ","), OutcomeName(c.outcome()),
                    c.state() == v1::AWAITING_DECISION ? absl::StrJoin(c.judgements_required(), ",") : ""});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  const bool tty = UseColour();
  for (size_t n = 0; n < rows.size(); ++n) {
    std::string line;
    for (size_t i = 0; i < rows[n].size(); ++i) {
      line += rows[n][i];
      if (i + 1 < rows[n].size()) line += std::string(width[i] - rows[n][i].size() + 2, ' ');
    }
    if (n == 0 && tty) line = "\033[1m" + line + "\033[0m";
    std::cout << line << "\n";
  }
  std::cout.flush();
}

struct RequestOptions {
  std::string to, basis, subject, subject_kind = "person", facts, question, question_file, summary, key;
  std::vector<std::string> categories, purposes;
};

absl::Status RequestNew(SlussClient& client, const RequestOptions& o, const GlobalFlags& flags) {
  NewCase c;
  auto to = ParseAgencyRef(o.to);
  if (!to.ok()) return to.status();
  c.to = *to;
  if (!o.facts.empty()) {
    auto json = ReadFile(o.facts);
    if (!json.ok()) return json.status();
    google::protobuf::util::JsonParseOptions po;
    const auto parsed = google::protobuf::util::JsonStringToMessage(*json, &c.facts, po);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--facts ", o.facts, ": ",
                                                     std::string(parsed.message().data(), parsed.message().size()),
                                                     " (the file holds sluss.v1.Facts as Protobuf JSON)"));
    }
  }
  for (const auto& cat : o.categories) c.facts.add_categories(cat);
  for (const auto& p : o.purposes) c.facts.add_purposes(p);
  if (!o.basis.empty()) c.facts.set_claimed_basis(o.basis);
  if (c.facts.categories_size() == 0) {
    return absl::InvalidArgumentError("no category: pass --category (e.g. socialtjanst) or put it in --facts");
  }
  absl::StatusOr<v1::SubjectKind> kind = ParseSubjectKind(o.subject_kind);
  if (!kind.ok()) return kind.status();
  c.subject_kind = *kind;
  c.subject_id = o.subject;
  absl::StatusOr<std::string> text = TextFromFileOr(o.question_file, o.question);
  if (!text.ok()) return text.status();
  c.text = *std::move(text);
  c.summary = o.summary.empty() ? (o.basis.empty() ? "Begäran om uppgifter" : "Begäran enligt " + o.basis + " OSL")
                                : o.summary;
  c.idempotency_key = o.key;
  auto r = client.NewRequest(c);
  if (!r.ok()) return r.status();
  std::vector<std::string> alternatives;
  const std::vector<Judgement> needed = MissingJudgements(r->assessment(), o.basis, {}, &alternatives);
  if (flags.json) {
    nlohmann::json out = {{"logged", ToJson(r->logged())},
                          {"assessment", ToJson(r->assessment())},
                          {"attestations_needed", JudgementJson(needed)},
                          {"alternatives", alternatives}};
    std::cout << out.dump(2) << std::endl;
    return absl::OkStatus();
  }
  std::cout << "Request recorded in the diarium.\n";
  PrintLogged(r->logged());
  std::cout << "\nThe gate's assessment (decision date " << r->assessment().decision_date() << "):\n"
            << Render(r->assessment());
  if (!needed.empty()) {
    std::cout << "\nA decision to disclose will need these attestations by the beslutsfattare:\n";
    for (const auto& j : needed) std::cout << "  --attest " << j.provision << ":" << j.judgement << "=MOTIVATION\n";
    for (const auto& alt : alternatives) std::cout << "  (or instead: " << alt << ")\n";
  }
  std::cout.flush();
  return absl::OkStatus();
}

absl::Status CaseShow(SlussClient& client, const std::string& case_id, const GlobalFlags& flags) {
  auto h = client.CaseHistory(case_id);
  if (!h.ok()) return h.status();
  if (flags.json) {
    std::cout << ToJson(*h).dump(2) << std::endl;
    return absl::OkStatus();
  }
  const v1::CaseSummary& s = h->summary();
  std::cout << "case:        " << s.case_id() << " (" << KindName(s.kind()) << ")\n"
            << "state:       " << StateName(s.state()) << "\n"
            << "from:        " << AgencyText(s.from()) << "  diarienummer " << s.from_diarienummer() << "\n"
            << "to:          " << AgencyText(s.to()) << "  diarienummer " << s.to_diarienummer() << "\n"
            << "categories:  " << absl::StrJoin(s.categories(), ", ") << "\n"
            << "summary:     " << s.summary() << "\n\nHistory (diarium log index, time, step, officer):\n";
  const v1::Assessment* latest = nullptr;
  for (const v1::LoggedEntry& e : h->entries()) {
    std::string step = EntryKindName(e.entry());
    const std::string verb = DecisionVerb(e.entry());
    if (!verb.empty()) step += " (" + verb + ")";
    std::cout << "  #" << e.log_index() << "  " << FormatMicros(e.entry().time_unix_micros()) << "  " << step
              << "  by " << EntrySigner(e.entry());
    if (const v1::Assessment* a = EntryAssessment(e.entry()); a != nullptr && a->outcome() != v1::OUTCOME_UNSPECIFIED) {
      std::cout << "  gate: " << OutcomeName(a->outcome());
      latest = a;
    }
    if (e.entry().has_decision()) {
      std::vector<std::string> att;
      for (const auto& a : e.entry().decision().facts().attestations()) {
        att.push_back(absl::StrCat(a.provision(), ":", a.judgement(), " (", a.officer(), ")"));
      }
      if (!att.empty()) std::cout << "  attested " << absl::StrJoin(att, ", ");
    }
    std::cout << "\n";
  }
  if (latest != nullptr) std::cout << "\nLatest assessment:\n" << Render(*latest);
  std::cout.flush();
  return absl::OkStatus();
}

struct DecideOptions {
  std::string case_id, disclose_file, motivation, key;
  bool refuse = false;
  std::vector<std::string> reasons, attest;
};

absl::Status Decide(SlussClient& client, const DecideOptions& o, const GlobalFlags& flags) {
  if (o.refuse == !o.disclose_file.empty()) {
    return absl::InvalidArgumentError("give exactly one of --disclose FILE or --refuse --reason TEXT");
  }
  absl::StatusOr<v1::DecideResponse> r;
  if (o.refuse) {
    if (!o.attest.empty()) return absl::InvalidArgumentError("--attest is for --disclose, not --refuse");
    std::vector<std::string> reasons = o.reasons;
    if (reasons.empty() && StdinIsTerminal()) {
      auto reason = PromptLine(std::cin, std::cerr, "Skäl för avslaget: ", "the reason for refusing");
      if (!reason.ok()) return reason.status();
      if (!reason->empty()) reasons.push_back(*reason);
    }
    if (reasons.empty()) return absl::InvalidArgumentError("--refuse needs at least one --reason TEXT");
    r = client.Refuse(o.case_id, reasons, o.key);
  } else {
    std::vector<v1::Attestation> given;
    for (const auto& a : o.attest) {
      auto parsed = ParseAttestation(a, client.profile().officer);
      if (!parsed.ok()) return parsed.status();
      given.push_back(*parsed);
    }
    auto text = ReadFile(o.disclose_file);
    if (!text.ok()) return text.status();
    auto h = client.CaseHistory(o.case_id);
    if (!h.ok()) return h.status();
    const v1::RequestEntry* opened = nullptr;
    for (const auto& e : h->entries()) {
      if (e.entry().has_request()) opened = &e.entry().request();
    }
    std::vector<std::string> alternatives;
    std::vector<Judgement> missing =
        opened == nullptr ? std::vector<Judgement>{}
                          : MissingJudgements(opened->assessment(), opened->facts().claimed_basis(), given,
                                              &alternatives);
    // On a terminal, ask for what the flags did not give (client/tty.h);
    // a script gets the error below instead. Nothing is ever defaulted.
    std::string motivation = o.motivation;
    if (StdinIsTerminal() && opened != nullptr && (!missing.empty() || motivation.empty())) {
      absl::Status asked = PromptForAttestations(opened->assessment(), missing, client.profile().officer, &given,
                                                 &motivation, std::cin, std::cerr);
      if (!asked.ok()) return asked;
      alternatives.clear();
      missing = MissingJudgements(opened->assessment(), opened->facts().claimed_basis(), given, &alternatives);
    }
    if (!missing.empty()) {
      std::string alt_text;
      if (!alternatives.empty()) alt_text = absl::StrCat(" (or instead: ", absl::StrJoin(alternatives, "; "), ")");
      std::string flags_text;
      for (const auto& j : missing) absl::StrAppend(&flags_text, " --attest ", j.provision, ":", j.judgement, "=\"...\"");
      return absl::FailedPreconditionError(absl::StrCat(
          "the gate needs attestations that were not given: ", JudgementList(missing),
          ". Attest each one you have judged, with your motivation:", flags_text,
          alt_text, ". Or refuse with --refuse --reason TEXT. Nothing was sent."));
    }
    // The summary just read names the recipient: no second CaseHistory call.
    r = client.DiscloseTo(o.case_id, h->summary().recipient(), *text, given, motivation, o.key);
  }
  if (!r.ok()) return r.status();
  if (flags.json) {
    std::cout << nlohmann::json{{"logged", ToJson(r->logged())}, {"assessment", ToJson(r->assessment())}}.dump(2)
              << std::endl;
    return absl::OkStatus();
  }
  std::cout << (o.refuse ? "Refusal" : "Disclosure") << " recorded in the diarium.\n";
  PrintLogged(r->logged());
  if (!o.refuse && r->assessment().outcome() != v1::OUTCOME_UNSPECIFIED) {
    std::cout << "\nThe gate, with your attestations:\n" << Render(r->assessment());
  }
  std::cout.flush();
  return absl::OkStatus();
}

struct OpenOptions {
  std::string case_id, out_dir;
  bool question = false;
};

absl::Status Open(SlussClient& client, const OpenOptions& o, const GlobalFlags& flags) {
  auto opened = client.Open(o.case_id, o.question ? v1::GetDisclosureRequest::QUESTION
                                                  : v1::GetDisclosureRequest::ANSWER);
  if (!opened.ok()) return opened.status();
  std::error_code ec;
  std::filesystem::create_directories(o.out_dir, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--out ", o.out_dir, ": ", ec.message()));
  const std::string path = absl::StrCat(o.out_dir, "/", o.case_id, o.question ? ".question.txt" : ".txt");
  absl::Status written = WriteFileAtomically(path, opened->plaintext, 0600, true);
  if (!written.ok()) return written;
  nlohmann::json out = {{"case_id", o.case_id},
                        {"file", path},
                        {"bytes", opened->plaintext.size()},
                        {"envelope_sha256", absl::BytesToHexString(opened->digest)},
                        {"signed_by", opened->signed_by}};
  std::optional<v1::AcknowledgeResponse> ack;
  if (!o.question) {
    auto a = client.Ack(o.case_id, opened->digest);
    if (!a.ok()) {
      return absl::Status(a.status().code(),
                          absl::StrCat("wrote ", path, " but the acknowledgement failed: ", a.status().message(),
                                       "; run `sluss open` again to retry"));
    }
    ack = *a;
    out["acknowledged"] = ToJson(a->logged());
  }
  if (flags.json) {
    std::cout << out.dump(2) << std::endl;
    return absl::OkStatus();
  }
  std::cout << "Wrote " << path << " (" << opened->plaintext.size() << " bytes, decrypted with your agency key).\n"
            << "Verified: envelope SHA-256 " << absl::BytesToHexString(opened->digest)
            << " matches the action signed by " << opened->signed_by << ".\n";
  if (ack) {
    std::cout << "Receipt recorded in the diarium.\n";
    PrintLogged(ack->logged());
  }
  std::cout.flush();
  return absl::OkStatus();
}

}  // namespace

void AddCaseCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code) {
  CLI::App* request = app.add_subcommand("request", "Ask another agency for information");
  request->require_subcommand(1);
  auto ro = std::make_shared<RequestOptions>();
  CLI::App* rnew = request->add_subcommand("new", "Record a request, see the gate's assessment");
  rnew->add_option("--to", ro->to, "Recipient agency ORGNR:FUNCTION, e.g. 212000-0142:socialtjanst")->required();
  rnew->add_option("--category", ro->categories, "Information category (repeatable)");
  rnew->add_option("--purpose", ro->purposes, "Purpose (repeatable)");
  rnew->add_option("--basis", ro->basis, "The provision you cite, e.g. 10:18a");
  rnew->add_option("--subject", ro->subject, "Personnummer (or orgnr with --subject-kind organisation)")->required();
  rnew->add_option("--subject-kind", ro->subject_kind, "person (default) or organisation");
  rnew->add_option("--facts", ro->facts, "Further facts: sluss.v1.Facts as JSON");
  auto* q = rnew->add_option("--question", ro->question, "The question");
  auto* qf = rnew->add_option("--question-file", ro->question_file, "File holding the question");
  q->excludes(qf);
  rnew->add_option("--summary", ro->summary, "Short public description (no personal data)");
  rnew->add_option("--idempotency-key", ro->key, "Retry key (default: random)");
  rnew->callback(Run(flags, exit_code, [ro, &flags, rnew](SlussClient& c) {
    if (ro->question.empty() && ro->question_file.empty()) {
      return absl::InvalidArgumentError("give the question: --question TEXT or --question-file FILE");
    }
    (void)rnew;
    return RequestNew(c, *ro, flags);
  }));

  app.add_subcommand("inbox", "Requests awaiting your decision and disclosures awaiting your receipt")
      ->callback(Run(flags, exit_code, [&flags](SlussClient& c) {
        auto r = c.Inbox();
        if (!r.ok()) return r.status();
        PrintCases(r->cases(), flags, "Inbox is empty.");
        return absl::OkStatus();
      }));
  app.add_subcommand("outbox", "Cases your agency opened")->callback(Run(flags, exit_code, [&flags](SlussClient& c) {
    auto r = c.Outbox();
    if (!r.ok()) return r.status();
    PrintCases(r->cases(), flags, "Outbox is empty.");
    return absl::OkStatus();
  }));

  CLI::App* kase = app.add_subcommand("case", "A case's history");
  kase->require_subcommand(1);
  auto case_id = std::make_shared<std::string>();
  CLI::App* show = kase->add_subcommand("show", "History with diarienummer, log indexes and assessment");
  show->add_option("CASE", *case_id, "Case id (c-...)")->required();
  show->callback(Run(flags, exit_code, [case_id, &flags](SlussClient& c) { return CaseShow(c, *case_id, flags); }));

  auto d = std::make_shared<DecideOptions>();
  CLI::App* decide = app.add_subcommand("decide", "Disclose or refuse a request (beslutsfattare)");
  decide->add_option("CASE", d->case_id, "Case id (c-...)")->required();
  decide->add_option("--disclose", d->disclose_file, "Disclose the content of FILE");
  decide->add_flag("--refuse", d->refuse, "Refuse the request");
  decide->add_option("--reason", d->reasons, "Reason for refusing (repeatable)");
  decide->add_option("--attest", d->attest, "PROVISION:JUDGEMENT=MOTIVATION (repeatable)");
  decide->add_option("--motivation", d->motivation, "Motivation of the decision");
  decide->add_option("--idempotency-key", d->key, "Retry key (default: random)");
  decide->callback(Run(flags, exit_code, [d, &flags](SlussClient& c) { return Decide(c, *d, flags); }));

  auto oo = std::make_shared<OpenOptions>();
  CLI::App* open = app.add_subcommand("open", "Fetch, verify, decrypt and acknowledge a disclosure");
  open->add_option("CASE", oo->case_id, "Case id (c-...)")->required();
  open->add_option("--out", oo->out_dir, "Directory to write the plaintext to")->required();
  open->add_flag("--question", oo->question, "Open the request's question instead (discloser; no receipt)");
  open->callback(Run(flags, exit_code, [oo, &flags](SlussClient& c) { return Open(c, *oo, flags); }));
}

}  // namespace sluss::client
