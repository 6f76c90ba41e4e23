// Officer actions and sealed envelopes on the wire: the pieces the broker
// (server/broker) and the client library (client/) must agree on byte for
// byte. docs/BROKER.md specifies each of them.
//
//   - kActionPayloadType: the DSSE payload type of a serialized v1.Action.
//   - SubjectCommitment: SHA-256("sluss.subject.v1" 0x00 || salt || id).
//   - CaseIdFor: the case id a new case gets, computable by the client before
//     it seals (the envelope's associated data is the case id).
//   - EnvelopeDigest: SHA-256 of a SealedEnvelope's serialized bytes.
//
// Free functions; thread-safe. Errors are absl::Status, nothing throws.
#ifndef SLUSS_EXCHANGE_ACTION_H_
#define SLUSS_EXCHANGE_ACTION_H_

#include <string>

#include "google/protobuf/message_lite.h"

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "crypto/dsse.h"
#include "crypto/envelope.h"
#include "crypto/keys.h"
#include "sluss/v1/action.pb.h"
#include "sluss/v1/common.pb.h"

namespace sluss::exchange {

inline constexpr absl::string_view kActionPayloadType = "application/vnd.sluss.action.v1+protobuf";

// "212000-0142/socialtjanst": the agency's key in maps and diarium indexes.
std::string AgencyKey(const v1::AgencyRef& agency);
std::string AgencyKey(absl::string_view orgnr, absl::string_view function);

// 32 raw bytes.
std::string SubjectCommitment(absl::string_view salt, absl::string_view id);

// "c-" + the first 24 hex digits of
// SHA-256("sluss.case.v1" 0x00 agency-key 0x00 idempotency-key).
std::string CaseIdFor(const v1::AgencyRef& opener, absl::string_view idempotency_key);

// The associated data envelopes of a case are sealed with.
std::string EnvelopeAssociatedData(absl::string_view case_id);

// Deterministic serialization (map fields in key order): the bytes of any
// message that is stored, signed or hashed — entries, actions, rulebooks.
std::string SerializeDeterministic(const google::protobuf::MessageLite& message);

// Deterministic serialization (the bytes stored and hashed).
std::string SerializeEnvelope(const v1::SealedEnvelope& envelope);
// SHA-256 of SerializeEnvelope (32 raw bytes).
std::string EnvelopeDigest(const v1::SealedEnvelope& envelope);

v1::SealedEnvelope EnvelopeToProto(const crypto::Envelope& e);
absl::StatusOr<crypto::Envelope> EnvelopeFromProto(const v1::SealedEnvelope& p);

// Seals `plaintext` for a case to the given agency keys.
absl::StatusOr<v1::SealedEnvelope> SealForCase(absl::string_view case_id,
                                               absl::string_view plaintext,
                                               absl::Span<const crypto::X25519PublicKey> to);

v1::DsseEnvelope DsseToProto(const crypto::DsseEnvelope& e);
crypto::DsseEnvelope DsseFromProto(const v1::DsseEnvelope& p);

// Serializes `action` deterministically and signs it as `action.officer()`.
v1::DsseEnvelope SignAction(const v1::Action& action, const crypto::Ed25519SigningKey& key);

// Parses the Action inside `envelope` WITHOUT checking any signature.
// kInvalidArgument for a wrong payload type or unparsable payload.
absl::StatusOr<v1::Action> ParseActionUnverified(const v1::DsseEnvelope& envelope);

}  // namespace sluss::exchange

#endif  // SLUSS_EXCHANGE_ACTION_H_
