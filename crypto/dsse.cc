#include "crypto/dsse.h"

#include "absl/strings/str_cat.h"

namespace sluss::crypto {

std::string DssePae(absl::string_view payload_type, absl::string_view payload) {
  return absl::StrCat("DSSEv1 ", payload_type.size(), " ", payload_type, " ", payload.size(),
                      " ", payload);
}

void DsseSign(DsseEnvelope& envelope, absl::string_view keyid, const Ed25519SigningKey& key) {
  Ed25519Signature sig = key.Sign(DssePae(envelope.payload_type, envelope.payload));
  envelope.signatures.push_back({std::string(keyid), std::string(Bytes(sig))});
}

absl::Status DsseVerify(const DsseEnvelope& envelope, absl::string_view keyid,
                        const Ed25519PublicKey& key) {
  for (const DsseSignature& s : envelope.signatures) {
    if (s.keyid != keyid) continue;
    absl::Status st = Ed25519Verify(key, DssePae(envelope.payload_type, envelope.payload), s.sig);
    if (st.code() == absl::StatusCode::kUnauthenticated) {
      return absl::UnauthenticatedError(absl::StrCat("dsse: signature by ", keyid, " does not verify"));
    }
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat("dsse: ", st.message()));
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("dsse: no signature with keyid ", keyid));
}

}  // namespace sluss::crypto
