// Integration: the real slussd on a loopback port with mTLS, driven by the
// real sluss CLI, with certificates made by deploy/dev-pki.
#include <signal.h>
#include <sys/stat.h>

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/dev_suite.h"
#include "tests/support/process.h"

namespace sluss::testing {
namespace {

using ::testing::HasSubstr;

class MtlsTest : public DevServerSuite<MtlsTest> {
 public:
  static constexpr char kPkiPrefix[] = "pki";

 protected:
  // `sluss args...` with no --profile.
  static ProcessResult Sluss(const std::vector<std::string>& args) { return DevServerSuite::Sluss("", args); }

  // Writes a variant of profile `base` with `from` replaced by `to`.
  std::string VariantProfile(const std::string& base, const std::string& from, const std::string& to) {
    std::string text = *ReadFile(Profile(base));
    EXPECT_NE(text.find(from), std::string::npos) << from;
    // Beside the originals, so relative paths in it still resolve.
    std::string path = absl::StrCat(*pki_, "/profiles/variant-", ++variants_, ".toml");
    EXPECT_TRUE(WriteFileAtomically(path, absl::StrReplaceAll(text, {{from, to}}), 0644, false).ok());
    return path;
  }

  inline static int variants_ = 0;
};

TEST_F(MtlsTest, StatusShowsHealthAndTheAgencyInTheCertificate) {
  struct Case {
    const char* profile;
    const char* orgnr;
    const char* function;
  };
  for (const Case& c : {Case{"socialtjanst", "212000-0142", "socialtjanst"},
                        Case{"polisen", "202100-0076", "polis"},
                        Case{"forsakringskassan", "202100-5521", "forsakring"},
                        Case{"skatteverket", "202100-5448", "skatt"},
                        Case{"auditor", "212000-0142", "revision"}}) {
    ProcessResult r = Sluss({"--profile", Profile(c.profile), "--json", "status"});
    EXPECT_EQ(r.exit_code, 0) << c.profile << ": " << r.err;
    EXPECT_THAT(r.out, HasSubstr("\"health\": \"SERVING\""));
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat("\"orgnr\": \"", c.orgnr, "\"")));
    EXPECT_THAT(r.out, HasSubstr(absl::StrCat("\"function\": \"", c.function, "\"")));
  }
  ProcessResult human = Sluss({"--profile", Profile("polisen"), "status"});
  EXPECT_EQ(human.exit_code, 0);
  EXPECT_THAT(human.out, HasSubstr("health:   SERVING"));
  EXPECT_THAT(human.out, HasSubstr("202100-0076 polis"));
}

