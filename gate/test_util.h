// Helpers shared by the gate's tests.
#ifndef SLUSS_GATE_TEST_UTIL_H_
#define SLUSS_GATE_TEST_UTIL_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "gate/rulebook.h"
#include "sluss/v1/gate.pb.h"

namespace sluss::gate::testing {

// The bundled rulebook, loaded once per test binary (aborts the test binary
// if it does not load: every other test depends on it).
const Rulebook& Bundled();

// Facts from Protobuf text format; a parse error fails the current test.
v1::Facts ParseFacts(absl::string_view text);

// "YYYY-MM-DD" -> day; a malformed date fails the current test.
absl::CivilDay Day(absl::string_view text);

// The result of `provision` for the category at `category_index`; nullptr
// (and a test failure) if absent.
const v1::ProvisionResult* Result(const v1::Assessment& a, absl::string_view provision,
                                  int category_index = 0);

// True if `r` has a finding with `reason` (and `ref`, unless empty).
bool HasReason(const v1::ProvisionResult& r, v1::Reason reason, absl::string_view ref = "");

// Findings of `r`, one per line, for failure messages.
std::string Describe(const v1::ProvisionResult& r);

}  // namespace sluss::gate::testing

#endif  // SLUSS_GATE_TEST_UTIL_H_
