#include "crypto/sodium_init.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>

namespace sluss::crypto::internal {

void EnsureSodium() {
  static const bool ok = [] {
    if (sodium_init() < 0) {
      std::fputs("fatal: libsodium failed to initialise\n", stderr);
      std::abort();
    }
    return true;
  }();
  (void)ok;
}

}  // namespace sluss::crypto::internal
