// Integration: the handläggare's newer commands of the real `sluss` binary
// against a real slussd (mTLS on loopback, temp RocksDB, deploy/dev-pki):
// profile init, assess, send (own initiative and duty notice, opened by the
// recipient), decide's prompts on a pseudo-terminal, and colour only on a
// terminal without NO_COLOR.
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/dev_suite.h"
#include "tests/support/process.h"

namespace sluss::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A child on a pseudo-terminal: the test reads what it writes and answers
// its prompts, as a person at a terminal would.
class PtyProcess {
 public:
  PtyProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      for (const auto& [k, v] : env) {
        if (v.empty()) ::unsetenv(k.c_str());
        else ::setenv(k.c_str(), v.c_str(), 1);
      }
      std::vector<std::string> args = argv;
      std::vector<char*> c;
      for (auto& a : args) c.push_back(a.data());
      c.push_back(nullptr);
      ::execv(c[0], c.data());
      ::_exit(127);
    }
  }
  ~PtyProcess() {
    if (pid_ > 0 && exit_code_ == -1000) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }
  // Reads until `text` has appeared in the output (true) or the child
  // closed the terminal (false).
  bool WaitFor(const std::string& text) {
    while (output_.find(text, seen_) == std::string::npos) {
      if (!ReadSome()) return false;
    }
    seen_ = output_.find(text, seen_) + text.size();
    return true;
  }
  void Type(const std::string& line) {
    const std::string l = line + "\n";
    ASSERT_EQ(::write(master_, l.data(), l.size()), static_cast<ssize_t>(l.size()));
  }
  // Reads everything until the child exits; returns its exit code.
  int Finish() {
    while (ReadSome()) {
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    return exit_code_;
  }
  const std::string& output() const { return output_; }

 private:
  bool ReadSome() {
    pollfd p{master_, POLLIN, 0};
    // Generous: the test never depends on this, it only stops a hung child.
    if (::poll(&p, 1, 60000) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::read(master_, buf, sizeof buf);
    if (n <= 0) return false;  // EIO once the child has closed the terminal
    output_.append(buf, static_cast<size_t>(n));
    return true;
  }
  pid_t pid_ = -1;
  int master_ = -1;
  int exit_code_ = -1000;
  std::string output_;
  size_t seen_ = 0;
};

class HandlaggareE2eTest : public DevServerSuite<HandlaggareE2eTest> {
 public:
  static constexpr char kPkiPrefix[] = "hlpki";
 protected:
  static std::string NewYoungAtRisk() { return RequestAged19("Är personen känd av socialtjänsten?"); }
};

TEST_F(HandlaggareE2eTest, ProfileInitChecksEveryFileAndWritesUnderXdgConfigHome) {
  const std::string xdg = MakeTempDir("hlxdg");
  const std::map<std::string, std::string> env = {{"XDG_CONFIG_HOME", xdg}};
  const std::string& p = *pki_;
  auto init = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"profile", "init", "polis-test", "--server",
                                     absl::StrCat("127.0.0.1:", server_->port()), "--server-name", "localhost",
                                     "--ca", p + "/ca.pem", "--cert", p + "/agencies/polisen.pem"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Sluss("", args, env);
  };
  const std::string written = xdg + "/sluss/profiles/polis-test.toml";
  const std::vector<std::string> good = {"--key", p + "/agencies/polisen.key", "--officer-key",
                                         p + "/officers/cecilia.utredare.key", "--agency-key",
                                         p + "/agency-keys/polisen.key"};

  // Each bad file is named with its problem, and nothing is written.
  ProcessResult missing = init({"--key", p + "/agencies/nosuch.key"});
  EXPECT_EQ(missing.exit_code, 4) << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("nosuch.key"));
  const std::string open_key = WriteTemp("open.key", *ReadFile(p + "/agencies/polisen.key"), 0644);
  ProcessResult perms = init({"--key", open_key});
  EXPECT_EQ(perms.exit_code, 6) << perms.err;
  EXPECT_THAT(perms.err, HasSubstr(open_key));
  EXPECT_THAT(perms.err, HasSubstr("chmod"));
  ProcessResult foreign = init({"--key", p + "/agencies/socialtjanst.key"});
  EXPECT_EQ(foreign.exit_code, 6) << foreign.err;
  EXPECT_THAT(foreign.err, HasSubstr("does not belong to the certificate"));
  ProcessResult wrong_kind = init({"--key", p + "/agencies/polisen.key", "--officer-key", p + "/agency-keys/polisen.key"});
  EXPECT_EQ(wrong_kind.exit_code, 6) << wrong_kind.err;
  EXPECT_THAT(wrong_kind.err, HasSubstr("--officer-key"));
  const std::string not_pem = WriteTemp("ca.pem", "not a certificate\n", 0644);
  ProcessResult bad_ca = Sluss("", {"profile", "init", "x", "--server", "h:1", "--ca", not_pem, "--cert",
                                    p + "/agencies/polisen.pem", "--key", p + "/agencies/polisen.key"}, env);
  EXPECT_EQ(bad_ca.exit_code, 6) << bad_ca.err;
  EXPECT_THAT(bad_ca.err, HasSubstr(not_pem + ": not a PEM X.509 certificate"));
  EXPECT_FALSE(std::filesystem::exists(written));

  // Good files: written under $XDG_CONFIG_HOME, usable by name.
  ProcessResult ok = init(good);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(ok.out, HasSubstr(written));
  struct stat st {};
  ASSERT_EQ(::stat(written.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0077, 0u);
  ProcessResult status = Sluss("", {"--profile", "polis-test", "--json", "status"}, env);
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_THAT(status.out, HasSubstr("202100-0076"));
  ProcessResult check = Sluss("", {"--json", "profile", "check", "polis-test"}, env);
  ASSERT_EQ(check.exit_code, 0) << check.err;
  EXPECT_EQ(Json(check)["files"].size(), 5u);

  // No silent overwrite.
  ProcessResult again = init(good);
  EXPECT_EQ(again.exit_code, 6);
  EXPECT_THAT(again.err, HasSubstr("--force"));
  std::vector<std::string> forced = good;
  forced.push_back("--force");
  EXPECT_EQ(init(forced).exit_code, 0);
}

