// Status propagation helpers. Abseil 20220623 (Debian 12) has no
// ABSL_RETURN_IF_ERROR / ASSIGN_OR_RETURN, so the project carries its own.
//
//   SLUSS_RETURN_IF_ERROR(DoThing());
//   SLUSS_ASSIGN_OR_RETURN(auto value, ComputeValue());
//
// Both evaluate their argument exactly once and return the (unchanged) error
// status from the enclosing function, which must return absl::Status or
// absl::StatusOr<T>.
#ifndef SLUSS_BASE_STATUS_MACROS_H_
#define SLUSS_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define SLUSS_RETURN_IF_ERROR(expr)                 \
  do {                                              \
    const ::absl::Status sluss_status_ = (expr);    \
    if (!sluss_status_.ok()) return sluss_status_;  \
  } while (0)

#define SLUSS_STATUS_CONCAT_INNER_(a, b) a##b
#define SLUSS_STATUS_CONCAT_(a, b) SLUSS_STATUS_CONCAT_INNER_(a, b)

#define SLUSS_ASSIGN_OR_RETURN(lhs, expr) \
  SLUSS_ASSIGN_OR_RETURN_IMPL_(SLUSS_STATUS_CONCAT_(sluss_statusor_, __LINE__), lhs, expr)

#define SLUSS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

namespace sluss {

// Returns `status` with `context: ` prepended to its message, same code.
// OK stays OK. Use it to add the layer's view ("reading key file X") to an
// error that came from below.
inline absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

}  // namespace sluss

#endif  // SLUSS_BASE_STATUS_MACROS_H_
