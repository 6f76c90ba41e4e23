#include "server/services.h"

#include "server/grpc_status.h"
#include "server/identity.h"

namespace sluss::server {

absl::StatusOr<broker::Caller> CallerOf(grpc::CallbackServerContext* context) {
  absl::StatusOr<PeerIdentity> id = IdentityFromAuthContext(*context->auth_context());
  if (!id.ok()) return id.status();
  return broker::Caller{id->orgnr, id->function};
}

namespace {

// A read: runs synchronously (no disk sync) and finishes.
template <typename Resp, typename Fn>
grpc::ServerUnaryReactor* Read(grpc::CallbackServerContext* ctx, Resp* resp, Fn fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<broker::Caller> caller = CallerOf(ctx);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  absl::StatusOr<Resp> r = fn(*caller);
  if (r.ok()) *resp = std::move(*r);
  reactor->Finish(ToGrpcStatus(r.status()));
  return reactor;
}

// A change: the broker calls back once the entry is durable and covered by
// a checkpoint; the reactor finishes there.
template <typename Resp, typename Fn>
grpc::ServerUnaryReactor* Change(grpc::CallbackServerContext* ctx, Resp* resp, Fn fn) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<broker::Caller> caller = CallerOf(ctx);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  fn(*caller, [reactor, resp](absl::StatusOr<Resp> r) {
    if (r.ok()) *resp = std::move(*r);
    reactor->Finish(ToGrpcStatus(r.status()));
  });
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* ExchangeService::Request(grpc::CallbackServerContext* ctx, const v1::RequestRequest* req,
                                                   v1::RequestResponse* resp) {
  return Change(ctx, resp, [&](const broker::Caller& c, broker::Done<v1::RequestResponse> d) {
    broker_->Request(c, *req, std::move(d));
  });
}
grpc::ServerUnaryReactor* ExchangeService::Decide(grpc::CallbackServerContext* ctx, const v1::DecideRequest* req,
                                                  v1::DecideResponse* resp) {
  return Change(ctx, resp, [&](const broker::Caller& c, broker::Done<v1::DecideResponse> d) {
    broker_->Decide(c, *req, std::move(d));
  });
}
grpc::ServerUnaryReactor* ExchangeService::Send(grpc::CallbackServerContext* ctx, const v1::SendRequest* req,
                                                v1::SendResponse* resp) {
  return Change(ctx, resp, [&](const broker::Caller& c, broker::Done<v1::SendResponse> d) {
    broker_->Send(c, *req, std::move(d));
  });
}
grpc::ServerUnaryReactor* ExchangeService::Acknowledge(grpc::CallbackServerContext* ctx,
                                                       const v1::AcknowledgeRequest* req,
                                                       v1::AcknowledgeResponse* resp) {
  return Change(ctx, resp, [&](const broker::Caller& c, broker::Done<v1::AcknowledgeResponse> d) {
    broker_->Acknowledge(c, *req, std::move(d));
  });
}
grpc::ServerUnaryReactor* ExchangeService::GetDisclosure(grpc::CallbackServerContext* ctx,
                                                         const v1::GetDisclosureRequest* req,
                                                         v1::GetDisclosureResponse* resp) {
  return Read(ctx, resp, [&](const broker::Caller& c) { return broker_->GetDisclosure(c, *req); });
}
grpc::ServerUnaryReactor* ExchangeService::Inbox(grpc::CallbackServerContext* ctx, const v1::InboxRequest*,
                                                 v1::InboxResponse* resp) {
  return Read(ctx, resp, [&](const broker::Caller& c) { return broker_->Inbox(c); });
}
grpc::ServerUnaryReactor* ExchangeService::Outbox(grpc::CallbackServerContext* ctx, const v1::OutboxRequest*,
                                                  v1::OutboxResponse* resp) {
  return Read(ctx, resp, [&](const broker::Caller& c) { return broker_->Outbox(c); });
}
grpc::ServerUnaryReactor* ExchangeService::CaseHistory(grpc::CallbackServerContext* ctx,
                                                       const v1::CaseHistoryRequest* req,
                                                       v1::CaseHistoryResponse* resp) {
  return Read(ctx, resp, [&](const broker::Caller& c) { return broker_->CaseHistory(c, *req); });
}

grpc::ServerUnaryReactor* DiariumService::GetCheckpoint(grpc::CallbackServerContext* ctx,
                                                        const v1::GetCheckpointRequest*,
                                                        v1::GetCheckpointResponse* resp) {
  return Read(ctx, resp, [&](const broker::Caller& c) { return broker_->GetCheckpoint(c); });
}
grpc::ServerUnaryReactor* DiariumService::GetEntries(grpc::CallbackServerContext* ctx,
                                                     const v1::GetEntriesRequest* req, v1::GetEntriesResponse* resp) {
  return Read(ctx, resp, [&](const broker::Caller& c) { return broker_->GetEntries(c, *req); });
}
grpc::ServerUnaryReactor* DiariumService::GetInclusionProof(grpc::CallbackServerContext* ctx,
                                                            const v1::GetInclusionProofRequest* req,
                                                            v1::GetInclusionProofResponse* resp) {
  return Read(ctx, resp, [&](const broker::Caller& c) { return broker_->GetInclusionProof(c, *req); });
}
grpc::ServerUnaryReactor* DiariumService::GetConsistencyProof(grpc::CallbackServerContext* ctx,
                                                              const v1::GetConsistencyProofRequest* req,
                                                              v1::GetConsistencyProofResponse* resp) {
  return Read(ctx, resp, [&](const broker::Caller& c) { return broker_->GetConsistencyProof(c, *req); });
}
grpc::ServerUnaryReactor* DiariumService::GetTile(grpc::CallbackServerContext* ctx, const v1::GetTileRequest* req,
                                                  v1::GetTileResponse* resp) {
  return Read(ctx, resp, [&](const broker::Caller& c) { return broker_->GetTile(c, *req); });
}

grpc::ServerUnaryReactor* GateService::Check(grpc::CallbackServerContext* ctx, const v1::CheckRequest* req,
                                             v1::CheckResponse* resp) {
  return Read(ctx, resp, [&](const broker::Caller& c) { return broker_->GateCheck(c, *req); });
}

}  // namespace sluss::server