TEST_F(HandlaggareE2eTest, AssessShowsTheGateNowAndTheAttestationsNeeded) {
  const std::string case_id = NewYoungAtRisk();
  ProcessResult text = Sluss("bo.beslutsfattare", {"assess", case_id});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("now:       allowed_if_attested"));
  EXPECT_THAT(text.out, HasSubstr("10 kap. 18 a § OSL"));
  EXPECT_THAT(text.out, HasSubstr("--attest 10:18a:konkret_risk=MOTIVATION"));
  EXPECT_THAT(text.out, HasSubstr("--attest 10:18a:inte_olampligt=MOTIVATION"));
  EXPECT_THAT(text.out, Not(HasSubstr("\033[")));  // not a terminal: no colour
  nlohmann::json j = Json(Sluss("bo.beslutsfattare", {"--json", "assess", case_id}));
  EXPECT_EQ(j["assessment"]["outcome"], "ALLOWED_IF_ATTESTED");
  EXPECT_EQ(j["attestations_needed"].size(), 2u);
  EXPECT_EQ(j["awaiting_decision"], true);
  // A date before 10:18a was in force (2025-04-01): the gate says no.
  nlohmann::json old = Json(Sluss("bo.beslutsfattare", {"--json", "assess", case_id, "--date", "2024-01-01"}));
  EXPECT_EQ(old["assessment"]["outcome"], "NOT_ALLOWED");
  EXPECT_EQ(old["changed_since_recorded"], true);
  EXPECT_EQ(Sluss("bo.beslutsfattare", {"assess", "c-000000000000000000000000"}).exit_code, 4);
  // Only the parties (and auditors) may read a case.
  EXPECT_EQ(Sluss("eva.handlaggare", {"assess", case_id}).exit_code, 3);
}

