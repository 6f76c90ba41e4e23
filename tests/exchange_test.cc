// Integration: the real slussd on a loopback port with mTLS and a temp
// RocksDB, driven by the real client library, with deploy/dev-pki's
// certificates, keys and bootstrap directory.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file.h"
#include "client/client.h"
#include "client/profile.h"
#include "exchange/action.h"
#include "exchange/transfer.h"
#include "sluss/v1/exchange.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/dev_suite.h"
#include "tests/support/process.h"

namespace sluss::testing {
namespace {

using ::testing::HasSubstr;
using client::SlussClient;

constexpr char kSecret[] = "HEMLIGT-SVAR: Personen har sedan 2024 varit föremål för insatser XYZZY-4711.";
constexpr char kPerson[] = "20061015-1235";  // 19 years old on 2026-03-01 and in 2026

class ExchangeTest : public DevServerSuite<ExchangeTest> {
 public:
  static constexpr char kPkiPrefix[] = "xpki";
  // An envelope limit above gRPC's 4 MiB message limit (so large envelopes
  // must stream) but small enough to exceed cheaply; no rate limit.
  static std::string ExtraConfig() { return "max_envelope_bytes = 6291456\nrate_per_second = 0\n"; }

 protected:
  static void SetUpTestSuite() {
    DevServerSuite::SetUpTestSuite();
    // A certificate from the same CA whose agency the directory does not know.
    if (server_ != nullptr) MakeStrangerCertificate();
  }

  // A certificate from the dev CA naming an agency the directory lacks.
  static void MakeStrangerCertificate() {
    const std::string& d = *pki_;
    std::string script = absl::StrCat(
        "set -e; cd ", d, "; umask 077; ",
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout agencies/stranger.key "
        "-out stranger.csr -subj /CN=stranger 2>/dev/null; ",
        "printf 'subjectAltName=URI:urn:sluss:agency:556036-0793:ekonomi\\nextendedKeyUsage=clientAuth\\n' > s.ext; ",
        "openssl x509 -req -in stranger.csr -CA ca.pem -CAkey ca.key -set_serial 0x1234 -days 30 -extfile s.ext "
        "-out agencies/stranger.pem 2>/dev/null; chmod 644 agencies/stranger.pem; ",
        "sed -e 's#agencies/polisen#agencies/stranger#g' profiles/cecilia.utredare.toml > profiles/stranger.toml");
    auto r = RunProcess({"/bin/bash", "-c", script});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->exit_code, 0) << r->err;
  }

  static std::unique_ptr<SlussClient> Client(const std::string& profile) {
    auto p = client::LoadProfile(*pki_ + "/profiles/" + profile + ".toml");
    EXPECT_TRUE(p.ok()) << p.status();
    auto c = SlussClient::Create(*p, SlussClient::Options());
    EXPECT_TRUE(c.ok());
    return std::move(*c);
  }

  static v1::AgencyRef Agency(const std::string& orgnr, const std::string& function) {
    v1::AgencyRef a;
    a.set_orgnr(orgnr);
    a.set_function(function);
    return a;
  }
  static v1::AgencyRef Soc() { return Agency("212000-0142", "socialtjanst"); }
  static v1::AgencyRef Polis() { return Agency("202100-0076", "polis"); }
  static v1::AgencyRef Skv() { return Agency("202100-5448", "skatt"); }

  // The log size as the latest checkpoint says (every acknowledged change is
  // covered before its response returns).
  static uint64_t LogSize() {
    auto cp = Client("frida.revisor")->GetCheckpoint();
    EXPECT_TRUE(cp.ok()) << cp.status();
    std::vector<std::string> lines = absl::StrSplit(cp->checkpoint(), '\n');
    uint64_t n = 0;
    EXPECT_TRUE(absl::SimpleAtoi(lines.at(1), &n));
    return n;
  }

