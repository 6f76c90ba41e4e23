// `sluss audit ...` (client/audit_cmd.h, docs/USAGE.md "Auditing the diarium").
#include "client/audit_cmd.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "client/audit_decode.h"
#include "client/audit_entries.h"
#include "client/audit_offline_cmd.h"
#include "client/progress.h"
#include "crypto/hash.h"
#include "exchange/action.h"
#include "sluss/v1/diarium_entry.pb.h"
#include "storage/checkpoint.h"
#include "storage/merkle.h"
#include "storage/tile_audit.h"
#include "storage/tiled_log.h"
#include "storage/tiles.h"

namespace sluss::client {
namespace {

using storage::AuditProblem;
using storage::AuditReport;
using storage::TiledLog;
using storage::TileSource;

int Fail(std::ostream& err, const absl::Status& status) {
  err << "sluss audit: " << status.message() << "\n";
  return ExitCodeFor(status);
}

std::string Thousands(uint64_t v) {
  std::string digits = absl::StrCat(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

void WarnIfSelfTrusted(const TrustedKeys& trust, std::ostream& err) {
  if (!trust.from_source) return;
  err << "sluss audit: warning: no --vkey given, so the keys in the export's own vkeys file are "
         "trusted; that shows only that the export agrees with itself. Pass the log's public "
         "key, obtained from the log operator, with --vkey or --vkey-file.\n";
}

struct OpenedLog {
  std::unique_ptr<TileSource> source;
  TrustedKeys trust;
  std::unique_ptr<TiledLog> log;
};

// Opens the source at its checkpoint. A missing export or checkpoint keeps
// its kNotFound; a checkpoint that does not verify is kDataLoss (exit 7).
absl::StatusOr<OpenedLog> OpenLog(const AuditSourceOptions& options, std::ostream& err) {
  OpenedLog o;
  SLUSS_ASSIGN_OR_RETURN(o.source, OpenAuditSource(options));
  SLUSS_ASSIGN_OR_RETURN(o.trust, LoadTrustedKeys(options, *o.source));
  WarnIfSelfTrusted(o.trust, err);
  std::string note;
  SLUSS_RETURN_IF_ERROR(o.source->Read(storage::kCheckpointPath, &note));
  absl::StatusOr<std::unique_ptr<TiledLog>> log = TiledLog::Open(*o.source, o.trust.keys);
  if (!log.ok()) {
    return absl::DataLossError(absl::StrCat("verification failed: ", log.status().message(),
                                            " (trusted keys from ", o.trust.from, ")"));
  }
  o.log = *std::move(log);
  return o;
}

absl::Status WriteOutput(const std::string& path, absl::string_view data, std::ostream& out) {
  if (path.empty() || path == "-") {
    out << data;
    out.flush();
    return absl::OkStatus();
  }
  return WriteFileAtomically(path, data, 0644, /*overwrite=*/true);
}

// A problem of the tree (storage::AuditTiles) or of an entry (AuditSlussEntries).
struct Finding {
  uint64_t index = 0;
  std::string kind, path, message;
};

// Tree problems first at an equal index (an altered entry explains the rest).
std::vector<Finding> Findings(const AuditReport& r, const EntryAuditReport& e) {
  std::vector<Finding> out;
  for (const auto& p : r.problems) {
    out.push_back({p.index, std::string(storage::AuditProblemKindName(p.kind)), p.path, p.message});
  }
  for (const auto& p : e.problems) out.push_back({p.index, p.kind, "", p.message});
  std::stable_sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) { return a.index < b.index; });
  return out;
}

nlohmann::json ProblemJson(const Finding& p) {
  return {{"index", p.index}, {"kind", p.kind}, {"path", p.path}, {"message", p.message}};
}

void PrintVerifyJson(const AuditReport& r, const EntryAuditReport& e, const TrustedKeys& trust,
                     std::ostream& out) {
  const std::vector<Finding> findings = Findings(r, e);
  const double secs = absl::ToDoubleSeconds(r.elapsed + e.elapsed);
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& k : trust.keys) keys.push_back(k.VerifierKey());
  nlohmann::json checkpoints = nlohmann::json::array();
  for (const auto& c : r.checkpoints) {
    checkpoints.push_back({{"path", c.path},
                           {"size", c.size},
                           {"root", storage::HashToBase64(c.root)},
                           {"trusted", c.trusted},
                           {"matches", c.matches}});
  }
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& p : findings) problems.push_back(ProblemJson(p));
  nlohmann::json j = {
      {"ok", r.ok() && e.ok()},
      {"source", r.source},
      {"trust", {{"from", trust.from}, {"independent", !trust.from_source}, {"keys", keys}}},
      {"size", r.size},
      {"proven_size", r.proven_size},
      {"recomputed_root",
       r.root_recomputed ? nlohmann::json(storage::HashToBase64(r.recomputed_root)) : nlohmann::json()},
      {"entries_read", r.entries_read},
      {"entry_bytes", r.entry_bytes},
      {"tiles_read", r.tiles_read},
      {"elapsed_seconds", secs},
      {"tree_seconds", absl::ToDoubleSeconds(r.elapsed)},
      {"entries_per_second", secs > 0 ? static_cast<double>(r.entries_read) / secs : 0.0},
      {"checkpoints", checkpoints},
      {"entries_checked", e.entries_checked},
      {"signatures_verified", e.signatures_verified},
      {"first_bad_index", findings.empty() ? nlohmann::json() : nlohmann::json(findings[0].index)},
      {"problems", problems},
      {"problems_omitted", r.problems_omitted + e.problems_omitted},
  };
  out << j.dump(2) << std::endl;
}