TEST_F(HandlaggareE2eTest, SendOwnInitiativeAndDutyNoticeOpenedByTheRecipient) {
  const std::string facts = WriteTemp(
      "crime.json", R"({"crime": {"stage": "COMMITTED", "offenceClasses": ["skattebrott"], "prisonInScale": true}})");
  const std::string content = "Misstänkt skattebrott: underlag (SEND-E2E-1).";
  ProcessResult sent = Sluss("eva.handlaggare",
                             {"--json", "send", "--to", "202100-0076:polis", "--category", "skatt", "--purpose",
                              "utreda_brott", "--basis", "10:24", "--facts", facts, "--subject-kind", "organisation",
                              "--subject", "556036-0793", "--content", content, "--motivation",
                              "Misstanke om brott med fängelse i straffskalan, 10 kap. 24 § OSL."});
  ASSERT_EQ(sent.exit_code, 0) << sent.err;
  nlohmann::json j = Json(sent);
  EXPECT_EQ(j["kind"], "own_initiative");
  EXPECT_EQ(j["assessment"]["outcome"], "ALLOWED");
  const std::string case_id = j["logged"]["case_id"];
  // The police find it in their inbox and open it: verified, decrypted, receipted.
  EXPECT_THAT(Sluss("cecilia.utredare", {"inbox"}).out, HasSubstr(case_id));
  const std::string out = MakeTempDir("hlopen");
  ProcessResult opened = Sluss("cecilia.utredare", {"open", case_id, "--out", out});
  ASSERT_EQ(opened.exit_code, 0) << opened.err;
  EXPECT_EQ(*ReadFile(out + "/" + case_id + ".txt"), content);
  EXPECT_THAT(opened.out, HasSubstr("signed by eva.handlaggare"));
  nlohmann::json hist = Json(Sluss("cecilia.utredare", {"--json", "case", "show", case_id}));
  EXPECT_EQ(hist["summary"]["kind"], "OWN_INITIATIVE");
  EXPECT_EQ(hist["summary"]["state"], "RECEIVED");

  // A duty notice under lag (2025:170) (10:28): without the duty's judgement
  // attested the broker refuses and names it; with it, it goes through.
  std::vector<std::string> duty = {"send", "--to", "202100-0076:polis", "--category", "socialtjanst", "--duty",
                                   "lag_2025_170", "--subject", PersonAged19(), "--content",
                                   "Uppgift enligt lag (2025:170) (SEND-E2E-2).", "--motivation",
                                   "Uppgiftsskyldighet enligt lag (2025:170)."};
  ProcessResult bare = Sluss("bo.beslutsfattare", duty);
  EXPECT_EQ(bare.exit_code, 6) << bare.err;
  EXPECT_THAT(bare.err, HasSubstr("uppgiftsskyldighet_galler"));
  duty.insert(duty.end(), {"--attest", "10:28:lag_2025_170/uppgiftsskyldighet_galler=Uppgiften omfattas av lagen."});
  ProcessResult notice = Sluss("bo.beslutsfattare", duty);
  ASSERT_EQ(notice.exit_code, 0) << notice.err;
  EXPECT_THAT(notice.out, HasSubstr("Duty notice sent and recorded in the diarium."));
  const size_t at = notice.out.find("case:          ");
  ASSERT_NE(at, std::string::npos);
  const std::string notice_id = notice.out.substr(at + 15, 26);
  ProcessResult got = Sluss("cecilia.utredare", {"--json", "open", notice_id, "--out", out});
  ASSERT_EQ(got.exit_code, 0) << got.err;
  EXPECT_EQ(*ReadFile(out + "/" + notice_id + ".txt"), "Uppgift enligt lag (2025:170) (SEND-E2E-2).");
  EXPECT_EQ(Json(Sluss("cecilia.utredare", {"--json", "case", "show", notice_id}))["summary"]["kind"], "DUTY_NOTICE");

  // Usage: no motivation, or no content, is refused before anything is signed.
  ProcessResult nomot = Sluss("eva.handlaggare", {"send", "--to", "202100-0076:polis", "--category", "skatt",
                                                  "--subject", "556036-0793", "--subject-kind", "organisation",
                                                  "--content", "x"});
  EXPECT_EQ(nomot.exit_code, 6);
  EXPECT_THAT(nomot.err, HasSubstr("--motivation"));
}