  static client::NewCase YoungAtRisk() {
    client::NewCase c;
    c.to = Soc();
    c.facts.add_categories("socialtjanst");
    c.facts.add_purposes("forebygga_brott");
    c.subject_id = kPerson;
    c.text = "Fråga: är " + std::string(kPerson) + " känd av socialtjänsten?";
    c.summary = "Begäran enligt 10:18a OSL";
    return c;
  }

  static std::vector<v1::Attestation> Attest18a() {
    std::vector<v1::Attestation> out(2);
    out[0].set_provision("10:18a");
    out[0].set_judgement("konkret_risk");
    out[0].set_motivation("Upprepade iakttagelser av rekrytering.");
    out[1].set_provision("10:18a");
    out[1].set_judgement("inte_olampligt");
    out[1].set_motivation("Pågående insats påverkas inte.");
    return out;
  }
};

#define EXPECT_CODE(expr, want, substr)                                        \
  do {                                                                         \
    auto s_ = (expr);                                                          \
    EXPECT_EQ(s_.status().code(), absl::StatusCode::want) << s_.status();     \
    EXPECT_THAT(std::string(s_.status().message()), HasSubstr(substr));        \
  } while (0)

TEST_F(ExchangeTest, Route1YoungAtRiskDisclosedOpenedAndAcknowledged) {
  auto polis = Client("cecilia.utredare");
  auto bo = Client("bo.beslutsfattare");
  auto req = polis->NewRequest(YoungAtRisk());
  ASSERT_TRUE(req.ok()) << req.status();
  EXPECT_EQ(req->assessment().outcome(), v1::ALLOWED_IF_ATTESTED);
  EXPECT_THAT(req->logged().checkpoint(), HasSubstr("sluss.dev/diarium\n"));
  const std::string case_id = req->logged().case_id();
  auto inbox = bo->Inbox();
  ASSERT_TRUE(inbox.ok());
  const v1::CaseSummary* summary = nullptr;
  for (const auto& c : inbox->cases()) {
    if (c.case_id() == case_id) summary = &c;
  }
  ASSERT_NE(summary, nullptr);
  // The question opens for the discloser.
  auto q = bo->Open(case_id, v1::GetDisclosureRequest::QUESTION);
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_THAT(q->plaintext, HasSubstr("känd av socialtjänsten"));
  // Without attestations: FAILED_PRECONDITION naming them; nothing written.
  const uint64_t before = LogSize();
  EXPECT_CODE(bo->Disclose(case_id, kSecret, {}, "m"), kFailedPrecondition, "10:18a: konkret_risk, inte_olampligt");
  EXPECT_EQ(LogSize(), before);
  // DiscloseTo takes the recipient from the inbox (no CaseHistory call); an
  // envelope sealed to another agency is refused and writes nothing.
  EXPECT_CODE(bo->DiscloseTo(case_id, Skv(), kSecret, Attest18a(), "m"), kInvalidArgument,
              "envelope: not sealed to 202100-0076/polis");
  EXPECT_EQ(LogSize(), before);
  auto dec = bo->DiscloseTo(case_id, summary->recipient(), kSecret, Attest18a(), "Utlämnas enligt 10:18a.");
  ASSERT_TRUE(dec.ok()) << dec.status();
  EXPECT_EQ(dec->assessment().outcome(), v1::ALLOWED);
  auto opened = polis->Open(case_id);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(opened->plaintext, kSecret);
  EXPECT_EQ(opened->signed_by, "bo.beslutsfattare");
  auto ack = polis->Ack(case_id, opened->digest);
  ASSERT_TRUE(ack.ok()) << ack.status();
  auto hist = polis->CaseHistory(case_id);
  ASSERT_TRUE(hist.ok());
  EXPECT_EQ(hist->summary().state(), v1::RECEIVED);
  ASSERT_EQ(hist->entries_size(), 3);
  EXPECT_EQ(hist->entries(2).log_index(), ack->logged().log_index());
}

TEST_F(ExchangeTest, Route6TaxToPoliceAndRoute4Refused) {
  auto polis = Client("cecilia.utredare");
  client::NewCase tax;
  tax.to = Skv();
  tax.facts.add_categories("skatt");
  tax.facts.add_purposes("utreda_brott");
  tax.facts.mutable_crime()->set_stage(v1::COMMITTED);
  tax.facts.mutable_crime()->add_offence_classes("skattebrott");
  tax.facts.mutable_crime()->set_prison_in_scale(true);
  tax.facts.mutable_crime()->set_minimum_penalty_months(0);
  tax.subject_kind = v1::ORGANISATION;
  tax.subject_id = "556036-0793";
  tax.text = "Deklarationer 2024-2025?";
  auto r6 = polis->NewRequest(tax);
  ASSERT_TRUE(r6.ok()) << r6.status();
  EXPECT_EQ(r6->assessment().outcome(), v1::ALLOWED);
  auto eva = Client("eva.handlaggare");
  auto d6 = eva->Disclose(r6->logged().case_id(), "Deklarationer bifogas.", {}, "10:24 OSL");
  ASSERT_TRUE(d6.ok()) << d6.status();
  auto o6 = polis->Open(r6->logged().case_id());
  ASSERT_TRUE(o6.ok()) << o6.status();
  EXPECT_EQ(o6->plaintext, "Deklarationer bifogas.");
  ASSERT_TRUE(polis->Ack(r6->logged().case_id(), o6->digest).ok());

  client::NewCase general = YoungAtRisk();
  general.facts.clear_purposes();
  general.facts.set_claimed_basis("10:27");
  auto r4 = polis->NewRequest(general);
  ASSERT_TRUE(r4.ok()) << r4.status();
  EXPECT_EQ(r4->assessment().claimed_basis().status(), v1::DOES_NOT_APPLY);
  auto bo = Client("bo.beslutsfattare");
  auto refused = bo->Refuse(r4->logged().case_id(), {"26:1 OSL är undantagen från 10:27."});
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(polis->CaseHistory(r4->logged().case_id())->summary().state(), v1::REFUSED);
  EXPECT_CODE(polis->Open(r4->logged().case_id()), kNotFound, "no such envelope");
}

TEST_F(ExchangeTest, OwnInitiativeDisclosure) {
  auto eva = Client("eva.handlaggare");
  client::NewCase c;
  c.to = Polis();
  c.facts.add_categories("skatt");
  c.facts.add_purposes("utreda_brott");
  c.facts.mutable_crime()->set_stage(v1::COMMITTED);
  c.facts.mutable_crime()->add_offence_classes("skattebrott");
  c.facts.mutable_crime()->set_prison_in_scale(true);
  c.subject_kind = v1::ORGANISATION;
  c.subject_id = "556036-0793";
  c.text = "Misstänkt skattebrott, underlag bifogas.";
  c.motivation = "10:24 OSL";
  auto sent = eva->SendDisclosure(c);
  ASSERT_TRUE(sent.ok()) << sent.status();
  auto polis = Client("cecilia.utredare");
  auto o = polis->Open(sent->logged().case_id());
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->plaintext, c.text);
  EXPECT_TRUE(polis->Ack(sent->logged().case_id(), o->digest).ok());
}

