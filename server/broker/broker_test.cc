// Broker logic without a network: a temp diarium, a FakeClock, test keys.
#include "server/broker/broker.h"

#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "crypto/hash.h"
#include "crypto/keys.h"
#include "crypto/note.h"
#include "exchange/action.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sluss::broker {
namespace {

using ::testing::HasSubstr;

template <typename T>
absl::StatusOr<T> Wait(std::function<void(Done<T>)> call) {
  absl::Notification n;
  absl::StatusOr<T> out = absl::UnknownError("not called");
  call([&](absl::StatusOr<T> r) {
    out = std::move(r);
    n.Notify();
  });
  n.WaitForNotification();
  return out;
}

#define EXPECT_STATUS(expr, want, substr)                                        \
  do {                                                                           \
    auto s_ = (expr);                                                            \
    EXPECT_EQ(s_.status().code(), absl::StatusCode::want) << s_.status();       \
    EXPECT_THAT(std::string(s_.status().message()), HasSubstr(substr));          \
  } while (0)

struct AgencyDef {
  Caller caller;
  std::string kind, format;
  bool audit = false;
};

struct OfficerDef {
  std::string id;
  std::string agency;  // name in agencies_
  std::vector<v1::Role> roles;
  std::vector<std::string> delegation;
};

class BrokerTest : public ::testing::Test {
 protected:
  BrokerTest()
      : clock_(absl::FromCivil(absl::CivilSecond(2026, 3, 1, 10, 0, 0), absl::UTCTimeZone())),
        pseudonym_key_(crypto::PseudonymKey::Generate()) {}

  void SetUp() override {
    dir_ = ::testing::TempDir() + "/broker_test_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto rb = gate::Rulebook::Bundled();
    ASSERT_TRUE(rb.ok()) << rb.status();
    rulebook_ = std::move(*rb);
    signer_ = std::make_shared<crypto::NoteSigner>(
        *crypto::NoteSigner::Create("test.sluss/log", crypto::Ed25519SigningKey::Generate()));
    agencies_ = {
        {"soc", {{"212000-0142", "socialtjanst"}, "kommun_socialnamnd", "SO {year}/{seq:04}"}},
        {"polis", {{"202100-0076", "polis"}, "polismyndigheten", "A{seq}-{year}"}},
        {"skv", {{"202100-5448", "skatt"}, "skatteverket", "8-{seq}-{year}"}},
        {"rev", {{"212000-0142", "revision"}, "annan_myndighet", "REV {year}/{seq}", true}},
    };
    officers_ = {
        {"anna", "soc", {v1::HANDLAGGARE}, {}},
        {"bo", "soc", {v1::HANDLAGGARE, v1::BESLUTSFATTARE}, {"socialtjanst"}},
        {"bertil", "soc", {v1::BESLUTSFATTARE}, {"socialtjanst"}},
        {"gustav", "soc", {v1::ADMIN}, {}},
        {"cecilia", "polis", {v1::HANDLAGGARE}, {}},
        {"eva", "skv", {v1::HANDLAGGARE, v1::BESLUTSFATTARE}, {"skatt"}},
        {"frida", "rev", {v1::AUDITOR}, {}},
    };
    for (const auto& [name, a] : agencies_) {
      agency_keys_.emplace(name, crypto::X25519KeyPair::Generate());
      v1::AgencyRegistration& r = boot_agencies_.emplace_back();
      r.mutable_agency()->set_orgnr(a.caller.orgnr);
      r.mutable_agency()->set_function(a.caller.function);
      r.set_name(name);
      r.set_kind(a.kind);
      r.set_diarienummer_format(a.format);
      r.set_encryption_key(std::string(crypto::Bytes(agency_keys_.at(name).public_key())));
      r.set_may_audit(a.audit);
    }
    for (const OfficerDef& o : officers_) {
      officer_keys_.emplace(o.id, crypto::Ed25519SigningKey::Generate());
      officer_agency_[o.id] = o.agency;
      v1::OfficerRegistration& r = boot_officers_.emplace_back();
      r.set_id(o.id);
      r.set_name(o.id);
      r.mutable_agency()->set_orgnr(agencies_.at(o.agency).caller.orgnr);
      r.mutable_agency()->set_function(agencies_.at(o.agency).caller.function);
      for (v1::Role role : o.roles) r.add_roles(role);
      for (const auto& c : o.delegation) r.add_delegation_categories(c);
      r.set_signing_key(std::string(crypto::Bytes(officer_keys_.at(o.id).public_key())));
    }
    OpenAll();
  }

