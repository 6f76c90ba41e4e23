// The one place absl::Status becomes grpc::Status. The codes are the same
// numbers by design (absl/status/status.h); the message is passed through.
#ifndef SLUSS_SERVER_GRPC_STATUS_H_
#define SLUSS_SERVER_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <string>

#include "absl/status/status.h"

namespace sluss::server {

inline grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

}  // namespace sluss::server

#endif  // SLUSS_SERVER_GRPC_STATUS_H_