TEST_F(ExchangeTest, BadInputGetsSpecificErrorsAndWritesNothing) {
  auto polis = Client("cecilia.utredare");
  auto bo = Client("bo.beslutsfattare");
  auto open = polis->NewRequest(YoungAtRisk());
  ASSERT_TRUE(open.ok()) << open.status();
  const uint64_t size = LogSize();

  client::NewCase bad_pnr = YoungAtRisk();
  bad_pnr.subject_id = "20061015-1236";
  EXPECT_CODE(polis->NewRequest(bad_pnr), kInvalidArgument, "check digit");
  client::NewCase bad_cat = YoungAtRisk();
  bad_cat.facts.add_categories("hemligheter");
  EXPECT_CODE(polis->NewRequest(bad_cat), kInvalidArgument, "hemligheter");
  client::NewCase big = YoungAtRisk();
  big.text = std::string(6 << 20, 'x');
  EXPECT_CODE(polis->NewRequest(big), kResourceExhausted, "exceeds the limit of 6291456");

  // A bad DSSE signature and a replayed envelope under a new key: build the
  // raw request the way the client does.
  v1::Action a;
  a.set_idempotency_key("sig-1");
  a.mutable_acknowledge()->set_case_id(open->logged().case_id());
  auto env = polis->SignAction(a);
  ASSERT_TRUE(env.ok());
  v1::AcknowledgeRequest ack;
  ack.set_idempotency_key("sig-1");
  *ack.mutable_action() = *env;
  (*ack.mutable_action()->mutable_signatures(0)->mutable_sig())[5] ^= 0x20;
  EXPECT_CODE(polis->Acknowledge(ack), kUnauthenticated, "does not verify");

  v1::Action d;
  d.set_idempotency_key("refuse-1");
  d.mutable_decide()->set_case_id(open->logged().case_id());
  d.mutable_decide()->mutable_refuse()->add_reasons("Nej.");
  v1::DecideRequest refuse;
  refuse.set_idempotency_key("refuse-2");
  *refuse.mutable_action() = *bo->SignAction(d);
  EXPECT_CODE(bo->Decide(refuse), kInvalidArgument, "cannot be replayed under a new key");

  // A decision on someone else's case (Skatteverket on a case to the kommun).
  auto eva = Client("eva.handlaggare");
  EXPECT_CODE(eva->Refuse(open->logged().case_id(), {"Inte vårt."}), kPermissionDenied, "not addressed to your agency");
  EXPECT_EQ(LogSize(), size);
}

