#include "gate/test_util.h"

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace sluss::gate::testing {

const Rulebook& Bundled() {
  static const Rulebook* const rulebook = [] {
    absl::StatusOr<std::unique_ptr<const Rulebook>> rb = Rulebook::Bundled();
    if (!rb.ok()) {
      std::cerr << "bundled rulebook does not load: " << rb.status() << "\n";
      std::abort();
    }
    return rb->release();
  }();
  return *rulebook;
}

v1::Facts ParseFacts(absl::string_view text) {
  v1::Facts facts;
  if (!google::protobuf::TextFormat::ParseFromString(std::string(text.data(), text.size()), &facts)) {
    ADD_FAILURE() << "facts do not parse:\n" << text;
  }
  return facts;
}

absl::CivilDay Day(absl::string_view text) {
  absl::CivilDay d;
  if (!absl::ParseCivilTime(text, &d)) ADD_FAILURE() << "bad date " << text;
  return d;
}

const v1::ProvisionResult* Result(const v1::Assessment& a, absl::string_view provision,
                                  int category_index) {
  if (category_index >= a.categories_size()) {
    ADD_FAILURE() << "no category " << category_index;
    return nullptr;
  }
  for (const v1::ProvisionResult& r : a.categories(category_index).provisions()) {
    if (r.provision() == provision) return &r;
  }
  ADD_FAILURE() << "no result for " << provision;
  return nullptr;
}

bool HasReason(const v1::ProvisionResult& r, v1::Reason reason, absl::string_view ref) {
  for (const v1::Finding& f : r.findings()) {
    if (f.reason() == reason && (ref.empty() || f.ref() == ref)) return true;
  }
  return false;
}

std::string Describe(const v1::ProvisionResult& r) {
  std::string out = absl::StrCat(r.provision(), " ", v1::ProvisionStatus_Name(r.status()), "\n");
  for (const v1::Finding& f : r.findings()) {
    absl::StrAppend(&out, "  ", v1::Reason_Name(f.reason()), " cond=", f.condition(), " field=", v1::FactField_Name(f.field()),
                    " ref=", f.ref(), " limit=", f.limit(), " actual=", f.actual(), "\n");
  }
  return out;
}

}  // namespace sluss::gate::testing
