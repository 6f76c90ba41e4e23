// SlussClient: the client library used by the `sluss` CLI, the benchmarks
// and the integration tests. It owns one mTLS channel to slussd.
//
// Thread-safe: calls may be made concurrently from many threads.
// Every method returns absl::Status with the server's code and message; for
// failures to connect, ExplainConnectError turns gRPC's transport error into
// a sentence that names the file to check.
#ifndef SLUSS_CLIENT_CLIENT_H_
#define SLUSS_CLIENT_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/profile.h"
#include "sluss/v1/directory.pb.h"

namespace grpc {
class Channel;
}

namespace sluss::client {

struct Health {
  bool serving = false;
  std::string status;  // "SERVING", "NOT_SERVING", ...
};

class SlussClient {
 public:
  struct Options {
    absl::Duration call_timeout = absl::Seconds(10);
  };

  // Reads the profile's TLS files and creates the channel (lazily
  // connected). Errors name the file that could not be read.
  static absl::StatusOr<std::unique_ptr<SlussClient>> Create(const Profile& profile,
                                                             const Options& options);

  absl::StatusOr<Health> CheckHealth();
  absl::StatusOr<sluss::v1::WhoAmIResponse> WhoAmI();

  const Profile& profile() const { return profile_; }
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  SlussClient(Profile profile, Options options, std::shared_ptr<grpc::Channel> channel)
      : profile_(std::move(profile)), options_(options), channel_(std::move(channel)) {}
  Profile profile_;
  Options options_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Rewrites an UNAVAILABLE error from a failed TLS connection into a message
// that says which side rejected whom and which profile file to check.
// Other statuses are returned unchanged.
absl::Status ExplainConnectError(const absl::Status& status, const Profile& profile);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_CLIENT_H_
