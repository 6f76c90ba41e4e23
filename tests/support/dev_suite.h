// The fixture every end-to-end suite starts from: one dev slussd per test
// suite (StartDevServer), and the real `sluss` CLI run against its profiles.
// Header-only, because the test_support library does not link GoogleTest.
// For integration tests only; not thread-safe.
#ifndef SLUSS_TESTS_SUPPORT_DEV_SUITE_H_
#define SLUSS_TESTS_SUPPORT_DEV_SUITE_H_

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace sluss::testing {

// Use as `class FooTest : public DevServerSuite<FooTest>`, where FooTest has
//   static constexpr char kPkiPrefix[] = "foopki";   // the temp dir's prefix
// and may hide `static std::string ExtraConfig()` (TOML lines appended to
// slussd.toml) and SetUpTestSuite (calling DevServerSuite::SetUpTestSuite()
// first). Each suite gets its own server: the statics are per Derived.
template <typename Derived>
class DevServerSuite : public ::testing::Test {
 protected:
  static std::string ExtraConfig() { return ""; }

  static void SetUpTestSuite() {
    absl::StatusOr<DevServer> dev = StartDevServer(Derived::kPkiPrefix, Derived::ExtraConfig());
    ASSERT_TRUE(dev.ok()) << dev.status();
    pki_ = new std::string(dev->pki);
    server_ = dev->server.release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete pki_;
    pki_ = nullptr;
  }
  // A failed suite set-up must fail every test, not skip it.
  void SetUp() override { ASSERT_NE(server_, nullptr) << "slussd did not start (see the set-up failure above)"; }

  // The dev PKI's profile `name` (e.g. "cecilia.utredare").
  static std::string Profile(const std::string& name) { return *pki_ + "/profiles/" + name + ".toml"; }

  // Runs the built `sluss` with `--profile Profile(profile)` (none if
  // `profile` is empty), then `args`, with extra environment variables.
  static ProcessResult Sluss(const std::string& profile, const std::vector<std::string>& args,
                             const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv = {Bin("sluss")};
    if (!profile.empty()) argv.insert(argv.end(), {"--profile", Profile(profile)});
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<ProcessResult> r = RunProcess(argv, env);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : ProcessResult{};
  }

  // The command's standard output parsed as JSON (a test failure if it is not).
  static nlohmann::json Json(const ProcessResult& r) {
    nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.out << r.err;
    return j;
  }

  // `text` in a fresh temp file `name` (for --disclose, --question-file, ...).
  static std::string WriteTemp(const std::string& name, const std::string& text, int mode = 0600) {
    const std::string path = MakeTempDir("e2efile") + "/" + name;
    EXPECT_TRUE(WriteFileAtomically(path, text, mode, true).ok());
    return path;
  }

  // Polismyndigheten (cecilia.utredare) asks the kommun's socialtjänst under
  // 10:18a about a 19-year-old (PersonAged19); returns the new case id.
  static std::string RequestAged19(const std::string& question) {
    ProcessResult r = Sluss("cecilia.utredare",
                            {"--json", "request", "new", "--to", "212000-0142:socialtjanst", "--category",
                             "socialtjanst", "--purpose", "forebygga_brott", "--basis", "10:18a", "--subject",
                             PersonAged19(), "--question", question});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    nlohmann::json j = Json(r);
    return j.is_discarded() ? "" : j["logged"]["case_id"].get<std::string>();
  }

  inline static std::string* pki_ = nullptr;
  inline static SlussdProcess* server_ = nullptr;
};

}  // namespace sluss::testing

#endif  // SLUSS_TESTS_SUPPORT_DEV_SUITE_H_
