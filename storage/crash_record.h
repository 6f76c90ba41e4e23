// The record a crash-test child sends its parent through a pipe, one per
// acknowledged append or published checkpoint. 64 bytes, so each write()
// is atomic (< PIPE_BUF). Test-only.
#ifndef SLUSS_STORAGE_CRASH_RECORD_H_
#define SLUSS_STORAGE_CRASH_RECORD_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace sluss::storage::testing {

struct CrashRecord {
  enum Type : uint32_t { kAck = 1, kCheckpoint = 2 };
  uint32_t type = 0;
  uint32_t round = 0;
  uint32_t thread = 0;
  uint32_t op = 0;
  uint64_t value = 0;  // kAck: the entry's index; kCheckpoint: the tree size
  uint64_t pad = 0;
  uint8_t root[32] = {};  // kCheckpoint: the root
};
static_assert(sizeof(CrashRecord) == 64);

// The entry a child appends as operation `op` of `thread` in `round`.
inline std::string CrashEntry(uint32_t round, uint32_t thread, uint32_t op) {
  std::string e = absl::StrCat("round ", round, " thread ", thread, " op ", op, " ");
  e.resize(160 + (op % 7) * 50, static_cast<char>('a' + (op + thread) % 26));
  return e;
}

}  // namespace sluss::storage::testing

#endif  // SLUSS_STORAGE_CRASH_RECORD_H_
