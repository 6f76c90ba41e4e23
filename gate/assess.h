// The sekretess gate: may this information go from this authority to that
// one, on this date, and why.
//
//   absl::StatusOr<std::unique_ptr<const Rulebook>> rb = Rulebook::Bundled();
//   absl::StatusOr<v1::Assessment> a = Assess(**rb, facts, absl::CivilDay(2026, 3, 1));
//
// Assess is a pure function of (rulebook, facts, date): no I/O, no clock, no
// globals, deterministic. The same inputs give the same Assessment on every
// machine, which is what lets an auditor replay an old decision with the
// rulebook whose digest the Assessment carries.
//
// For each information category in the facts, every disclosure provision of
// the rulebook is considered, in rulebook order, using its version in force
// on the date. A provision APPLIES when the category's secrecy is within its
// reach (and not excluded), the recipient is one it allows and all its
// conditions hold; it APPLIES_IF_ATTESTED when the only thing missing is one
// or more officer judgements (⚖) that the facts do not attest; otherwise it
// DOES_NOT_APPLY, with a Finding per reason. A category is ALLOWED if some
// provision applies, ALLOWED_IF_ATTESTED if some provision applies once
// attested, otherwise NOT_ALLOWED; the overall outcome is the worst category.
// A provision with residual_to (10:27) is reported as RESIDUAL when one of
// those provisions applies or applies if attested. The claimed basis, if
// any, is reported on separately even if another provision allows.
//
// Errors (kInvalidArgument, naming the Facts field): no categories; an
// agency kind, category, purpose, role, offence class, information kind,
// duty law or attestation provision the rulebook does not define; a missing
// discloser or recipient agency kind. An unknown claimed_basis is not an
// error: it is reported as unknown in the Assessment.
//
// Thread-safety: Assess may run concurrently on one Rulebook.
#ifndef SLUSS_GATE_ASSESS_H_
#define SLUSS_GATE_ASSESS_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "gate/rulebook.h"
#include "sluss/v1/gate.pb.h"

namespace sluss::gate {

namespace internal {
struct Record;
}  // namespace internal

absl::StatusOr<v1::Assessment> Assess(const Rulebook& rulebook, const v1::Facts& facts,
                                      absl::CivilDay date);

// As Assess, writing into `*out`, whose previous content is replaced
// entirely (the result is the same message Assess returns; `*out` is
// overwritten in place rather than cleared, so that its sub-messages and
// strings are reused). Reusing one Assessment across calls reuses its
// memory: after the first call with similar facts, this performs no heap
// allocation. On error `*out` is unspecified.
absl::Status AssessInto(const Rulebook& rulebook, const v1::Facts& facts, absl::CivilDay date,
                        v1::Assessment* out);

// A reusable output of AssessInto that only AssessInto writes: the
// Assessment, and a compact record of what it holds (ids, enums and
// pointers to the rulebook's strings). A call evaluates everything anew
// into a fresh record and then writes into the Assessment only what differs
// from the previous record, so a worker that keeps one buffer pays for the
// protobuf writes of what changed rather than for every field; the result
// is the same message (the same bytes) as Assess.
//
// Thread-safety: one buffer per thread (not shareable while AssessInto
// runs). Not copyable. The Assessment stays valid until the next AssessInto
// with this buffer or its destruction; callers read it and copy what they
// keep.
class AssessmentBuffer {
 public:
  AssessmentBuffer();
  ~AssessmentBuffer();
  AssessmentBuffer(const AssessmentBuffer&) = delete;
  AssessmentBuffer& operator=(const AssessmentBuffer&) = delete;

  // The result of the last successful AssessInto with this buffer (a failed
  // one leaves it unchanged); an empty Assessment before the first.
  const v1::Assessment& assessment() const { return assessment_; }

 private:
  friend absl::Status AssessInto(const Rulebook& rulebook, const v1::Facts& facts,
                                 absl::CivilDay date, AssessmentBuffer* out);
  v1::Assessment assessment_;
  // records_[current_] describes assessment_ when `valid_`, with pointers
  // into the rulebook whose Compiled::instance is `instance_`.
  std::unique_ptr<internal::Record> records_[2];
  // The claimed-basis message while the Assessment has none (kept for reuse).
  std::unique_ptr<v1::ClaimedBasisResult> spare_claimed_basis_;
  int current_ = 0;
  uint64_t instance_ = 0;
  bool valid_ = false;
};

// As Assess, into `*out`. No heap allocation once the buffer has held an
// assessment of similar size. Errors as Assess.
absl::Status AssessInto(const Rulebook& rulebook, const v1::Facts& facts, absl::CivilDay date,
                        AssessmentBuffer* out);

// One AssessmentBuffer per route — the facts' discloser kind, recipient
// kind and categories — for a worker that serves several routes in turn:
// each call writes only what differs from the last assessment of the same
// route, not of whatever route came before. The route only picks a buffer
// (by a hash of it); every result is still the whole Assessment, the same
// bytes as Assess. Holds at most `capacity` routes; the least recently used
// one's buffer is reused for a new route.
//
// Thread-safety: one per thread, as AssessmentBuffer. Not copyable.
class RouteBuffers {
 public:
  explicit RouteBuffers(size_t capacity = 8);
  ~RouteBuffers();
  RouteBuffers(const RouteBuffers&) = delete;
  RouteBuffers& operator=(const RouteBuffers&) = delete;

  // As AssessInto with the route's buffer; on success its Assessment, valid
  // until the next call on this object. Errors as Assess (nothing changes).
  absl::StatusOr<const v1::Assessment*> AssessInto(const Rulebook& rulebook, const v1::Facts& facts,
                                                   absl::CivilDay date);

 private:
  struct Slot {
    uint64_t route = 0;
    uint64_t last_used = 0;
    std::unique_ptr<AssessmentBuffer> buffer;
  };
  std::vector<Slot> slots_;
  size_t capacity_;
  uint64_t calls_ = 0;
};

}  // namespace sluss::gate

#endif  // SLUSS_GATE_ASSESS_H_
