#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "crypto/keyfile.h"
#include "crypto/note.h"
#include "gate/rulebook.h"
#include "server/broker/broker.h"
#include "server/broker/directory_file.h"
#include "server/directory_service.h"
#include "server/services.h"
#include "server/tls.h"
#include "storage/diarium.h"
#include "rocksdb/env.h"
#include "storage/fault_fs.h"

namespace sluss::server {
namespace {

class ServerImpl final : public Server {
 public:
  ~ServerImpl() override { Shutdown(absl::ZeroDuration()); }

  explicit ServerImpl(std::function<void(absl::string_view)> log) : log_(std::move(log)) {}

  absl::Status OpenBroker(const Config& config) {
    if (config.diarium_signing_key.empty()) {
      return absl::InvalidArgumentError("missing required key 'diarium.signing_key' (the checkpoint signing key)");
    }
    if (config.pseudonym_key.empty()) {
      return absl::InvalidArgumentError("missing required key 'broker.pseudonym_key'");
    }
    absl::StatusOr<crypto::Ed25519SigningKey> log_key = crypto::ReadEd25519SigningKey(config.diarium_signing_key);
    if (!log_key.ok()) return Annotate(log_key.status(), "diarium.signing_key");
    absl::StatusOr<crypto::NoteSigner> signer = crypto::NoteSigner::Create(config.diarium_origin, std::move(*log_key));
    if (!signer.ok()) return Annotate(signer.status(), "diarium.origin");
    absl::StatusOr<crypto::PseudonymKey> pk = crypto::ReadPseudonymKey(config.pseudonym_key);
    if (!pk.ok()) return Annotate(pk.status(), "broker.pseudonym_key");
    pseudonym_key_ = std::make_unique<crypto::PseudonymKey>(std::move(*pk));
    SLUSS_ASSIGN_OR_RETURN(rulebook_, gate::Rulebook::Bundled());
    absl::TimeZone tz;
    if (!absl::LoadTimeZone(config.time_zone, &tz)) {
      return absl::InvalidArgumentError(absl::StrCat("broker.time_zone \"", config.time_zone,
                                                     "\" is not a known time zone (is tzdata installed?)"));
    }
    storage::DiariumOptions dopts;
    dopts.origin = config.diarium_origin;
    dopts.signers = {std::make_shared<const crypto::NoteSigner>(std::move(*signer))};
    dopts.checkpoint_interval = absl::Milliseconds(config.checkpoint_interval_ms);
    // Every change is answered once a checkpoint covers it (docs/BROKER.md),
    // so a write held to end about when its checkpoint is due costs about no
    // reply time and saves syncs (docs/DIARIUM.md §1 item 5).
    dopts.align_writes_to_checkpoints = config.align_writes_to_checkpoints;
    if (!config.fail_diarium_sync_if_exists.empty()) {
      // Test-only fault injection (docs/OPERATIONS.md [testing]).
      fault_fs_ = std::make_shared<storage::testing::FaultFs>(rocksdb::FileSystem::Default());
      fault_fs_->fail_sync_if_exists = config.fail_diarium_sync_if_exists;
      fault_env_ = rocksdb::NewCompositeEnv(fault_fs_);
      dopts.env = fault_env_.get();
      if (log_) {
        log_(absl::StrCat("TESTING: diarium syncs fail while ", config.fail_diarium_sync_if_exists,
                          " exists (testing.fail_diarium_sync_if_exists); never use this in production"));
      }
    }
    absl::StatusOr<std::unique_ptr<storage::Diarium>> d = storage::Diarium::Open(dopts, config.data_dir + "/diarium");
    if (!d.ok()) return d.status();  // its messages begin "diarium: "
    diarium_ = std::move(*d);
    broker::BrokerOptions bopts;
    bopts.diarium = diarium_.get();
    bopts.rulebook = rulebook_.get();
    bopts.pseudonym_key = pseudonym_key_.get();
    bopts.time_zone = tz;
    bopts.signed_at_window = absl::Seconds(config.signed_at_window_seconds);
    bopts.max_envelope_bytes = static_cast<size_t>(config.max_envelope_bytes);
    bopts.rate_per_second = config.rate_per_second;
    bopts.rate_burst = static_cast<double>(config.rate_burst);
    if (diarium_->size() == 0) {
      if (config.directory.empty()) {
        return absl::InvalidArgumentError(
            "the diarium is empty and 'broker.directory' is not set: the first start needs the bootstrap directory");
      }
      absl::StatusOr<broker::BootstrapDirectory> dir = broker::LoadDirectoryFile(config.directory, *rulebook_);
      if (!dir.ok()) return Annotate(dir.status(), "broker.directory");
      bopts.bootstrap_agencies = std::move(dir->agencies);
      bopts.bootstrap_officers = std::move(dir->officers);
    } else if (!config.directory.empty() && log_) {
      log_(absl::StrCat("broker.directory ", config.directory,
                        " is not read: the diarium already holds the directory (changes are signed actions)"));
    }
    bopts.on_failure = [this](const absl::Status& s) {
      SetServing(false);
      if (log_) log_(absl::StrCat("diarium failure, no longer serving: ", s.message()));
    };
    absl::StatusOr<std::unique_ptr<broker::Broker>> b = broker::Broker::Open(std::move(bopts));
    if (!b.ok()) return Annotate(b.status(), "broker");
    broker_ = std::move(*b);
    return absl::OkStatus();
  }

