#include "server/directory_service.h"

#include "server/grpc_status.h"
#include "server/identity.h"

namespace sluss::server {

grpc::ServerUnaryReactor* DirectoryService::WhoAmI(grpc::CallbackServerContext* context,
                                                   const sluss::v1::WhoAmIRequest* /*request*/,
                                                   sluss::v1::WhoAmIResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<PeerIdentity> id = IdentityFromAuthContext(*context->auth_context());
  if (!id.ok()) {
    reactor->Finish(ToGrpcStatus(id.status()));
    return reactor;
  }
  response->mutable_agency()->set_orgnr(id->orgnr);
  response->mutable_agency()->set_function(id->function);
  response->set_certificate_subject(id->subject);
  response->set_server_version(version_);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace sluss::server
