// A synthetic Sluss diarium for the auditor's tests and benchmarks: the
// entries a broker writes (docs/BROKER.md "Diarium entries") — agencies and
// officers registered, the bundled rulebook activated in chunks, then cases
// opened by signed requests, assessed by the real gate, decided (disclose
// with attestations, or refuse) and acknowledged — written straight through
// storage::Diarium, without a broker. Tests alter single entries before they
// are appended (a forged signature, a skipped gate), which a real broker
// would never write.
//
//   SLUSS_ASSIGN_OR_RETURN(auto gen, SlussLogGenerator::Create({}));
//   std::vector<v1::DiariumEntry> entries = gen->Preamble();
//   for (int c = 0; c < 10; ++c) for (auto& e : gen->Case(c)) entries.push_back(e);
//   SLUSS_RETURN_IF_ERROR(WriteSlussLog(entries_as_bytes, {.dir = d}));
//
// Officers (ids as in deploy/dev-pki): anna.handlaggare and
// bo.beslutsfattare (socialtjänst), gustav.admin, cecilia.utredare
// (polisen), frida.revisor (auditor). Keys are derived from `seed`.
// Thread-compatible.
#ifndef SLUSS_TESTS_SUPPORT_SLUSS_LOG_H_
#define SLUSS_TESTS_SUPPORT_SLUSS_LOG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "crypto/keys.h"
#include "gate/rulebook.h"
#include "sluss/v1/diarium_entry.pb.h"

namespace sluss::testing {

struct SlussLogOptions {
  // Seeds every officer key and agency key (same seed, same keys).
  int seed = 1;
  // Time of the first entry; each case advances the clock by `step`.
  absl::Time start = absl::FromCivil(absl::CivilSecond(2026, 3, 2, 9, 0, 0), absl::UTCTimeZone());
  absl::Duration step = absl::Minutes(7);
  // Every `refuse_every`-th case is refused (no receipt); 0: none.
  int refuse_every = 5;
};

class SlussLogGenerator {
 public:
  static absl::StatusOr<std::unique_ptr<SlussLogGenerator>> Create(const SlussLogOptions& options);

  // Agencies, officers, the rulebook's chunks and its activation.
  std::vector<v1::DiariumEntry> Preamble();
  // Case number n: a request from polisen to socialtjänst about a
  // 19-year-old (10 kap. 18 a § OSL), then either a disclosure by
  // bo.beslutsfattare with both attestations and the receipt by
  // cecilia.utredare, or (every refuse_every-th case) a refusal.
  std::vector<v1::DiariumEntry> Case(uint64_t n);
  // A new key for `officer` (a re-registration; later actions use it).
  v1::DiariumEntry RotateKey(const std::string& officer);
  // gustav.admin revokes `officer`'s key.
  v1::DiariumEntry Revoke(const std::string& officer);

  // Signs `action` (deterministic serialization) with `officer`'s current
  // key, or with `key` when given.
  v1::DsseEnvelope Sign(const v1::Action& action, const crypto::Ed25519SigningKey* key = nullptr) const;
  const gate::Rulebook& rulebook() const { return *rulebook_; }
  absl::CivilDay Day() const;

 private:
  SlussLogGenerator() = default;
  v1::Action NewAction(const std::string& officer, const std::string& idem) const;
  void Stamp(v1::DiariumEntry& e) const { e.set_time_unix_micros(absl::ToUnixMicros(now_)); }

  SlussLogOptions options_;
  std::unique_ptr<const gate::Rulebook> rulebook_;
  std::map<std::string, v1::OfficerRegistration> officers_;
  std::map<std::string, std::unique_ptr<crypto::Ed25519SigningKey>> keys_;
  std::map<std::string, v1::AgencyRegistration> agencies_;  // by short name
  std::map<std::string, int> seq_;                         // diarienummer counters
  int rotations_ = 0;
  absl::Time now_;
};

// Entries [0, n) of a log from `gen`: the preamble, then cases 0, 1, …
// (the last one cut off at n), with cecilia.utredare's key rotated after
// case 2 and anna.handlaggare's key revoked after case 4. `alter`, if set,
// may change entry i before it is serialized. For WriteSlussLog.
std::function<bool(std::string* entry)> SlussLogStream(
    SlussLogGenerator& gen, uint64_t n,
    std::function<void(uint64_t index, v1::DiariumEntry& entry)> alter = nullptr);

// Deterministic serialization: the bytes a broker logs.
std::string SerializeEntry(const v1::DiariumEntry& entry);

struct WriteLogOptions {
  std::string dir;  // REQUIRED: writes dir/db, dir/export and dir/log.vkey
  std::string origin = "diarium.sluss.example/stockholm";
  int log_key_seed = 7;
  // Older checkpoints kept in the export (ascending sizes < the total).
  std::vector<uint64_t> history;
};

// Appends `next()` until it returns false into a new storage::Diarium at
// dir/db, exports it to dir/export (keeping a checkpoint at each `history`
// size) and writes the log's verifier key to dir/log.vkey. Returns the
// number of entries.
absl::StatusOr<uint64_t> WriteSlussLog(const WriteLogOptions& options,
                                       const std::function<bool(std::string* entry)>& next);

}  // namespace sluss::testing

#endif  // SLUSS_TESTS_SUPPORT_SLUSS_LOG_H_
