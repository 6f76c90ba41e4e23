// A loaded, validated rulebook: the data the gate judges by.
//
// A Rulebook is built from a sluss.v1.Rulebook message (proto/sluss/v1/
// rulebook.proto), normally authored in Protobuf text format:
//
//   absl::StatusOr<std::unique_ptr<const Rulebook>> rb =
//       Rulebook::LoadFile("gate/rules/osl.textpb");
//   absl::StatusOr<std::unique_ptr<const Rulebook>> bundled = Rulebook::Bundled();
//
// Loading validates everything a rulebook refers to and rejects it with
// kInvalidArgument naming the file, line, column and field of every problem
// found (up to 20), one per line, e.g.
//   osl.textpb:412:7: disclosure_provisions[8].versions[1].reach.except[3]:
//   exclusion list names unknown secrecy provision "26:9"
// The classes checked: syntax and unknown fields (TextFormat), missing ids,
// duplicate ids, unknown references (secrecy provisions, categories, agency
// kinds, roles, purposes, offence classes, information kinds, settings, duty
// laws, disclosure provisions), exclusion lists naming unknown provisions,
// malformed dates, empty or overlapping validity periods, missing
// explanations (sv and en) and judgement texts, malformed conditions (no
// kind, empty lists, a judgement under not_), and vocabularies larger than
// the engine's fixed sets (128 entries; 512 secrecy provisions).
//
// Digest: "sha256:" + lower-case hex of SHA-256 over the deterministic binary
// serialization (io::CodedOutputStream::SetSerializationDeterministic) of the
// parsed sluss.v1.Rulebook. Comments, layout and field order in the text do
// not change it; any change of content does. The rulebook schema has no map
// fields and the loader rejects unknown fields, so this serialization is
// canonical for a given schema version.
//
// Thread-safety: a Rulebook is immutable after loading; any number of
// threads may assess against one concurrently. It is neither copyable nor
// movable (Assess keeps pointers into it); hold it by unique_ptr.
#ifndef SLUSS_GATE_RULEBOOK_H_
#define SLUSS_GATE_RULEBOOK_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sluss/v1/rulebook.pb.h"

namespace sluss::gate {

namespace internal {
struct Compiled;
}  // namespace internal

class Rulebook {
 public:
  // Parses Protobuf text format; `filename` is used in error messages only.
  static absl::StatusOr<std::unique_ptr<const Rulebook>> Parse(absl::string_view text,
                                                               absl::string_view filename);
  // Reads and parses a file. Errors from reading keep their code (kNotFound...).
  static absl::StatusOr<std::unique_ptr<const Rulebook>> LoadFile(absl::string_view path);
  // Validates an already-built message; errors name fields but no lines.
  static absl::StatusOr<std::unique_ptr<const Rulebook>> FromProto(v1::Rulebook proto);
  // The rulebook compiled into the library (gate/rules/osl.textpb).
  static absl::StatusOr<std::unique_ptr<const Rulebook>> Bundled();

  ~Rulebook();
  Rulebook(const Rulebook&) = delete;
  Rulebook& operator=(const Rulebook&) = delete;

  const v1::Rulebook& proto() const { return proto_; }
  // "sha256:<64 hex digits>".
  const std::string& digest() const { return digest_; }

  // Lookups by id; nullptr if absent.
  const v1::DisclosureProvision* FindDisclosureProvision(absl::string_view id) const;
  const v1::SecrecyProvision* FindSecrecyProvision(absl::string_view id) const;
  const v1::InformationCategory* FindCategory(absl::string_view id) const;
  const v1::AgencyKind* FindAgencyKind(absl::string_view id) const;
  const v1::DutyLaw* FindDutyLaw(absl::string_view id) const;
  // The condition with this id in the given provision version (searched
  // depth-first), or nullptr.
  static const v1::Condition* FindCondition(const v1::ProvisionVersion& version,
                                            absl::string_view condition_id);

  // For the engine (gate/assess.cc); not part of the public contract.
  const internal::Compiled& compiled() const { return *compiled_; }

 private:
  Rulebook();
  v1::Rulebook proto_;
  std::string digest_;
  std::unique_ptr<internal::Compiled> compiled_;

  friend class RulebookBuilder;
};

// The text of the bundled rulebook (gate/rules/osl.textpb), as compiled in.
absl::string_view BundledRulebookText();

}  // namespace sluss::gate

#endif  // SLUSS_GATE_RULEBOOK_H_