// Envelopes above gRPC's 4 MiB message limit travel in pieces both ways;
// a stream that is cut, altered or over the limit writes nothing.
TEST_F(ExchangeTest, LargeEnvelopesStreamAndBadStreamsWriteNothing) {
  auto polis = Client("cecilia.utredare");
  auto bo = Client("bo.beslutsfattare");
  client::NewCase big = YoungAtRisk();
  big.text = std::string(5 << 20, 'q');
  auto req = polis->NewRequest(big);
  ASSERT_TRUE(req.ok()) << req.status();
  const std::string case_id = req->logged().case_id();
  const std::string answer = std::string(5 << 20, 'a') + "slut";
  auto dec = bo->Disclose(case_id, answer, Attest18a(), "m");
  ASSERT_TRUE(dec.ok()) << dec.status();
  // A single message cannot carry it: the server says so, the client streams.
  v1::GetDisclosureRequest get;
  get.set_case_id(case_id);
  auto stub = v1::Exchange::NewStub(polis->channel());
  {
    grpc::ClientContext ctx;
    v1::GetDisclosureResponse unary;
    grpc::Status st = stub->GetDisclosure(&ctx, get, &unary);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(st.error_message(), HasSubstr("GetDisclosureStream"));
  }
  auto opened = polis->Open(case_id);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_TRUE(opened->plaintext == answer) << "opened " << opened->plaintext.size() << " bytes";
  auto question = bo->Open(case_id, v1::GetDisclosureRequest::QUESTION);
  ASSERT_TRUE(question.ok()) << question.status();
  EXPECT_TRUE(question->plaintext == big.text);

  const uint64_t size = LogSize();
  // Unary above gRPC's default message limit: gRPC refuses it.
  {
    auto p = client::LoadProfile(*pki_ + "/profiles/cecilia.utredare.toml");
    ASSERT_TRUE(p.ok());
    SlussClient::Options o;
    o.stream_envelopes_above = SIZE_MAX;
    auto unary = SlussClient::Create(*p, o);
    ASSERT_TRUE(unary.ok());
    EXPECT_EQ((*unary)->NewRequest(big).status().code(), absl::StatusCode::kResourceExhausted);
  }
  // A stream cut after its first piece, and one whose bytes are not the
  // signed envelope's: built like the client library builds them.
  auto built = polis->BuildRequest(big);
  ASSERT_TRUE(built.ok()) << built.status();
  const std::string bytes = exchange::SerializeEnvelope(built->question());
  v1::RequestChunk head;
  *head.mutable_call() = *built;
  head.mutable_call()->clear_question();
  {
    grpc::ClientContext ctx;
    v1::RequestResponse resp;
    auto w = stub->RequestStream(&ctx, &resp);
    v1::RequestChunk first = head;
    first.set_envelope_chunk(bytes.substr(0, exchange::kEnvelopeChunkBytes));
    ASSERT_TRUE(w->Write(first));
    ctx.TryCancel();
    EXPECT_EQ(w->Finish().error_code(), grpc::StatusCode::CANCELLED);
  }
  {
    grpc::ClientContext ctx;
    v1::RequestResponse resp;
    auto w = stub->RequestStream(&ctx, &resp);
    std::string altered = bytes;
    altered[altered.size() / 2] ^= 1;
    bool ok = w->Write(head);
    for (absl::string_view piece : exchange::SplitIntoChunks(altered)) {
      v1::RequestChunk c;
      c.set_envelope_chunk(std::string(piece));
      ok = ok && w->Write(c);
    }
    if (ok) w->WritesDone();
    grpc::Status st = w->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
    EXPECT_THAT(st.error_message(), HasSubstr("digest"));
  }
  {  // A piece larger than a chunk.
    grpc::ClientContext ctx;
    v1::RequestResponse resp;
    auto w = stub->RequestStream(&ctx, &resp);
    v1::RequestChunk first = head;
    first.set_envelope_chunk(bytes.substr(0, exchange::kEnvelopeChunkBytes + 1));
    if (w->Write(first)) w->WritesDone();
    grpc::Status st = w->Finish();
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << st.error_message();
    EXPECT_THAT(st.error_message(), HasSubstr("chunks are at most"));
  }
  EXPECT_EQ(LogSize(), size);
  // The same call, whole and unaltered, still goes through.
  EXPECT_TRUE(polis->Request(*built).ok());
}

