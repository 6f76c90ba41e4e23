// Small pieces shared by the `sluss` commands added after case_cmd.cc
// (assess, send, profile, audit report): JSON of a protobuf message, the
// gate's assessment as text, and running a command body with a connected
// client. Not thread-safe (writes to std::cout / std::cerr).
#ifndef SLUSS_CLIENT_CMD_COMMON_H_
#define SLUSS_CLIENT_CMD_COMMON_H_

#include <functional>
#include <istream>
#include <ostream>
#include <vector>
#include <string>

#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/cli.h"
#include "client/workflow.h"
#include "google/protobuf/message.h"
#include "sluss/v1/action.pb.h"
#include "sluss/v1/gate.pb.h"

namespace sluss::client {

// --subject-kind: "person" or "organisation"; kInvalidArgument naming the
// flag and the value otherwise.
absl::StatusOr<v1::SubjectKind> ParseSubjectKind(const std::string& value);

// The contents of `file` if it is set (ReadFile's error otherwise), else
// `inline_text`: for flag pairs such as --question-file / --question.
absl::StatusOr<std::string> TextFromFileOr(const std::string& file, const std::string& inline_text);

// The message's Protobuf JSON mapping (proto field names) as a json value.
nlohmann::json ProtoJson(const google::protobuf::Message& m);

// The assessment as text in Swedish ("sv") or English ("en"), with the
// bundled rulebook's citations and explanations.
std::string RenderAssessmentText(const v1::Assessment& a, const std::string& lang = "sv");

// On a terminal: asks for a motivation for each judgement in `missing`
// (showing the law's text of it from `assessment`), appending the ones
// answered to *given (officer = `officer`; an empty line leaves a judgement
// unattested), then for the decision's motivation if *motivation is empty
// (an empty answer is kInvalidArgument: nothing is defaulted). Prompts go to
// `out`, answers come from `in`. kCancelled if `in` ends.
absl::Status PromptForAttestations(const v1::Assessment& assessment, const std::vector<Judgement>& missing,
                                   const std::string& officer, std::vector<v1::Attestation>* given,
                                   std::string* motivation, std::istream& in, std::ostream& out);

// A CLI11 callback that connects with the profile named by `flags`, runs
// `body` and stores the exit code for its status (errors on stderr, a
// failed connection explained, client/cli.h).
std::function<void()> WithClient(const GlobalFlags& flags, int* exit_code,
                                 std::function<absl::Status(SlussClient&)> body);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_CMD_COMMON_H_
