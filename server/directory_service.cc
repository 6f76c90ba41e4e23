#include "server/directory_service.h"

#include "server/grpc_status.h"
#include "server/identity.h"
#include "server/services.h"

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

grpc::ServerUnaryReactor* DirectoryService::ListAgencies(grpc::CallbackServerContext* ctx,
                                                         const v1::ListAgenciesRequest*,
                                                         v1::ListAgenciesResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<broker::Caller> caller = CallerOf(ctx);
  absl::StatusOr<v1::ListAgenciesResponse> r = caller.ok() ? broker_->ListAgencies(*caller) : caller.status();
  if (r.ok()) *resp = std::move(*r);
  reactor->Finish(ToGrpcStatus(r.status()));
  return reactor;
}

grpc::ServerUnaryReactor* DirectoryService::GetOfficer(grpc::CallbackServerContext* ctx,
                                                       const v1::GetOfficerRequest* req,
                                                       v1::GetOfficerResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<broker::Caller> caller = CallerOf(ctx);
  absl::StatusOr<v1::GetOfficerResponse> r = caller.ok() ? broker_->GetOfficer(*caller, *req) : caller.status();
  if (r.ok()) *resp = std::move(*r);
  reactor->Finish(ToGrpcStatus(r.status()));
  return reactor;
}

grpc::ServerUnaryReactor* DirectoryService::RevokeKey(grpc::CallbackServerContext* ctx,
                                                      const v1::RevokeKeyRequest* req,
                                                      v1::RevokeKeyResponse* resp) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<broker::Caller> caller = CallerOf(ctx);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  broker_->RevokeKey(*caller, *req, [reactor, resp](absl::StatusOr<v1::RevokeKeyResponse> r) {
    if (r.ok()) *resp = std::move(*r);
    reactor->Finish(ToGrpcStatus(r.status()));
  });
  return reactor;
}

}  // namespace sluss::server