void PrintVerifyText(const AuditReport& r, const EntryAuditReport& e, const TrustedKeys& trust,
                     std::ostream& out) {
  const std::vector<Finding> findings = Findings(r, e);
  const double secs = absl::ToDoubleSeconds(r.elapsed + e.elapsed);
  out << "source:      " << r.source << "\n";
  for (const auto& k : trust.keys) {
    out << "trusted key: " << k.VerifierKey() << "\n";
  }
  out << "             (from " << trust.from
      << (trust.from_source ? "; not independent of the export" : "") << ")\n";
  for (const auto& c : r.checkpoints) {
    out << absl::StrFormat("checkpoint:  %-16s size %-9s root %s  %s\n", c.path, Thousands(c.size),
                           storage::HashToBase64(c.root),
                           !c.trusted ? "NOT TRUSTED" : c.matches ? "verified" : "DOES NOT MATCH");
  }
  out << "entries:     " << Thousands(r.entries_read) << " of " << Thousands(r.size) << " read ("
      << Thousands(r.entry_bytes) << " bytes), " << Thousands(r.tiles_read)
      << " tiles compared, root "
      << (r.root_recomputed ? storage::HashToBase64(r.recomputed_root) : std::string("not computable"))
      << "\n";
  out << "officers:    " << Thousands(e.signatures_verified) << " signatures checked against the keys "
      << "registered before each entry; references of " << Thousands(e.entries_checked) << " entries checked\n";
  out << "time:        " << absl::StrFormat("%.2f s (tree %.2f s), %s entries/s", secs, absl::ToDoubleSeconds(r.elapsed),
                                            Thousands(secs > 0 ? static_cast<uint64_t>(
                                                                     static_cast<double>(r.entries_read) / secs)
                                                               : 0))
      << "\n";
  if (r.ok() && e.ok()) {
    out << "OK: every entry, tile and checkpoint verifies; entries [0, " << Thousands(r.proven_size)
        << ") are proven by the checkpoint"
        << (r.checkpoints.size() > 1 ? ", and each older checkpoint is consistent with it" : "")
        << "\n";
    out << "OK: every officer signature verifies with a key registered earlier in the log, and every "
           "entry references only earlier entries\n";
    return;
  }
  const Finding& first = findings.front();
  out << "FAILED: first bad entry " << first.index << " (" << first.kind << "); entries [0, "
      << Thousands(r.proven_size) << ") are proven\n";
  for (const auto& p : findings) out << absl::StrFormat("  %d  %s  %s\n", p.index, p.kind, p.message);
  const uint64_t omitted = r.problems_omitted + e.problems_omitted;
  if (omitted > 0) out << "  … and " << omitted << " more\n";
}

