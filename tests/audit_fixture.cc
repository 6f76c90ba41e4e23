// audit_fixture: makes a real diarium (storage::Diarium) holding a
// synthetic Sluss log (tests/support/sluss_log.h: directory, rulebook,
// signed requests, decisions and receipts) and exports it the way repeated
// fetches will, keeping older checkpoints — the input of the auditor's
// end-to-end tests, the benchmark and the examples in docs/USAGE.md.
//
//   audit_fixture --out DIR --entries N [--history 100,300] [--key-seed 1]
//                 [--salt a] [--origin NAME]
//                 [--forge-signature I] [--skip-gate I]
//
// Writes DIR/db (the RocksDB log), DIR/export (the tlog-tiles export, with
// checkpoints/<size> for each --history size) and DIR/log.vkey (the log's
// verifier key, what an auditor gets from the operator). --salt seeds the
// officers' and agencies' keys, so two fixtures with different salts are
// different logs; the log's signing key is derived from --key-seed (same
// seed, same key). For the examples in docs/USAGE.md, what a broker must
// never write: --forge-signature I re-signs entry I's officer action with a
// key nobody registered; --skip-gate I turns decision I into a disclosure
// without the attestations the rules require, logged as ALLOWED. Prints one line: "size N root <base64>". Exit 0, or 1
// with a message.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "crypto/keys.h"
#include "exchange/action.h"
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
  int64_t forge = -1, skip_gate = -1;
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
    } else if (arg == "--forge-signature") {
      if (!absl::SimpleAtoi(value(), &forge)) return Die("bad --forge-signature");
    } else if (arg == "--skip-gate") {
      if (!absl::SimpleAtoi(value(), &skip_gate)) return Die("bad --skip-gate");
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
  sluss::testing::SlussLogGenerator& g = **gen;
  auto alter = [&](uint64_t i, sluss::v1::DiariumEntry& e) {
    const auto* env = e.has_request()    ? &e.request().action()
                      : e.has_decision() ? &e.decision().action()
                      : e.has_receipt()  ? &e.receipt().action()
                                         : nullptr;
    if (env == nullptr) return;
    auto action = sluss::exchange::ParseActionUnverified(*env);
    if (!action.ok()) return;
    if (static_cast<int64_t>(i) == forge) {
      auto forger = sluss::crypto::Ed25519SigningKey::FromSeed(std::string(32, 'F'));
      const sluss::v1::DsseEnvelope forged = g.Sign(*action, &*forger);
      if (e.has_request()) *e.mutable_request()->mutable_action() = forged;
      if (e.has_decision()) *e.mutable_decision()->mutable_action() = forged;
      if (e.has_receipt()) *e.mutable_receipt()->mutable_action() = forged;
    }
    if (static_cast<int64_t>(i) == skip_gate && e.has_decision() && action->decide().has_disclose()) {
      action->mutable_decide()->mutable_disclose()->clear_attestations();
      *e.mutable_decision()->mutable_action() = g.Sign(*action);
      e.mutable_decision()->mutable_facts()->clear_attestations();
    }
  };
  auto n = sluss::testing::WriteSlussLog(w, sluss::testing::SlussLogStream(g, entries, alter));
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
