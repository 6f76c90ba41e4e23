// Loading and checking the TLS material slussd serves with.
//
// Everything is checked before the server starts, so that a bad file is
// reported as one clear message naming the file and the problem, rather than
// as a TLS handshake failure on the first call.
#ifndef SLUSS_SERVER_TLS_H_
#define SLUSS_SERVER_TLS_H_

#include <string>

#include "absl/status/statusor.h"
#include "server/config.h"

namespace sluss::server {

struct TlsMaterial {
  std::string cert_chain_pem;
  std::string private_key_pem;
  std::string client_ca_pem;
};

// Reads the three files of `config`, and checks that: each is readable; the
// key is not accessible by group/others; each parses as PEM of the right
// kind; the key matches the certificate; the certificate is within its
// validity period. Errors name the file: e.g.
//   "tls.key /etc/sluss/server.key: private key file ... (mode 0644); ..."
absl::StatusOr<TlsMaterial> LoadTlsMaterial(const TlsConfig& config);

}  // namespace sluss::server

#endif  // SLUSS_SERVER_TLS_H_