std::string HexDump(absl::string_view bytes, size_t limit) {
  std::string out;
  for (size_t off = 0; off < bytes.size() && off < limit; off += 16) {
    absl::StrAppendFormat(&out, "  %08x  ", off);
    std::string ascii;
    for (size_t i = 0; i < 16; ++i) {
      if (off + i < bytes.size()) {
        const unsigned char c = static_cast<unsigned char>(bytes[off + i]);
        absl::StrAppendFormat(&out, "%02x ", c);
        ascii.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '.');
      } else {
        out += "   ";
      }
      if (i == 7) out += " ";
    }
    absl::StrAppend(&out, " |", ascii, "|\n");
  }
  if (bytes.size() > limit) absl::StrAppend(&out, "  … ", bytes.size() - limit, " more bytes (--raw)\n");
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TileSource>> OpenAuditSource(const AuditSourceOptions& options) {
  if (options.export_dir.empty()) {
    return absl::InvalidArgumentError("no log to audit: pass --export DIR");
  }
  return storage::OpenExportDirectory(options.export_dir);
}

absl::StatusOr<TrustedKeys> LoadTrustedKeys(const AuditSourceOptions& options, TileSource& source) {
  TrustedKeys t;
  std::vector<std::string> from;
  for (const std::string& v : options.vkeys) {
    absl::StatusOr<crypto::NoteVerifier> key = crypto::NoteVerifier::FromVerifierKey(v);
    if (!key.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--vkey \"", v, "\": ", key.status().message()));
    }
    t.keys.push_back(*std::move(key));
  }
  if (!options.vkeys.empty()) from.push_back("--vkey");
  if (!options.vkey_file.empty()) {
    SLUSS_ASSIGN_OR_RETURN(std::string text, ReadFile(options.vkey_file));
    SLUSS_ASSIGN_OR_RETURN(std::vector<crypto::NoteVerifier> keys,
                           storage::ParseVerifierKeys(text, absl::StrCat("--vkey-file ", options.vkey_file)));
    t.keys.insert(t.keys.end(), keys.begin(), keys.end());
    from.push_back(absl::StrCat("--vkey-file ", options.vkey_file));
  }
  if (t.keys.empty()) {
    std::string text;
    SLUSS_RETURN_IF_ERROR(Annotate(source.Read(storage::kVerifierKeysPath, &text),
                                   "no --vkey given and the export's own keys are unreadable"));
    SLUSS_ASSIGN_OR_RETURN(t.keys, storage::ParseVerifierKeys(text, "the export's vkeys file"));
    t.from_source = true;
    from.push_back("the export's own vkeys file");
  }
  SLUSS_RETURN_IF_ERROR(storage::OriginOfKeys(t.keys).status());
  t.from = absl::StrJoin(from, " and ");
  return t;
}

