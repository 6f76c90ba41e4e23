#include "server/services.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "exchange/transfer.h"
#include "base/status_macros.h"
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

// ------------------------------------------------------------ streaming

// A streamed change (docs/BROKER.md "Large envelopes"): the first message
// carries the call, then the envelope arrives in pieces. The broker sees the
// call only once the client has half-closed and every piece is in; a stream
// that is cancelled or cut never reaches it, so nothing is written.
template <typename Chunk, typename Req, typename Resp>
class UploadReactor final : public grpc::ServerReadReactor<Chunk> {
 public:
  using SubmitFn = std::function<void(const broker::Caller&, const Req&, broker::Done<Resp>)>;

  UploadReactor(grpc::CallbackServerContext* ctx, Resp* resp, size_t max_envelope_bytes, SubmitFn submit)
      : ctx_(ctx), resp_(resp), assembler_(max_envelope_bytes), submit_(std::move(submit)) {
    absl::StatusOr<broker::Caller> caller = CallerOf(ctx);
    if (!caller.ok()) {
      this->Finish(ToGrpcStatus(caller.status()));
      return;
    }
    caller_ = *std::move(caller);
    this->StartRead(&chunk_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) return Complete();  // half-closed by the client, or cancelled
    if (absl::Status s = Take(); !s.ok()) return this->Finish(ToGrpcStatus(s));
    chunk_.Clear();
    this->StartRead(&chunk_);
  }

  void OnDone() override { delete this; }

 private:
  using Field = exchange::StreamedEnvelope<Req>;

  absl::Status Take() {
    if (chunk_.has_call()) {
      if (have_call_) return absl::InvalidArgumentError("stream: the call comes in the first message only");
      if (Field::Has(chunk_.call())) {
        return absl::InvalidArgumentError("stream: the envelope travels in envelope_chunk, not inside the call");
      }
      req_ = std::move(*chunk_.mutable_call());
      have_call_ = true;
    } else if (!have_call_) {
      return absl::InvalidArgumentError("stream: the first message must carry the call");
    }
    if (chunk_.envelope_chunk().empty()) return absl::OkStatus();
    return assembler_.Add(chunk_.envelope_chunk());
  }

  void Complete() {
    if (ctx_->IsCancelled()) return this->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "stream cancelled"));
    if (!have_call_) return this->Finish(ToGrpcStatus(absl::InvalidArgumentError("stream: no call was sent")));
    if (!assembler_.empty()) {
      absl::StatusOr<v1::SealedEnvelope> env = assembler_.Finish();
      if (!env.ok()) return this->Finish(ToGrpcStatus(env.status()));
      *Field::Mutable(&req_) = *std::move(env);
    }
    submit_(caller_, req_, [this](absl::StatusOr<Resp> r) {
      if (r.ok()) *resp_ = *std::move(r);
      this->Finish(ToGrpcStatus(r.status()));
    });
  }

  grpc::CallbackServerContext* const ctx_;
  Resp* const resp_;
  exchange::EnvelopeAssembler assembler_;
  const SubmitFn submit_;
  broker::Caller caller_;
  Chunk chunk_;
  Req req_;
  bool have_call_ = false;
};

// A streamed download: the head (digest, signed action, size) with the
// first piece, then the remaining pieces.
class DownloadReactor final : public grpc::ServerWriteReactor<v1::DisclosureChunk> {
 public:
  DownloadReactor(grpc::CallbackServerContext* ctx, broker::Broker* broker, const v1::GetDisclosureRequest& req) {
    absl::StatusOr<broker::Caller> caller = CallerOf(ctx);
    absl::StatusOr<broker::StoredEnvelope> e =
        caller.ok() ? broker->GetEnvelope(*caller, req) : absl::StatusOr<broker::StoredEnvelope>(caller.status());
    if (!e.ok()) {
      Finish(ToGrpcStatus(e.status()));
      return;
    }
    stored_ = *std::move(e);
    msg_.mutable_head()->set_digest(stored_.digest);
    *msg_.mutable_head()->mutable_action() = std::move(stored_.action);
    msg_.set_envelope_size(stored_.bytes.size());
    WriteNext();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status(grpc::StatusCode::CANCELLED, "download cut"));
    if (offset_ >= stored_.bytes.size()) return Finish(grpc::Status::OK);
    msg_.Clear();
    WriteNext();
  }

  void OnDone() override { delete this; }

 private:
  void WriteNext() {
    const size_t n = std::min(exchange::kEnvelopeChunkBytes, stored_.bytes.size() - offset_);
    msg_.set_envelope_chunk(stored_.bytes.substr(offset_, n));
    offset_ += n;
    StartWrite(&msg_);
  }

  broker::StoredEnvelope stored_;
  v1::DisclosureChunk msg_;
  size_t offset_ = 0;
};

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
  return Read(ctx, resp, [&](const broker::Caller& c) -> absl::StatusOr<v1::GetDisclosureResponse> {
    SLUSS_ASSIGN_OR_RETURN(broker::StoredEnvelope e, broker_->GetEnvelope(c, *req));
    if (e.bytes.size() > exchange::kMaxUnaryEnvelopeBytes) {
      return absl::ResourceExhaustedError(absl::StrCat("the envelope is ", e.bytes.size(),
                                                       " bytes, more than one message carries: fetch it with "
                                                       "Exchange.GetDisclosureStream"));
    }
    v1::GetDisclosureResponse r;
    if (!r.mutable_envelope()->ParseFromString(e.bytes)) {
      return absl::DataLossError("diarium: the stored envelope does not parse");
    }
    r.set_digest(std::move(e.digest));
    *r.mutable_action() = std::move(e.action);
    return r;
  });
}

grpc::ServerReadReactor<v1::RequestChunk>* ExchangeService::RequestStream(grpc::CallbackServerContext* ctx,
                                                                          v1::RequestResponse* resp) {
  return new UploadReactor<v1::RequestChunk, v1::RequestRequest, v1::RequestResponse>(
      ctx, resp, max_envelope_bytes_,
      [this](const broker::Caller& c, const v1::RequestRequest& r, broker::Done<v1::RequestResponse> d) {
        broker_->Request(c, r, std::move(d));
      });
}
grpc::ServerReadReactor<v1::DecideChunk>* ExchangeService::DecideStream(grpc::CallbackServerContext* ctx,
                                                                        v1::DecideResponse* resp) {
  return new UploadReactor<v1::DecideChunk, v1::DecideRequest, v1::DecideResponse>(
      ctx, resp, max_envelope_bytes_,
      [this](const broker::Caller& c, const v1::DecideRequest& r, broker::Done<v1::DecideResponse> d) {
        broker_->Decide(c, r, std::move(d));
      });
}
grpc::ServerReadReactor<v1::SendChunk>* ExchangeService::SendStream(grpc::CallbackServerContext* ctx,
                                                                    v1::SendResponse* resp) {
  return new UploadReactor<v1::SendChunk, v1::SendRequest, v1::SendResponse>(
      ctx, resp, max_envelope_bytes_,
      [this](const broker::Caller& c, const v1::SendRequest& r, broker::Done<v1::SendResponse> d) {
        broker_->Send(c, r, std::move(d));
      });
}
grpc::ServerWriteReactor<v1::DisclosureChunk>* ExchangeService::GetDisclosureStream(
    grpc::CallbackServerContext* ctx, const v1::GetDisclosureRequest* req) {
  return new DownloadReactor(ctx, broker_, *req);
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
