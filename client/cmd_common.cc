#include "client/cmd_common.h"

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "client/tty.h"
#include "client/workflow.h"
#include "gate/render.h"
#include "gate/rulebook.h"
#include "google/protobuf/util/json_util.h"

namespace sluss::client {

nlohmann::json ProtoJson(const google::protobuf::Message& m) {
  std::string text;
  google::protobuf::util::JsonPrintOptions o;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &text, o);
  return nlohmann::json::parse(text, nullptr, false);
}

absl::StatusOr<v1::SubjectKind> ParseSubjectKind(const std::string& value) {
  if (value == "person") return v1::PERSON;
  if (value == "organisation") return v1::ORGANISATION;
  return absl::InvalidArgumentError(
      absl::StrCat("--subject-kind \"", value, "\" is not person or organisation"));
}

absl::StatusOr<std::string> TextFromFileOr(const std::string& file, const std::string& inline_text) {
  if (file.empty()) return inline_text;
  return ReadFile(file);
}

namespace {
const gate::Rulebook* BundledRulebook() {
  static const gate::Rulebook* rulebook = [] {
    auto r = gate::Rulebook::Bundled();
    return r.ok() ? r->release() : nullptr;
  }();
  return rulebook;
}
}  // namespace

std::string RenderAssessmentText(const v1::Assessment& a, const std::string& lang) {
  const gate::Rulebook* rulebook = BundledRulebook();
  if (rulebook == nullptr) return absl::StrCat("outcome: ", OutcomeName(a.outcome()), "\n");
  return gate::RenderAssessment(*rulebook, a, lang == "en" ? gate::Lang::kEn : gate::Lang::kSv);
}

absl::Status PromptForAttestations(const v1::Assessment& assessment, const std::vector<Judgement>& missing,
                                   const std::string& officer, std::vector<v1::Attestation>* given,
                                   std::string* motivation, std::istream& in, std::ostream& out) {
  const gate::Rulebook* rulebook = BundledRulebook();
  if (!missing.empty()) {
    out << Paint(Colour::kBold, "The gate needs these judgements attested before anything is disclosed.") << "\n"
        << "For each one you have judged, give your motivation; an empty line leaves it unattested.\n";
  }
  for (const Judgement& j : missing) {
    std::string text;
    for (const v1::CategoryAssessment& c : assessment.categories()) {
      for (const v1::ProvisionResult& p : c.provisions()) {
        if (p.provision() != j.provision || !text.empty()) continue;
        for (const v1::Finding& f : p.findings()) {
          if (f.reason() == v1::JUDGEMENT_REQUIRED && f.ref() == j.judgement && rulebook != nullptr) {
            text = absl::StrCat(p.citation(), ": ", gate::RenderFinding(*rulebook, p, f, gate::Lang::kSv));
            break;
          }
        }
      }
    }
    const std::string key = absl::StrCat(j.provision, ":", j.judgement);
    out << "\n  " << (text.empty() ? key : text) << "\n";
    auto answer = PromptLine(in, out, absl::StrCat("  Motivering för ", key, ": "), absl::StrCat("the attestation of ", key));
    if (!answer.ok()) return answer.status();
    if (answer->empty()) continue;
    v1::Attestation a;
    a.set_provision(j.provision);
    a.set_judgement(j.judgement);
    a.set_officer(officer);
    a.set_motivation(*answer);
    given->push_back(std::move(a));
  }
  if (motivation->empty()) {
    auto answer = PromptLine(in, out, "\nMotivering för beslutet: ", "the decision's motivation");
    if (!answer.ok()) return answer.status();
    if (answer->empty()) {
      return absl::InvalidArgumentError("no motivation for the decision was given; nothing was sent");
    }
    *motivation = *answer;
  }
  return absl::OkStatus();
}

std::function<void()> WithClient(const GlobalFlags& flags, int* exit_code,
                                 std::function<absl::Status(SlussClient&)> body) {
  return [&flags, exit_code, body = std::move(body)] {
    auto client = ConnectFromFlags(flags);
    if (!client.ok()) {
      *exit_code = ReportError(client.status());
      return;
    }
    absl::Status s = body(**client);
    *exit_code = s.ok() ? kExitOk : ReportError(ExplainConnectError(s, (*client)->profile()));
  };
}

}  // namespace sluss::client
