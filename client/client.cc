#include "client/client.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <type_traits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "crypto/dsse.h"
#include "crypto/hash.h"
#include "crypto/keyfile.h"
#include "exchange/action.h"
#include "exchange/transfer.h"
#include "sluss/v1/diarium.grpc.pb.h"
#include "sluss/v1/directory.grpc.pb.h"
#include "sluss/v1/exchange.grpc.pb.h"
#include "sluss/v1/gate.grpc.pb.h"

namespace sluss::client {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

void SetDeadline(grpc::ClientContext& ctx, absl::Duration timeout) {
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<SlussClient>> SlussClient::Create(const Profile& profile,
                                                                 const Options& options) {
  grpc::SslCredentialsOptions ssl;
  auto ca = ReadFile(profile.ca);
  if (!ca.ok()) return Annotate(ca.status(), "profile ca");
  auto cert = ReadFile(profile.cert);
  if (!cert.ok()) return Annotate(cert.status(), "profile cert");
  SLUSS_RETURN_IF_ERROR(Annotate(CheckSecretFilePermissions(profile.key), "profile key"));
  auto key = ReadFile(profile.key);
  if (!key.ok()) return Annotate(key.status(), "profile key");
  ssl.pem_root_certs = *ca;
  ssl.pem_cert_chain = *cert;
  ssl.pem_private_key = *key;
  grpc::ChannelArguments args;
  if (!profile.server_name.empty()) args.SetSslTargetNameOverride(profile.server_name);
  auto channel = grpc::CreateCustomChannel(profile.server, grpc::SslCredentials(ssl), args);
  return std::unique_ptr<SlussClient>(new SlussClient(profile, options, std::move(channel)));
}

struct SlussClient::Stubs {
  explicit Stubs(const std::shared_ptr<grpc::Channel>& ch)
      : exchange(v1::Exchange::NewStub(ch)),
        directory(v1::Directory::NewStub(ch)),
        diarium(v1::Diarium::NewStub(ch)),
        gate(v1::Gate::NewStub(ch)),
        health(grpc::health::v1::Health::NewStub(ch)) {}
  template <typename Svc>
  typename Svc::Stub& Get() {
    if constexpr (std::is_same_v<Svc, v1::Exchange>) {
      return *exchange;
    } else if constexpr (std::is_same_v<Svc, v1::Directory>) {
      return *directory;
    } else if constexpr (std::is_same_v<Svc, v1::Diarium>) {
      return *diarium;
    } else {
      static_assert(std::is_same_v<Svc, v1::Gate>, "a service SlussClient has no stub for");
      return *gate;
    }
  }
  const std::unique_ptr<v1::Exchange::Stub> exchange;
  const std::unique_ptr<v1::Directory::Stub> directory;
  const std::unique_ptr<v1::Diarium::Stub> diarium;
  const std::unique_ptr<v1::Gate::Stub> gate;
  const std::unique_ptr<grpc::health::v1::Health::Stub> health;
};

SlussClient::SlussClient(Profile profile, Options options, std::shared_ptr<grpc::Channel> channel)
    : profile_(std::move(profile)),
      options_(options),
      channel_(std::move(channel)),
      stubs_(std::make_unique<Stubs>(channel_)) {}

SlussClient::~SlussClient() = default;

absl::StatusOr<Health> SlussClient::CheckHealth() {
  grpc::ClientContext ctx;
  SetDeadline(ctx, options_.call_timeout);
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  absl::Status s = FromGrpc(stubs_->health->Check(&ctx, req, &resp));
  if (!s.ok()) return ExplainConnectError(s, profile_);
  Health h;
  h.serving = resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  h.status = grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status());
  return h;
}

absl::StatusOr<sluss::v1::WhoAmIResponse> SlussClient::WhoAmI() {
  grpc::ClientContext ctx;
  SetDeadline(ctx, options_.call_timeout);
  sluss::v1::WhoAmIResponse resp;
  absl::Status s = FromGrpc(stubs_->directory->WhoAmI(&ctx, sluss::v1::WhoAmIRequest(), &resp));
  if (!s.ok()) return ExplainConnectError(s, profile_);
  return resp;
}

absl::Status ExplainConnectError(const absl::Status& status, const Profile& profile) {
  if (status.code() != absl::StatusCode::kUnavailable &&
      status.code() != absl::StatusCode::kDeadlineExceeded) {
    return status;
  }
  std::string detail(status.message());
  std::string why;
  if (absl::StrContains(detail, "certificate verify failed") ||
      absl::StrContains(detail, "CERTIFICATE_VERIFY_FAILED")) {
    why = absl::StrCat("the server's certificate does not verify against the CA in ", profile.ca,
                       " (wrong 'ca' in profile ", profile.source, "?)");
  } else if (absl::StrContains(detail, "alert") || absl::StrContains(detail, "Socket closed") ||
             absl::StrContains(detail, "Connection reset")) {
    why = absl::StrCat("the server rejected the client certificate ", profile.cert,
                       " (not issued by a CA the server trusts?)");
  } else if (absl::StrContains(detail, "Connection refused") ||
             absl::StrContains(detail, "connect")) {
    why = absl::StrCat("nothing answers at ", profile.server, " (is slussd running?)");
  } else if (status.code() == absl::StatusCode::kDeadlineExceeded) {
    why = absl::StrCat("no answer from ", profile.server, " in time");
  } else {
    why = "the connection failed";
  }
  return absl::Status(status.code(),
                      absl::StrCat("cannot reach slussd at ", profile.server, ": ", why,
                                   " [gRPC: ", detail, "]"));
}

}  // namespace sluss::client

