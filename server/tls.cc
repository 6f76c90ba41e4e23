#include "server/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/status_macros.h"

namespace sluss::server {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioFree> MemBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

absl::StatusOr<std::unique_ptr<X509, X509Free>> ParseCert(absl::string_view what,
                                                          const std::string& path,
                                                          const std::string& pem) {
  auto bio = MemBio(pem);
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!cert) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", path, ": not a PEM certificate (expected \"-----BEGIN CERTIFICATE-----\")"));
  }
  return cert;
}

absl::StatusOr<std::string> ReadNamed(absl::string_view what, const std::string& path) {
  auto contents = ReadFile(path);
  if (!contents.ok()) return Annotate(contents.status(), what);
  return contents;
}

}  // namespace

absl::StatusOr<TlsMaterial> LoadTlsMaterial(const TlsConfig& config) {
  TlsMaterial m;
  SLUSS_ASSIGN_OR_RETURN(m.cert_chain_pem, ReadNamed("tls.cert", config.cert));
  SLUSS_ASSIGN_OR_RETURN(m.client_ca_pem, ReadNamed("tls.client_ca", config.client_ca));
  if (absl::Status s = CheckSecretFilePermissions(config.key); !s.ok()) {
    return Annotate(s, "tls.key");
  }
  SLUSS_ASSIGN_OR_RETURN(m.private_key_pem, ReadNamed("tls.key", config.key));

  SLUSS_ASSIGN_OR_RETURN(auto cert, ParseCert("tls.cert", config.cert, m.cert_chain_pem));
  SLUSS_RETURN_IF_ERROR(ParseCert("tls.client_ca", config.client_ca, m.client_ca_pem).status());

  auto kbio = MemBio(m.private_key_pem);
  std::unique_ptr<EVP_PKEY, PkeyFree> key(PEM_read_bio_PrivateKey(kbio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!key) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls.key ", config.key, ": not an unencrypted PEM private key"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("tls.key ", config.key,
                                                   ": does not match the certificate in ", config.cert));
  }
  if (X509_cmp_current_time(X509_get0_notAfter(cert.get())) < 0) {
    return absl::FailedPreconditionError(absl::StrCat("tls.cert ", config.cert, ": certificate has expired"));
  }
  if (X509_cmp_current_time(X509_get0_notBefore(cert.get())) > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("tls.cert ", config.cert, ": certificate is not valid yet"));
  }
  return m;
}

}  // namespace sluss::server