  void TearDown() override {
    broker_.reset();
    log_.reset();
  }

  void OpenAll() {
    storage::DiariumOptions d;
    d.origin = "test.sluss/log";
    d.signers = {signer_};
    d.checkpoint_interval = absl::ZeroDuration();
    auto log = storage::Diarium::Open(d, dir_ + "/diarium");
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = std::move(*log);
    auto b = broker::Broker::Open(Options());
    ASSERT_TRUE(b.ok()) << b.status();
    broker_ = std::move(*b);
  }

  BrokerOptions Options() {
    BrokerOptions o;
    o.diarium = log_.get();
    o.rulebook = rulebook_.get();
    o.pseudonym_key = &pseudonym_key_;
    o.clock = &clock_;
    o.rate_per_second = 0;
    o.max_envelope_bytes = 64 * 1024;
    o.bootstrap_agencies = boot_agencies_;
    o.bootstrap_officers = boot_officers_;
    return o;
  }

  void Reopen() {
    broker_.reset();
    log_.reset();
    OpenAll();
  }

  const Caller& C(const std::string& agency) { return agencies_.at(agency).caller; }
  v1::AgencyRef Ref(const std::string& agency) {
    v1::AgencyRef r;
    r.set_orgnr(C(agency).orgnr);
    r.set_function(C(agency).function);
    return r;
  }

  v1::Action NewAction(const std::string& officer, const std::string& idem) {
    v1::Action a;
    a.set_idempotency_key(idem);
    a.set_officer(officer);
    *a.mutable_agency() = Ref(officer_agency_.at(officer));
    a.set_signed_at_unix_micros(absl::ToUnixMicros(clock_.Now()));
    return a;
  }

  v1::SealedEnvelope Seal(const std::string& case_id, const std::string& text, const std::string& a,
                          const std::string& b) {
    std::vector<crypto::X25519PublicKey> to = {agency_keys_.at(a).public_key(), agency_keys_.at(b).public_key()};
    return *exchange::SealForCase(case_id, text, to);
  }

  // A request from `officer` to agency `to` about `person`.
  v1::RequestRequest MakeRequest(const std::string& officer, const std::string& to, const std::string& idem,
                                 const std::string& person, v1::Facts facts) {
    v1::Action a = NewAction(officer, idem);
    v1::RequestAction* ra = a.mutable_request();
    *ra->mutable_to() = Ref(to);
    *ra->mutable_facts() = facts;
    ra->set_subject_kind(v1::PERSON);
    const std::string salt(16, 's');
    ra->set_subject_commitment(exchange::SubjectCommitment(salt, person));
    const std::string from = officer_agency_.at(officer);
    const std::string case_id = exchange::CaseIdFor(Ref(from), idem);
    v1::RequestRequest req;
    *req.mutable_question() = Seal(case_id, "Fråga: " + person, from, to);
    ra->set_question_digest(exchange::EnvelopeDigest(req.question()));
    ra->set_summary("begäran");
    req.set_idempotency_key(idem);
    *req.mutable_action() = exchange::SignAction(a, officer_keys_.at(officer));
    req.mutable_subject()->set_id(person);
    req.mutable_subject()->set_salt(salt);
    return req;
  }

  static v1::Facts YoungAtRiskFacts() {
    v1::Facts f;
    f.add_categories("socialtjanst");
    f.add_purposes("forebygga_brott");
    return f;
  }

