// Who is calling: the agency named by the caller's verified client
// certificate.
//
// Convention (docs/ARCHITECTURE.md "Identity"): an agency certificate carries
// a URI subject alternative name
//
//     urn:sluss:agency:<organisationsnummer>:<function>
//
// e.g. urn:sluss:agency:212000-0142:socialtjanst. SITHS/EFOS function
// certificates can carry the same URI; the directory (issue #5) maps it to
// the agency's kind and keys. Exactly one such URI must be present.
#ifndef SLUSS_SERVER_IDENTITY_H_
#define SLUSS_SERVER_IDENTITY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace grpc {
class AuthContext;
}

namespace sluss::server {

struct PeerIdentity {
  std::string orgnr;     // "212000-0142"
  std::string function;  // "socialtjanst"
  std::string subject;   // certificate subject, informational
};

// Parses one SAN URI. kInvalidArgument names what is wrong.
absl::StatusOr<PeerIdentity> ParseAgencyUri(absl::string_view uri);

// Picks the single agency URI out of `uris`. kUnauthenticated if there is
// none or more than one.
absl::StatusOr<PeerIdentity> IdentityFromUris(const std::vector<std::string>& uris);

// Reads the identity from a gRPC auth context. kUnauthenticated if the peer
// is not authenticated by TLS or its certificate names no agency.
absl::StatusOr<PeerIdentity> IdentityFromAuthContext(const grpc::AuthContext& auth);

}  // namespace sluss::server

#endif  // SLUSS_SERVER_IDENTITY_H_