// ---------------------------------------------------------------- workflow

namespace sluss::client {
namespace {

template <typename Req, typename Resp, typename Stub, typename Method>
absl::StatusOr<Resp> Call(Stub& stub, absl::Duration timeout, Method m, const Req& req) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  Resp resp;
  grpc::Status s = (stub.*m)(&ctx, req, &resp);
  if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  return resp;
}

std::string RandomKey() { return crypto::ToHex(crypto::RandomBytes(16)); }

// A change whose envelope travels in pieces: the call first (envelope
// cleared), then the envelope's serialization in chunks, then half-close.
// `open` starts the stream: (ClientContext*, Resp*) -> ClientWriter<Chunk>.
template <typename Chunk, typename Req, typename Resp, typename Open>
absl::StatusOr<Resp> Upload(absl::Duration timeout, const Req& req, Open open) {
  using Field = exchange::StreamedEnvelope<Req>;
  const std::string bytes = exchange::SerializeEnvelope(Field::Get(req));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  Resp resp;
  auto writer = open(&ctx, &resp);
  Chunk first;
  *first.mutable_call() = req;
  Field::Clear(first.mutable_call());
  const std::vector<absl::string_view> pieces = exchange::SplitIntoChunks(bytes);
  bool ok = true;
  for (size_t i = 0; i < std::max<size_t>(1, pieces.size()) && ok; ++i) {
    Chunk c;
    if (i == 0) c = std::move(first);
    if (i < pieces.size()) c.set_envelope_chunk(std::string(pieces[i]));
    ok = writer->Write(c);
  }
  if (ok) writer->WritesDone();
  grpc::Status s = writer->Finish();
  if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  return resp;
}

}  // namespace

#define SLUSS_RPC(Svc, Method, Req, Resp, arg)                                                        \
  Call<v1::Req, v1::Resp>(stubs_->Get<v1::Svc>(), options_.call_timeout, &v1::Svc::Stub::Method, arg)

