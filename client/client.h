// SlussClient: the client library used by the `sluss` CLI, the benchmarks
// and the integration tests. It owns one mTLS channel to slussd.
//
// Thread-safe: calls may be made concurrently from many threads.
// Envelopes larger than Options::stream_envelopes_above travel in pieces
// through the streaming RPCs (exchange/transfer.h), on upload and download,
// without the caller noticing.
//
// Every method returns absl::Status with the server's code and message; for
// failures to connect, ExplainConnectError turns gRPC's transport error into
// a sentence that names the file to check.
#ifndef SLUSS_CLIENT_CLIENT_H_
#define SLUSS_CLIENT_CLIENT_H_

#include <map>
#include <memory>
#include <optional>
#include <vector>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"
#include "base/clock.h"
#include "client/profile.h"
#include "crypto/keys.h"
#include "exchange/transfer.h"
#include "sluss/v1/diarium.pb.h"
#include "sluss/v1/directory.pb.h"
#include "sluss/v1/exchange.pb.h"
#include "sluss/v1/gate.pb.h"

namespace grpc {
class Channel;
}

namespace sluss::client {

struct Health {
  bool serving = false;
  std::string status;  // "SERVING", "NOT_SERVING", ...
};

// What a new request or own-initiative disclosure says. The subject id is
// sent beside the signed action, never inside it (docs/BROKER.md).
struct NewCase {
  sluss::v1::AgencyRef to;
  sluss::v1::Facts facts;
  sluss::v1::SubjectKind subject_kind = sluss::v1::PERSON;
  std::string subject_id;   // personnummer / samordningsnummer / orgnr
  std::string text;         // the question (request) or the content (send)
  std::string summary;      // short public description, no personal data
  std::string idempotency_key;  // empty: a random one
  // Send only:
  sluss::v1::SendAction::Kind send_kind = sluss::v1::SendAction::OWN_INITIATIVE;
  std::string motivation;
};

// An opened disclosure.
struct Opened {
  std::string plaintext;
  std::string digest;  // SHA-256 of the envelope (raw), as signed
  std::string signed_by;  // officer whose signed action committed to it
};

class SlussClient {
 public:
  struct Options {
    absl::Duration call_timeout = absl::Seconds(10);
    // signed_at of actions. Default: RealClock(). Not owned.
    Clock* clock = nullptr;
    // Request/Decide/Send stream an envelope whose serialization is larger
    // than this (at most exchange::kMaxUnaryEnvelopeBytes makes sense).
    size_t stream_envelopes_above = exchange::kEnvelopeChunkBytes;
  };

  // Reads the profile's TLS files and creates the channel (lazily
  // connected). Errors name the file that could not be read.
  static absl::StatusOr<std::unique_ptr<SlussClient>> Create(const Profile& profile,
                                                             const Options& options);

  absl::StatusOr<Health> CheckHealth();
  absl::StatusOr<sluss::v1::WhoAmIResponse> WhoAmI();

  // --- raw RPCs: one per service method, server code and message kept ---
  absl::StatusOr<sluss::v1::RequestResponse> Request(const sluss::v1::RequestRequest& req);
  absl::StatusOr<sluss::v1::DecideResponse> Decide(const sluss::v1::DecideRequest& req);
  absl::StatusOr<sluss::v1::SendResponse> Send(const sluss::v1::SendRequest& req);
  absl::StatusOr<sluss::v1::AcknowledgeResponse> Acknowledge(const sluss::v1::AcknowledgeRequest& req);
  absl::StatusOr<sluss::v1::GetDisclosureResponse> GetDisclosure(const sluss::v1::GetDisclosureRequest& req);
  absl::StatusOr<sluss::v1::InboxResponse> Inbox();
  absl::StatusOr<sluss::v1::OutboxResponse> Outbox();
  absl::StatusOr<sluss::v1::CaseHistoryResponse> CaseHistory(const std::string& case_id);
  absl::StatusOr<sluss::v1::ListAgenciesResponse> ListAgencies();
  absl::StatusOr<sluss::v1::GetOfficerResponse> GetOfficer(const std::string& id);
  absl::StatusOr<sluss::v1::RevokeKeyResponse> RevokeKey(const sluss::v1::RevokeKeyRequest& req);
  absl::StatusOr<sluss::v1::GetCheckpointResponse> GetCheckpoint();
  absl::StatusOr<sluss::v1::GetEntriesResponse> GetEntries(uint64_t begin, uint64_t end);
  absl::StatusOr<sluss::v1::GetInclusionProofResponse> GetInclusionProof(uint64_t index);
  absl::StatusOr<sluss::v1::GetConsistencyProofResponse> GetConsistencyProof(uint64_t old_size);
  absl::StatusOr<sluss::v1::GetTileResponse> GetTile(int level, uint64_t index, uint32_t width);
  absl::StatusOr<sluss::v1::CheckResponse> GateCheck(const sluss::v1::CheckRequest& req);

