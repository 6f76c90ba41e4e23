// audit_fixture: makes a real diarium (storage::Diarium) holding a
// synthetic Sluss log (tests/support/sluss_log.h: directory, rulebook,
// signed requests, decisions and receipts) and exports it the way repeated
// fetches will, keeping older checkpoints — the input of the auditor's
// end-to-end tests, the benchmark and the examples in docs/USAGE.md.
//
//   audit_fixture --out DIR --entries N [--history 100,300] [--key-seed 1]
//                 [--salt a] [--origin NAME]
//
// Writes DIR/db (the RocksDB log), DIR/export (the tlog-tiles export, with
// checkpoints/<size> for each --history size) and DIR/log.vkey (the log's
// verifier key, what an auditor gets from the operator). --salt seeds the
// officers' and agencies' keys, so two fixtures with different salts are
// different logs; the log's signing key is derived from --key-seed (same
// seed, same key). Prints one line: "size N root <base64>". Exit 0, or 1
// with a message.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "storage/checkpoint.h"
#include "storage/tile_source.h"
#include "tests/support/sluss_log.h"

namespace {

int Die(const std::string& msg) {
  std::fprintf(stderr, "audit_fixture: %s\n", msg.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out, salt = "a", origin = "diarium.sluss.example/kommun-lund";
  uint64_t entries = 1000;
  int key_seed = 1;
  std::vector<uint64_t> history;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--out") {
      out = value();
    } else if (arg == "--entries") {
      if (!absl::SimpleAtoi(value(), &entries)) return Die("bad --entries");
    } else if (arg == "--history") {
      for (absl::string_view s : absl::StrSplit(value(), ',', absl::SkipEmpty())) {
        uint64_t h;
        if (!absl::SimpleAtoi(s, &h)) return Die("bad --history");
        history.push_back(h);
      }
    } else if (arg == "--key-seed") {
      if (!absl::SimpleAtoi(value(), &key_seed)) return Die("bad --key-seed");
    } else if (arg == "--salt") {
      salt = value();
      if (salt.empty()) return Die("bad --salt");
    } else if (arg == "--origin") {
      origin = value();
    } else {
      return Die(absl::StrCat("unknown flag ", arg));
    }
  }
  if (out.empty()) return Die("--out DIR is required");
  auto gen = sluss::testing::SlussLogGenerator::Create({.seed = static_cast<unsigned char>(salt[0])});
  if (!gen.ok()) return Die(std::string(gen.status().message()));
  sluss::testing::WriteLogOptions w;
  w.dir = out;
  w.origin = origin;
  w.log_key_seed = key_seed;
  for (uint64_t h : history) {
    if (h >= entries) return Die("--history sizes must ascend and be < --entries");
    w.history.push_back(h);
  }
  auto n = sluss::testing::WriteSlussLog(w, sluss::testing::SlussLogStream(**gen, entries));
  if (!n.ok()) return Die(std::string(n.status().message()));
  auto src = sluss::storage::OpenExportDirectory(out + "/export");
  if (!src.ok()) return Die(std::string(src.status().message()));
  std::string note;
  if (absl::Status s = (*src)->Read(sluss::storage::kCheckpointPath, &note); !s.ok()) return Die(std::string(s.message()));
  auto body = sluss::storage::ParseCheckpointText(note.substr(0, note.find("\n\n") + 1));
  if (!body.ok()) return Die(std::string(body.status().message()));
  std::printf("size %llu root %s\n", static_cast<unsigned long long>(body->size),
              sluss::storage::HashToBase64(body->root).c_str());
  return 0;
}