absl::StatusOr<v1::RequestResponse> SlussClient::Request(const v1::RequestRequest& r) {
  if (r.question().ByteSizeLong() > options_.stream_envelopes_above) {
    v1::Exchange::Stub* stub = stubs_->exchange.get();
    return Upload<v1::RequestChunk, v1::RequestRequest, v1::RequestResponse>(
        options_.call_timeout, r,
        [&](grpc::ClientContext* c, v1::RequestResponse* out) { return stub->RequestStream(c, out); });
  }
  return SLUSS_RPC(Exchange, Request, RequestRequest, RequestResponse, r);
}
absl::StatusOr<v1::DecideResponse> SlussClient::Decide(const v1::DecideRequest& r) {
  if (r.answer().ByteSizeLong() > options_.stream_envelopes_above) {
    v1::Exchange::Stub* stub = stubs_->exchange.get();
    return Upload<v1::DecideChunk, v1::DecideRequest, v1::DecideResponse>(
        options_.call_timeout, r,
        [&](grpc::ClientContext* c, v1::DecideResponse* out) { return stub->DecideStream(c, out); });
  }
  return SLUSS_RPC(Exchange, Decide, DecideRequest, DecideResponse, r);
}
absl::StatusOr<v1::SendResponse> SlussClient::Send(const v1::SendRequest& r) {
  if (r.content().ByteSizeLong() > options_.stream_envelopes_above) {
    v1::Exchange::Stub* stub = stubs_->exchange.get();
    return Upload<v1::SendChunk, v1::SendRequest, v1::SendResponse>(
        options_.call_timeout, r,
        [&](grpc::ClientContext* c, v1::SendResponse* out) { return stub->SendStream(c, out); });
  }
  return SLUSS_RPC(Exchange, Send, SendRequest, SendResponse, r);
}
absl::StatusOr<v1::AcknowledgeResponse> SlussClient::Acknowledge(const v1::AcknowledgeRequest& r) {
  return SLUSS_RPC(Exchange, Acknowledge, AcknowledgeRequest, AcknowledgeResponse, r);
}
absl::StatusOr<v1::GetDisclosureResponse> SlussClient::GetDisclosure(const v1::GetDisclosureRequest& r) {
  absl::StatusOr<v1::GetDisclosureResponse> resp =
      SLUSS_RPC(Exchange, GetDisclosure, GetDisclosureRequest, GetDisclosureResponse, r);
  // Too large for one message: the server names the streaming method.
  if (resp.status().code() == absl::StatusCode::kResourceExhausted &&
      absl::StrContains(resp.status().message(), "GetDisclosureStream")) {
    return DownloadDisclosure(r);
  }
  return resp;
}

absl::StatusOr<v1::GetDisclosureResponse> SlussClient::DownloadDisclosure(const v1::GetDisclosureRequest& r) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, options_.call_timeout);
  auto reader = stubs_->exchange->GetDisclosureStream(&ctx, r);
  v1::GetDisclosureResponse out;
  std::optional<exchange::EnvelopeAssembler> in;
  uint64_t announced = 0;
  absl::Status broken;
  v1::DisclosureChunk c;
  while (broken.ok() && reader->Read(&c)) {
    if (!in) {
      if (!c.has_head()) broken = absl::DataLossError("download: the first message has no head");
      out = std::move(*c.mutable_head());
      announced = c.envelope_size();
      in.emplace(static_cast<size_t>(announced));
    }
    if (broken.ok()) broken = in->Add(c.envelope_chunk());
  }
  if (!broken.ok()) ctx.TryCancel();
  grpc::Status s = reader->Finish();
  if (!broken.ok()) return absl::DataLossError(absl::StrCat("download: ", broken.message()));
  if (!s.ok()) return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
  if (!in || in->size() != announced) {
    return absl::DataLossError(absl::StrCat("download: the stream ended after ", in ? in->size() : 0, " of ",
                                            announced, " bytes"));
  }
  absl::StatusOr<v1::SealedEnvelope> env = in->Finish(out.digest());
  if (!env.ok()) return absl::DataLossError(absl::StrCat("download: ", env.status().message()));
  *out.mutable_envelope() = *std::move(env);
  return out;
}
absl::StatusOr<v1::InboxResponse> SlussClient::Inbox() {
  return SLUSS_RPC(Exchange, Inbox, InboxRequest, InboxResponse, v1::InboxRequest());
}
absl::StatusOr<v1::OutboxResponse> SlussClient::Outbox() {
  return SLUSS_RPC(Exchange, Outbox, OutboxRequest, OutboxResponse, v1::OutboxRequest());
}
absl::StatusOr<v1::CaseHistoryResponse> SlussClient::CaseHistory(const std::string& case_id) {
  v1::CaseHistoryRequest r;
  r.set_case_id(case_id);
  return SLUSS_RPC(Exchange, CaseHistory, CaseHistoryRequest, CaseHistoryResponse, r);
}
absl::StatusOr<v1::ListAgenciesResponse> SlussClient::ListAgencies() {
  return SLUSS_RPC(Directory, ListAgencies, ListAgenciesRequest, ListAgenciesResponse, v1::ListAgenciesRequest());
}
absl::StatusOr<v1::GetOfficerResponse> SlussClient::GetOfficer(const std::string& id) {
  v1::GetOfficerRequest r;
  r.set_id(id);
  return SLUSS_RPC(Directory, GetOfficer, GetOfficerRequest, GetOfficerResponse, r);
}
absl::StatusOr<v1::RevokeKeyResponse> SlussClient::RevokeKey(const v1::RevokeKeyRequest& r) {
  return SLUSS_RPC(Directory, RevokeKey, RevokeKeyRequest, RevokeKeyResponse, r);
}
absl::StatusOr<v1::GetCheckpointResponse> SlussClient::GetCheckpoint() {
  return SLUSS_RPC(Diarium, GetCheckpoint, GetCheckpointRequest, GetCheckpointResponse, v1::GetCheckpointRequest());
}
absl::StatusOr<v1::GetEntriesResponse> SlussClient::GetEntries(uint64_t begin, uint64_t end) {
  v1::GetEntriesRequest r;
  r.set_begin(begin);
  r.set_end(end);
  return SLUSS_RPC(Diarium, GetEntries, GetEntriesRequest, GetEntriesResponse, r);
}
absl::StatusOr<v1::GetInclusionProofResponse> SlussClient::GetInclusionProof(uint64_t index) {
  v1::GetInclusionProofRequest r;
  r.set_index(index);
  return SLUSS_RPC(Diarium, GetInclusionProof, GetInclusionProofRequest, GetInclusionProofResponse, r);
}
absl::StatusOr<v1::GetConsistencyProofResponse> SlussClient::GetConsistencyProof(uint64_t old_size) {
  v1::GetConsistencyProofRequest r;
  r.set_old_size(old_size);
  return SLUSS_RPC(Diarium, GetConsistencyProof, GetConsistencyProofRequest, GetConsistencyProofResponse, r);
}
absl::StatusOr<v1::GetTileResponse> SlussClient::GetTile(int level, uint64_t index, uint32_t width) {
  v1::GetTileRequest r;
  r.set_level(level);
  r.set_index(index);
  r.set_width(width);
  return SLUSS_RPC(Diarium, GetTile, GetTileRequest, GetTileResponse, r);
}
absl::StatusOr<v1::CheckResponse> SlussClient::GateCheck(const v1::CheckRequest& r) {
  return SLUSS_RPC(Gate, Check, CheckRequest, CheckResponse, r);
}
#undef SLUSS_RPC