  v1::DecideRequest MakeDisclose(const std::string& officer, const std::string& case_id, const std::string& idem,
                                 const std::string& text, const std::vector<std::pair<std::string, std::string>>& att,
                                 const std::string& recipient, const std::string& discloser) {
    v1::Action a = NewAction(officer, idem);
    a.mutable_decide()->set_case_id(case_id);
    v1::Disclose* d = a.mutable_decide()->mutable_disclose();
    v1::DecideRequest req;
    *req.mutable_answer() = Seal(case_id, text, recipient, discloser);
    d->set_envelope_digest(exchange::EnvelopeDigest(req.answer()));
    for (const auto& [prov, judgement] : att) {
      v1::Attestation* x = d->add_attestations();
      x->set_provision(prov);
      x->set_judgement(judgement);
      x->set_officer(officer);
      x->set_motivation("Bedömt efter samråd.");
    }
    d->set_motivation("Utlämnas enligt 10:18a.");
    req.set_idempotency_key(idem);
    *req.mutable_action() = exchange::SignAction(a, officer_keys_.at(officer));
    return req;
  }

  v1::AcknowledgeRequest MakeAck(const std::string& officer, const std::string& case_id, const std::string& idem,
                                 const std::string& digest) {
    v1::Action a = NewAction(officer, idem);
    a.mutable_acknowledge()->set_case_id(case_id);
    a.mutable_acknowledge()->set_envelope_digest(digest);
    v1::AcknowledgeRequest req;
    req.set_idempotency_key(idem);
    *req.mutable_action() = exchange::SignAction(a, officer_keys_.at(officer));
    return req;
  }

  absl::StatusOr<v1::RequestResponse> DoRequest(const std::string& agency, v1::RequestRequest r) {
    return Wait<v1::RequestResponse>([&](Done<v1::RequestResponse> d) { broker_->Request(C(agency), r, d); });
  }
  absl::StatusOr<v1::DecideResponse> DoDecide(const std::string& agency, v1::DecideRequest r) {
    return Wait<v1::DecideResponse>([&](Done<v1::DecideResponse> d) { broker_->Decide(C(agency), r, d); });
  }
  absl::StatusOr<v1::AcknowledgeResponse> DoAck(const std::string& agency, v1::AcknowledgeRequest r) {
    return Wait<v1::AcknowledgeResponse>([&](Done<v1::AcknowledgeResponse> d) { broker_->Acknowledge(C(agency), r, d); });
  }

  // Runs route 1 up to an open request; returns its case id.
  std::string OpenYoungAtRiskCase(const std::string& idem) {
    auto r = DoRequest("polis", MakeRequest("cecilia", "soc", idem, "20061015-1235", YoungAtRiskFacts()));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->logged().case_id() : "";
  }