TEST_F(ExchangeTest, RetryWithTheSameIdempotencyKeyReturnsTheFirstAnswer) {
  auto polis = Client("cecilia.utredare");
  v1::Action a;
  a.set_idempotency_key("retry-ack");
  auto req = polis->NewRequest(YoungAtRisk());
  ASSERT_TRUE(req.ok());
  auto bo = Client("bo.beslutsfattare");
  v1::Action d;
  d.set_idempotency_key("retry-refuse");
  d.mutable_decide()->set_case_id(req->logged().case_id());
  d.mutable_decide()->mutable_refuse()->add_reasons("Nej.");
  v1::DecideRequest refuse;
  refuse.set_idempotency_key("retry-refuse");
  *refuse.mutable_action() = *bo->SignAction(d);
  auto first = bo->Decide(refuse);
  ASSERT_TRUE(first.ok()) << first.status();
  const uint64_t size = LogSize();
  auto again = bo->Decide(refuse);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->logged().replayed());
  EXPECT_EQ(again->logged().log_index(), first->logged().log_index());
  EXPECT_EQ(LogSize(), size);
}

// Every RPC by every kind of caller; denied calls write nothing.
TEST_F(ExchangeTest, AuthorizationMatrix) {
  // A disclosed case (polisen asked the kommun) and one awaiting a decision.
  auto polis = Client("cecilia.utredare");
  auto bo = Client("bo.beslutsfattare");
  auto done = polis->NewRequest(YoungAtRisk());
  ASSERT_TRUE(done.ok());
  const std::string disclosed = done->logged().case_id();
  ASSERT_TRUE(bo->Disclose(disclosed, kSecret, Attest18a(), "m").ok());
  auto gustav = Client("gustav.admin");
  ASSERT_TRUE(gustav->Revoke("bertil.beslutsfattare", "lämnat tjänsten").ok());

  // The party acts last (std::map order), so the others meet the case in the
  // state the party's own call needs.
  enum Who { kOther, kAuditor, kStranger, kNoBeslutsratt, kRevoked, kParty };
  const std::map<Who, std::string> profiles = {
      {kParty, ""}, {kOther, "david.handlaggare"}, {kAuditor, "frida.revisor"},
      {kStranger, "stranger"}, {kNoBeslutsratt, "anna.handlaggare"}, {kRevoked, "bertil.beslutsfattare"}};
  using Code = absl::StatusCode;
  struct Row {
    std::string rpc;
    std::string party;  // profile acting as the party
    bool writes;
    std::function<absl::Status(SlussClient&)> call;
    std::map<Who, Code> want;
  };
  auto awaiting = [&]() {
    auto r = polis->NewRequest(YoungAtRisk());
    EXPECT_TRUE(r.ok());
    return r->logged().case_id();
  };
  const std::string pending = awaiting();
  const Code OK = Code::kOk, DENIED = Code::kPermissionDenied, UNAUTH = Code::kUnauthenticated;
  std::vector<Row> rows = {
      {"Request", "cecilia.utredare", true,
       [&](SlussClient& c) {
         client::NewCase nc = YoungAtRisk();
         auto me = c.MyAgency();
         if (me.ok() && me->function() == "socialtjanst") nc.to = Polis();  // not to itself
         return c.NewRequest(nc).status();
       },
       {{kParty, OK}, {kOther, OK}, {kAuditor, DENIED}, {kStranger, UNAUTH}, {kNoBeslutsratt, OK},
        {kRevoked, DENIED}}},
      {"Decide", "bo.beslutsfattare", true,
       [&](SlussClient& c) { return c.Disclose(pending, kSecret, Attest18a(), "m", "dec-" + c.profile().officer).status(); },
       {{kParty, OK}, {kOther, DENIED}, {kAuditor, DENIED}, {kStranger, UNAUTH}, {kNoBeslutsratt, DENIED},
        {kRevoked, DENIED}}},
      {"GetDisclosure", "cecilia.utredare", false, [&](SlussClient& c) { return c.Open(disclosed).status(); },
       {{kParty, OK}, {kOther, DENIED}, {kAuditor, DENIED}, {kStranger, UNAUTH}, {kNoBeslutsratt, OK},
        {kRevoked, OK}}},
      {"Acknowledge", "cecilia.utredare", true,
       [&](SlussClient& c) {
         auto o = polis->Open(disclosed);
         if (!o.ok()) return o.status();
         return c.Ack(disclosed, o->digest, "ack-" + c.profile().officer).status();
       },
       {{kParty, OK}, {kOther, DENIED}, {kAuditor, DENIED}, {kStranger, UNAUTH}, {kNoBeslutsratt, DENIED},
        {kRevoked, DENIED}}},
      {"Inbox", "cecilia.utredare", false, [&](SlussClient& c) { return c.Inbox().status(); },
       {{kParty, OK}, {kOther, OK}, {kAuditor, OK}, {kStranger, UNAUTH}}},
      {"Outbox", "cecilia.utredare", false, [&](SlussClient& c) { return c.Outbox().status(); },
       {{kParty, OK}, {kOther, OK}, {kAuditor, OK}, {kStranger, UNAUTH}}},
      {"CaseHistory", "cecilia.utredare", false, [&](SlussClient& c) { return c.CaseHistory(disclosed).status(); },
       {{kParty, OK}, {kOther, DENIED}, {kAuditor, OK}, {kStranger, UNAUTH}, {kNoBeslutsratt, OK}}},
      {"ListAgencies", "cecilia.utredare", false, [&](SlussClient& c) { return c.ListAgencies().status(); },
       {{kParty, OK}, {kOther, OK}, {kAuditor, OK}, {kStranger, UNAUTH}}},
      {"GetOfficer", "cecilia.utredare", false, [&](SlussClient& c) { return c.GetOfficer("bo.beslutsfattare").status(); },
       {{kParty, OK}, {kOther, OK}, {kAuditor, OK}, {kStranger, UNAUTH}}},
      {"RevokeKey", "gustav.admin", true,
       [&](SlussClient& c) { return c.Revoke("anna.handlaggare", "test", "rev-" + c.profile().officer).status(); },
       {{kOther, DENIED}, {kAuditor, DENIED}, {kStranger, UNAUTH}, {kNoBeslutsratt, DENIED}, {kRevoked, DENIED}}},
      {"GetCheckpoint", "cecilia.utredare", false, [&](SlussClient& c) { return c.GetCheckpoint().status(); },
       {{kParty, OK}, {kOther, OK}, {kAuditor, OK}, {kStranger, UNAUTH}}},
      {"GetEntries", "frida.revisor", false, [&](SlussClient& c) { return c.GetEntries(0, 3).status(); },
       {{kParty, OK}, {kOther, DENIED}, {kStranger, UNAUTH}, {kNoBeslutsratt, DENIED}}},
      {"GetTile", "frida.revisor", false, [&](SlussClient& c) { return c.GetTile(0, 0, 1).status(); },
       {{kParty, OK}, {kOther, DENIED}, {kStranger, UNAUTH}, {kNoBeslutsratt, DENIED}}},
      {"GetInclusionProof", "cecilia.utredare", false, [&](SlussClient& c) { return c.GetInclusionProof(1).status(); },
       {{kParty, OK}, {kOther, OK}, {kAuditor, OK}, {kStranger, UNAUTH}}},
      {"GetConsistencyProof", "cecilia.utredare", false,
       [&](SlussClient& c) { return c.GetConsistencyProof(2).status(); },
       {{kParty, OK}, {kOther, OK}, {kAuditor, OK}, {kStranger, UNAUTH}}},
      {"Gate.Check", "cecilia.utredare", false,
       [&](SlussClient& c) {
         v1::CheckRequest r;
         r.mutable_facts()->mutable_discloser()->set_agency_kind("kommun_socialnamnd");
         r.mutable_facts()->mutable_recipient()->set_agency_kind("polismyndigheten");
         r.mutable_facts()->add_categories("socialtjanst");
         return c.GateCheck(r).status();
       },
       {{kParty, OK}, {kOther, OK}, {kAuditor, OK}, {kStranger, UNAUTH}}},
  };
  for (const Row& row : rows) {
    for (const auto& [who, want] : row.want) {
      const std::string profile = who == kParty ? row.party : profiles.at(who);
      auto c = Client(profile);
      const uint64_t before = LogSize();
      absl::Status s = row.call(*c);
      EXPECT_EQ(s.code(), want) << row.rpc << " by " << profile << ": " << s;
      if (!s.ok() || !row.writes) {
        EXPECT_EQ(LogSize(), before) << row.rpc << " by " << profile << " wrote";
      }
    }
  }
  // WhoAmI answers any certificate of the CA: it only reports it.
  EXPECT_TRUE(Client("stranger")->WhoAmI().ok());
}

TEST_F(ExchangeTest, PlaintextAndPersonnummerNeverReachTheDataDirectory) {
  auto polis = Client("cecilia.utredare");
  auto bo = Client("bo.beslutsfattare");
  auto req = polis->NewRequest(YoungAtRisk());
  ASSERT_TRUE(req.ok());
  ASSERT_TRUE(bo->Disclose(req->logged().case_id(), kSecret, Attest18a(), "m").ok());
  auto opened = polis->Open(req->logged().case_id());
  ASSERT_TRUE(opened.ok());
  ASSERT_EQ(opened->plaintext, kSecret);
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(*pki_ + "/data")) {
    if (!e.is_regular_file()) continue;
    ++files;
    auto bytes = ReadFile(e.path().string());
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(bytes->find("XYZZY-4711"), std::string::npos) << e.path();
    EXPECT_EQ(bytes->find("20061015"), std::string::npos) << e.path();
    EXPECT_EQ(bytes->find("061015-1235"), std::string::npos) << e.path();
    EXPECT_EQ(bytes->find("känd av socialtjänsten"), std::string::npos) << e.path();
  }
  EXPECT_GT(files, 3);
}

}  // namespace
}  // namespace sluss::testing
