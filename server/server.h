// slussd's gRPC server: mTLS only, health (grpc.health.v1) and reflection
// enabled, graceful shutdown.
//
// Usage:
//   SLUSS_ASSIGN_OR_RETURN(auto server, Server::Start(config));
//   ... wait for SIGTERM ...
//   server->Shutdown(absl::Seconds(10));
//
// Thread-safety: Start/Shutdown from one controlling thread; port() and
// SetServing() from any thread.
#ifndef SLUSS_SERVER_SERVER_H_
#define SLUSS_SERVER_SERVER_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/config.h"

namespace sluss::server {

class Server {
 public:
  virtual ~Server() = default;

  // Checks the TLS material, creates data_dir, opens the diarium and the
  // broker (replaying the log; bootstrapping an empty one), binds `config.listen`, and
  // starts serving. Errors name the file or address at fault; on error
  // nothing is left running.
  // `log` (optional) receives operational messages (e.g. a diarium failure
  // that turns health NOT_SERVING); called from any thread.
  static absl::StatusOr<std::unique_ptr<Server>> Start(const Config& config,
                                                       std::function<void(absl::string_view)> log = nullptr);

  // The port actually bound (useful when the config asked for port 0).
  virtual int port() const = 0;

  // Sets the health status reported for the whole server ("") and every
  // service: SERVING or NOT_SERVING.
  virtual void SetServing(bool serving) = 0;

  // Reports NOT_SERVING, stops accepting calls, lets calls in flight finish
  // for up to `grace`, then cancels the rest. Idempotent.
  virtual void Shutdown(absl::Duration grace) = 0;
};

// The version string slussd reports.
const char* ServerVersion();

}  // namespace sluss::server

#endif  // SLUSS_SERVER_SERVER_H_