absl::StatusOr<const crypto::Ed25519SigningKey*> SlussClient::OfficerKey() {
  absl::MutexLock l(&mu_);
  if (!officer_key_) {
    if (profile_.officer_key.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("profile ", profile_.source,
                                                        " has no officer_key: signed actions need one"));
    }
    absl::StatusOr<crypto::Ed25519SigningKey> k = crypto::ReadEd25519SigningKey(profile_.officer_key);
    if (!k.ok()) return Annotate(k.status(), "profile officer_key");
    officer_key_ = std::make_unique<crypto::Ed25519SigningKey>(std::move(*k));
  }
  return officer_key_.get();
}

absl::StatusOr<const crypto::X25519KeyPair*> SlussClient::AgencyKeyPair() {
  absl::MutexLock l(&mu_);
  if (!agency_key_) {
    absl::StatusOr<crypto::X25519KeyPair> k = crypto::ReadX25519KeyPair(profile_.agency_key);
    if (!k.ok()) return Annotate(k.status(), "profile agency_key");
    agency_key_ = std::make_unique<crypto::X25519KeyPair>(std::move(*k));
  }
  return agency_key_.get();
}

absl::StatusOr<v1::AgencyRef> SlussClient::MyAgency() {
  {
    absl::MutexLock l(&mu_);
    if (me_) return *me_;
  }
  SLUSS_ASSIGN_OR_RETURN(v1::WhoAmIResponse who, WhoAmI());
  absl::MutexLock l(&mu_);
  me_ = who.agency();
  return *me_;
}

absl::StatusOr<crypto::X25519PublicKey> SlussClient::AgencyEncryptionKey(const v1::AgencyRef& agency) {
  const std::string k = exchange::AgencyKey(agency);
  {
    absl::MutexLock l(&mu_);
    auto it = agency_keys_.find(k);
    if (it != agency_keys_.end()) return it->second;
  }
  SLUSS_ASSIGN_OR_RETURN(v1::ListAgenciesResponse all, ListAgencies());
  absl::MutexLock l(&mu_);
  for (const auto& a : all.agencies()) {
    auto key = crypto::X25519PublicKeyFromBytes(a.encryption_key());
    if (key.ok()) agency_keys_[exchange::AgencyKey(a.agency())] = *key;
  }
  auto it = agency_keys_.find(k);
  if (it == agency_keys_.end()) return absl::NotFoundError(absl::StrCat("agency ", k, " is not in the directory"));
  return it->second;
}

