// Formats of docs/DIARIUM.md §4–§5.
#include "storage/checkpoint.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"

namespace sluss::storage {
namespace {

constexpr absl::string_view kProofHeader = "c2sp.org/tlog-proof@v1";

// Decimal with no leading zeros (except "0"), as the C2SP specs require.
bool ParseDecimal(absl::string_view s, uint64_t* out) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return absl::SimpleAtoi(s, out);
}

absl::Status Malformed(absl::string_view what, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": malformed: ", why));
}

// Splits `text` at the first empty line: returns the lines before it and the
// rest after it. Lines must end in '\n'.
absl::Status SplitHead(absl::string_view what, absl::string_view text,
                       std::vector<absl::string_view>* head, absl::string_view* rest) {
  size_t pos = 0;
  while (true) {
    const size_t nl = text.find('\n', pos);
    if (nl == absl::string_view::npos) return Malformed(what, "missing blank line");
    if (nl == pos) {
      *rest = text.substr(nl + 1);
      return absl::OkStatus();
    }
    head->push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
}

absl::StatusOr<std::vector<Hash>> ParseHashLines(absl::string_view what,
                                                 absl::Span<const absl::string_view> lines) {
  std::vector<Hash> out;
  for (absl::string_view line : lines) {
    auto h = HashFromBase64(line);
    if (!h.ok()) return Malformed(what, absl::StrCat("bad hash line \"", line, "\""));
    out.push_back(*h);
  }
  return out;
}

}  // namespace

std::string FormatCheckpointText(const CheckpointBody& body) {
  return absl::StrCat(body.origin, "\n", body.size, "\n", HashToBase64(body.root), "\n");
}

absl::StatusOr<CheckpointBody> ParseCheckpointText(absl::string_view text) {
  constexpr absl::string_view kWhat = "checkpoint";
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  // A text ending in '\n' splits into lines plus one empty tail.
  if (lines.size() < 4 || !lines.back().empty()) {
    return Malformed(kWhat, "need origin, size and root lines, each ending in a newline");
  }
  CheckpointBody body;
  if (lines[0].empty()) return Malformed(kWhat, "empty origin line");
  body.origin = std::string(lines[0]);
  if (!ParseDecimal(lines[1], &body.size)) {
    return Malformed(kWhat, absl::StrCat("bad tree size \"", lines[1], "\""));
  }
  auto root = HashFromBase64(lines[2]);
  if (!root.ok()) return Malformed(kWhat, absl::StrCat("bad root hash \"", lines[2], "\""));
  body.root = *root;
  for (size_t i = 3; i + 1 < lines.size(); ++i) {
    if (lines[i].empty()) return Malformed(kWhat, "empty extension line");
  }
  return body;
}

absl::StatusOr<SignedCheckpoint> OpenCheckpoint(absl::string_view note,
                                                absl::string_view origin,
                                                absl::Span<const crypto::NoteVerifier> verifiers) {
  SLUSS_ASSIGN_OR_RETURN(crypto::OpenedNote opened, crypto::OpenNote(note, verifiers));
  SLUSS_ASSIGN_OR_RETURN(CheckpointBody body, ParseCheckpointText(opened.text));
  if (body.origin != origin) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint: origin is \"", body.origin,
                                                   "\", expected \"", origin, "\""));
  }
  return SignedCheckpoint{std::move(body), std::string(note)};
}

std::string FormatInclusionProofFile(const InclusionProofFile& file) {
  std::string out = absl::StrCat(kProofHeader, "\n");
  if (!file.extra.empty()) absl::StrAppend(&out, "extra ", absl::Base64Escape(file.extra), "\n");
  absl::StrAppend(&out, "index ", file.index, "\n");
  for (const Hash& h : file.proof) absl::StrAppend(&out, HashToBase64(h), "\n");
  absl::StrAppend(&out, "\n", file.checkpoint);
  return out;
}

absl::StatusOr<InclusionProofFile> ParseInclusionProofFile(absl::string_view text) {
  constexpr absl::string_view kWhat = "tlog-proof";
  std::vector<absl::string_view> head;
  absl::string_view rest;
  SLUSS_RETURN_IF_ERROR(SplitHead(kWhat, text, &head, &rest));
  size_t i = 0;
  if (head.empty() || head[i++] != kProofHeader) {
    return Malformed(kWhat, absl::StrCat("first line is not \"", kProofHeader, "\""));
  }
  InclusionProofFile file;
  if (i < head.size() && absl::StartsWith(head[i], "extra ")) {
    if (!absl::Base64Unescape(head[i].substr(6), &file.extra)) {
      return Malformed(kWhat, "bad base64 in extra line");
    }
    ++i;
  }
  if (i >= head.size() || !absl::StartsWith(head[i], "index ") ||
      !ParseDecimal(head[i].substr(6), &file.index)) {
    return Malformed(kWhat, "missing or bad \"index N\" line");
  }
  ++i;
  SLUSS_ASSIGN_OR_RETURN(file.proof,
                         ParseHashLines(kWhat, absl::MakeConstSpan(head).subspan(i)));
  if (rest.empty()) return Malformed(kWhat, "missing checkpoint");
  file.checkpoint = std::string(rest);
  return file;
}

absl::Status VerifyInclusionProofFile(absl::string_view proof_file, absl::string_view entry,
                                      absl::string_view origin,
                                      absl::Span<const crypto::NoteVerifier> verifiers) {
  SLUSS_ASSIGN_OR_RETURN(InclusionProofFile file, ParseInclusionProofFile(proof_file));
  SLUSS_ASSIGN_OR_RETURN(SignedCheckpoint cp, OpenCheckpoint(file.checkpoint, origin, verifiers));
  return Annotate(VerifyInclusion(file.index, cp.body.size, LeafHash(entry), file.proof,
                                  cp.body.root),
                  absl::StrCat("entry ", file.index, " in tree of size ", cp.body.size));
}

std::string FormatConsistencyBody(const ConsistencyBody& body) {
  std::string out = absl::StrCat("old ", body.old_size, "\n");
  for (const Hash& h : body.proof) absl::StrAppend(&out, HashToBase64(h), "\n");
  absl::StrAppend(&out, "\n", body.checkpoint);
  return out;
}

absl::StatusOr<ConsistencyBody> ParseConsistencyBody(absl::string_view text) {
  constexpr absl::string_view kWhat = "add-checkpoint body";
  std::vector<absl::string_view> head;
  absl::string_view rest;
  SLUSS_RETURN_IF_ERROR(SplitHead(kWhat, text, &head, &rest));
  ConsistencyBody body;
  if (head.empty() || !absl::StartsWith(head[0], "old ") ||
      !ParseDecimal(head[0].substr(4), &body.old_size)) {
    return Malformed(kWhat, "missing or bad \"old N\" line");
  }
  if (head.size() - 1 > 63) return Malformed(kWhat, "more than 63 proof lines");
  SLUSS_ASSIGN_OR_RETURN(body.proof,
                         ParseHashLines(kWhat, absl::MakeConstSpan(head).subspan(1)));
  if (rest.empty()) return Malformed(kWhat, "missing checkpoint");
  body.checkpoint = std::string(rest);
  return body;
}

}  // namespace sluss::storage