  std::string dir_;
  FakeClock clock_;
  crypto::PseudonymKey pseudonym_key_;
  std::unique_ptr<const gate::Rulebook> rulebook_;
  std::shared_ptr<const crypto::NoteSigner> signer_;
  std::map<std::string, AgencyDef> agencies_;
  std::vector<OfficerDef> officers_;
  std::map<std::string, crypto::X25519KeyPair> agency_keys_;
  std::map<std::string, crypto::Ed25519SigningKey> officer_keys_;
  std::map<std::string, std::string> officer_agency_;
  std::vector<v1::AgencyRegistration> boot_agencies_;
  std::vector<v1::OfficerRegistration> boot_officers_;
  std::unique_ptr<storage::Diarium> log_;
  std::unique_ptr<Broker> broker_;
};

TEST_F(BrokerTest, BootstrapRegistersDirectoryAndRulebook) {
  auto agencies = broker_->ListAgencies(C("polis"));
  ASSERT_TRUE(agencies.ok());
  EXPECT_EQ(agencies->agencies_size(), 4);
  // agencies + officers + rulebook (chunks + activation)
  EXPECT_GE(log_->size(), 4u + 7u + 1u);
  auto e = broker_->GetEntries(C("rev"), [] { v1::GetEntriesRequest r; r.set_begin(0); r.set_end(1); return r; }());
  ASSERT_TRUE(e.ok()) << e.status();
  v1::DiariumEntry first;
  ASSERT_TRUE(first.ParseFromString(e->entries(0)));
  EXPECT_TRUE(first.has_agency());
  // The rulebook activation carries the exact rules.
  std::string rules;
  bool activated = false;
  ASSERT_TRUE(log_->ReadRange(0, log_->size(), [&](uint64_t, absl::string_view b) {
                    v1::DiariumEntry x;
                    x.ParseFromArray(b.data(), static_cast<int>(b.size()));
                    if (x.has_rulebook_chunk()) rules += x.rulebook_chunk().data();
                    if (x.has_rulebook_activation()) {
                      rules += x.rulebook_activation().rulebook();
                      EXPECT_EQ(x.rulebook_activation().digest(), rulebook_->digest());
                      activated = true;
                    }
                    return true;
                  }).ok());
  EXPECT_TRUE(activated);
  EXPECT_EQ("sha256:" + crypto::ToHex(crypto::AsStringView(crypto::Sha256(rules))), rulebook_->digest());
}

TEST_F(BrokerTest, UnknownAgencyIsUnauthenticated) {
  Caller stranger{"556036-0793", "ekonomi"};
  EXPECT_EQ(broker_->Authenticate(stranger).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_STATUS(broker_->Inbox(stranger), kUnauthenticated, "not in the directory");
}

TEST_F(BrokerTest, YoungAtRiskFullWorkflow) {
  auto req = DoRequest("polis", MakeRequest("cecilia", "soc", "k1", "20061015-1235", YoungAtRiskFacts()));
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->assessment().outcome(), v1::ALLOWED_IF_ATTESTED);
  EXPECT_EQ(req->logged().diarienummer(), "A1-2026");
  EXPECT_FALSE(req->logged().checkpoint().empty());
  const std::string case_id = req->logged().case_id();

  auto inbox = broker_->Inbox(C("soc"));
  ASSERT_TRUE(inbox.ok());
  ASSERT_EQ(inbox->cases_size(), 1);
  EXPECT_EQ(inbox->cases(0).to_diarienummer(), "SO 2026/0001");
  EXPECT_THAT(inbox->cases(0).judgements_required(), ::testing::Contains("10:18a/konkret_risk"));

  // Without the attestations the gate refuses, naming what is missing.
  const uint64_t before = log_->size();
  EXPECT_STATUS(DoDecide("soc", MakeDisclose("bo", case_id, "d0", "svar", {}, "polis", "soc")), kFailedPrecondition,
                "missing attestations");
  EXPECT_EQ(log_->size(), before);

  auto dec = DoDecide("soc", MakeDisclose("bo", case_id, "d1", "Svaret: känd sedan 2024.",
                                          {{"10:18a", "konkret_risk"}, {"10:18a", "inte_olampligt"}}, "polis", "soc"));
  ASSERT_TRUE(dec.ok()) << dec.status();
  EXPECT_EQ(dec->assessment().outcome(), v1::ALLOWED);
  EXPECT_EQ(dec->logged().diarienummer(), "SO 2026/0001");

  auto got = broker_->GetDisclosure(C("polis"), [&] { v1::GetDisclosureRequest r; r.set_case_id(case_id); return r; }());
  ASSERT_TRUE(got.ok()) << got.status();
  auto env = exchange::EnvelopeFromProto(got->envelope());
  ASSERT_TRUE(env.ok());
  auto plain = crypto::OpenEnvelope(*env, exchange::EnvelopeAssociatedData(case_id), agency_keys_.at("polis"));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(std::string(plain->view()), "Svaret: känd sedan 2024.");
  // Not to another agency, not to the auditor.
  EXPECT_STATUS(broker_->GetDisclosure(C("skv"), [&] { v1::GetDisclosureRequest r; r.set_case_id(case_id); return r; }()),
                kPermissionDenied, "only its two parties");
  EXPECT_STATUS(broker_->GetDisclosure(C("rev"), [&] { v1::GetDisclosureRequest r; r.set_case_id(case_id); return r; }()),
                kPermissionDenied, "auditors read the log");

  auto ack = DoAck("polis", MakeAck("cecilia", case_id, "a1", got->digest()));
  ASSERT_TRUE(ack.ok()) << ack.status();
  auto hist = broker_->CaseHistory(C("soc"), [&] { v1::CaseHistoryRequest r; r.set_case_id(case_id); return r; }());
  ASSERT_TRUE(hist.ok());
  EXPECT_EQ(hist->summary().state(), v1::RECEIVED);
  ASSERT_EQ(hist->entries_size(), 3);
  EXPECT_TRUE(hist->entries(0).entry().has_request());
  EXPECT_TRUE(hist->entries(1).entry().has_decision());
  EXPECT_TRUE(hist->entries(2).entry().has_receipt());
  EXPECT_EQ(hist->entries(2).log_index(), ack->logged().log_index());
  // Age was derived (19 on 2026-03-01), the personnummer is not stored.
  EXPECT_EQ(hist->entries(0).entry().request().facts().subject().age_years(), 19);
  EXPECT_TRUE(broker_->Inbox(C("polis"))->cases().empty());
}

TEST_F(BrokerTest, RefusalAndTaxRoute) {
  // Route 6: Skatteverket -> Polisen, committed tax fraud: allowed under 10:24.
  v1::Facts f;
  f.add_categories("skatt");
  f.add_purposes("utreda_brott");
  v1::Crime* crime = f.mutable_crime();
  crime->set_stage(v1::COMMITTED);
  crime->add_offence_classes("skattebrott");
  crime->set_prison_in_scale(true);
  crime->set_minimum_penalty_months(0);
  auto req = DoRequest("polis", MakeRequest("cecilia", "skv", "tax1", "811218-9876", f));
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->assessment().outcome(), v1::ALLOWED);
  // Route 4: claimed 10:27 for socialtjänst: refused by the officer.
  v1::Facts g;
  g.add_categories("socialtjanst");
  g.set_claimed_basis("10:27");
  auto req2 = DoRequest("polis", MakeRequest("cecilia", "soc", "r1", "811218-9876", g));
  ASSERT_TRUE(req2.ok()) << req2.status();
  EXPECT_EQ(req2->assessment().claimed_basis().status(), v1::DOES_NOT_APPLY);
  v1::Action a = NewAction("bo", "ref1");
  a.mutable_decide()->set_case_id(req2->logged().case_id());
  a.mutable_decide()->mutable_refuse()->add_reasons("26:1 är undantagen från 10:27.");
  v1::DecideRequest dr;
  dr.set_idempotency_key("ref1");
  *dr.mutable_action() = exchange::SignAction(a, officer_keys_.at("bo"));
  auto refused = DoDecide("soc", dr);
  ASSERT_TRUE(refused.ok()) << refused.status();
  auto hist = broker_->CaseHistory(C("polis"), [&] { v1::CaseHistoryRequest r; r.set_case_id(req2->logged().case_id()); return r; }());
  ASSERT_TRUE(hist.ok());
  EXPECT_EQ(hist->summary().state(), v1::REFUSED);
}

