// A one-line progress bar on a terminal's stderr for the long audit
// commands (verify, replay). The caller decides whether to draw one (only
// when stderr is a terminal). Not thread-safe: call from one thread.
#ifndef SLUSS_CLIENT_PROGRESS_H_
#define SLUSS_CLIENT_PROGRESS_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace sluss::client {

class ProgressBar {
 public:
  // `label` names the phase ("tree", "signatures", "replay").
  ProgressBar(std::ostream& err, std::string label)
      : err_(err), label_(std::move(label)), start_(absl::Now()) {}
  void Update(uint64_t done, uint64_t total) {
    constexpr int kWidth = 30;
    const double frac = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
    const int filled = static_cast<int>(frac * kWidth);
    const double secs = absl::ToDoubleSeconds(absl::Now() - start_);
    err_ << "\r" << absl::StrFormat("%-10s ", label_) << "[" << std::string(static_cast<size_t>(filled), '#')
         << std::string(static_cast<size_t>(kWidth - filled), '.') << "] "
         << absl::StrFormat("%3.0f%%  ", frac * 100) << Group(done) << " / " << Group(total) << " entries";
    if (secs > 0.2) err_ << "  " << Group(static_cast<uint64_t>(static_cast<double>(done) / secs)) << "/s";
    err_ << "\033[K" << std::flush;
  }
  void Clear() { err_ << "\r\033[K" << std::flush; }

  // 1234567 -> "1,234,567".
  static std::string Group(uint64_t v) {
    std::string digits = absl::StrCat(v), out;
    for (size_t i = 0; i < digits.size(); ++i) {
      if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
      out.push_back(digits[i]);
    }
    return out;
  }

 private:
  std::ostream& err_;
  const std::string label_;
  const absl::Time start_;
};

}  // namespace sluss::client

#endif  // SLUSS_CLIENT_PROGRESS_H_
