// DSSE envelopes (https://github.com/secure-systems-lab/dsse): how every
// officer action is signed. The signature covers PAE(payloadType, payload),
// so any DSSE implementation can check it:
//
//   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//
// with LEN the ASCII decimal byte length. The wire form of the envelope is
// sluss.v1.DsseEnvelope, whose Protobuf JSON mapping is DSSE's JSON.
// Free functions; thread-safe.
#ifndef SLUSS_CRYPTO_DSSE_H_
#define SLUSS_CRYPTO_DSSE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "crypto/keys.h"

namespace sluss::crypto {

struct DsseSignature {
  std::string keyid;
  std::string sig;  // raw 64-byte Ed25519 signature
};

struct DsseEnvelope {
  std::string payload_type;
  std::string payload;
  std::vector<DsseSignature> signatures;
};

std::string DssePae(absl::string_view payload_type, absl::string_view payload);

// Appends a signature by `key` under `keyid` to `envelope`.
void DsseSign(DsseEnvelope& envelope, absl::string_view keyid, const Ed25519SigningKey& key);

// Checks the signature with `keyid` against `key`. Errors:
//   kNotFound          "dsse: no signature with keyid <id>"
//   kUnauthenticated   "dsse: signature by <id> does not verify"
//   kInvalidArgument   malformed signature size.
absl::Status DsseVerify(const DsseEnvelope& envelope, absl::string_view keyid,
                        const Ed25519PublicKey& key);

}  // namespace sluss::crypto

#endif  // SLUSS_CRYPTO_DSSE_H_