  absl::Status Init(const Config& config) {
    SLUSS_ASSIGN_OR_RETURN(TlsMaterial tls, LoadTlsMaterial(config.tls));
    if (config.data_dir.empty()) return absl::InvalidArgumentError("server.data_dir is empty");
    SLUSS_RETURN_IF_ERROR(Annotate(MakeDirectories(config.data_dir), "server.data_dir"));
    SLUSS_RETURN_IF_ERROR(OpenBroker(config));

    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_root_certs = tls.client_ca_pem;
    ssl.pem_key_cert_pairs.push_back({tls.private_key_pem, tls.cert_chain_pem});

    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    directory_ = std::make_unique<DirectoryService>(ServerVersion(), broker_.get());
    exchange_ = std::make_unique<ExchangeService>(broker_.get(), static_cast<size_t>(config.max_envelope_bytes));
    diarium_service_ = std::make_unique<DiariumService>(broker_.get());
    gate_ = std::make_unique<GateService>(broker_.get());

    grpc::ServerBuilder builder;
    // gRPC sets SO_REUSEPORT by default, which would let a second slussd
    // bind the same port and silently split the traffic. Refuse instead.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    // gRPC's default 4 MiB message limit stays: envelopes above one chunk
    // travel in pieces through the *Stream methods (docs/BROKER.md).
    builder.AddListeningPort(config.listen, grpc::SslServerCredentials(ssl), &port_);
    builder.RegisterService(directory_.get());
    builder.RegisterService(exchange_.get());
    builder.RegisterService(diarium_service_.get());
    builder.RegisterService(gate_.get());
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
    server_.reset();
    broker_.reset();   // drains appends in flight
    diarium_.reset();  // final checkpoint
  }

 private:
  std::function<void(absl::string_view)> log_;
  std::unique_ptr<crypto::PseudonymKey> pseudonym_key_;
  std::unique_ptr<const gate::Rulebook> rulebook_;
  // Test-only fault injection; outlive the diarium.
  std::shared_ptr<storage::testing::FaultFs> fault_fs_;
  std::unique_ptr<rocksdb::Env> fault_env_;
  std::unique_ptr<storage::Diarium> diarium_;
  std::unique_ptr<broker::Broker> broker_;
  std::unique_ptr<DirectoryService> directory_;
  std::unique_ptr<ExchangeService> exchange_;
  std::unique_ptr<DiariumService> diarium_service_;
  std::unique_ptr<GateService> gate_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace

const char* ServerVersion() { return "slussd 0.1.0"; }

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const Config& config,
                                                      std::function<void(absl::string_view)> log) {
  auto server = std::make_unique<ServerImpl>(std::move(log));
  SLUSS_RETURN_IF_ERROR(server->Init(config));
  return server;
}

}  // namespace sluss::server
