#include "server/broker/directory_file.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "crypto/keyfile.h"
#include "exchange/action.h"
#include "gate/identifiers.h"

namespace sluss::broker {
namespace {

class Collector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first.empty()) first = absl::StrCat(line + 1, ":", column + 1, ": ", message);
  }
  void AddWarning(int, int, const std::string&) override {}
  std::string first;
};

}  // namespace

absl::StatusOr<BootstrapDirectory> LoadDirectoryFile(absl::string_view path, const gate::Rulebook& rulebook) {
  SLUSS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  const std::string base = DirName(path);
  v1::DirectoryBootstrap file;
  google::protobuf::TextFormat::Parser parser;
  Collector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &file)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ":", errors.first));
  }
  auto bad = [&](const std::string& what) { return absl::InvalidArgumentError(absl::StrCat(path, ": ", what)); };
  BootstrapDirectory out;
  std::set<std::string> agencies;
  for (const auto& a : file.agencies()) {
    auto orgnr = gate::ParseOrganisationsnummer(a.orgnr());
    if (!orgnr.ok() || orgnr->canonical != a.orgnr()) return bad(absl::StrCat("agency ", a.orgnr(), ": not an organisationsnummer NNNNNN-NNNN"));
    if (a.function().empty()) return bad(absl::StrCat("agency ", a.orgnr(), ": function is required"));
    const std::string key = exchange::AgencyKey(a.orgnr(), a.function());
    if (!agencies.insert(key).second) return bad(absl::StrCat("agency ", key, " is listed twice"));
    if (rulebook.FindAgencyKind(a.kind()) == nullptr) {
      return bad(absl::StrCat("agency ", key, ": kind \"", a.kind(), "\" is not an agency kind of the rulebook"));
    }
    SLUSS_ASSIGN_OR_RETURN(crypto::X25519PublicKey k,
                           crypto::ReadX25519PublicKey(ResolvePath(base, a.encryption_key_file())));
    v1::AgencyRegistration& r = out.agencies.emplace_back();
    r.mutable_agency()->set_orgnr(a.orgnr());
    r.mutable_agency()->set_function(a.function());
    r.set_name(a.name());
    r.set_kind(a.kind());
    r.set_diarienummer_format(a.diarienummer_format());
    r.set_encryption_key(std::string(crypto::Bytes(k)));
    r.set_may_audit(a.may_audit());
  }
  std::set<std::string> officers;
  for (const auto& o : file.officers()) {
    if (o.id().empty()) return bad("officer without id");
    if (!officers.insert(o.id()).second) return bad(absl::StrCat("officer ", o.id(), " is listed twice"));
    if (agencies.count(exchange::AgencyKey(o.orgnr(), o.function())) == 0) {
      return bad(absl::StrCat("officer ", o.id(), ": agency ", o.orgnr(), "/", o.function(), " is not listed"));
    }
    for (const std::string& c : o.delegation_categories()) {
      if (rulebook.FindCategory(c) == nullptr) {
        return bad(absl::StrCat("officer ", o.id(), ": delegation category \"", c, "\" is not in the rulebook"));
      }
    }
    SLUSS_ASSIGN_OR_RETURN(crypto::Ed25519PublicKey k,
                           crypto::ReadEd25519PublicKey(ResolvePath(base, o.signing_key_file())));
    v1::OfficerRegistration& r = out.officers.emplace_back();
    r.set_id(o.id());
    r.set_name(o.name());
    r.mutable_agency()->set_orgnr(o.orgnr());
    r.mutable_agency()->set_function(o.function());
    *r.mutable_roles() = o.roles();
    *r.mutable_delegation_categories() = o.delegation_categories();
    r.set_signing_key(std::string(crypto::Bytes(k)));
  }
  return out;
}

}  // namespace sluss::broker