int RunAuditVerify(const AuditVerifyOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::unique_ptr<TileSource>> source = OpenAuditSource(options.source);
  if (!source.ok()) return Fail(err, source.status());
  absl::StatusOr<TrustedKeys> trust = LoadTrustedKeys(options.source, **source);
  if (!trust.ok()) return Fail(err, trust.status());
  WarnIfSelfTrusted(*trust, err);
  storage::AuditOptions audit;
  audit.threads = options.threads;
  std::optional<ProgressBar> bar;
  if (options.progress) {
    bar.emplace(err, "tree");
    audit.progress = [&bar](uint64_t done, uint64_t total) { bar->Update(done, total); };
  }
  absl::StatusOr<AuditReport> report = storage::AuditTiles(**source, trust->keys, audit);
  if (bar) bar->Clear();
  if (!report.ok()) return Fail(err, report.status());
  // Officer signatures and references, over the entries the tree proved.
  EntryAuditReport entries;
  if (report->proven_size > 0) {
    EntryAuditOptions eo;
    eo.threads = options.threads;
    eo.hint_size = report->checkpoints.empty() ? 0 : report->checkpoints.back().size;
    if (options.progress) {
      bar.emplace(err, "signatures");
      eo.progress = [&bar](uint64_t done, uint64_t total) { bar->Update(done, total); };
    }
    absl::StatusOr<EntryAuditReport> e = AuditSlussEntries(**source, report->proven_size, eo);
    if (bar) bar->Clear();
    if (!e.ok()) return Fail(err, e.status());
    entries = *std::move(e);
  }
  if (options.json) {
    PrintVerifyJson(*report, entries, *trust, out);
  } else {
    PrintVerifyText(*report, entries, *trust, out);
  }
  return report->ok() && entries.ok() ? kExitOk : kExitVerifyFailed;
}

int RunAuditProve(const AuditProveOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<OpenedLog> o = OpenLog(options.source, err);
  if (!o.ok()) return Fail(err, o.status());
  absl::StatusOr<std::string> proof = o->log->InclusionProofFile(options.index);
  if (!proof.ok()) return Fail(err, proof.status());
  absl::Status w = WriteOutput(options.out_path, *proof, out);
  if (!w.ok()) return Fail(err, w);
  if (!options.out_path.empty() && options.out_path != "-") {
    err << "wrote the inclusion proof of entry " << options.index << " in the tree of size "
        << o->log->size() << " to " << options.out_path << "\n";
  }
  return kExitOk;
}

int RunAuditConsistency(const AuditConsistencyOptions& options, std::ostream& out,
                        std::ostream& err) {
  absl::StatusOr<OpenedLog> o = OpenLog(options.source, err);
  if (!o.ok()) return Fail(err, o.status());
  absl::StatusOr<std::string> body = o->log->ConsistencyProofBody(options.old_size);
  if (!body.ok()) return Fail(err, body.status());
  absl::Status w = WriteOutput(options.out_path, *body, out);
  if (!w.ok()) return Fail(err, w);
  if (!options.out_path.empty() && options.out_path != "-") {
    err << "wrote the consistency proof from size " << options.old_size << " to "
        << o->log->size() << " to " << options.out_path << "\n";
  }
  return kExitOk;
}

int RunAuditEntry(const AuditEntryOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<OpenedLog> o = OpenLog(options.source, err);
  if (!o.ok()) return Fail(err, o.status());
  absl::StatusOr<std::string> entry = o->log->Entry(options.index);
  if (!entry.ok()) return Fail(err, entry.status());
  if (options.raw) {
    out << *entry;
    out.flush();
    return kExitOk;
  }
  const uint64_t n = options.index / storage::kTileWidth;
  const std::string bundle = storage::EntryBundlePath(n, storage::BundleWidth(o->log->size(), n));
  const std::string sha = crypto::ToHex(crypto::AsStringView(crypto::Sha256(*entry)));
  const std::string leaf = storage::HashToBase64(storage::LeafHash(*entry));
  v1::DiariumEntry decoded;
  const bool parses = decoded.ParseFromString(*entry) && decoded.kind_case() != v1::DiariumEntry::KIND_NOT_SET;
  if (options.json) {
    nlohmann::json j = {{"index", options.index},
                        {"tree_size", o->log->size()},
                        {"proven", true},
                        {"bundle", bundle},
                        {"length", entry->size()},
                        {"sha256", sha},
                        {"leaf_hash", leaf},
                        {"bytes_base64", absl::Base64Escape(*entry)}};
    // The Protobuf JSON mapping of the entry and of the signed action in it.
    absl::StatusOr<std::string> ej = parses ? ToProtoJson(decoded) : absl::StatusOr<std::string>("null");
    j["entry"] = ej.ok() ? nlohmann::json::parse(*ej, nullptr, false) : nlohmann::json();
    if (const v1::DsseEnvelope* env = parses ? SignedEnvelope(decoded) : nullptr) {
      absl::StatusOr<v1::Action> a = exchange::ParseActionUnverified(*env);
      absl::StatusOr<std::string> aj = a.ok() ? ToProtoJson(*a) : absl::StatusOr<std::string>("null");
      j["signed_action"] = aj.ok() ? nlohmann::json::parse(*aj, nullptr, false) : nlohmann::json();
    }
    out << j.dump(2) << std::endl;
    return kExitOk;
  }
  out << "entry:         " << options.index << " of " << Thousands(o->log->size())
      << " (proven: its inclusion proof verifies against the checkpoint)\n"
      << "bundle:        " << bundle << "\n"
      << "length:        " << entry->size() << " bytes\n"
      << "sha256:        " << sha << "\n"
      << "leaf:          " << leaf << "\n";
  if (parses) {
    out << EntryTable(decoded);
  } else {
    out << "bytes:         (not a sluss.v1.DiariumEntry; raw bytes follow, all of them with --raw)\n"
        << HexDump(*entry, 512);
  }
  return kExitOk;
}

