#include "client/cli.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace sluss::client {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kPermissionDenied:
      return kExitDenied;
    case absl::StatusCode::kNotFound:
      return kExitNotFound;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kResourceExhausted:
      return kExitRefused;
    case absl::StatusCode::kDataLoss:
      return kExitVerifyFailed;
    default:
      return kExitFailure;
  }
}

int ReportError(const absl::Status& status) {
  std::cerr << "sluss: " << status.message() << std::endl;
  return ExitCodeFor(status);
}

absl::StatusOr<std::unique_ptr<SlussClient>> ConnectFromFlags(const GlobalFlags& flags) {
  std::string name = flags.profile;
  if (name.empty()) {
    if (const char* env = std::getenv("SLUSS_PROFILE"); env && *env) name = env;
  }
  if (name.empty()) {
    return absl::InvalidArgumentError(
        "no profile: pass --profile NAME|FILE or set SLUSS_PROFILE (see `sluss profile init`)");
  }
  SLUSS_ASSIGN_OR_RETURN(Profile profile, LoadProfile(ResolveProfilePath(name)));
  return SlussClient::Create(profile, SlussClient::Options());
}

}  // namespace sluss::client
