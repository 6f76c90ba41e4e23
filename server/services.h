// The gRPC services slussd serves over the broker (callback API). Each
// handler only authenticates the caller from the TLS auth context, forwards
// to broker::Broker and maps absl::Status to grpc::Status (grpc_status.h).
// State-changing handlers finish from the broker's completion callback; no
// handler waits for the disk. The *Stream methods move envelopes larger than
// one chunk in pieces (exchange/transfer.h, docs/BROKER.md "Large
// envelopes"), assembled in memory up to max_envelope_bytes per call.
//
// Thread-safe; the broker must outlive the services.
#ifndef SLUSS_SERVER_SERVICES_H_
#define SLUSS_SERVER_SERVICES_H_

#include "server/broker/broker.h"
#include "sluss/v1/diarium.grpc.pb.h"
#include "sluss/v1/exchange.grpc.pb.h"
#include "sluss/v1/gate.grpc.pb.h"

namespace sluss::server {

class ExchangeService final : public v1::Exchange::CallbackService {
 public:
  ExchangeService(broker::Broker* b, size_t max_envelope_bytes) : broker_(b), max_envelope_bytes_(max_envelope_bytes) {}
  grpc::ServerUnaryReactor* Request(grpc::CallbackServerContext*, const v1::RequestRequest*,
                                    v1::RequestResponse*) override;
  grpc::ServerUnaryReactor* Decide(grpc::CallbackServerContext*, const v1::DecideRequest*,
                                   v1::DecideResponse*) override;
  grpc::ServerUnaryReactor* Send(grpc::CallbackServerContext*, const v1::SendRequest*, v1::SendResponse*) override;
  grpc::ServerUnaryReactor* GetDisclosure(grpc::CallbackServerContext*, const v1::GetDisclosureRequest*,
                                          v1::GetDisclosureResponse*) override;
  grpc::ServerUnaryReactor* Acknowledge(grpc::CallbackServerContext*, const v1::AcknowledgeRequest*,
                                        v1::AcknowledgeResponse*) override;
  grpc::ServerUnaryReactor* Inbox(grpc::CallbackServerContext*, const v1::InboxRequest*, v1::InboxResponse*) override;
  grpc::ServerUnaryReactor* Outbox(grpc::CallbackServerContext*, const v1::OutboxRequest*,
                                   v1::OutboxResponse*) override;
  grpc::ServerUnaryReactor* CaseHistory(grpc::CallbackServerContext*, const v1::CaseHistoryRequest*,
                                        v1::CaseHistoryResponse*) override;
  grpc::ServerReadReactor<v1::RequestChunk>* RequestStream(grpc::CallbackServerContext*,
                                                           v1::RequestResponse*) override;
  grpc::ServerReadReactor<v1::DecideChunk>* DecideStream(grpc::CallbackServerContext*, v1::DecideResponse*) override;
  grpc::ServerReadReactor<v1::SendChunk>* SendStream(grpc::CallbackServerContext*, v1::SendResponse*) override;
  grpc::ServerWriteReactor<v1::DisclosureChunk>* GetDisclosureStream(grpc::CallbackServerContext*,
                                                                     const v1::GetDisclosureRequest*) override;

 private:
  broker::Broker* const broker_;
  const size_t max_envelope_bytes_;
};

class DiariumService final : public v1::Diarium::CallbackService {
 public:
  explicit DiariumService(broker::Broker* b) : broker_(b) {}
  grpc::ServerUnaryReactor* GetCheckpoint(grpc::CallbackServerContext*, const v1::GetCheckpointRequest*,
                                          v1::GetCheckpointResponse*) override;
  grpc::ServerUnaryReactor* GetEntries(grpc::CallbackServerContext*, const v1::GetEntriesRequest*,
                                       v1::GetEntriesResponse*) override;
  grpc::ServerUnaryReactor* GetInclusionProof(grpc::CallbackServerContext*, const v1::GetInclusionProofRequest*,
                                              v1::GetInclusionProofResponse*) override;
  grpc::ServerUnaryReactor* GetConsistencyProof(grpc::CallbackServerContext*, const v1::GetConsistencyProofRequest*,
                                                v1::GetConsistencyProofResponse*) override;
  grpc::ServerUnaryReactor* GetTile(grpc::CallbackServerContext*, const v1::GetTileRequest*,
                                    v1::GetTileResponse*) override;

 private:
  broker::Broker* const broker_;
};

class GateService final : public v1::Gate::CallbackService {
 public:
  explicit GateService(broker::Broker* b) : broker_(b) {}
  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext*, const v1::CheckRequest*, v1::CheckResponse*) override;

 private:
  broker::Broker* const broker_;
};

// The agency of the caller's verified certificate.
absl::StatusOr<broker::Caller> CallerOf(grpc::CallbackServerContext* context);

}  // namespace sluss::server

#endif  // SLUSS_SERVER_SERVICES_H_