TEST_F(HandlaggareE2eTest, DecidePromptsOnATerminalForEachMissingAttestation) {
  const std::string answer = WriteTemp("answer.txt", "Känd sedan 2024 (PTY-E2E).");
  // A person at a terminal leaves one judgement unattested: nothing is sent.
  {
    const std::string case_id = NewYoungAtRisk();
    PtyProcess p({Bin("sluss"), "--profile", Profile("bo.beslutsfattare"), "decide", case_id, "--disclose", answer},
                 {});
    ASSERT_TRUE(p.WaitFor("Motivering för 10:18a:konkret_risk: ")) << p.output();
    p.Type("Upprepade iakttagelser av rekrytering.");
    ASSERT_TRUE(p.WaitFor("Motivering för 10:18a:inte_olampligt: ")) << p.output();
    p.Type("");
    ASSERT_TRUE(p.WaitFor("Motivering för beslutet: ")) << p.output();
    p.Type("Utlämnas enligt 10 kap. 18 a § OSL.");
    EXPECT_EQ(p.Finish(), 6) << p.output();
    EXPECT_THAT(p.output(), HasSubstr("not given: 10:18a:inte_olampligt"));
    EXPECT_THAT(p.output(), HasSubstr("Nothing was sent."));
    nlohmann::json h = Json(Sluss("bo.beslutsfattare", {"--json", "case", "show", case_id}));
    EXPECT_EQ(h["summary"]["state"], "AWAITING_DECISION");
  }
  // Both attested and motivated at the prompts: the disclosure is recorded
  // with exactly those motivations.
  const std::string case_id = NewYoungAtRisk();
  PtyProcess p({Bin("sluss"), "--profile", Profile("bo.beslutsfattare"), "decide", case_id, "--disclose", answer}, {});
  // The law's text of each judgement is shown before its prompt.
  ASSERT_TRUE(p.WaitFor("konkreta omständigheter risk")) << p.output();
  ASSERT_TRUE(p.WaitFor("Motivering för 10:18a:konkret_risk: ")) << p.output();
  p.Type("Upprepade iakttagelser av rekrytering (PTY).");
  ASSERT_TRUE(p.WaitFor("Motivering för 10:18a:inte_olampligt: ")) << p.output();
  p.Type("Pågående insats påverkas inte (PTY).");
  ASSERT_TRUE(p.WaitFor("Motivering för beslutet: ")) << p.output();
  p.Type("Utlämnas enligt 10 kap. 18 a § OSL (PTY).");
  ASSERT_EQ(p.Finish(), 0) << p.output();
  EXPECT_THAT(p.output(), HasSubstr("Disclosure recorded in the diarium."));
  nlohmann::json h = Json(Sluss("bo.beslutsfattare", {"--json", "case", "show", case_id}));
  ASSERT_EQ(h["entries"].size(), 2u);
  const nlohmann::json& atts = h["entries"][1]["entry"]["decision"]["facts"]["attestations"];
  ASSERT_EQ(atts.size(), 2u);
  EXPECT_EQ(atts[0]["motivation"], "Upprepade iakttagelser av rekrytering (PTY).");
  EXPECT_EQ(atts[1]["motivation"], "Pågående insats påverkas inte (PTY).");
  EXPECT_EQ(atts[0]["officer"], "bo.beslutsfattare");
}

