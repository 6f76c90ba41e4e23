// Large sealed envelopes on the wire (docs/BROKER.md "Large envelopes"):
// above one chunk they travel in pieces through the streaming RPCs
// (Exchange.RequestStream / DecideStream / SendStream upload,
// GetDisclosureStream download), so gRPC's default 4 MiB message limit stays
// in place whatever broker.max_envelope_bytes allows.
//
// The pieces are the envelope's deterministic serialization
// (exchange::SerializeEnvelope), in order, each at most kEnvelopeChunkBytes.
// The receiver assembles them with an EnvelopeAssembler, which enforces the
// chunk and total limits as bytes arrive and, at the end, that the whole
// parses (and, for a download, hashes to the announced digest).
//
//   EnvelopeAssembler in(max_bytes);
//   for (each chunk) SLUSS_RETURN_IF_ERROR(in.Add(chunk));
//   SLUSS_ASSIGN_OR_RETURN(v1::SealedEnvelope env, in.Finish(digest));
//
// Thread-compatible (one assembler per stream).
#ifndef SLUSS_EXCHANGE_TRANSFER_H_
#define SLUSS_EXCHANGE_TRANSFER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sluss/v1/action.pb.h"
#include "sluss/v1/exchange.pb.h"

namespace sluss::exchange {

// Largest piece of a streamed envelope.
inline constexpr size_t kEnvelopeChunkBytes = size_t{1} << 20;

// Largest serialized envelope a unary call carries or returns: gRPC's
// default 4 MiB message limit less 64 KiB for the rest of the message.
// Larger envelopes must use the streaming RPCs.
inline constexpr size_t kMaxUnaryEnvelopeBytes = (size_t{4} << 20) - (size_t{64} << 10);

// Splits `bytes` into pieces of at most kEnvelopeChunkBytes (views into
// `bytes`; none if it is empty).
std::vector<absl::string_view> SplitIntoChunks(absl::string_view bytes);

class EnvelopeAssembler {
 public:
  // `max_bytes`: the largest serialized envelope accepted.
  explicit EnvelopeAssembler(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Appends the next piece. kInvalidArgument if it is larger than
  // kEnvelopeChunkBytes; kResourceExhausted once the total exceeds
  // max_bytes (the assembler then holds nothing and refuses every call).
  absl::Status Add(absl::string_view chunk);

  // Bytes received so far.
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

  // The assembled envelope. If `digest` is not empty, the bytes must hash
  // (SHA-256) to it. kInvalidArgument if they do not parse, hash to
  // something else, or are not the deterministic serialization of what they
  // parse to. The assembler is empty afterwards.
  absl::StatusOr<v1::SealedEnvelope> Finish(absl::string_view digest = "");

 private:
  const size_t max_bytes_;
  std::string bytes_;
  bool exhausted_ = false;
};

// Which field of a call holds the envelope that streams.
template <typename Req>
struct StreamedEnvelope;
template <>
struct StreamedEnvelope<v1::RequestRequest> {
  static bool Has(const v1::RequestRequest& r) { return r.has_question(); }
  static const v1::SealedEnvelope& Get(const v1::RequestRequest& r) { return r.question(); }
  static v1::SealedEnvelope* Mutable(v1::RequestRequest* r) { return r->mutable_question(); }
  static void Clear(v1::RequestRequest* r) { r->clear_question(); }
};
template <>
struct StreamedEnvelope<v1::DecideRequest> {
  static bool Has(const v1::DecideRequest& r) { return r.has_answer(); }
  static const v1::SealedEnvelope& Get(const v1::DecideRequest& r) { return r.answer(); }
  static v1::SealedEnvelope* Mutable(v1::DecideRequest* r) { return r->mutable_answer(); }
  static void Clear(v1::DecideRequest* r) { r->clear_answer(); }
};
template <>
struct StreamedEnvelope<v1::SendRequest> {
  static bool Has(const v1::SendRequest& r) { return r.has_content(); }
  static const v1::SealedEnvelope& Get(const v1::SendRequest& r) { return r.content(); }
  static v1::SealedEnvelope* Mutable(v1::SendRequest* r) { return r->mutable_content(); }
  static void Clear(v1::SendRequest* r) { r->clear_content(); }
};

}  // namespace sluss::exchange

#endif  // SLUSS_EXCHANGE_TRANSFER_H_