TEST_F(BrokerTest, IdempotentRetryReturnsTheFirstAnswerAndWritesNothing) {
  v1::RequestRequest r = MakeRequest("cecilia", "soc", "same", "20061015-1235", YoungAtRiskFacts());
  auto first = DoRequest("polis", r);
  ASSERT_TRUE(first.ok()) << first.status();
  const uint64_t size = log_->size();
  auto again = DoRequest("polis", r);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->logged().replayed());
  EXPECT_EQ(again->logged().log_index(), first->logged().log_index());
  EXPECT_EQ(again->logged().case_id(), first->logged().case_id());
  EXPECT_EQ(again->logged().diarienummer(), first->logged().diarienummer());
  EXPECT_EQ(log_->size(), size);
  // The same signed envelope under a new idempotency key: refused.
  v1::RequestRequest replayed = r;
  replayed.set_idempotency_key("other");
  EXPECT_STATUS(DoRequest("polis", replayed), kInvalidArgument, "cannot be replayed under a new key");
  // The same key for a different action.
  EXPECT_STATUS(DoRequest("polis", MakeRequest("cecilia", "soc", "same", "811218-9876", YoungAtRiskFacts())),
                kAlreadyExists, "already used for a different action");
  EXPECT_EQ(log_->size(), size);
}