TEST_F(HandlaggareE2eTest, RefuseAsksOnATerminalForTheReason) {
  const std::string case_id = NewYoungAtRisk();
  PtyProcess p({Bin("sluss"), "--profile", Profile("bo.beslutsfattare"), "decide", case_id, "--refuse"}, {});
  ASSERT_TRUE(p.WaitFor("Skäl för avslaget: ")) << p.output();
  p.Type("Risken är inte konkret (PTY).");
  ASSERT_EQ(p.Finish(), 0) << p.output();
  EXPECT_THAT(p.output(), HasSubstr("Refusal recorded in the diarium."));
  EXPECT_EQ(Json(Sluss("bo.beslutsfattare", {"--json", "case", "show", case_id}))["summary"]["state"], "REFUSED");
}

TEST_F(HandlaggareE2eTest, SendAsksOnATerminalForTheDutysJudgementAndTheMotivation) {
  PtyProcess p({Bin("sluss"), "--profile", Profile("bo.beslutsfattare"), "send", "--to", "202100-0076:polis",
                "--category", "socialtjanst", "--duty", "lag_2025_170", "--subject", PersonAged19(), "--content",
                "Uppgift (PTY-SEND)."},
               {});
  // The law's text of the duty's judgement, then the prompts.
  ASSERT_TRUE(p.WaitFor("Uppgiften omfattas av skyldigheten enligt lagen")) << p.output();
  ASSERT_TRUE(p.WaitFor("Motivering för 10:28:lag_2025_170/uppgiftsskyldighet_galler: ")) << p.output();
  p.Type("Omfattas av lagen (PTY).");
  ASSERT_TRUE(p.WaitFor("Motivering för beslutet: ")) << p.output();
  p.Type("Uppgiftsskyldighet (PTY).");
  ASSERT_EQ(p.Finish(), 0) << p.output();
  EXPECT_THAT(p.output(), HasSubstr("Duty notice sent and recorded in the diarium."));
  const size_t at = p.output().find("case:          ");
  ASSERT_NE(at, std::string::npos);
  nlohmann::json h = Json(Sluss("cecilia.utredare", {"--json", "case", "show", p.output().substr(at + 15, 26)}));
  ASSERT_EQ(h["entries"].size(), 1u);
  const nlohmann::json& send = h["entries"][0]["entry"]["send"];
  EXPECT_EQ(send["facts"]["attestations"][0]["motivation"], "Omfattas av lagen (PTY).");
  EXPECT_EQ(send["facts"]["attestations"][0]["officer"], "bo.beslutsfattare");
}

TEST_F(HandlaggareE2eTest, ColourOnlyOnATerminalWithoutNoColor) {
  NewYoungAtRisk();  // so the inbox has a table
  const std::vector<std::string> argv = {Bin("sluss"), "--profile", Profile("bo.beslutsfattare"), "inbox"};
  PtyProcess tty(argv, {{"NO_COLOR", ""}});
  ASSERT_EQ(tty.Finish(), 0) << tty.output();
  EXPECT_THAT(tty.output(), HasSubstr("\033[1mCASE"));
  PtyProcess no_color(argv, {{"NO_COLOR", "1"}});
  ASSERT_EQ(no_color.Finish(), 0) << no_color.output();
  EXPECT_THAT(no_color.output(), HasSubstr("CASE"));
  EXPECT_THAT(no_color.output(), Not(HasSubstr("\033[")));
  ProcessResult piped = Sluss("bo.beslutsfattare", {"inbox"});
  ASSERT_EQ(piped.exit_code, 0);
  EXPECT_THAT(piped.out, HasSubstr("CASE"));
  EXPECT_THAT(piped.out, Not(HasSubstr("\033[")));
}

TEST_F(HandlaggareE2eTest, KeygenSpeaksJson) {
  const std::string prefix = MakeTempDir("hlkey") + "/officer";
  nlohmann::json j = Json(Sluss("", {"--json", "keygen", "--type", "ed25519", "--out", prefix}));
  EXPECT_EQ(j["key"], prefix + ".key");
  EXPECT_EQ(j["public_key_hex"].get<std::string>().size(), 64u);
  // Refuses to overwrite, as before.
  EXPECT_EQ(Sluss("", {"--json", "keygen", "--type", "ed25519", "--out", prefix}).exit_code, 6);
}

}  // namespace
}  // namespace sluss::testing
