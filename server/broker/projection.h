// The broker's state as a projection of the diarium (docs/BROKER.md
// "Concurrency and the projection"): agencies, officers and their keys,
// cases, idempotency results, diarienummer counters and the active rulebook,
// rebuilt by applying every entry from index 0 in order.
//
// One Apply for everyone who reads the log: the broker applies each entry
// live and at start, and the auditor's replay (client/audit_log.h) applies
// the same entries offline, so an auditor's rebuilt state is the broker's by
// construction, not by a second implementation.
//
//   Projection p;
//   for (i = 0; i < n; ++i) SLUSS_RETURN_IF_ERROR(p.Apply(bytes[i], i));
//   p.officers.at("pol-anna").key ...
//
// Apply checks only what it needs to apply an entry (it parses; a decision
// or receipt names a known case; an officer's key is 32 bytes). It does not
// check signatures, references or the gate: the broker does that before it
// appends, the auditor (`sluss audit verify`, `audit replay`) after.
//
// Thread-compatible: no internal locking (the broker guards it with its own
// mutex). No gRPC types; depends on proto, crypto and exchange only.
#ifndef SLUSS_SERVER_BROKER_PROJECTION_H_
#define SLUSS_SERVER_BROKER_PROJECTION_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "crypto/keys.h"
#include "sluss/v1/diarium_entry.pb.h"
#include "sluss/v1/exchange.pb.h"
#include "sluss/v1/gate.pb.h"

namespace sluss::broker {

struct OfficerState {
  v1::OfficerRegistration reg;
  crypto::Ed25519PublicKey key{};
  bool revoked = false;
};

struct CaseState {
  v1::CaseSummary summary;
  std::vector<uint64_t> indices;  // the case's entries, ascending
  v1::Facts facts;                // broker-completed facts of the opening (no attestations)
  std::string question_digest, answer_digest;
  v1::DsseEnvelope question_action, answer_action;
};

struct IdemState {
  std::string action_digest;  // SHA-256 of the signed payload
  uint64_t index = 0;
};

struct Projection {
  // Applies entry `index` given as its verbatim bytes, or already parsed.
  // kDataLoss naming the index if it does not parse, has no known kind, or
  // cannot be applied (a decision or receipt on an unknown case, a
  // malformed key or action). On error the projection may hold part of the
  // entry's effect: stop using it.
  absl::Status Apply(absl::string_view bytes, uint64_t index);
  absl::Status Apply(const v1::DiariumEntry& entry, uint64_t index);

  // A canonical text dump of everything above, for tests that compare a
  // rebuilt projection with a live one.
  std::string Canonical() const;

  uint64_t applied = 0;         // entries applied
  std::string active_rulebook;  // digest of the last RulebookActivation
  // Keys: exchange::AgencyKey ("212000-0142/socialtjanst").
  std::map<std::string, v1::AgencyRegistration> agencies;
  std::map<std::string, OfficerState> officers;  // by officer id
  std::map<std::string, CaseState> cases;        // by case id
  // By agency key "\n" idempotency key.
  std::map<std::string, IdemState> idempotency;
  // Diarienummer sequence numbers used, by agency key "\n" year.
  std::map<std::string, int> counters;
};

// The judgements an assessment still needs attested, "provision/judgement",
// sorted and unique (e.g. "10:18a/konkret_risk").
std::vector<std::string> RequiredJudgements(const v1::Assessment& assessment);

}  // namespace sluss::broker

#endif  // SLUSS_SERVER_BROKER_PROJECTION_H_