TEST_F(BrokerTest, BadInputWritesNothing) {
  const uint64_t size = log_->size();
  EXPECT_STATUS(DoRequest("polis", MakeRequest("cecilia", "soc", "b1", "811218-9877", YoungAtRiskFacts())),
                kInvalidArgument, "subject: ");
  v1::Facts unknown;
  unknown.add_categories("hemligheter");
  EXPECT_STATUS(DoRequest("polis", MakeRequest("cecilia", "soc", "b2", "811218-9876", unknown)), kInvalidArgument,
                "hemligheter");
  v1::RequestRequest bad_sig = MakeRequest("cecilia", "soc", "b3", "811218-9876", YoungAtRiskFacts());
  std::string* sig = bad_sig.mutable_action()->mutable_signatures(0)->mutable_sig();
  (*sig)[0] ^= 1;
  EXPECT_STATUS(DoRequest("polis", bad_sig), kUnauthenticated, "does not verify");
  v1::RequestRequest wrong_commit = MakeRequest("cecilia", "soc", "b4", "811218-9876", YoungAtRiskFacts());
  wrong_commit.mutable_subject()->set_id("701063-2391");
  EXPECT_STATUS(DoRequest("polis", wrong_commit), kInvalidArgument, "do not match the signed commitment");
  // Officer of another agency than the certificate's.
  EXPECT_STATUS(DoRequest("skv", MakeRequest("cecilia", "soc", "b5", "811218-9876", YoungAtRiskFacts())),
                kPermissionDenied, "not to the calling agency");
  // Oversized envelope (the test limit is 64 KiB).
  v1::RequestRequest big = MakeRequest("cecilia", "soc", "b6", "811218-9876", YoungAtRiskFacts());
  {
    v1::Action a = *exchange::ParseActionUnverified(big.action());
    *big.mutable_question() = Seal(exchange::CaseIdFor(Ref("polis"), "b6"), std::string(70000, 'x'), "polis", "soc");
    a.mutable_request()->set_question_digest(exchange::EnvelopeDigest(big.question()));
    *big.mutable_action() = exchange::SignAction(a, officer_keys_.at("cecilia"));
  }
  EXPECT_STATUS(DoRequest("polis", big), kResourceExhausted, "exceeds the limit");
  // Signed too long ago.
  v1::RequestRequest old = MakeRequest("cecilia", "soc", "b7", "811218-9876", YoungAtRiskFacts());
  clock_.Advance(absl::Minutes(10));
  EXPECT_STATUS(DoRequest("polis", old), kInvalidArgument, "from the broker's clock");
  EXPECT_EQ(log_->size(), size);
}

