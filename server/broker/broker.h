// The broker: the workflow of docs/BROKER.md (requests, assessments,
// decisions, disclosures, receipts) over the diarium, with no gRPC types.
// The gRPC services in server/ authenticate the caller, decode and forward
// here; tests call it directly with a temp diarium and a FakeClock.
//
//   BrokerOptions o;  o.diarium = log.get(); o.rulebook = rb.get(); ...
//   SLUSS_ASSIGN_OR_RETURN(std::unique_ptr<Broker> b, Broker::Open(o));
//   b->Request(caller, request, [](absl::StatusOr<v1::RequestResponse> r) {...});
//
// State (cases, inbox/outbox, directory, idempotency results, diarienummer
// counters) is a projection of the diarium: Open replays every entry with
// the same Apply used live, and appends the bootstrap directory and the
// rulebook activation when the log is empty.
//
// Concurrency: one mutex guards the projection. A state-changing call
// verifies its signature outside the lock, validates and reserves under it
// (the idempotency key is in flight, the case has a pending change), then
// appends with Diarium::AppendAsync while holding the lock (log order =
// validation order), the sealed envelope, if any, as a payload in the same
// atomic batch (so neither exists without the other). The entry is applied to
// the projection in the durable callback, and `done` runs once a signed
// checkpoint covers it, on the broker's notifier thread (or on the caller's
// thread for an immediate error). `done` must not block.
//
// Thread-safe: every public method may be called from any thread.
#ifndef SLUSS_SERVER_BROKER_BROKER_H_
#define SLUSS_SERVER_BROKER_BROKER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "crypto/pseudonym.h"
#include "gate/rulebook.h"
#include "sluss/v1/diarium.pb.h"
#include "sluss/v1/diarium_entry.pb.h"
#include "sluss/v1/directory.pb.h"
#include "sluss/v1/exchange.pb.h"
#include "sluss/v1/gate.pb.h"
#include "storage/diarium.h"

namespace sluss::broker {

// The agency named by the caller's verified certificate.
struct Caller {
  std::string orgnr;
  std::string function;
};

struct BrokerOptions {
  // REQUIRED, not owned, must outlive the broker. Sealed envelopes are
  // stored in the diarium as payloads (Diarium::GetPayload).
  storage::Diarium* diarium = nullptr;
  const gate::Rulebook* rulebook = nullptr;       // the rulebook to activate and assess with
  const crypto::PseudonymKey* pseudonym_key = nullptr;
  // Default: RealClock(). Not owned.
  Clock* clock = nullptr;
  // Decision dates are civil days in this zone.
  absl::TimeZone time_zone = absl::UTCTimeZone();
  // An action's signed_at must be within this of the broker's clock.
  absl::Duration signed_at_window = absl::Minutes(5);
  // Largest serialized SealedEnvelope accepted.
  size_t max_envelope_bytes = size_t{16} << 20;
  // Token bucket per agency over state-changing calls; rate 0 = unlimited.
  double rate_per_second = 50;
  double rate_burst = 100;
  // Appended when the log is empty (agencies first, then officers).
  std::vector<v1::AgencyRegistration> bootstrap_agencies;
  std::vector<v1::OfficerRegistration> bootstrap_officers;
  // Called (from any thread) when the store fails and the broker stops
  // accepting changes; the server turns health NOT_SERVING.
  std::function<void(const absl::Status&)> on_failure;
};

template <typename T>
using Done = std::function<void(absl::StatusOr<T>)>;

// A stored sealed envelope as a party fetches it.
struct StoredEnvelope {
  std::string bytes;        // its serialization, exactly as stored and signed
  std::string digest;       // SHA-256(bytes), raw
  v1::DsseEnvelope action;  // the signed action that committed to it
};

class Broker {
 public:
  // Replays the log, bootstraps an empty one, activates options.rulebook if
  // it is not the active one. Errors: kInvalidArgument (options),
  // kDataLoss (an entry does not parse or apply), storage errors.
  static absl::StatusOr<std::unique_ptr<Broker>> Open(BrokerOptions options);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // kUnauthenticated unless the caller's agency is in the directory.
  absl::Status Authenticate(const Caller& caller) const;

  // State-changing calls (docs/BROKER.md has the error table). `req` is
  // read only before the call returns (what the entry keeps is copied), so
  // a gRPC handler passes its request without a copy; `done` runs exactly
  // once: on this thread (refusals), the diarium's publisher (a failed
  // append) or the broker's checkpoint-notifier thread (the answer, once a
  // checkpoint covers the entry).
  void Request(const Caller& caller, const v1::RequestRequest& req, Done<v1::RequestResponse> done);
  void Decide(const Caller& caller, const v1::DecideRequest& req, Done<v1::DecideResponse> done);
  void Send(const Caller& caller, const v1::SendRequest& req, Done<v1::SendResponse> done);
  void Acknowledge(const Caller& caller, const v1::AcknowledgeRequest& req,
                   Done<v1::AcknowledgeResponse> done);
  void RevokeKey(const Caller& caller, const v1::RevokeKeyRequest& req, Done<v1::RevokeKeyResponse> done);

  // Reads. GetDisclosure parses what GetEnvelope returns (kDataLoss if the
  // stored bytes do not hash to their digest or do not parse).
  absl::StatusOr<v1::GetDisclosureResponse> GetDisclosure(const Caller& caller,
                                                          const v1::GetDisclosureRequest& req) const;
  absl::StatusOr<StoredEnvelope> GetEnvelope(const Caller& caller, const v1::GetDisclosureRequest& req) const;
  absl::StatusOr<v1::InboxResponse> Inbox(const Caller& caller) const;
  absl::StatusOr<v1::OutboxResponse> Outbox(const Caller& caller) const;
  absl::StatusOr<v1::CaseHistoryResponse> CaseHistory(const Caller& caller,
                                                      const v1::CaseHistoryRequest& req) const;
  absl::StatusOr<v1::ListAgenciesResponse> ListAgencies(const Caller& caller) const;
  absl::StatusOr<v1::GetOfficerResponse> GetOfficer(const Caller& caller,
                                                    const v1::GetOfficerRequest& req) const;
  absl::StatusOr<v1::CheckResponse> GateCheck(const Caller& caller, const v1::CheckRequest& req) const;

  // Diarium reads: checkpoint and proofs for any known agency; entries and
  // tiles for auditors (agencies with may_audit).
  absl::StatusOr<v1::GetCheckpointResponse> GetCheckpoint(const Caller& caller) const;
  absl::StatusOr<v1::GetEntriesResponse> GetEntries(const Caller& caller,
                                                    const v1::GetEntriesRequest& req) const;
  absl::StatusOr<v1::GetInclusionProofResponse> GetInclusionProof(
      const Caller& caller, const v1::GetInclusionProofRequest& req) const;
  absl::StatusOr<v1::GetConsistencyProofResponse> GetConsistencyProof(
      const Caller& caller, const v1::GetConsistencyProofRequest& req) const;
  absl::StatusOr<v1::GetTileResponse> GetTile(const Caller& caller, const v1::GetTileRequest& req) const;

  // A canonical text dump of the projection (everything replay rebuilds),
  // for the test that a rebuilt projection equals the live one.
  std::string CanonicalProjection() const;

  // False once the store has failed.
  bool healthy() const;

 private:
  class Impl;
  explicit Broker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluss::broker

#endif  // SLUSS_SERVER_BROKER_BROKER_H_
