// Decoded views of one diarium entry for `sluss audit entry --index N`: a
// human table, and the Protobuf JSON mapping of the entry and of the
// officer's signed action inside it. Pure functions; thread-safe.
#ifndef SLUSS_CLIENT_AUDIT_DECODE_H_
#define SLUSS_CLIENT_AUDIT_DECODE_H_

#include <string>

#include "absl/status/statusor.h"
#include "sluss/v1/action.pb.h"
#include "sluss/v1/diarium_entry.pb.h"

namespace sluss::client {

// "request", "decision (disclose)", "officer registration", …
std::string EntryKindLabel(const v1::DiariumEntry& entry);

// Aligned "label: value" lines describing the entry (time, kind, case,
// parties, officer and signed action, facts, assessment per category and
// provision, attestations). Rulebook chunks show their size, not the data.
std::string EntryTable(const v1::DiariumEntry& entry);

// The officer's DSSE envelope in the entry, if it has one.
const v1::DsseEnvelope* SignedEnvelope(const v1::DiariumEntry& entry);

// Protobuf JSON mapping (field names in lowerCamelCase, bytes base64).
absl::StatusOr<std::string> ToProtoJson(const google::protobuf::Message& message);

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_AUDIT_DECODE_H_
