// sluss.v1.Directory: a thin gRPC service (callback API). It authenticates
// the caller from the TLS auth context and forwards to logic that knows no
// gRPC.
#ifndef SLUSS_SERVER_DIRECTORY_SERVICE_H_
#define SLUSS_SERVER_DIRECTORY_SERVICE_H_

#include <string>

#include "sluss/v1/directory.grpc.pb.h"

namespace sluss::server {

// Thread-safe: stateless apart from the immutable version string.
class DirectoryService final : public sluss::v1::Directory::CallbackService {
 public:
  explicit DirectoryService(std::string server_version) : version_(std::move(server_version)) {}

  grpc::ServerUnaryReactor* WhoAmI(grpc::CallbackServerContext* context,
                                   const sluss::v1::WhoAmIRequest* request,
                                   sluss::v1::WhoAmIResponse* response) override;

 private:
  const std::string version_;
};

}  // namespace sluss::server

#endif  // SLUSS_SERVER_DIRECTORY_SERVICE_H_