absl::StatusOr<v1::DsseEnvelope> SlussClient::SignAction(v1::Action action) {
  SLUSS_ASSIGN_OR_RETURN(const crypto::Ed25519SigningKey* key, OfficerKey());
  SLUSS_ASSIGN_OR_RETURN(v1::AgencyRef me, MyAgency());
  action.set_officer(profile_.officer);
  *action.mutable_agency() = me;
  Clock& clock = options_.clock != nullptr ? *options_.clock : RealClock();
  action.set_signed_at_unix_micros(absl::ToUnixMicros(clock.Now()));
  return exchange::SignAction(action, *key);
}

absl::StatusOr<v1::RequestResponse> SlussClient::NewRequest(const NewCase& c) {
  SLUSS_ASSIGN_OR_RETURN(v1::RequestRequest req, BuildRequest(c));
  return Request(req);
}

absl::StatusOr<SlussClient::NewCaseParts> SlussClient::PrepareNewCase(const NewCase& c) {
  SLUSS_ASSIGN_OR_RETURN(v1::AgencyRef me, MyAgency());
  NewCaseParts p;
  p.idempotency_key = c.idempotency_key.empty() ? RandomKey() : c.idempotency_key;
  p.case_id = exchange::CaseIdFor(me, p.idempotency_key);
  SLUSS_ASSIGN_OR_RETURN(crypto::X25519PublicKey mine, AgencyEncryptionKey(me));
  SLUSS_ASSIGN_OR_RETURN(crypto::X25519PublicKey theirs, AgencyEncryptionKey(c.to));
  const std::vector<crypto::X25519PublicKey> to = {mine, theirs};
  SLUSS_ASSIGN_OR_RETURN(p.envelope, exchange::SealForCase(p.case_id, c.text, to));
  p.salt = crypto::RandomBytes(16);
  p.subject_commitment = exchange::SubjectCommitment(p.salt, c.subject_id);
  return p;
}

absl::StatusOr<v1::RequestRequest> SlussClient::BuildRequest(const NewCase& c) {
  SLUSS_ASSIGN_OR_RETURN(NewCaseParts p, PrepareNewCase(c));
  v1::Action a;
  a.set_idempotency_key(p.idempotency_key);
  v1::RequestAction* ra = a.mutable_request();
  *ra->mutable_to() = c.to;
  *ra->mutable_facts() = c.facts;
  ra->set_subject_kind(c.subject_kind);
  ra->set_subject_commitment(p.subject_commitment);
  ra->set_question_digest(exchange::EnvelopeDigest(p.envelope));
  ra->set_summary(c.summary);
  v1::RequestRequest req;
  SLUSS_ASSIGN_OR_RETURN(*req.mutable_action(), SignAction(a));
  *req.mutable_question() = std::move(p.envelope);
  req.set_idempotency_key(p.idempotency_key);
  req.mutable_subject()->set_id(c.subject_id);
  req.mutable_subject()->set_salt(p.salt);
  return req;
}

absl::StatusOr<v1::SendResponse> SlussClient::SendDisclosure(const NewCase& c) {
  SLUSS_ASSIGN_OR_RETURN(NewCaseParts p, PrepareNewCase(c));
  v1::Action a;
  a.set_idempotency_key(p.idempotency_key);
  v1::SendAction* sa = a.mutable_send();
  sa->set_kind(c.send_kind);
  *sa->mutable_to() = c.to;
  *sa->mutable_facts() = c.facts;
  for (auto& att : *sa->mutable_facts()->mutable_attestations()) att.set_officer(profile_.officer);
  sa->set_subject_kind(c.subject_kind);
  sa->set_subject_commitment(p.subject_commitment);
  sa->set_envelope_digest(exchange::EnvelopeDigest(p.envelope));
  sa->set_motivation(c.motivation);
  sa->set_summary(c.summary);
  v1::SendRequest req;
  SLUSS_ASSIGN_OR_RETURN(*req.mutable_action(), SignAction(a));
  *req.mutable_content() = std::move(p.envelope);
  req.set_idempotency_key(p.idempotency_key);
  req.mutable_subject()->set_id(c.subject_id);
  req.mutable_subject()->set_salt(p.salt);
  return Send(req);
}