TEST_F(MtlsTest, WrongCaInProfileIsExplained) {
  std::string other = MakeTempDir("pki_other");
  ASSERT_TRUE(MakeDevPki(other).ok());
  std::string profile = VariantProfile("polisen", "ca = \"../ca.pem\"", absl::StrCat("ca = \"", other, "/ca.pem\""));
  ProcessResult r = Sluss({"--profile", profile, "status"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_THAT(r.err, HasSubstr("does not verify against the CA in " + other + "/ca.pem"));
}

TEST_F(MtlsTest, CertificateFromAnotherCaIsRejectedByTheServer) {
  std::string other = MakeTempDir("pki_other");
  ASSERT_TRUE(MakeDevPki(other).ok());
  std::string profile = VariantProfile(
      "polisen", "cert = \"../agencies/polisen.pem\"\nkey = \"../agencies/polisen.key\"",
      absl::StrCat("cert = \"", other, "/agencies/polisen.pem\"\nkey = \"", other, "/agencies/polisen.key\""));
  ProcessResult r = Sluss({"--profile", profile, "status"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_THAT(r.err, HasSubstr("the server rejected the client certificate " + other + "/agencies/polisen.pem"));
}

TEST_F(MtlsTest, MissingCertificateFileIsNamed) {
  std::string profile = VariantProfile("polisen", "agencies/polisen.pem", "agencies/nope.pem");
  ProcessResult r = Sluss({"--profile", profile, "status"});
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_THAT(r.err, HasSubstr("cert: reading "));
  EXPECT_THAT(r.err, HasSubstr("agencies/nope.pem: No such file or directory"));
}

TEST_F(MtlsTest, WorldReadableClientKeyIsRefused) {
  std::string dir = MakeTempDir("leaky");
  std::string key = *ReadFile(*pki_ + "/agencies/polisen.key");
  ASSERT_TRUE(WriteFileAtomically(dir + "/polisen.key", key, 0644, false).ok());
  std::string profile = VariantProfile("polisen", "key = \"../agencies/polisen.key\"",
                                       absl::StrCat("key = \"", dir, "/polisen.key\""));
  ProcessResult r = Sluss({"--profile", profile, "status"});
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_THAT(r.err, HasSubstr(dir + "/polisen.key is accessible by group or others (mode 0644)"));
  EXPECT_THAT(r.err, HasSubstr("chmod 600"));
}

TEST_F(MtlsTest, PlaintextIsNotServed) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status s = stub->Check(&ctx, grpc::health::v1::HealthCheckRequest(), &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
}

TEST_F(MtlsTest, UnreachableServerIsExplained) {
  std::string profile = VariantProfile("polisen", absl::StrCat("127.0.0.1:", server_->port()), "127.0.0.1:1");
  ProcessResult r = Sluss({"--profile", profile, "status"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_THAT(r.err, HasSubstr("nothing answers at 127.0.0.1:1"));
}

TEST_F(MtlsTest, NoProfileIsAUsageError) {
  auto r = RunProcess({Bin("sluss"), "status"}, {{"SLUSS_PROFILE", ""}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 6);
  EXPECT_THAT(r->err, HasSubstr("no profile"));
  ProcessResult bad = Sluss({"--no-such-flag"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(MtlsTest, SecondServerOnTheSamePortIsRefused) {
  std::string cfg = *ReadFile(*pki_ + "/slussd.toml");
  std::string path = *pki_ + "/same-port.toml";
  ASSERT_TRUE(WriteFileAtomically(path, absl::StrReplaceAll(cfg, {{"127.0.0.1:0", absl::StrCat("127.0.0.1:", server_->port())}, {"\"data\"", "\"data2\""}}), 0644, true).ok());
  auto second = SlussdProcess::Start(path);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(std::string(second.status().message()), HasSubstr("cannot listen on 127.0.0.1:"));
}

// Server-side configuration errors: each one clear message, exit code 2.
class SlussdConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = MakeTempDir("pki");
    absl::Status made = MakeDevPki(pki_);
    ASSERT_TRUE(made.ok()) << made;
  }
  std::string WriteConfig(const std::string& from, const std::string& to) {
    std::string cfg = *ReadFile(pki_ + "/slussd.toml");
    EXPECT_NE(cfg.find(from), std::string::npos);
    std::string path = pki_ + "/variant.toml";
    EXPECT_TRUE(WriteFileAtomically(path, absl::StrReplaceAll(cfg, {{from, to}}), 0644, true).ok());
    return path;
  }
  ProcessResult RunSlussd(const std::string& config) {
    auto r = RunProcess({Bin("slussd"), "--config", config});
    EXPECT_TRUE(r.ok());
    return *r;
  }
  std::string pki_;
};

TEST_F(SlussdConfigTest, WorldReadableServerKey) {
  ASSERT_EQ(::chmod((pki_ + "/server.key").c_str(), 0644), 0);
  ProcessResult r = RunSlussd(pki_ + "/slussd.toml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("tls.key: private key file " + pki_ + "/server.key is accessible by group or others"));
}

TEST_F(SlussdConfigTest, UnknownKey) {
  ProcessResult r = RunSlussd(WriteConfig("format = ", "fromat = "));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("variant.toml:12: unknown key 'log.fromat'"));
}

TEST_F(SlussdConfigTest, MissingCertificate) {
  ProcessResult r = RunSlussd(WriteConfig("cert = \"server.pem\"", "cert = \"missing.pem\""));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("tls.cert: reading " + pki_ + "/missing.pem: No such file or directory"));
}

TEST_F(SlussdConfigTest, KeyDoesNotMatchCertificate) {
  ProcessResult r = RunSlussd(WriteConfig("cert = \"server.pem\"", "cert = \"agencies/polisen.pem\""));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("does not match the certificate in " + pki_ + "/agencies/polisen.pem"));
}

TEST_F(SlussdConfigTest, NotACertificate) {
  ProcessResult r = RunSlussd(WriteConfig("client_ca = \"ca.pem\"", "client_ca = \"slussd.toml\""));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("tls.client_ca " + pki_ + "/slussd.toml: not a PEM certificate"));
}

TEST_F(SlussdConfigTest, GracefulShutdownOnSigterm) {
  auto server = SlussdProcess::Start(pki_ + "/slussd.toml");
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->Stop(SIGTERM), 0);
  EXPECT_THAT((*server)->Log(), HasSubstr("received SIGTERM, draining (health NOT_SERVING)"));
  EXPECT_THAT((*server)->Log(), HasSubstr("stopped"));
}

}  // namespace
}  // namespace sluss::testing
