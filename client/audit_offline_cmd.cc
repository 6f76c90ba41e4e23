// client/audit_offline_cmd.h: `sluss audit replay` and `sluss audit export --csv`.
#include "client/audit_offline_cmd.h"

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "client/audit_log.h"
#include "client/audit_replay.h"
#include "client/progress.h"
#include "crypto/hash.h"
#include "exchange/action.h"
#include "storage/merkle.h"
#include "storage/tile_audit.h"

namespace sluss::client {
namespace {

int Fail(std::ostream& err, const absl::Status& status) {
  err << "sluss audit: " << status.message() << "\n";
  return ExitCodeFor(status);
}

// The source, its trusted keys and the size its tree proves.
struct Proven {
  std::unique_ptr<storage::TileSource> source;
  TrustedKeys trust;
  storage::AuditReport tree;
  uint64_t hint = 0;  // the latest checkpoint's size
};

// Opens the source and proves its tree (storage::AuditTiles: no
// signatures, fast). kDataLoss (exit 7) if the tree does not verify.
absl::StatusOr<Proven> Prove(const AuditSourceOptions& options, std::ostream& err, bool progress) {
  Proven p;
  SLUSS_ASSIGN_OR_RETURN(p.source, OpenAuditSource(options));
  SLUSS_ASSIGN_OR_RETURN(p.trust, LoadTrustedKeys(options, *p.source));
  if (p.trust.from_source) {
    err << "sluss audit: warning: no --vkey given, so the keys in the export's own vkeys file are "
           "trusted; that shows only that the export agrees with itself. Pass the log's public "
           "key, obtained from the log operator, with --vkey or --vkey-file.\n";
  }
  storage::AuditOptions ao;
  std::optional<ProgressBar> bar;
  if (progress) {
    bar.emplace(err, "tree");
    ao.progress = [&bar](uint64_t d, uint64_t t) { bar->Update(d, t); };
  }
  SLUSS_ASSIGN_OR_RETURN(p.tree, storage::AuditTiles(*p.source, p.trust.keys, ao));
  if (bar) bar->Clear();
  if (!p.tree.ok()) {
    const storage::AuditProblem& first = p.tree.problems.front();
    return absl::DataLossError(absl::StrCat("the log does not verify (first bad entry ", first.index, ", ",
                                            storage::AuditProblemKindName(first.kind), ": ", first.message,
                                            "); run `sluss audit verify` for the full report"));
  }
  p.hint = p.tree.checkpoints.empty() ? 0 : p.tree.checkpoints.back().size;
  return p;
}

std::string TimeUtc(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMicros(micros), absl::UTCTimeZone());
}

// RFC 4180: quote fields holding a comma, quote or line break.
std::string Csv(absl::string_view s) {
  if (s.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Row(const std::vector<std::string>& fields) {
  std::vector<std::string> q;
  q.reserve(fields.size());
  for (const auto& f : fields) q.push_back(Csv(f));
  return absl::StrCat(absl::StrJoin(q, ","), "\r\n");
}

std::string OutcomeName(v1::Outcome o) {
  return o == v1::OUTCOME_UNSPECIFIED ? "" : v1::Outcome_Name(o);
}

std::string ShortDigest(absl::string_view d) { return std::string(d.substr(0, std::min<size_t>(d.size(), 19))); }

}  // namespace

int RunAuditReplay(const AuditReplayOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<Proven> p = Prove(options.source, err, options.progress);
  if (!p.ok()) return Fail(err, p.status());
  ReplayOptions ro;
  ro.hint_size = p->hint;
  std::optional<ProgressBar> bar;
  if (options.progress) {
    bar.emplace(err, "replay");
    ro.progress = [&bar](uint64_t d, uint64_t t) { bar->Update(d, t); };
  }
  absl::StatusOr<ReplayReport> r = ReplayLog(*p->source, p->tree.proven_size, ro);
  if (bar) bar->Clear();
  if (!r.ok()) return Fail(err, r.status());
  const double secs = absl::ToDoubleSeconds(r->elapsed);
  if (options.json) {
    nlohmann::json findings = nlohmann::json::array();
    for (const auto& f : r->findings) {
      findings.push_back({{"index", f.index}, {"kind", f.kind}, {"case_id", f.case_id}, {"message", f.message}});
    }
    nlohmann::json j = {
        {"ok", r->ok()},
        {"source", p->tree.source},
        {"trust", {{"from", p->trust.from}, {"independent", !p->trust.from_source}}},
        {"size", r->size},
        {"root", storage::HashToBase64(p->tree.recomputed_root)},
        {"cases", r->cases},
        {"rulebooks", r->rulebooks},
        {"assessments", r->assessments},
        {"disclosures", r->disclosures},
        {"elapsed_seconds", secs},
        {"first_bad_index", r->findings.empty() ? nlohmann::json() : nlohmann::json(r->findings[0].index)},
        {"findings", findings},
    };
    out << j.dump(2) << std::endl;
  } else {
    out << "source:      " << p->tree.source << "\n"
        << "trusted:     " << p->trust.from << (p->trust.from_source ? " (not independent of the export)" : "")
        << "\n"
        << "tree:        entries [0, " << ProgressBar::Group(p->tree.proven_size) << ") proven, root "
        << storage::HashToBase64(p->tree.recomputed_root) << "\n"
        << "replayed:    " << ProgressBar::Group(r->size) << " entries: " << ProgressBar::Group(r->cases)
        << " cases, " << r->rulebooks << " rulebook activations, " << ProgressBar::Group(r->assessments)
        << " assessments re-run, " << ProgressBar::Group(r->disclosures) << " disclosures checked\n"
        << "time:        " << absl::StrFormat("%.2f s", secs) << "\n";
    if (r->ok()) {
      out << "OK: every disclosure was allowed by the rulebook active at its index on its decision date, "
             "with the attestations it required, and every recorded outcome is the replayed one\n";
    } else {
      out << "FAILED: " << r->findings.size() << " finding" << (r->findings.size() == 1 ? "" : "s")
          << "; first bad entry " << r->findings[0].index << " (" << r->findings[0].kind << ")\n";
      for (const auto& f : r->findings) {
        out << absl::StrFormat("  %d  %s  %s%s\n", f.index, f.kind, f.case_id.empty() ? "" : f.case_id + ": ",
                               f.message);
      }
    }
  }
  return r->ok() ? kExitOk : kExitAuditFindings;
}

int RunAuditExportCsv(const AuditExportOptions& options, std::ostream& out, std::ostream& err) {
  if (options.rows != "entries" && options.rows != "cases") {
    return Fail(err, absl::InvalidArgumentError(
                         absl::StrCat("--rows \"", options.rows, "\": must be entries or cases")));
  }
  absl::StatusOr<Proven> p = Prove(options.source, err, false);
  if (!p.ok()) return Fail(err, p.status());
  std::string csv;
  ReadLogOptions ro;
  ro.hint_size = p->hint;
  absl::Status s;
  if (options.rows == "entries") {
    csv = Row({"index", "time_utc", "kind", "case_id", "from_agency", "to_agency", "from_diarienummer",
               "to_diarienummer", "officer", "categories", "decision", "outcome", "decision_date", "rulebook",
               "subject_pseudonym", "entry_sha256"});
    s = ReadSlussLog(*p->source, p->tree.proven_size, ro, [&](const LogEntryView& v) {
      const v1::DiariumEntry& e = *v.entry;
      std::vector<std::string> f(16);
      f[0] = absl::StrCat(v.index);
      f[1] = TimeUtc(e.time_unix_micros());
      f[15] = crypto::ToHex(crypto::AsStringView(crypto::Sha256(v.bytes)));
      auto officer_of = [](const v1::DsseEnvelope& env) {
        absl::StatusOr<v1::Action> a = exchange::ParseActionUnverified(env);
        return a.ok() ? a->officer() : std::string();
      };
      auto opening = [&](const v1::CaseOpening& op, const v1::Facts& facts, const std::string& date,
                         const v1::Assessment& a) {
        f[3] = op.case_id();
        f[4] = exchange::AgencyKey(op.from());
        f[5] = exchange::AgencyKey(op.to());
        f[6] = op.from_diarienummer();
        f[7] = op.to_diarienummer();
        f[9] = absl::StrJoin(facts.categories(), " ");
        f[11] = OutcomeName(a.outcome());
        f[12] = date;
        f[13] = ShortDigest(a.rulebook_digest());
        f[14] = op.subject_pseudonym();
      };
      switch (e.kind_case()) {
        case v1::DiariumEntry::kAgency:
          f[2] = "agency";
          f[4] = exchange::AgencyKey(e.agency().agency());
          break;
        case v1::DiariumEntry::kOfficer:
          f[2] = "officer";
          f[4] = exchange::AgencyKey(e.officer().agency());
          f[8] = e.officer().id();
          break;
        case v1::DiariumEntry::kRevocation:
          f[2] = "revocation";
          f[8] = e.revocation().officer();
          break;
        case v1::DiariumEntry::kRulebookChunk:
          f[2] = "rulebook_chunk";
          f[13] = ShortDigest(e.rulebook_chunk().digest());
          break;
        case v1::DiariumEntry::kRulebookActivation:
          f[2] = "rulebook_activation";
          f[13] = ShortDigest(e.rulebook_activation().digest());
          break;
        case v1::DiariumEntry::kRequest:
          f[2] = "request";
          opening(e.request().opening(), e.request().facts(), e.request().decision_date(), e.request().assessment());
          f[8] = officer_of(e.request().action());
          break;
        case v1::DiariumEntry::kSend:
          f[2] = "send";
          opening(e.send().opening(), e.send().facts(), e.send().decision_date(), e.send().assessment());
          f[8] = officer_of(e.send().action());
          f[10] = "disclose";
          break;
        case v1::DiariumEntry::kDecision: {
          f[2] = "decision";
          f[3] = e.decision().case_id();
          auto c = v.before->cases.find(f[3]);
          if (c != v.before->cases.end()) {
            f[4] = exchange::AgencyKey(c->second.summary.from());
            f[5] = exchange::AgencyKey(c->second.summary.to());
            f[6] = c->second.summary.from_diarienummer();
            f[7] = c->second.summary.to_diarienummer();
            f[9] = absl::StrJoin(c->second.summary.categories(), " ");
          }
          f[8] = officer_of(e.decision().action());
          f[10] = e.decision().has_facts() ? "disclose" : "refuse";
          f[11] = OutcomeName(e.decision().assessment().outcome());
          f[12] = e.decision().decision_date();
          f[13] = ShortDigest(e.decision().assessment().rulebook_digest());
          break;
        }
        case v1::DiariumEntry::kReceipt:
          f[2] = "receipt";
          f[3] = e.receipt().case_id();
          f[8] = officer_of(e.receipt().action());
          break;
        case v1::DiariumEntry::KIND_NOT_SET:
          f[2] = "unknown";
          break;
      }
      csv += Row(f);
      return absl::OkStatus();
    });
  } else {
    struct CaseRow {
      std::vector<std::string> f;
      int64_t opened = 0;
    };
    std::map<std::string, CaseRow> cases;
    std::vector<std::string> order;
    s = ReadSlussLog(*p->source, p->tree.proven_size, ro, [&](const LogEntryView& v) {
      const v1::DiariumEntry& e = *v.entry;
      if (e.has_request() || e.has_send()) {
        const bool send = e.has_send();
        const v1::CaseOpening& op = send ? e.send().opening() : e.request().opening();
        CaseRow& c = cases[op.case_id()];
        order.push_back(op.case_id());
        c.f.assign(16, "");
        c.opened = e.time_unix_micros();
        c.f[0] = op.case_id();
        c.f[1] = send ? "send" : "request";
        c.f[2] = TimeUtc(e.time_unix_micros());
        c.f[3] = exchange::AgencyKey(op.from());
        c.f[4] = exchange::AgencyKey(op.to());
        c.f[5] = op.from_diarienummer();
        c.f[6] = op.to_diarienummer();
        c.f[7] = absl::StrJoin((send ? e.send().facts() : e.request().facts()).categories(), " ");
        c.f[8] = op.subject_pseudonym();
        c.f[9] = absl::StrCat(v.index);
        c.f[10] = OutcomeName((send ? e.send().assessment() : e.request().assessment()).outcome());
        if (send) {
          c.f[11] = c.f[9];
          c.f[12] = "disclose";
          c.f[13] = c.f[10];
          c.f[15] = "0";
        }
      } else if (e.has_decision()) {
        auto it = cases.find(e.decision().case_id());
        if (it == cases.end()) return absl::OkStatus();
        it->second.f[11] = absl::StrCat(v.index);
        it->second.f[12] = e.decision().has_facts() ? "disclose" : "refuse";
        it->second.f[13] = OutcomeName(e.decision().assessment().outcome());
        it->second.f[15] = absl::StrFormat(
            "%.2f", absl::ToDoubleHours(absl::Microseconds(e.time_unix_micros() - it->second.opened)) / 24);
      } else if (e.has_receipt()) {
        auto it = cases.find(e.receipt().case_id());
        if (it != cases.end()) it->second.f[14] = absl::StrCat(v.index);
      }
      return absl::OkStatus();
    });
    csv = Row({"case_id", "kind", "opened_utc", "from_agency", "to_agency", "from_diarienummer", "to_diarienummer",
               "categories", "subject_pseudonym", "opening_index", "opening_outcome", "decision_index", "decision",
               "decision_outcome", "receipt_index", "days_to_decision"});
    for (const std::string& id : order) csv += Row(cases[id].f);
  }
  if (!s.ok()) return Fail(err, s);
  if (options.out_path.empty() || options.out_path == "-") {
    out << csv;
    out.flush();
    return kExitOk;
  }
  absl::Status w = WriteFileAtomically(options.out_path, csv, 0600, /*overwrite=*/true);
  if (!w.ok()) return Fail(err, w);
  err << "wrote " << (options.rows == "entries" ? "one row per entry" : "one row per case") << " of entries [0, "
      << p->tree.proven_size << ") to " << options.out_path << "\n";
  return kExitOk;
}

void AddAuditOfflineCommands(CLI::App& audit, const GlobalFlags& flags, int* exit_code, std::ostream& out,
                             std::ostream& err, bool tty) {
  auto add_source = [](CLI::App* cmd, AuditSourceOptions& s) {
    cmd->add_option("--export", s.export_dir, "tlog-tiles export directory")->required();
    cmd->add_option("--vkey", s.vkeys, "trusted verifier key of the log (<origin>+<hash>+<key>); repeatable");
    cmd->add_option("--vkey-file", s.vkey_file, "file of trusted verifier keys, one per line");
  };
  auto replay = std::make_shared<AuditReplayOptions>();
  auto replay_json = std::make_shared<bool>(false);
  CLI::App* r = audit.add_subcommand(
      "replay", "Rebuild the broker's state from the log and re-run the gate on every assessment");
  add_source(r, replay->source);
  r->add_flag("--json", *replay_json, "machine-readable report");
  r->callback([replay, replay_json, &flags, exit_code, &out, &err, tty] {
    replay->json = *replay_json || flags.json;
    replay->progress = tty;
    *exit_code = RunAuditReplay(*replay, out, err);
  });

  auto exp = std::make_shared<AuditExportOptions>();
  CLI::App* e = audit.add_subcommand(
      "export", "Write the log as CSV for a spreadsheet (pseudonyms and digests only, no free text)");
  add_source(e, exp->source);
  e->add_flag("--csv", exp->csv, "CSV (RFC 4180); the only format so far")->required();
  e->add_option("--rows", exp->rows, "entries (one row per entry, default) or cases (one row per case)");
  e->add_option("--out", exp->out_path, "output file (default: stdout)");
  e->callback([exp, exit_code, &out, &err] { *exit_code = RunAuditExportCsv(*exp, out, err); });
}

}  // namespace sluss::client
