// Time as an injected dependency. Abseil 20220623 has no absl::Clock
// interface, so the project defines the small one it needs.
//
// Code that needs "now" takes a `Clock&` (or `Clock*`) and never calls
// absl::Now() itself, so tests can drive time with FakeClock.
#ifndef SLUSS_BASE_CLOCK_H_
#define SLUSS_BASE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace sluss {

// Thread-safe: implementations must allow concurrent calls.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The real wall clock. Never destroyed; safe to use from any thread.
Clock& RealClock();

// A clock that only moves when told. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace sluss

#endif  // SLUSS_BASE_CLOCK_H_
