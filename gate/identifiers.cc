#include "gate/identifiers.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace sluss::gate {
namespace {

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int Num(absl::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

// A valid calendar day? (absl::CivilDay normalises 2023-02-30 to 03-02.)
bool IsRealDate(int year, int month, int day) {
  if (month < 1 || month > 12 || day < 1 || day > 31) return false;
  absl::CivilDay d(year, month, day);
  return d.year() == year && d.month() == month && d.day() == day;
}

}  // namespace

bool LuhnCheckDigitValid(absl::string_view digits) {
  if (digits.size() < 2 || !AllDigits(digits)) return false;
  int sum = 0;
  for (size_t i = 0; i + 1 < digits.size(); ++i) {
    int p = (digits[i] - '0') * (i % 2 == 0 ? 2 : 1);
    sum += p / 10 + p % 10;
  }
  return (10 - sum % 10) % 10 == digits.back() - '0';
}

absl::StatusOr<PersonId> ParsePersonId(absl::string_view text, absl::CivilDay on) {
  // Split into the date part, the separator and the four last digits.
  absl::string_view date_part, last4;
  char sep = 0;
  if (text.size() == 10 || text.size() == 12) {
    date_part = text.substr(0, text.size() - 4);
    last4 = text.substr(text.size() - 4);
  } else if (text.size() == 11 || text.size() == 13) {
    date_part = text.substr(0, text.size() - 5);
    sep = text[text.size() - 5];
    last4 = text.substr(text.size() - 4);
    if (sep != '-' && sep != '+') {
      return absl::InvalidArgumentError(
          absl::StrCat("personnummer: separator must be '-' or '+', found '",
                       absl::string_view(&sep, 1), "'"));
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "personnummer: expected YYMMDD-NNNC or YYYYMMDDNNNC, got ", text.size(), " characters"));
  }
  if (!AllDigits(date_part) || !AllDigits(last4)) {
    return absl::InvalidArgumentError("personnummer: only digits and one separator allowed");
  }
  const bool twelve = date_part.size() == 8;
  if (twelve && sep == '+') {
    return absl::InvalidArgumentError("personnummer: '+' is only used in the 10-digit form");
  }
  const absl::string_view yymmdd = twelve ? date_part.substr(2) : date_part;
  const int month = Num(yymmdd.substr(2, 2));
  int day = Num(yymmdd.substr(4, 2));
  PersonId id;
  if (day > 60) {
    id.kind = PersonId::Kind::kSamordningsnummer;
    day -= 60;
  }
  int year;
  if (twelve) {
    year = Num(date_part.substr(0, 4));
  } else {
    // Latest year ending in YY whose date is not after `on`; '+' adds a century.
    const int yy = Num(yymmdd.substr(0, 2));
    year = static_cast<int>(on.year()) - static_cast<int>((on.year() - yy) % 100 + 100) % 100;
    if (IsRealDate(year, month, day) && absl::CivilDay(year, month, day) > on) year -= 100;
    if (sep == '+') year -= 100;
  }
  if (!IsRealDate(year, month, day)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "personnummer: impossible date (month ", month, ", day ", day,
        id.kind == PersonId::Kind::kSamordningsnummer ? " after subtracting 60" : "", ")"));
  }
  const std::string luhn_input = absl::StrCat(yymmdd, last4);
  if (!LuhnCheckDigitValid(luhn_input)) {
    return absl::InvalidArgumentError("personnummer: check digit does not match (Luhn)");
  }
  id.date = absl::CivilDay(year, month, day);
  if (id.date > on) {
    return absl::InvalidArgumentError("personnummer: date part is after the reference date");
  }
  id.canonical = absl::StrCat(twelve ? date_part.substr(0, 2) : absl::StrCat(year / 100),
                              yymmdd, last4);
  if (!twelve && id.canonical.size() != 12) {
    // Years below 1000 cannot occur for a living person's 10-digit number.
    return absl::InvalidArgumentError("personnummer: date part resolves to an impossible year");
  }
  return id;
}

int AgeInYears(absl::CivilDay birth, absl::CivilDay on) {
  int age = static_cast<int>(on.year() - birth.year());
  if (on.month() < birth.month() || (on.month() == birth.month() && on.day() < birth.day())) {
    --age;
  }
  return age;
}

absl::StatusOr<int> AgeOnDate(absl::string_view person_id, absl::CivilDay on) {
  absl::StatusOr<PersonId> id = ParsePersonId(person_id, on);
  if (!id.ok()) return id.status();
  return AgeInYears(id->date, on);
}

absl::StatusOr<OrganisationNumber> ParseOrganisationsnummer(absl::string_view text) {
  std::string digits;
  if (text.size() == 11 && text[6] == '-') {
    digits = absl::StrCat(text.substr(0, 6), text.substr(7));
  } else if (text.size() == 10) {
    digits = std::string(text.data(), text.size());
  } else if (text.size() == 12 || (text.size() == 13 && text[8] == '-')) {
    if (text.substr(0, 2) != "16") {
      return absl::InvalidArgumentError("organisationsnummer: the 12-digit form starts with 16");
    }
    digits = text.size() == 12 ? std::string(text.substr(2).data(), 10)
                               : absl::StrCat(text.substr(2, 6), text.substr(9));
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "organisationsnummer: expected NNNNNN-NNNN, got ", text.size(), " characters"));
  }
  if (!AllDigits(digits)) {
    return absl::InvalidArgumentError("organisationsnummer: only digits and one '-' allowed");
  }
  if (Num(absl::string_view(digits).substr(2, 2)) < 20) {
    return absl::InvalidArgumentError(
        "organisationsnummer: digits 3-4 must be at least 20 (this looks like a personnummer)");
  }
  if (!LuhnCheckDigitValid(digits)) {
    return absl::InvalidArgumentError("organisationsnummer: check digit does not match (Luhn)");
  }
  OrganisationNumber org;
  org.canonical = absl::StrCat(absl::string_view(digits).substr(0, 6), "-",
                               absl::string_view(digits).substr(6));
  org.public_sector = digits[0] == '2';
  return org;
}

}  // namespace sluss::gate