TEST_F(BrokerTest, DecisionsNeedTheRightAgencyAndBeslutsratt) {
  const std::string case_id = OpenYoungAtRiskCase("q1");
  const uint64_t size = log_->size();
  const std::vector<std::pair<std::string, std::string>> att = {{"10:18a", "konkret_risk"}, {"10:18a", "inte_olampligt"}};
  // Someone else's case.
  EXPECT_STATUS(DoDecide("skv", MakeDisclose("eva", case_id, "x1", "t", att, "polis", "soc")), kPermissionDenied,
                "not addressed to your agency");
  // Handläggare without beslutsrätt.
  EXPECT_STATUS(DoDecide("soc", MakeDisclose("anna", case_id, "x2", "t", att, "polis", "soc")), kPermissionDenied,
                "no beslutsrätt");
  // Revoked key.
  v1::Action rev = NewAction("gustav", "rev1");
  rev.mutable_revoke_key()->set_officer("bertil");
  v1::RevokeKeyRequest rr;
  rr.set_idempotency_key("rev1");
  *rr.mutable_action() = exchange::SignAction(rev, officer_keys_.at("gustav"));
  auto revoked = Wait<v1::RevokeKeyResponse>([&](Done<v1::RevokeKeyResponse> d) { broker_->RevokeKey(C("soc"), rr, d); });
  ASSERT_TRUE(revoked.ok()) << revoked.status();
  const uint64_t after_revoke = log_->size();
  EXPECT_EQ(after_revoke, size + 1);
  EXPECT_STATUS(DoDecide("soc", MakeDisclose("bertil", case_id, "x3", "t", att, "polis", "soc")), kPermissionDenied,
                "has been revoked");
  EXPECT_EQ(log_->size(), after_revoke);
  EXPECT_TRUE(broker_->GetOfficer(C("polis"), [] { v1::GetOfficerRequest r; r.set_id("bertil"); return r; }())->revoked());
}

TEST_F(BrokerTest, RateLimitPerAgency) {
  broker_.reset();
  BrokerOptions o = Options();
  o.rate_per_second = 1;
  o.rate_burst = 1;
  auto b = Broker::Open(o);
  ASSERT_TRUE(b.ok());
  broker_ = std::move(*b);
  ASSERT_TRUE(DoRequest("polis", MakeRequest("cecilia", "soc", "r1", "811218-9876", YoungAtRiskFacts())).ok());
  const uint64_t size = log_->size();
  EXPECT_STATUS(DoRequest("polis", MakeRequest("cecilia", "soc", "r2", "811218-9876", YoungAtRiskFacts())),
                kResourceExhausted, "rate limit");
  EXPECT_EQ(log_->size(), size);
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(DoRequest("polis", MakeRequest("cecilia", "soc", "r2", "811218-9876", YoungAtRiskFacts())).ok());
}

TEST_F(BrokerTest, RebuiltProjectionEqualsTheLiveOne) {
  const std::string c1 = OpenYoungAtRiskCase("p1");
  OpenYoungAtRiskCase("p2");
  ASSERT_TRUE(DoDecide("soc", MakeDisclose("bo", c1, "pd1", "svar",
                                           {{"10:18a", "konkret_risk"}, {"10:18a", "inte_olampligt"}}, "polis", "soc"))
                  .ok());
  const std::string live = broker_->CanonicalProjection();
  EXPECT_THAT(live, HasSubstr("case " + c1));
  Reopen();
  EXPECT_EQ(broker_->CanonicalProjection(), live);
  // And it keeps working: retries answered from the log, counters continue.
  auto again = DoRequest("polis", MakeRequest("cecilia", "soc", "p3", "20061015-1235", YoungAtRiskFacts()));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->logged().diarienummer(), "A3-2026");
}

TEST_F(BrokerTest, AuditorsReadTheLogOthersDoNot) {
  OpenYoungAtRiskCase("z1");
  v1::GetEntriesRequest r;
  r.set_begin(0);
  r.set_end(2);
  EXPECT_TRUE(broker_->GetEntries(C("rev"), r).ok());
  EXPECT_STATUS(broker_->GetEntries(C("polis"), r), kPermissionDenied, "may_audit");
  v1::GetTileRequest t;
  t.set_level(0);
  t.set_index(0);
  t.set_width(4);
  auto tile = broker_->GetTile(C("rev"), t);
  ASSERT_TRUE(tile.ok()) << tile.status();
  EXPECT_EQ(tile->data().size(), 4u * 32);
  EXPECT_TRUE(broker_->GetCheckpoint(C("polis")).ok());
  v1::GetInclusionProofRequest p;
  p.set_index(1);
  EXPECT_TRUE(broker_->GetInclusionProof(C("polis"), p).ok());
}

}  // namespace
}  // namespace sluss::broker
