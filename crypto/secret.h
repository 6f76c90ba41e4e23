// SecretBytes: a move-only buffer for key material, wiped with
// sodium_memzero when destroyed or reassigned.
//
// Thread-compatible. Copying is deliberately impossible: a secret exists in
// one place; use Clone() where a second copy is truly needed.
#ifndef SLUSS_CRYPTO_SECRET_H_
#define SLUSS_CRYPTO_SECRET_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"

namespace sluss::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : bytes_(size) {}
  explicit SecretBytes(absl::string_view from) : bytes_(from.begin(), from.end()) {}
  ~SecretBytes() { Wipe(); }

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  SecretBytes Clone() const { return SecretBytes(view()); }

  uint8_t* data() { return reinterpret_cast<uint8_t*>(bytes_.data()); }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(bytes_.data()); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  absl::string_view view() const { return absl::string_view(bytes_.data(), bytes_.size()); }

 private:
  void Wipe();
  std::vector<char> bytes_;
};

}  // namespace sluss::crypto

#endif  // SLUSS_CRYPTO_SECRET_H_
