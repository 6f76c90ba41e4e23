// `sluss audit ...`: the auditor's tools. They read a log in the C2SP
// tlog-tiles layout through a storage::TileSource — today an exported
// directory (--export DIR), later the live server (the broker's Diarium
// service) — and trust nothing but the log's public key.
//
//   sluss audit fetch       --out DIR   (live server, auditor profile)
//   sluss audit verify      --export DIR [KEYS] [--threads N] [--json]
//   sluss audit prove       --export DIR --index N [KEYS] [--out FILE]
//   sluss audit consistency --export DIR --old N [KEYS] [--out FILE]
//   sluss audit entry       --export DIR --index N [KEYS] [--raw] [--json]
//   sluss audit vkey        --export DIR [--json]
//
// KEYS: --vkey KEY (repeatable) and/or --vkey-file FILE (one verifier key
// per line). Without them the export's own `vkeys` file is used, and a
// warning on stderr says that this proves only that the export agrees with
// itself.
//
// Exit codes (client/cli.h, docs/USAGE.md): 0 ok; 7 verification failed
// (verify found a problem; prove/entry/consistency met an entry, tile or
// checkpoint that does not verify); 2 usage; 4 the export, its checkpoint or
// a file named by a flag is missing; 6 invalid input (a malformed key,
// --index beyond the log). Errors go to `err` as one line naming the file.
//
// Not thread-safe (writes to the given streams).
#ifndef SLUSS_CLIENT_AUDIT_CMD_H_
#define SLUSS_CLIENT_AUDIT_CMD_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "client/cli.h"
#include "crypto/note.h"
#include "storage/tile_source.h"

namespace sluss::client {

// Where the log comes from, and whom to trust. One source must be given.
struct AuditSourceOptions {
  std::string export_dir;           // --export DIR
  std::vector<std::string> vkeys;   // --vkey KEY, repeatable
  std::string vkey_file;            // --vkey-file FILE
};

// Opens the source named by the options. kInvalidArgument if none is
// named; OpenExportDirectory's errors otherwise.
absl::StatusOr<std::unique_ptr<storage::TileSource>> OpenAuditSource(
    const AuditSourceOptions& options);

struct TrustedKeys {
  std::vector<crypto::NoteVerifier> keys;
  // "--vkey", "--vkey-file FILE", "--vkey and --vkey-file FILE", or
  // "the export's own vkeys file".
  std::string from;
  // True when the keys came from the source itself (no independent trust).
  bool from_source = false;
};

// The keys given by --vkey/--vkey-file, else the source's `vkeys`.
// kInvalidArgument for a malformed key or keys of different logs;
// kNotFound for a missing --vkey-file or vkeys.
absl::StatusOr<TrustedKeys> LoadTrustedKeys(const AuditSourceOptions& options,
                                            storage::TileSource& source);

struct AuditVerifyOptions {
  AuditSourceOptions source;
  int threads = 0;        // 0: one per hardware thread
  bool json = false;
  bool progress = false;  // draw a progress bar on `err` (set when stderr is a terminal)
};
int RunAuditVerify(const AuditVerifyOptions& options, std::ostream& out, std::ostream& err);

struct AuditProveOptions {
  AuditSourceOptions source;
  uint64_t index = 0;
  std::string out_path;  // empty: `out`
};
int RunAuditProve(const AuditProveOptions& options, std::ostream& out, std::ostream& err);

struct AuditConsistencyOptions {
  AuditSourceOptions source;
  uint64_t old_size = 0;
  std::string out_path;  // empty: `out`
};
int RunAuditConsistency(const AuditConsistencyOptions& options, std::ostream& out,
                        std::ostream& err);

struct AuditEntryOptions {
  AuditSourceOptions source;
  uint64_t index = 0;
  bool raw = false;  // the entry's bytes, verbatim, on `out`
  bool json = false;
};
int RunAuditEntry(const AuditEntryOptions& options, std::ostream& out, std::ostream& err);

struct AuditVkeyOptions {
  AuditSourceOptions source;
  bool json = false;
};
int RunAuditVkey(const AuditVkeyOptions& options, std::ostream& out, std::ostream& err);

// `sluss audit fetch --out DIR` (auditor profile): downloads the live
// diarium through Diarium.GetCheckpoint/GetTile into a tlog-tiles export.
// The previous checkpoint is kept under checkpoints/ (so `verify` checks
// consistency with it) and full tiles already present are not fetched
// again; the checkpoint is written last.
// Crash safety and the checks on resume: client/audit_fetch.h.
struct FetchResult {
  uint64_t size = 0;          // entries in the fetched tree
  uint64_t fetched = 0;       // tiles and bundles downloaded this time
  uint64_t repaired = 0;      // files kept from a previous run that failed the check, fetched again
  uint64_t removed_temp = 0;  // temporary files of an interrupted run, removed
};
absl::StatusOr<FetchResult> FetchExport(SlussClient& client, const std::string& dir);

// Adds `audit` and its subcommands to `app`. `--json` may be given before
// `audit` (GlobalFlags) or after the subcommand. The exit code of the
// command that runs is stored in *exit_code. Everything passed must outlive
// app.parse().
void AddAuditCommands(CLI::App& app, const GlobalFlags& flags, int* exit_code, std::ostream& out,
                      std::ostream& err);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_AUDIT_CMD_H_
