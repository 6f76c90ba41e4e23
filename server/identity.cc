#include "server/identity.h"

#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace sluss::server {
namespace {

constexpr absl::string_view kPrefix = "urn:sluss:agency:";

bool IsOrgnrShape(absl::string_view s) {
  if (s.size() != 11 || s[6] != '-') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i != 6 && !absl::ascii_isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

bool IsFunctionName(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) ||
          absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '_')) {
      return false;
    }
  }
  return true;
}

}  // namespace

absl::StatusOr<PeerIdentity> ParseAgencyUri(absl::string_view uri) {
  if (!absl::StartsWith(uri, kPrefix)) {
    return absl::InvalidArgumentError(absl::StrCat("not an agency URI: ", uri));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(uri.substr(kPrefix.size()), ':');
  if (parts.size() != 2 || !IsOrgnrShape(parts[0]) || !IsFunctionName(parts[1])) {
    return absl::InvalidArgumentError(absl::StrCat(
        "agency URI must be urn:sluss:agency:NNNNNN-NNNN:function, got ", uri));
  }
  return PeerIdentity{std::string(parts[0]), std::string(parts[1]), ""};
}

absl::StatusOr<PeerIdentity> IdentityFromUris(const std::vector<std::string>& uris) {
  std::vector<PeerIdentity> found;
  for (const std::string& u : uris) {
    if (!absl::StartsWith(u, kPrefix)) continue;
    auto id = ParseAgencyUri(u);
    if (!id.ok()) return absl::UnauthenticatedError(std::string(id.status().message()));
    found.push_back(*id);
  }
  if (found.empty()) {
    return absl::UnauthenticatedError(
        "client certificate names no agency (want a URI SAN urn:sluss:agency:<orgnr>:<function>)");
  }
  if (found.size() > 1) {
    return absl::UnauthenticatedError("client certificate names more than one agency");
  }
  return found[0];
}

absl::StatusOr<PeerIdentity> IdentityFromAuthContext(const grpc::AuthContext& auth) {
  if (!auth.IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("no verified client certificate");
  }
  std::vector<std::string> uris;
  // string_ref is not NUL-terminated: copy by (data, size).
  for (const grpc::string_ref& v : auth.FindPropertyValues(GRPC_PEER_URI_PROPERTY_NAME)) {
    uris.emplace_back(v.data(), v.size());
  }
  auto id = IdentityFromUris(uris);
  if (!id.ok()) return id.status();
  for (const grpc::string_ref& v : auth.FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME)) {
    id->subject.assign(v.data(), v.size());
  }
  return id;
}

}  // namespace sluss::server
