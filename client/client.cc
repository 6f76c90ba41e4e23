#include "client/client.h"

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "sluss/v1/directory.grpc.pb.h"

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

absl::StatusOr<Health> SlussClient::CheckHealth() {
  auto stub = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  SetDeadline(ctx, options_.call_timeout);
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  absl::Status s = FromGrpc(stub->Check(&ctx, req, &resp));
  if (!s.ok()) return ExplainConnectError(s, profile_);
  Health h;
  h.serving = resp.status() == grpc::health::v1::HealthCheckResponse::SERVING;
  h.status = grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status());
  return h;
}

absl::StatusOr<sluss::v1::WhoAmIResponse> SlussClient::WhoAmI() {
  auto stub = sluss::v1::Directory::NewStub(channel_);
  grpc::ClientContext ctx;
  SetDeadline(ctx, options_.call_timeout);
  sluss::v1::WhoAmIResponse resp;
  absl::Status s = FromGrpc(stub->WhoAmI(&ctx, sluss::v1::WhoAmIRequest(), &resp));
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