absl::StatusOr<v1::DecideResponse> SlussClient::Disclose(const std::string& case_id, const std::string& text,
                                                         const std::vector<v1::Attestation>& attestations,
                                                         const std::string& motivation,
                                                         const std::string& idempotency_key) {
  SLUSS_ASSIGN_OR_RETURN(v1::DecideRequest req,
                         BuildDisclose(case_id, text, attestations, motivation, idempotency_key));
  return Decide(req);
}

absl::StatusOr<v1::DecideResponse> SlussClient::DiscloseTo(const std::string& case_id, const v1::AgencyRef& recipient,
                                                           const std::string& text,
                                                           const std::vector<v1::Attestation>& attestations,
                                                           const std::string& motivation,
                                                           const std::string& idempotency_key) {
  SLUSS_ASSIGN_OR_RETURN(v1::DecideRequest req,
                         BuildDiscloseTo(case_id, recipient, text, attestations, motivation, idempotency_key));
  return Decide(req);
}

absl::StatusOr<v1::DecideRequest> SlussClient::BuildDisclose(const std::string& case_id, const std::string& text,
                                                             const std::vector<v1::Attestation>& attestations,
                                                             const std::string& motivation,
                                                             const std::string& idempotency_key) {
  SLUSS_ASSIGN_OR_RETURN(v1::CaseHistoryResponse h, CaseHistory(case_id));
  SLUSS_ASSIGN_OR_RETURN(crypto::X25519PublicKey a, AgencyEncryptionKey(h.summary().recipient()));
  SLUSS_ASSIGN_OR_RETURN(crypto::X25519PublicKey b, AgencyEncryptionKey(h.summary().discloser()));
  return SealDisclose(case_id, {a, b}, text, attestations, motivation, idempotency_key);
}

absl::StatusOr<v1::DecideRequest> SlussClient::BuildDiscloseTo(const std::string& case_id,
                                                               const v1::AgencyRef& recipient, const std::string& text,
                                                               const std::vector<v1::Attestation>& attestations,
                                                               const std::string& motivation,
                                                               const std::string& idempotency_key) {
  SLUSS_ASSIGN_OR_RETURN(v1::AgencyRef me, MyAgency());
  SLUSS_ASSIGN_OR_RETURN(crypto::X25519PublicKey a, AgencyEncryptionKey(recipient));
  SLUSS_ASSIGN_OR_RETURN(crypto::X25519PublicKey b, AgencyEncryptionKey(me));
  return SealDisclose(case_id, {a, b}, text, attestations, motivation, idempotency_key);
}

absl::StatusOr<v1::DecideRequest> SlussClient::SealDisclose(const std::string& case_id,
                                                            const std::vector<crypto::X25519PublicKey>& to,
                                                            const std::string& text,
                                                            const std::vector<v1::Attestation>& attestations,
                                                            const std::string& motivation,
                                                            const std::string& idempotency_key) {
  v1::DecideRequest req;
  SLUSS_ASSIGN_OR_RETURN(*req.mutable_answer(), exchange::SealForCase(case_id, text, to));
  const std::string idem = idempotency_key.empty() ? RandomKey() : idempotency_key;
  v1::Action act;
  act.set_idempotency_key(idem);
  act.mutable_decide()->set_case_id(case_id);
  v1::Disclose* d = act.mutable_decide()->mutable_disclose();
  d->set_envelope_digest(exchange::EnvelopeDigest(req.answer()));
  for (v1::Attestation att : attestations) {
    att.set_officer(profile_.officer);
    *d->add_attestations() = att;
  }
  d->set_motivation(motivation);
  SLUSS_ASSIGN_OR_RETURN(*req.mutable_action(), SignAction(act));
  req.set_idempotency_key(idem);
  return req;
}

absl::StatusOr<v1::DecideResponse> SlussClient::Refuse(const std::string& case_id,
                                                       const std::vector<std::string>& reasons,
                                                       const std::string& idempotency_key) {
  const std::string idem = idempotency_key.empty() ? RandomKey() : idempotency_key;
  v1::Action act;
  act.set_idempotency_key(idem);
  act.mutable_decide()->set_case_id(case_id);
  for (const auto& r : reasons) act.mutable_decide()->mutable_refuse()->add_reasons(r);
  v1::DecideRequest req;
  SLUSS_ASSIGN_OR_RETURN(*req.mutable_action(), SignAction(act));
  req.set_idempotency_key(idem);
  return Decide(req);
}