int RunAuditVkey(const AuditVkeyOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::unique_ptr<TileSource>> source = OpenAuditSource(options.source);
  if (!source.ok()) return Fail(err, source.status());
  std::string text;
  absl::Status s = (*source)->Read(storage::kVerifierKeysPath, &text);
  if (!s.ok()) return Fail(err, s);
  absl::StatusOr<std::vector<crypto::NoteVerifier>> keys =
      storage::ParseVerifierKeys(text, "the export's vkeys file");
  if (!keys.ok()) return Fail(err, keys.status());
  // Which of them signed the export's checkpoint (a signature check, not trust).
  std::string note;
  const bool have_note = (*source)->Read(storage::kCheckpointPath, &note).ok();
  nlohmann::json list = nlohmann::json::array();
  for (const auto& k : *keys) {
    const bool signs = have_note && crypto::OpenNote(note, {k}).ok();
    if (options.json) {
      list.push_back({{"vkey", k.VerifierKey()},
                      {"name", k.name()},
                      {"key_hash", absl::StrFormat("%08x", k.key_hash())},
                      {"signs_checkpoint", signs}});
    } else {
      out << k.VerifierKey() << "\n";
    }
  }
  if (options.json) {
    out << nlohmann::json({{"source", (*source)->Describe()}, {"keys", list}}).dump(2) << std::endl;
  }
  err << "sluss audit: these keys come from the export itself; compare them with the key the log "
         "operator published before trusting them (--vkey)\n";
  return kExitOk;
}

void AddAuditCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code, std::ostream& out,
                      std::ostream& err) {
  CLI::App* audit = app.add_subcommand(
      "audit", "Audit the diarium offline: verify an export, make proofs, read entries");
  audit->require_subcommand(1);
  const bool tty = ::isatty(STDERR_FILENO) == 1;

  auto add_source = [](CLI::App* cmd, AuditSourceOptions& s, bool keys) {
    cmd->add_option("--export", s.export_dir, "tlog-tiles export directory")->required();
    if (keys) {
      cmd->add_option("--vkey", s.vkeys,
                      "trusted verifier key of the log (<origin>+<hash>+<key>); repeatable");
      cmd->add_option("--vkey-file", s.vkey_file, "file of trusted verifier keys, one per line");
    }
  };

  auto fetch_dir = std::make_shared<std::string>();
  CLI::App* f = audit->add_subcommand(
      "fetch", "Download the live diarium (auditor profile) as a tlog-tiles export for `audit verify`");
  f->add_option("--out", *fetch_dir, "export directory (created; a second run fetches only what is new)")
      ->required();
  f->callback([fetch_dir, &flags, exit_code, &out, &err] {
    auto client = ConnectFromFlags(flags);
    if (!client.ok()) {
      err << "sluss: " << client.status().message() << "\n";
      *exit_code = ExitCodeFor(client.status());
      return;
    }
    auto r = FetchExport(**client, *fetch_dir);
    if (!r.ok()) {
      const absl::Status s = ExplainConnectError(r.status(), (*client)->profile());
      err << "sluss audit fetch: " << s.message() << "\n";
      *exit_code = ExitCodeFor(s);
      return;
    }
    if (flags.json) {
      out << "{\"size\": " << r->size << ", \"fetched\": " << r->fetched << ", \"repaired\": " << r->repaired
          << ", \"export\": \"" << *fetch_dir
          << "\"}\n";
    } else {
      out << "fetched " << r->fetched << " tiles and bundles; " << *fetch_dir << " holds the log's " << r->size
          << " entries (verify with: sluss audit verify --export " << *fetch_dir << ")\n";
      if (r->repaired > 0 || r->removed_temp > 0) {
        out << "an earlier run was interrupted: " << r->removed_temp << " temporary files removed, " << r->repaired
            << " damaged files fetched again\n";
      }
    }
    *exit_code = kExitOk;
  });

  auto verify = std::make_shared<AuditVerifyOptions>();
  auto verify_json = std::make_shared<bool>(false);
  CLI::App* v = audit->add_subcommand(
      "verify", "Recompute the tree from every entry; check tiles, checkpoints and their history");
  add_source(v, verify->source, true);
  v->add_option("--threads", verify->threads, "worker threads (default: one per core)");
  v->add_flag("--json", *verify_json, "machine-readable report");
  v->callback([verify, verify_json, &flags, exit_code, &out, &err, tty] {
    verify->json = *verify_json || flags.json;
    verify->progress = tty;
    *exit_code = RunAuditVerify(*verify, out, err);
  });

  auto prove = std::make_shared<AuditProveOptions>();
  CLI::App* p = audit->add_subcommand(
      "prove", "Write a c2sp.org/tlog-proof@v1 inclusion proof for one entry");
  add_source(p, prove->source, true);
  p->add_option("--index", prove->index, "entry index")->required();
  p->add_option("--out", prove->out_path, "output file (default: stdout)");
  p->callback([prove, exit_code, &out, &err] { *exit_code = RunAuditProve(*prove, out, err); });

  auto cons = std::make_shared<AuditConsistencyOptions>();
  CLI::App* c = audit->add_subcommand(
      "consistency", "Write a tlog-witness add-checkpoint body (consistency proof from --old)");
  add_source(c, cons->source, true);
  c->add_option("--old", cons->old_size, "old tree size")->required();
  c->add_option("--out", cons->out_path, "output file (default: stdout)");
  c->callback([cons, exit_code, &out, &err] { *exit_code = RunAuditConsistency(*cons, out, err); });

  auto entry = std::make_shared<AuditEntryOptions>();
  auto entry_json = std::make_shared<bool>(false);
  CLI::App* e = audit->add_subcommand("entry", "Show one entry, proven against the checkpoint");
  add_source(e, entry->source, true);
  e->add_option("--index", entry->index, "entry index")->required();
  e->add_flag("--raw", entry->raw, "write the entry's bytes verbatim to stdout");
  e->add_flag("--json", *entry_json, "machine-readable output");
  e->callback([entry, entry_json, &flags, exit_code, &out, &err] {
    entry->json = *entry_json || flags.json;
    *exit_code = RunAuditEntry(*entry, out, err);
  });

  AddAuditOfflineCommands(*audit, flags, exit_code, out, err, tty);  // replay, export

  auto vkey = std::make_shared<AuditVkeyOptions>();
  auto vkey_json = std::make_shared<bool>(false);
  CLI::App* k = audit->add_subcommand("vkey", "Print the verifier keys the export publishes");
  add_source(k, vkey->source, false);
  k->add_flag("--json", *vkey_json, "machine-readable output");
  k->callback([vkey, vkey_json, &flags, exit_code, &out, &err] {
    vkey->json = *vkey_json || flags.json;
    *exit_code = RunAuditVkey(*vkey, out, err);
  });
}

}  // namespace sluss::client
