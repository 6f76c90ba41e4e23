// The bootstrap directory file (sluss.v1.DirectoryBootstrap in Protobuf
// text format): agencies and officers registered at the broker's first
// start. Key file paths resolve against the file's directory.
//
//   agencies { orgnr: "212000-0142" function: "socialtjanst" name: "..."
//              kind: "kommun_socialnamnd" diarienummer_format: "SO {year}/{seq:04}"
//              encryption_key_file: "agency-keys/socialtjanst.pub" }
//   officers { id: "bo.beslutsfattare" name: "Bo" orgnr: "212000-0142"
//              function: "socialtjanst" roles: [HANDLAGGARE, BESLUTSFATTARE]
//              delegation_categories: "socialtjanst"
//              signing_key_file: "officers/bo.beslutsfattare.pub" }
//
// Free function; thread-compatible.
#ifndef SLUSS_SERVER_BROKER_DIRECTORY_FILE_H_
#define SLUSS_SERVER_BROKER_DIRECTORY_FILE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gate/rulebook.h"
#include "sluss/v1/diarium_entry.pb.h"

namespace sluss::broker {

struct BootstrapDirectory {
  std::vector<v1::AgencyRegistration> agencies;
  std::vector<v1::OfficerRegistration> officers;
};

// Parses the file and reads every key file it names. kInvalidArgument
// "<file>: ..." for syntax errors, duplicate ids, an officer of an unknown
// agency, an agency kind or delegation category `rulebook` does not define,
// a malformed orgnr; key file errors keep their codes and name the file.
absl::StatusOr<BootstrapDirectory> LoadDirectoryFile(absl::string_view path, const gate::Rulebook& rulebook);

}  // namespace sluss::broker

#endif  // SLUSS_SERVER_BROKER_DIRECTORY_FILE_H_