  // --- the workflow, signed with the profile's officer key and sealed to
  // the parties' agency keys from the Directory. kFailedPrecondition if the
  // profile has no officer_key (or agency_key, for Open). ---
  absl::StatusOr<sluss::v1::RequestResponse> NewRequest(const NewCase& c);
  // The signed, sealed call NewRequest / Disclose make, without sending it
  // (to retry it byte for byte, e.g. after a lost answer).
  absl::StatusOr<sluss::v1::RequestRequest> BuildRequest(const NewCase& c);
  // Reads the case's parties with a CaseHistory call, then BuildDiscloseTo.
  absl::StatusOr<sluss::v1::DecideRequest> BuildDisclose(const std::string& case_id, const std::string& text,
                                                         const std::vector<sluss::v1::Attestation>& attestations,
                                                         const std::string& motivation,
                                                         const std::string& idempotency_key = "");
  // The same for a caller that already knows the case's recipient (from its
  // Inbox or CaseHistory summary): no RPC; `text` is sealed to `recipient`
  // and to my agency (the discloser). A wrong recipient is refused by the
  // broker (INVALID_ARGUMENT: the envelope is not sealed to the case's parties).
  absl::StatusOr<sluss::v1::DecideRequest> BuildDiscloseTo(const std::string& case_id,
                                                           const sluss::v1::AgencyRef& recipient,
                                                           const std::string& text,
                                                           const std::vector<sluss::v1::Attestation>& attestations,
                                                           const std::string& motivation,
                                                           const std::string& idempotency_key = "");
  absl::StatusOr<sluss::v1::SendResponse> SendDisclosure(const NewCase& c);
  // Discloses `text` on `case_id` with the attestations (officer = me).
  absl::StatusOr<sluss::v1::DecideResponse> Disclose(const std::string& case_id, const std::string& text,
                                                     const std::vector<sluss::v1::Attestation>& attestations,
                                                     const std::string& motivation,
                                                     const std::string& idempotency_key = "");
  // Disclose without the CaseHistory call (see BuildDiscloseTo).
  absl::StatusOr<sluss::v1::DecideResponse> DiscloseTo(const std::string& case_id,
                                                       const sluss::v1::AgencyRef& recipient, const std::string& text,
                                                       const std::vector<sluss::v1::Attestation>& attestations,
                                                       const std::string& motivation,
                                                       const std::string& idempotency_key = "");
  absl::StatusOr<sluss::v1::DecideResponse> Refuse(const std::string& case_id,
                                                   const std::vector<std::string>& reasons,
                                                   const std::string& idempotency_key = "");
  // Fetches the disclosure, checks its digest against the officer's signed
  // action and that signature against the Directory, and decrypts it with
  // the profile's agency key. kDataLoss if a check fails.
  absl::StatusOr<Opened> Open(const std::string& case_id,
                              sluss::v1::GetDisclosureRequest::Which which = sluss::v1::GetDisclosureRequest::ANSWER);
  absl::StatusOr<sluss::v1::AcknowledgeResponse> Ack(const std::string& case_id, const std::string& digest,
                                                     const std::string& idempotency_key = "");
  // The signed call Ack makes, without sending it.
  absl::StatusOr<sluss::v1::AcknowledgeRequest> BuildAck(const std::string& case_id, const std::string& digest,
                                                         const std::string& idempotency_key = "");
  absl::StatusOr<sluss::v1::RevokeKeyResponse> Revoke(const std::string& officer, const std::string& reason,
                                                      const std::string& idempotency_key = "");

  // Builds a signed action for the profile's officer (signed_at = clock).
  absl::StatusOr<sluss::v1::DsseEnvelope> SignAction(sluss::v1::Action action);
  // The X25519 key of an agency, from the Directory (cached).
  absl::StatusOr<crypto::X25519PublicKey> AgencyEncryptionKey(const sluss::v1::AgencyRef& agency);
  // My agency, from WhoAmI (cached).
  absl::StatusOr<sluss::v1::AgencyRef> MyAgency();

  ~SlussClient();
  const Profile& profile() const { return profile_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  // One stub per service, made once (stubs are thread-safe).
  struct Stubs;
  SlussClient(Profile profile, Options options, std::shared_ptr<grpc::Channel> channel);
  absl::StatusOr<sluss::v1::DecideRequest> SealDisclose(const std::string& case_id,
                                                        const std::vector<crypto::X25519PublicKey>& to,
                                                        const std::string& text,
                                                        const std::vector<sluss::v1::Attestation>& attestations,
                                                        const std::string& motivation,
                                                        const std::string& idempotency_key);
  absl::StatusOr<const crypto::Ed25519SigningKey*> OfficerKey();
  // The profile's agency decryption key, read once.
  absl::StatusOr<const crypto::X25519KeyPair*> AgencyKeyPair();
  // What a request and an own-initiative disclosure share: the idempotency
  // key (c's or a random one), the case id, the text sealed to both parties,
  // and the subject's salt and commitment.
  struct NewCaseParts {
    std::string idempotency_key;
    std::string case_id;
    sluss::v1::SealedEnvelope envelope;
    std::string salt;
    std::string subject_commitment;
  };
  absl::StatusOr<NewCaseParts> PrepareNewCase(const NewCase& c);
  absl::StatusOr<sluss::v1::GetDisclosureResponse> DownloadDisclosure(const sluss::v1::GetDisclosureRequest& req);
  Profile profile_;
  Options options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Stubs> stubs_;
  absl::Mutex mu_;
  std::unique_ptr<crypto::Ed25519SigningKey> officer_key_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<crypto::X25519KeyPair> agency_key_ ABSL_GUARDED_BY(mu_);
  std::optional<sluss::v1::AgencyRef> me_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, crypto::X25519PublicKey> agency_keys_ ABSL_GUARDED_BY(mu_);
};

// Rewrites an UNAVAILABLE error from a failed TLS connection into a message
// that says which side rejected whom and which profile file to check.
// Other statuses are returned unchanged.
absl::Status ExplainConnectError(const absl::Status& status, const Profile& profile);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_CLIENT_H_