absl::StatusOr<Opened> SlussClient::Open(const std::string& case_id, v1::GetDisclosureRequest::Which which) {
  if (profile_.agency_key.empty()) {
    return absl::FailedPreconditionError(absl::StrCat("profile ", profile_.source,
                                                      " has no agency_key: opening needs the agency's decryption key"));
  }
  v1::GetDisclosureRequest req;
  req.set_case_id(case_id);
  req.set_which(which);
  SLUSS_ASSIGN_OR_RETURN(v1::GetDisclosureResponse resp, GetDisclosure(req));
  const std::string digest = exchange::EnvelopeDigest(resp.envelope());
  if (digest != resp.digest()) return absl::DataLossError("open: the envelope does not match its digest");
  SLUSS_ASSIGN_OR_RETURN(v1::Action action, exchange::ParseActionUnverified(resp.action()));
  std::string signed_digest;
  if (action.has_decide()) signed_digest = action.decide().disclose().envelope_digest();
  if (action.has_send()) signed_digest = action.send().envelope_digest();
  if (action.has_request()) signed_digest = action.request().question_digest();
  if (signed_digest != digest) return absl::DataLossError("open: the officer did not sign this envelope's digest");
  SLUSS_ASSIGN_OR_RETURN(v1::GetOfficerResponse officer, GetOfficer(action.officer()));
  SLUSS_ASSIGN_OR_RETURN(crypto::Ed25519PublicKey okey,
                         crypto::Ed25519PublicKeyFromBytes(officer.officer().signing_key()));
  absl::Status sig = crypto::DsseVerify(exchange::DsseFromProto(resp.action()), action.officer(), okey);
  if (!sig.ok()) return absl::DataLossError(absl::StrCat("open: ", sig.message()));
  SLUSS_ASSIGN_OR_RETURN(const crypto::X25519KeyPair* me, AgencyKeyPair());
  SLUSS_ASSIGN_OR_RETURN(crypto::Envelope env, exchange::EnvelopeFromProto(resp.envelope()));
  SLUSS_ASSIGN_OR_RETURN(crypto::SecretBytes plain,
                         crypto::OpenEnvelope(env, exchange::EnvelopeAssociatedData(case_id), *me));
  Opened o;
  o.plaintext = std::string(plain.view());
  o.digest = digest;
  o.signed_by = action.officer();
  return o;
}

absl::StatusOr<v1::AcknowledgeResponse> SlussClient::Ack(const std::string& case_id, const std::string& digest,
                                                         const std::string& idempotency_key) {
  SLUSS_ASSIGN_OR_RETURN(v1::AcknowledgeRequest req, BuildAck(case_id, digest, idempotency_key));
  return Acknowledge(req);
}

absl::StatusOr<v1::AcknowledgeRequest> SlussClient::BuildAck(const std::string& case_id, const std::string& digest,
                                                             const std::string& idempotency_key) {
  const std::string idem = idempotency_key.empty() ? RandomKey() : idempotency_key;
  v1::Action act;
  act.set_idempotency_key(idem);
  act.mutable_acknowledge()->set_case_id(case_id);
  act.mutable_acknowledge()->set_envelope_digest(digest);
  v1::AcknowledgeRequest req;
  SLUSS_ASSIGN_OR_RETURN(*req.mutable_action(), SignAction(act));
  req.set_idempotency_key(idem);
  return req;
}

absl::StatusOr<v1::RevokeKeyResponse> SlussClient::Revoke(const std::string& officer, const std::string& reason,
                                                          const std::string& idempotency_key) {
  const std::string idem = idempotency_key.empty() ? RandomKey() : idempotency_key;
  v1::Action act;
  act.set_idempotency_key(idem);
  act.mutable_revoke_key()->set_officer(officer);
  act.mutable_revoke_key()->set_reason(reason);
  v1::RevokeKeyRequest req;
  SLUSS_ASSIGN_OR_RETURN(*req.mutable_action(), SignAction(act));
  req.set_idempotency_key(idem);
  return RevokeKey(req);
}

}  // namespace sluss::client
