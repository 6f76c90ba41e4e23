#include "gate/identifiers.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sluss::gate {
namespace {

using ::testing::HasSubstr;

absl::CivilDay D(int y, int m, int d) { return absl::CivilDay(y, m, d); }

TEST(Luhn, KnownNumbers) {
  EXPECT_TRUE(LuhnCheckDigitValid("8112189876"));
  EXPECT_FALSE(LuhnCheckDigitValid("8112189875"));
  EXPECT_TRUE(LuhnCheckDigitValid("2120000142"));
  EXPECT_FALSE(LuhnCheckDigitValid("1"));
  EXPECT_FALSE(LuhnCheckDigitValid("81121a9876"));
}

struct AgeCase {
  const char* id;
  absl::CivilDay on;
  int age;
};

TEST(PersonId, AgeOnDate) {
  const AgeCase cases[] = {
      {"811218-9876", D(2026, 3, 1), 44},     // LEGAL-MODEL example
      {"8112189876", D(2026, 3, 1), 44},      // no separator
      {"198112189876", D(2026, 3, 1), 44},    // 12 digits
      {"19811218-9876", D(2026, 3, 1), 44},   // 12 digits with separator
      {"701063-2391", D(2026, 3, 1), 55},     // samordningsnummer (day 63 -> 3)
      {"181218+1236", D(2026, 3, 1), 107},    // '+': 100 or older
      {"181218-1236", D(2026, 3, 1), 7},      // '-': the same digits, born 2018
      {"080301-1238", D(2026, 2, 28), 17},    // the day before the 18th birthday
      {"080301-1238", D(2026, 3, 1), 18},     // the 18th birthday
      {"040229-1231", D(2025, 2, 28), 20},    // born on 29 February: 21 on 1 March
      {"040229-1231", D(2025, 3, 1), 21},
      {"260301-1236", D(2026, 3, 1), 0},      // born on the reference date
      {"260301-1236", D(2026, 2, 28), 99},    // tomorrow's date is last century's
  };
  for (const AgeCase& c : cases) {
    absl::StatusOr<int> age = AgeOnDate(c.id, c.on);
    ASSERT_TRUE(age.ok()) << c.id << ": " << age.status();
    EXPECT_EQ(*age, c.age) << c.id << " on " << c.on;
  }
}

TEST(PersonId, KindAndCanonicalForm) {
  absl::StatusOr<PersonId> p = ParsePersonId("811218-9876", D(2026, 3, 1));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->kind, PersonId::Kind::kPersonnummer);
  EXPECT_EQ(p->canonical, "198112189876");
  EXPECT_EQ(p->date, D(1981, 12, 18));
  absl::StatusOr<PersonId> s = ParsePersonId("701063-2391", D(2026, 3, 1));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->kind, PersonId::Kind::kSamordningsnummer);
  EXPECT_EQ(s->canonical, "197010632391");
  EXPECT_EQ(s->date, D(1970, 10, 3));
  absl::StatusOr<PersonId> old = ParsePersonId("181218+1236", D(2026, 3, 1));
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->canonical, "191812181236");
}

struct BadCase {
  const char* id;
  const char* message;
};

TEST(PersonId, Rejects) {
  const BadCase cases[] = {
      {"811218-9875", "check digit"},
      {"810230-1234", "impossible date"},       // 30 February (Luhn is right)
      {"050229-1230", "impossible date"},       // 29 February in a common year
      {"701093-0000", "impossible date"},       // samordningsnummer day 93 - 60 = 33
      {"811318-0000", "impossible date"},       // month 13
      {"81121-9876", "only digits"},           // 10 characters, one not a digit
      {"8112189-876", "separator"},
      {"811218/9876", "separator"},
      {"8112A8-9876", "only digits"},
      {"19811218+9876", "'+' is only used in the 10-digit form"},
      {"20300101-0002", "after the reference date"},
      {"", "got 0 characters"},
  };
  for (const BadCase& c : cases) {
    absl::StatusOr<PersonId> p = ParsePersonId(c.id, D(2026, 3, 1));
    ASSERT_FALSE(p.ok()) << c.id;
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(p.status().message()), HasSubstr(c.message)) << c.id;
  }
}

TEST(Organisationsnummer, Valid) {
  absl::StatusOr<OrganisationNumber> stockholm = ParseOrganisationsnummer("212000-0142");
  ASSERT_TRUE(stockholm.ok()) << stockholm.status();
  EXPECT_TRUE(stockholm->public_sector);
  EXPECT_EQ(stockholm->canonical, "212000-0142");
  for (const char* form : {"556036-0793", "5560360793", "165560360793", "16556036-0793"}) {
    absl::StatusOr<OrganisationNumber> org = ParseOrganisationsnummer(form);
    ASSERT_TRUE(org.ok()) << form << ": " << org.status();
    EXPECT_EQ(org->canonical, "556036-0793");
    EXPECT_FALSE(org->public_sector);
  }
}

TEST(Organisationsnummer, Rejects) {
  const BadCase cases[] = {
      {"556036-0794", "check digit"},
      {"811218-9876", "digits 3-4 must be at least 20"},
      {"195560360793", "starts with 16"},
      {"55603-60793", "expected NNNNNN-NNNN"},
      {"55603a-0793", "only digits"},
  };
  for (const BadCase& c : cases) {
    absl::StatusOr<OrganisationNumber> org = ParseOrganisationsnummer(c.id);
    ASSERT_FALSE(org.ok()) << c.id;
    EXPECT_THAT(std::string(org.status().message()), HasSubstr(c.message)) << c.id;
  }
}

}  // namespace
}  // namespace sluss::gate
