#include "exchange/action.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "absl/strings/str_cat.h"
#include "crypto/hash.h"

namespace sluss::exchange {

std::string AgencyKey(absl::string_view orgnr, absl::string_view function) {
  return absl::StrCat(orgnr, "/", function);
}
std::string AgencyKey(const v1::AgencyRef& agency) { return AgencyKey(agency.orgnr(), agency.function()); }

std::string SubjectCommitment(absl::string_view salt, absl::string_view id) {
  crypto::Sha256Hasher h;
  h.Update(absl::string_view("sluss.subject.v1\0", 17));
  h.Update(salt);
  h.Update(id);
  return std::string(crypto::AsStringView(h.Finish()));
}

std::string CaseIdFor(const v1::AgencyRef& opener, absl::string_view idempotency_key) {
  crypto::Sha256Hasher h;
  h.Update(absl::string_view("sluss.case.v1\0", 14));
  h.Update(AgencyKey(opener));
  h.Update(absl::string_view("\0", 1));
  h.Update(idempotency_key);
  return absl::StrCat("c-", crypto::ToHex(crypto::AsStringView(h.Finish())).substr(0, 24));
}

std::string EnvelopeAssociatedData(absl::string_view case_id) {
  return absl::StrCat("sluss.case.v1:", case_id);
}

std::string SerializeDeterministic(const google::protobuf::MessageLite& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream zs(&out);
    google::protobuf::io::CodedOutputStream cs(&zs);
    cs.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&cs);
  }
  return out;
}

std::string SerializeEnvelope(const v1::SealedEnvelope& envelope) { return SerializeDeterministic(envelope); }

std::string EnvelopeDigest(const v1::SealedEnvelope& envelope) {
  return std::string(crypto::AsStringView(crypto::Sha256(SerializeEnvelope(envelope))));
}

v1::SealedEnvelope EnvelopeToProto(const crypto::Envelope& e) {
  v1::SealedEnvelope p;
  p.set_nonce(e.nonce);
  p.set_ciphertext(e.ciphertext);
  for (const crypto::SealedKey& k : e.recipients) {
    v1::SealedKey* s = p.add_recipients();
    s->set_recipient(std::string(crypto::Bytes(k.recipient)));
    s->set_sealed_key(k.sealed_key);
  }
  return p;
}

absl::StatusOr<crypto::Envelope> EnvelopeFromProto(const v1::SealedEnvelope& p) {
  crypto::Envelope e;
  e.nonce = p.nonce();
  e.ciphertext = p.ciphertext();
  for (const v1::SealedKey& s : p.recipients()) {
    absl::StatusOr<crypto::X25519PublicKey> k = crypto::X25519PublicKeyFromBytes(s.recipient());
    if (!k.ok()) return absl::InvalidArgumentError(absl::StrCat("envelope recipient: ", k.status().message()));
    e.recipients.push_back({*k, s.sealed_key()});
  }
  return e;
}

absl::StatusOr<v1::SealedEnvelope> SealForCase(absl::string_view case_id, absl::string_view plaintext,
                                               absl::Span<const crypto::X25519PublicKey> to) {
  absl::StatusOr<crypto::Envelope> e = crypto::SealEnvelope(plaintext, EnvelopeAssociatedData(case_id), to);
  if (!e.ok()) return e.status();
  return EnvelopeToProto(*e);
}

v1::DsseEnvelope DsseToProto(const crypto::DsseEnvelope& e) {
  v1::DsseEnvelope p;
  p.set_payload(e.payload);
  p.set_payload_type(e.payload_type);
  for (const crypto::DsseSignature& s : e.signatures) {
    v1::DsseSignature* ps = p.add_signatures();
    ps->set_keyid(s.keyid);
    ps->set_sig(s.sig);
  }
  return p;
}

crypto::DsseEnvelope DsseFromProto(const v1::DsseEnvelope& p) {
  crypto::DsseEnvelope e;
  e.payload = p.payload();
  e.payload_type = p.payload_type();
  for (const v1::DsseSignature& s : p.signatures()) e.signatures.push_back({s.keyid(), s.sig()});
  return e;
}

v1::DsseEnvelope SignAction(const v1::Action& action, const crypto::Ed25519SigningKey& key) {
  crypto::DsseEnvelope e;
  e.payload_type = std::string(kActionPayloadType);
  e.payload = SerializeDeterministic(action);
  crypto::DsseSign(e, action.officer(), key);
  return DsseToProto(e);
}

absl::StatusOr<v1::Action> ParseActionUnverified(const v1::DsseEnvelope& envelope) {
  if (envelope.payload_type() != kActionPayloadType) {
    return absl::InvalidArgumentError(absl::StrCat("action: DSSE payloadType must be ", kActionPayloadType,
                                                   ", got \"", envelope.payload_type(), "\""));
  }
  v1::Action action;
  if (!action.ParseFromString(envelope.payload())) {
    return absl::InvalidArgumentError("action: DSSE payload is not a serialized sluss.v1.Action");
  }
  return action;
}

}  // namespace sluss::exchange
