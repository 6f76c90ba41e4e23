// audit_fixture: makes a real diarium (storage::Diarium) and exports it the
// way repeated fetches will, keeping older checkpoints — the input of the
// auditor's end-to-end tests and of the examples in docs/USAGE.md.
//
//   audit_fixture --out DIR --entries N [--history 100,300] [--key-seed 1]
//                 [--salt a] [--origin NAME]
//
// Writes DIR/db (the RocksDB log), DIR/export (the tlog-tiles export, with
// checkpoints/<size> for each --history size) and DIR/log.vkey (the log's
// verifier key, what an auditor gets from the operator). Entry i is
// "entry <i> " followed by 40–439 bytes derived from i and --salt, so two
// fixtures with different salts are different logs. The signing key is
// derived from --key-seed (same seed, same key). Prints one line:
// "size N root <base64>". Exit 0, or 1 with a message.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "storage/diarium.h"
#include "storage/tile_source.h"

namespace {

using sluss::storage::Diarium;
using sluss::storage::DiariumOptions;

int Die(const std::string& msg) {
  std::fprintf(stderr, "audit_fixture: %s\n", msg.c_str());
  return 1;
}

std::string Entry(uint64_t i, const std::string& salt) {
  std::string e = absl::StrCat("entry ", i, " ");
  uint64_t x = i * 0x9E3779B97F4A7C15ull + static_cast<unsigned char>(salt[0]);
  const size_t extra = 40 + (i * 7919) % 400;
  for (size_t j = 0; j < extra; ++j) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    e.push_back(static_cast<char>('a' + x % 26));
  }
  return e;
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
  if (absl::Status s = sluss::MakeDirectories(out); !s.ok()) return Die(std::string(s.message()));

  auto key = sluss::crypto::Ed25519SigningKey::FromSeed(std::string(32, static_cast<char>(key_seed)));
  if (!key.ok()) return Die(std::string(key.status().message()));
  auto signer = sluss::crypto::NoteSigner::Create(origin, *std::move(key));
  if (!signer.ok()) return Die(std::string(signer.status().message()));
  DiariumOptions o;
  o.origin = origin;
  o.signers = {std::make_shared<const sluss::crypto::NoteSigner>(*std::move(signer))};
  o.checkpoint_interval = absl::ZeroDuration();
  o.max_group_entries = 65536;
  auto opened = Diarium::Open(o, out + "/db");
  if (!opened.ok()) return Die(std::string(opened.status().message()));
  Diarium& d = **opened;
  const std::string exp = out + "/export";

  history.push_back(entries);
  uint64_t at = d.size();
  for (uint64_t size : history) {
    if (size < at || size > entries) return Die("--history sizes must ascend and be <= --entries");
    for (; at < size; ++at) {
      d.AppendAsync(Entry(at, salt), {}, [](absl::StatusOr<uint64_t> r) {
        if (!r.ok()) std::fprintf(stderr, "append: %s\n", std::string(r.status().message()).c_str());
      });
    }
    auto cp = d.AwaitCheckpoint(size, absl::Minutes(5));
    if (!cp.ok()) return Die(std::string(cp.status().message()));
    absl::Status s = sluss::storage::ArchiveExportCheckpoint(exp);
    if (s.ok()) s = d.Export(exp);
    if (!s.ok()) return Die(std::string(s.message()));
  }
  absl::Status s = sluss::WriteFileAtomically(out + "/log.vkey",
                                              absl::StrCat(absl::StrJoin(d.VerifierKeys(), "\n"), "\n"),
                                              0644, true);
  if (!s.ok()) return Die(std::string(s.message()));
  std::printf("size %llu root %s\n", static_cast<unsigned long long>(d.LatestCheckpoint().body.size),
              sluss::storage::HashToBase64(d.LatestCheckpoint().body.root).c_str());
  return 0;
}
