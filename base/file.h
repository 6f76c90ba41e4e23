// Small, careful file helpers shared by every library.
//
// All functions are thread-compatible (no shared state) and return a Status
// whose message names the file and the problem, e.g.
//   "reading /etc/sluss/tls.key: No such file or directory".
#ifndef SLUSS_BASE_FILE_H_
#define SLUSS_BASE_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace sluss {

// Reads a whole file. Errors: kNotFound (missing), kPermissionDenied
// (unreadable), kInvalidArgument (a directory), kInternal (other I/O).
absl::StatusOr<std::string> ReadFile(absl::string_view path);

// Writes `contents` to `path` atomically: a temporary file in the same
// directory is written, fsynced and renamed over `path`; the directory is
// fsynced. The file gets permission bits `mode` (e.g. 0600 for secrets).
// If `overwrite` is false and `path` exists, returns kAlreadyExists and
// leaves it untouched.
absl::Status WriteFileAtomically(absl::string_view path, absl::string_view contents,
                                 int mode, bool overwrite);

// Fails with kFailedPrecondition if `path` (which must hold a secret: a
// private key) may be read or written by group or others; the message says
// the mode found and the chmod that fixes it. kNotFound if it is missing.
absl::Status CheckSecretFilePermissions(absl::string_view path);

// Creates `path` and its parents with mode 0700 if missing.
absl::Status MakeDirectories(absl::string_view path);

// Resolves `path` against `base_dir` unless it is absolute or empty.
std::string ResolvePath(absl::string_view base_dir, absl::string_view path);

// The directory part of `path` ("." if none).
std::string DirName(absl::string_view path);

}  // namespace sluss

#endif  // SLUSS_BASE_FILE_H_
