// sluss.v1.Directory: a thin gRPC service (callback API). It authenticates
// the caller from the TLS auth context and forwards to logic that knows no
// gRPC.
#ifndef SLUSS_SERVER_DIRECTORY_SERVICE_H_
#define SLUSS_SERVER_DIRECTORY_SERVICE_H_

#include <string>

#include "server/broker/broker.h"
#include "sluss/v1/directory.grpc.pb.h"

namespace sluss::server {

// Thread-safe. WhoAmI answers from the certificate alone (any certificate of
// the CA, known to the directory or not); the rest forwards to the broker.
class DirectoryService final : public sluss::v1::Directory::CallbackService {
 public:
  DirectoryService(std::string server_version, broker::Broker* broker)
      : version_(std::move(server_version)), broker_(broker) {}

  grpc::ServerUnaryReactor* WhoAmI(grpc::CallbackServerContext* context,
                                   const sluss::v1::WhoAmIRequest* request,
                                   sluss::v1::WhoAmIResponse* response) override;
  grpc::ServerUnaryReactor* ListAgencies(grpc::CallbackServerContext*, const v1::ListAgenciesRequest*,
                                         v1::ListAgenciesResponse*) override;
  grpc::ServerUnaryReactor* GetOfficer(grpc::CallbackServerContext*, const v1::GetOfficerRequest*,
                                       v1::GetOfficerResponse*) override;
  grpc::ServerUnaryReactor* RevokeKey(grpc::CallbackServerContext*, const v1::RevokeKeyRequest*,
                                      v1::RevokeKeyResponse*) override;

 private:
  const std::string version_;
  broker::Broker* const broker_;  // not owned
};

}  // namespace sluss::server

#endif  // SLUSS_SERVER_DIRECTORY_SERVICE_H_
