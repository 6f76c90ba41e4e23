#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "server/directory_service.h"
#include "server/tls.h"

namespace sluss::server {
namespace {

class ServerImpl final : public Server {
 public:
  ~ServerImpl() override { Shutdown(absl::ZeroDuration()); }

  absl::Status Init(const Config& config) {
    SLUSS_ASSIGN_OR_RETURN(TlsMaterial tls, LoadTlsMaterial(config.tls));
    if (config.data_dir.empty()) return absl::InvalidArgumentError("server.data_dir is empty");
    SLUSS_RETURN_IF_ERROR(Annotate(MakeDirectories(config.data_dir), "server.data_dir"));

    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = tls.client_ca_pem;
    ssl.pem_key_cert_pairs.push_back({tls.private_key_pem, tls.cert_chain_pem});

    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    directory_ = std::make_unique<DirectoryService>(ServerVersion());

    grpc::ServerBuilder builder;
    // gRPC sets SO_REUSEPORT by default, which would let a second slussd
    // bind the same port and silently split the traffic. Refuse instead.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.AddListeningPort(config.listen, grpc::SslServerCredentials(ssl), &port_);
    builder.RegisterService(directory_.get());
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0) {
      server_.reset();
      return absl::UnavailableError(absl::StrCat(
          "server.listen: cannot listen on ", config.listen,
          " (address in use, or not an address of this host?)"));
    }
    SetServing(true);
    return absl::OkStatus();
  }

  int port() const override { return port_; }

  void SetServing(bool serving) override {
    if (server_ && server_->GetHealthCheckService() != nullptr) {
      server_->GetHealthCheckService()->SetServingStatus(serving);
    }
  }

  void Shutdown(absl::Duration grace) override {
    absl::MutexLock lock(&shutdown_mu_);
    if (!server_ || shut_down_) return;
    shut_down_ = true;
    SetServing(false);
    server_->Shutdown(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(absl::ToInt64Milliseconds(grace)));
    server_->Wait();
  }

 private:
  std::unique_ptr<DirectoryService> directory_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace

const char* ServerVersion() { return "slussd 0.1.0"; }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const Config& config) {
  auto server = std::make_unique<ServerImpl>();
  SLUSS_RETURN_IF_ERROR(server->Init(config));
  return server;
}

}  // namespace sluss::server
