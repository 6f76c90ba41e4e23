// Swedish personal and organisation identity numbers (LEGAL-MODEL.md §6),
// fully validated, and the subject's age on a decision date.
//
// The gate never sees a personnummer: the caller parses it here, derives the
// age the Facts need (Subject.age_years) and logs a pseudonym instead.
//
//   absl::StatusOr<int> age = AgeOnDate("811218-9876", absl::CivilDay(2026, 3, 1));
//
// Accepted forms of a personnummer or samordningsnummer:
//   YYMMDD-NNNC, YYMMDD+NNNC (the person has turned 100), YYMMDDNNNC,
//   YYYYMMDDNNNC, YYYYMMDD-NNNC.
// A samordningsnummer is a personnummer whose day is increased by 60 (61-91).
// C is the Luhn check digit over YYMMDDNNN. The 10-digit forms do not carry
// the century: it is resolved against the reference date `on` (the decision
// date), as the separator says: '-' means under 100 years old on `on`, '+'
// 100 or older. The date part may differ from the real birth date, so only
// the age is meant to be used, never a "birthday".
//
// Organisationsnummer: NNNNNN-NNNN or NNNNNNNNNN, or 12 digits "16" + the 10;
// digits 3-4 are at least 20; Luhn over the first nine.
//
// All functions are pure and thread-safe. Errors are kInvalidArgument with a
// message saying what is wrong (never echoing the full number, which is
// personal data).
#ifndef SLUSS_GATE_IDENTIFIERS_H_
#define SLUSS_GATE_IDENTIFIERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace sluss::gate {

struct PersonId {
  enum class Kind { kPersonnummer, kSamordningsnummer };
  Kind kind = Kind::kPersonnummer;
  // The date encoded in the number (for a samordningsnummer: day - 60).
  absl::CivilDay date;
  // The canonical 12-digit form, YYYYMMDDNNNC (samordningsnummer keep their
  // day + 60).
  std::string canonical;
};

// Parses and validates a personnummer or samordningsnummer. `on` resolves the
// century of the 10-digit forms. Errors: wrong length or characters, an
// impossible date, a bad check digit, a date after `on`.
absl::StatusOr<PersonId> ParsePersonId(absl::string_view text, absl::CivilDay on);

// Whole years from `birth` to `on` (the birthday counts from its day; a
// 29 February birthday is reached on 1 March in common years). Requires
// birth <= on.
int AgeInYears(absl::CivilDay birth, absl::CivilDay on);

// ParsePersonId + AgeInYears.
absl::StatusOr<int> AgeOnDate(absl::string_view person_id, absl::CivilDay on);

struct OrganisationNumber {
  // NNNNNN-NNNN.
  std::string canonical;
  // First digit 2: stat, regioner, kommuner.
  bool public_sector = false;
};

absl::StatusOr<OrganisationNumber> ParseOrganisationsnummer(absl::string_view text);

// True if the last digit of `digits` (ASCII digits only) is the Luhn check
// digit of the ones before it, with weights 2,1,2,1,... from the left.
bool LuhnCheckDigitValid(absl::string_view digits);

}  // namespace sluss::gate

#endif  // SLUSS_GATE_IDENTIFIERS_H_
