#include "server/broker/broker.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>

#include <condition_variable>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "base/file.h"
#include "base/status_macros.h"
#include "crypto/dsse.h"
#include "crypto/hash.h"
#include "exchange/action.h"
#include "gate/assess.h"
#include "gate/identifiers.h"
#include "gate/render.h"
#include "server/broker/projection.h"

namespace sluss::broker {
namespace {

using exchange::AgencyKey;

// Rulebook serializations above this are logged in chunks (the entry limit
// is 65,535 bytes; leave room for the envelope of the entry).
constexpr size_t kRulebookChunk = 60000;

std::string Hex(absl::string_view b) { return crypto::ToHex(b); }

std::string DateString(absl::CivilDay d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

bool HasRole(const v1::OfficerRegistration& o, v1::Role r) {
  for (int x : o.roles()) {
    if (x == r) return true;
  }
  return false;
}

// "SO {year}/{seq:04}" -> "SO 2026/0042".
std::string FormatDiarienummer(absl::string_view format, int year, int seq) {
  std::string out(format.empty() ? absl::string_view("{year}/{seq}") : format);
  out = absl::StrReplaceAll(out, {{"{year}", absl::StrCat(year)}});
  size_t pos = out.find("{seq");
  if (pos != std::string::npos) {
    size_t end = out.find('}', pos);
    if (end != std::string::npos) {
      int width = 0;
      if (out[pos + 4] == ':') (void)absl::SimpleAtoi(out.substr(pos + 5, end - pos - 5), &width);
      out.replace(pos, end - pos + 1, absl::StrFormat("%0*d", width, seq));
    }
  }
  return out;
}

// Runs callbacks once a signed checkpoint covers a given tree size, on its
// own thread (AwaitCheckpoint blocks; reactors and the syncer must not).
class CheckpointNotifier {
 public:
  using Fn = std::function<void(absl::StatusOr<storage::SignedCheckpoint>)>;
  explicit CheckpointNotifier(storage::Diarium* d) : diarium_(d), thread_([this] { Loop(); }) {}
  ~CheckpointNotifier() {
    {
      absl::MutexLock l(&mu_);
      stop_ = true;
    }
    thread_.join();
  }
  void Wait(uint64_t size, Fn fn) {
    absl::MutexLock l(&mu_);
    waiters_.emplace(size, std::move(fn));
  }

 private:
  void Loop() {
    for (;;) {
      uint64_t need;
      {
        absl::MutexLock l(&mu_);
        auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !waiters_.empty(); };
        mu_.Await(absl::Condition(&ready));
        if (waiters_.empty()) return;
        need = waiters_.begin()->first;
      }
      absl::StatusOr<storage::SignedCheckpoint> cp = diarium_->AwaitCheckpoint(need, absl::Milliseconds(200));
      if (!cp.ok() && cp.status().code() == absl::StatusCode::kDeadlineExceeded) continue;
      std::vector<Fn> ready_fns;
      {
        absl::MutexLock l(&mu_);
        auto end = cp.ok() ? waiters_.upper_bound(cp->body.size) : waiters_.end();
        for (auto it = waiters_.begin(); it != end; ++it) ready_fns.push_back(std::move(it->second));
        waiters_.erase(waiters_.begin(), end);
      }
      for (Fn& f : ready_fns) f(cp);
    }
  }
  storage::Diarium* const diarium_;
  absl::Mutex mu_;
  std::multimap<uint64_t, Fn> waiters_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

struct Verified {
  v1::Action action;
  std::string action_digest;
  std::string idem_key;  // agency-key "\n" idempotency key
};

// What a validated call appends.
struct Prepared {
  v1::DiariumEntry entry;
  storage::IndexKeys keys;
  std::string case_id;         // reserved (pending) case, if any
  std::string payload;         // serialized envelope stored with the entry, if any
  std::string payload_digest;  // its digest (raw)
  // Runs under the lock right before the append (assigns diarienummer).
  std::function<void(Prepared&)> finalize;
};

thread_local std::optional<absl::StatusOr<uint64_t>>* t_immediate = nullptr;

}  // namespace

class Broker::Impl {
 public:
  explicit Impl(BrokerOptions o)
      : opts_(std::move(o)),
        clock_(opts_.clock != nullptr ? opts_.clock : &RealClock()) {}

  absl::Status Init() {
    if (opts_.diarium == nullptr || opts_.rulebook == nullptr || opts_.pseudonym_key == nullptr) {
      return absl::InvalidArgumentError("broker: diarium, rulebook and pseudonym_key are required");
    }
    // Replay.
    absl::Status apply_status;
    {
      absl::MutexLock l(&mu_);
      SLUSS_RETURN_IF_ERROR(opts_.diarium->ReadRange(0, opts_.diarium->size(), [&](uint64_t i, absl::string_view b) {
        apply_status = Apply(b, i);
        return apply_status.ok();
      }));
    }
    SLUSS_RETURN_IF_ERROR(apply_status);
    bool empty;
    std::string active;
    {
      absl::MutexLock l(&mu_);
      empty = proj_.applied == 0;
      active = proj_.active_rulebook;
    }
    std::vector<v1::DiariumEntry> boot;
    if (empty) {
      for (const auto& a : opts_.bootstrap_agencies) *boot.emplace_back().mutable_agency() = a;
      for (const auto& o : opts_.bootstrap_officers) *boot.emplace_back().mutable_officer() = o;
    }
    if (active != opts_.rulebook->digest()) {
      const std::string ser = exchange::SerializeDeterministic(opts_.rulebook->proto());
      v1::RulebookActivation act;
      act.set_digest(opts_.rulebook->digest());
      act.set_rulebook_id(opts_.rulebook->proto().id());
      act.set_edition(opts_.rulebook->proto().edition());
      if (ser.size() <= kRulebookChunk) {
        act.set_rulebook(ser);
      } else {
        const uint32_t n = static_cast<uint32_t>((ser.size() + kRulebookChunk - 1) / kRulebookChunk);
        for (uint32_t i = 0; i < n; ++i) {
          v1::RulebookChunk* c = boot.emplace_back().mutable_rulebook_chunk();
          c->set_digest(act.digest());
          c->set_index(i);
          c->set_count(n);
          c->set_data(ser.substr(i * kRulebookChunk, kRulebookChunk));
        }
        act.set_chunks(n);
      }
      *boot.emplace_back().mutable_rulebook_activation() = act;
    }
    for (v1::DiariumEntry& e : boot) {
      e.set_time_unix_micros(absl::ToUnixMicros(clock_->Now()));
      const std::string bytes = exchange::SerializeDeterministic(e);
      storage::IndexKeys keys;
      keys.time = clock_->Now();
      if (e.has_agency()) keys.agency_ids.push_back(AgencyKey(e.agency().agency()));
      if (e.has_officer()) keys.agency_ids.push_back(AgencyKey(e.officer().agency()));
      SLUSS_ASSIGN_OR_RETURN(uint64_t index, opts_.diarium->Append(bytes, keys));
      absl::MutexLock l(&mu_);
      SLUSS_RETURN_IF_ERROR(Apply(bytes, index));
    }
    notifier_ = std::make_unique<CheckpointNotifier>(opts_.diarium);
    return absl::OkStatus();
  }

  ~Impl() {
    // Appends in flight complete on the diarium's threads; wait for them
    // so their callbacks do not outlive us.
    {
      absl::MutexLock l(&mu_);
      auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_appends_ == 0; };
      mu_.Await(absl::Condition(&idle));
    }
    notifier_.reset();
  }

  // ---------------------------------------------------------------- apply

  // Applies one log entry to the projection. The only way state changes:
  // at replay from its bytes, live from the entry just appended (parsing
  // the bytes again would give the same message).
  absl::Status Apply(absl::string_view bytes, uint64_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return proj_.Apply(bytes, index);
  }
  absl::Status Apply(const v1::DiariumEntry& entry, uint64_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return proj_.Apply(entry, index);
  }

  // ------------------------------------------------------------ checks

  absl::Status RateLimit(const Caller& caller) {
    if (opts_.rate_per_second <= 0) return absl::OkStatus();
    absl::MutexLock l(&rate_mu_);
    const absl::Time now = clock_->Now();
    Bucket& b = buckets_[AgencyKey(caller.orgnr, caller.function)];
    if (b.last == absl::InfinitePast()) b.tokens = opts_.rate_burst;
    else b.tokens = std::min(opts_.rate_burst, b.tokens + absl::ToDoubleSeconds(now - b.last) * opts_.rate_per_second);
    b.last = now;
    if (b.tokens < 1) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "rate limit: agency %s/%s may make %.0f changes per second (burst %.0f); retry later",
          caller.orgnr, caller.function, opts_.rate_per_second, opts_.rate_burst));
    }
    b.tokens -= 1;
    return absl::OkStatus();
  }

  absl::Status KnownAgency(const Caller& caller) const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (proj_.agencies.count(AgencyKey(caller.orgnr, caller.function)) == 0) {
      return absl::UnauthenticatedError(absl::StrCat("agency ", caller.orgnr, ":", caller.function,
                                                     " (from the client certificate) is not in the directory"));
    }
    return absl::OkStatus();
  }

  absl::Status AuthenticateLocked(const Caller& caller) const {
    absl::ReaderMutexLock l(&mu_);
    return KnownAgency(caller);
  }

  const v1::AgencyRegistration& AgencyOf(const Caller& c) const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return proj_.agencies.at(AgencyKey(c.orgnr, c.function));
  }

  // Parses and verifies the signed action (signature outside the lock).
  absl::StatusOr<Verified> VerifyAction(const Caller& caller, absl::string_view idem,
                                        const v1::DsseEnvelope& env, v1::Action::BodyCase body) {
    SLUSS_ASSIGN_OR_RETURN(v1::Action action, exchange::ParseActionUnverified(env));
    if (action.body_case() != body) {
      return absl::InvalidArgumentError("action: the signed action is not of the kind this call takes");
    }
    crypto::Ed25519PublicKey key;
    {
      absl::ReaderMutexLock l(&mu_);
      SLUSS_RETURN_IF_ERROR(KnownAgency(caller));
      auto it = proj_.officers.find(action.officer());
      if (it == proj_.officers.end()) {
        return absl::UnauthenticatedError(absl::StrCat("action: officer \"", action.officer(),
                                                       "\" is not in the directory"));
      }
      if (it->second.reg.agency().orgnr() != caller.orgnr || it->second.reg.agency().function() != caller.function) {
        return absl::PermissionDeniedError(absl::StrCat("action: officer ", action.officer(), " belongs to ",
                                                        AgencyKey(it->second.reg.agency()), ", not to the calling agency ",
                                                        AgencyKey(caller.orgnr, caller.function)));
      }
      key = it->second.key;
    }
    if (action.agency().orgnr() != caller.orgnr || action.agency().function() != caller.function) {
      return absl::PermissionDeniedError("action: signed for another agency than the calling certificate's");
    }
    absl::Status sig = crypto::DsseVerify(exchange::DsseFromProto(env), action.officer(), key);
    if (!sig.ok()) {
      return absl::UnauthenticatedError(absl::StrCat("action: ", sig.message()));
    }
    if (idem.empty()) return absl::InvalidArgumentError("idempotency_key is required");
    if (idem != action.idempotency_key()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "idempotency key \"", idem, "\" does not match the signed action's (\"", action.idempotency_key(),
          "\"): a signed action cannot be replayed under a new key"));
    }
    Verified v;
    v.action_digest = std::string(crypto::AsStringView(crypto::Sha256(env.payload())));
    v.idem_key = AgencyKey(caller.orgnr, caller.function) + "\n" + action.idempotency_key();
    v.action = std::move(action);
    return v;
  }

  // Under the lock, after VerifyAction: revocation and time window.
  absl::Status CheckOfficerNow(const Verified& v) const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    const OfficerState& o = proj_.officers.at(v.action.officer());
    if (o.revoked) {
      return absl::PermissionDeniedError(absl::StrCat("action: the key of officer ", v.action.officer(),
                                                      " has been revoked"));
    }
    const absl::Time signed_at = absl::FromUnixMicros(v.action.signed_at_unix_micros());
    const absl::Duration skew = absl::AbsDuration(clock_->Now() - signed_at);
    if (skew > opts_.signed_at_window) {
      return absl::InvalidArgumentError(absl::StrCat(
          "action: signed at ", absl::FormatTime(signed_at), ", more than ",
          absl::FormatDuration(opts_.signed_at_window), " from the broker's clock (",
          absl::FormatTime(clock_->Now()), ")"));
    }
    return absl::OkStatus();
  }

  absl::Status CheckEnvelope(const v1::SealedEnvelope& env, absl::string_view signed_digest,
                             const std::vector<const v1::AgencyRegistration*>& parties,
                             std::string* serialized) const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    *serialized = exchange::SerializeEnvelope(env);
    if (serialized->size() > opts_.max_envelope_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat("envelope of ", serialized->size(),
                                                       " bytes exceeds the limit of ", opts_.max_envelope_bytes));
    }
    if (std::string(crypto::AsStringView(crypto::Sha256(*serialized))) != signed_digest) {
      return absl::InvalidArgumentError("envelope: its SHA-256 digest is not the one the officer signed");
    }
    for (const v1::AgencyRegistration* p : parties) {
      bool found = false;
      for (const auto& r : env.recipients()) found = found || r.recipient() == p->encryption_key();
      if (!found) {
        return absl::InvalidArgumentError(absl::StrCat("envelope: not sealed to ", AgencyKey(p->agency()),
                                                       "'s encryption key (see Directory.ListAgencies)"));
      }
    }
    return absl::OkStatus();
  }

  absl::CivilDay Today() const { return absl::ToCivilDay(clock_->Now(), opts_.time_zone); }

  // Validates the subject opening against the signed commitment and fills
  // the subject facts. Returns the pseudonym (hex).
  absl::StatusOr<std::string> OpenSubject(v1::SubjectKind kind, absl::string_view commitment,
                                          const v1::SubjectOpening& subject, absl::CivilDay day,
                                          v1::Facts* facts) const {
    if (subject.salt().size() < 16) return absl::InvalidArgumentError("subject: salt must be at least 16 bytes");
    if (exchange::SubjectCommitment(subject.salt(), subject.id()) != commitment) {
      return absl::InvalidArgumentError("subject: the identifier and salt do not match the signed commitment");
    }
    std::string pseudonym;
    if (kind == v1::PERSON) {
      absl::StatusOr<gate::PersonId> id = gate::ParsePersonId(subject.id(), day);
      if (!id.ok()) return absl::InvalidArgumentError(absl::StrCat("subject: ", id.status().message()));
      facts->mutable_subject()->set_age_years(gate::AgeInYears(id->date, day));
      pseudonym = Hex(opts_.pseudonym_key->Pseudonym("personnummer", id->canonical));
    } else if (kind == v1::ORGANISATION) {
      absl::StatusOr<gate::OrganisationNumber> id = gate::ParseOrganisationsnummer(subject.id());
      if (!id.ok()) return absl::InvalidArgumentError(absl::StrCat("subject: ", id.status().message()));
      pseudonym = Hex(opts_.pseudonym_key->Pseudonym("orgnr", id->canonical));
    } else {
      return absl::InvalidArgumentError("subject: subject_kind must be PERSON or ORGANISATION");
    }
    facts->mutable_subject()->set_pseudonym(pseudonym);
    return pseudonym;
  }

  absl::Status CheckBeslutsratt(const v1::OfficerRegistration& o,
                                const google::protobuf::RepeatedPtrField<std::string>& categories) const {
    if (!HasRole(o, v1::BESLUTSFATTARE)) {
      return absl::PermissionDeniedError(absl::StrCat("officer ", o.id(), " has no beslutsrätt (not a beslutsfattare)"));
    }
    for (const std::string& c : categories) {
      bool ok = false;
      for (const std::string& d : o.delegation_categories()) ok = ok || d == c;
      if (!ok) {
        return absl::PermissionDeniedError(absl::StrCat("officer ", o.id(), " has no beslutsrätt for category ", c));
      }
    }
    return absl::OkStatus();
  }

  // FAILED_PRECONDITION naming what the gate still needs, or OK if ALLOWED.
  static absl::Status RequireAllowed(const v1::Assessment& a) {
    if (a.outcome() == v1::ALLOWED) return absl::OkStatus();
    if (a.outcome() == v1::ALLOWED_IF_ATTESTED) {
      return absl::FailedPreconditionError(
          absl::StrCat("missing attestations (the gate allows this only once attested): ",
                       absl::StrJoin(gate::MissingAttestations(a), "; or ")));
    }
    const std::vector<std::string> cats = gate::NotAllowedCategories(a);
    return absl::FailedPreconditionError(absl::StrCat("the gate does not allow disclosing ",
                                                      absl::StrJoin(cats, ", "), " on ", a.decision_date(),
                                                      " (see the assessment)"));
  }

  absl::StatusOr<v1::Assessment> RunGate(const v1::Facts& facts, absl::CivilDay day) const {
    absl::StatusOr<v1::Assessment> a = gate::Assess(*opts_.rulebook, facts, day);
    if (!a.ok()) return absl::InvalidArgumentError(absl::StrCat("gate: ", a.status().message()));
    return a;
  }

  std::pair<std::string, std::string> ReserveDiarienummer(const v1::AgencyRef& from, const v1::AgencyRef& to,
                                                          int year) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto next = [&](const v1::AgencyRef& a) {
      const std::string k = AgencyKey(a) + "\n" + absl::StrCat(year);
      int seq = std::max(proj_.counters[k], reserved_[k]) + 1;
      reserved_[k] = seq;
      return FormatDiarienummer(proj_.agencies.at(AgencyKey(a)).diarienummer_format(), year, seq);
    };
    std::string f = next(from);
    return {f, next(to)};
  }

  // ------------------------------------------------------------ the flow

  // The generic state-changing call: idempotency, validation, reservation,
  // payload write, append, apply, checkpoint, respond. `respond` gets the
  // entry last and may take parts of it (the assessment) instead of copying.
  template <typename Resp>
  void Run(const Caller& caller, absl::string_view idem, const v1::DsseEnvelope& env,
           v1::Action::BodyCase body,
           std::function<absl::StatusOr<Prepared>(const Verified&)> validate,
           std::function<Resp(v1::DiariumEntry&, uint64_t, bool)> respond, Done<Resp> done) {
    if (absl::Status s = AuthenticateLocked(caller); !s.ok()) return done(s);
    if (absl::Status s = RateLimit(caller); !s.ok()) return done(s);
    absl::StatusOr<Verified> v = VerifyAction(caller, idem, env, body);
    if (!v.ok()) return done(v.status());
    auto shared_v = std::make_shared<Verified>(std::move(*v));
    std::shared_ptr<Prepared> prep;
    std::optional<uint64_t> replay_index;
    {
      absl::MutexLock l(&mu_);
      if (!healthy_) return done(absl::UnavailableError("broker: the diarium has failed; not accepting changes"));
      auto it = proj_.idempotency.find(shared_v->idem_key);
      if (it != proj_.idempotency.end()) {
        if (it->second.action_digest != shared_v->action_digest) {
          return done(absl::AlreadyExistsError(absl::StrCat(
              "idempotency key \"", shared_v->action.idempotency_key(),
              "\" was already used for a different action")));
        }
        replay_index = it->second.index;
      } else if (in_flight_.count(shared_v->idem_key) != 0) {
        return done(absl::AbortedError("a call with this idempotency key is in progress; retry"));
      } else {
        if (absl::Status s = CheckOfficerNow(*shared_v); !s.ok()) return done(s);
        absl::StatusOr<Prepared> p = validate(*shared_v);
        if (!p.ok()) return done(p.status());
        prep = std::make_shared<Prepared>(std::move(*p));
        if (!prep->case_id.empty()) {
          if (pending_cases_.count(prep->case_id) != 0) {
            return done(absl::AbortedError(absl::StrCat("case ", prep->case_id,
                                                        " has a change in progress; retry")));
          }
          pending_cases_.insert(prep->case_id);
        }
        in_flight_.insert(shared_v->idem_key);
      }
    }
    if (replay_index) {
      absl::StatusOr<std::string> bytes = opts_.diarium->Get(*replay_index);
      if (!bytes.ok()) return done(bytes.status());
      v1::DiariumEntry e;
      e.ParseFromString(*bytes);
      Resp r;
      {
        absl::ReaderMutexLock l(&mu_);
        r = respond(e, *replay_index, true);
      }
      const uint64_t need = *replay_index + 1;
      notifier_->Wait(need, [r, done](absl::StatusOr<storage::SignedCheckpoint> cp) mutable {
        if (!cp.ok()) return done(cp.status());
        r.mutable_logged()->set_checkpoint(cp->note);
        done(r);
      });
      return;
    }
    Commit<Resp>(std::move(prep), std::move(shared_v), std::move(respond), std::move(done));
  }

  template <typename Resp>
  void Commit(std::shared_ptr<Prepared> prep, std::shared_ptr<Verified> v,
              std::function<Resp(v1::DiariumEntry&, uint64_t, bool)> respond, Done<Resp> done) {
    std::optional<absl::StatusOr<uint64_t>> immediate;
    // The envelope goes into the entry's batch: both are durable, or neither.
    std::vector<storage::Payload> payloads;
    if (!prep->payload.empty()) {
      payloads.push_back(storage::Payload{prep->payload_digest, std::move(prep->payload)});
      prep->payload.clear();
    }
    absl::Status refused;
    {
      // One critical section from the final checks to the append, so the log
      // order is the order in which diarienummer were assigned.
      absl::MutexLock l(&mu_);
      absl::Status s = healthy_ ? CheckOfficerNow(*v) : absl::UnavailableError("broker: the diarium has failed");
      std::string bytes;
      if (s.ok()) {
        if (prep->finalize) prep->finalize(*prep);
        prep->entry.set_time_unix_micros(absl::ToUnixMicros(clock_->Now()));
        prep->keys.time = clock_->Now();
        bytes = exchange::SerializeDeterministic(prep->entry);
        if (bytes.size() > storage::kMaxEntrySize) {
          s = absl::InvalidArgumentError(absl::StrCat("the diarium entry would be ", bytes.size(),
                                                      " bytes; the limit is ", storage::kMaxEntrySize,
                                                      " (fewer or shorter facts, reasons or attestations)"));
        }
      }
      if (!s.ok()) {
        if (!prep->case_id.empty()) pending_cases_.erase(prep->case_id);
        in_flight_.erase(v->idem_key);
        refused = s;
      } else {
        ++in_flight_appends_;
        t_immediate = &immediate;
        opts_.diarium->AppendAsync(std::move(bytes), prep->keys, std::move(payloads),
                                   [this, prep, v, respond, done](absl::StatusOr<uint64_t> index) {
                                     if (t_immediate != nullptr) {
                                       *t_immediate = index;
                                       return;
                                     }
                                     OnAppended(prep, v, index, respond, done);
                                   });
        t_immediate = nullptr;
      }
    }
    if (!refused.ok()) return done(refused);
    if (immediate) OnAppended(prep, v, *immediate, respond, done);
  }

  template <typename Resp>
  void OnAppended(std::shared_ptr<Prepared> prep, std::shared_ptr<Verified> v, absl::StatusOr<uint64_t> index,
                  std::function<Resp(v1::DiariumEntry&, uint64_t, bool)> respond, Done<Resp> done) {
    std::optional<Resp> r;
    absl::Status failure;
    bool first_failure = false;
    {
      absl::MutexLock l(&mu_);
      --in_flight_appends_;
      if (!prep->case_id.empty()) pending_cases_.erase(prep->case_id);
      in_flight_.erase(v->idem_key);
      if (index.ok()) {
        // The entry as built, not re-parsed from its serialization: the same
        // message, so the same effect as at replay (broker_test checks that a
        // rebuilt projection equals the live one).
        absl::Status s = Apply(prep->entry, *index);
        if (!s.ok()) {
          failure = s;
        } else {
          r = respond(prep->entry, *index, false);
        }
      } else {
        failure = index.status();
      }
      if (!failure.ok()) {
        first_failure = healthy_;
        healthy_ = false;
      }
    }
    if (!failure.ok()) {
      if (first_failure && opts_.on_failure) opts_.on_failure(failure);
      return done(absl::UnavailableError(absl::StrCat("broker: the diarium append failed: ", failure.message())));
    }
    notifier_->Wait(*index + 1, [r = std::move(*r), done](absl::StatusOr<storage::SignedCheckpoint> cp) mutable {
      if (!cp.ok()) return done(cp.status());
      r.mutable_logged()->set_checkpoint(cp->note);
      done(std::move(r));
    });
  }

  v1::Logged MakeLogged(const std::string& case_id, uint64_t index, bool replayed, bool caller_is_from) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    v1::Logged l;
    l.set_case_id(case_id);
    l.set_log_index(index);
    l.set_replayed(replayed);
    auto it = proj_.cases.find(case_id);
    if (it != proj_.cases.end()) {
      l.set_diarienummer(caller_is_from ? it->second.summary.from_diarienummer()
                                        : it->second.summary.to_diarienummer());
    }
    return l;
  }

  // --------------------------------------------------------------- calls

  void Request(const Caller& caller, const v1::RequestRequest& req, Done<v1::RequestResponse> done) {
    const v1::RequestRequest* r = &req;  // read only before Run returns
    Run<v1::RequestResponse>(
        caller, r->idempotency_key(), r->action(), v1::Action::kRequest,
        [this, r, caller](const Verified& v) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<Prepared> {
          const v1::RequestAction& ra = v.action.request();
          const OfficerState& officer = proj_.officers.at(v.action.officer());
          if (!HasRole(officer.reg, v1::HANDLAGGARE) && !HasRole(officer.reg, v1::BESLUTSFATTARE)) {
            return absl::PermissionDeniedError(absl::StrCat("officer ", officer.reg.id(),
                                                            " may not make requests (needs role HANDLAGGARE)"));
          }
          auto to = proj_.agencies.find(AgencyKey(ra.to()));
          if (to == proj_.agencies.end()) {
            return absl::NotFoundError(absl::StrCat("request: agency ", AgencyKey(ra.to()), " is not in the directory"));
          }
          const v1::AgencyRegistration& from = AgencyOf(caller);
          if (AgencyKey(ra.to()) == AgencyKey(from.agency())) {
            return absl::InvalidArgumentError("request: an agency cannot ask itself");
          }
          if (ra.facts().attestations_size() > 0) {
            return absl::InvalidArgumentError("request: attestations belong to the decision, not the request");
          }
          const absl::CivilDay day = Today();
          v1::Facts facts = ra.facts();
          facts.mutable_discloser()->set_agency_kind(to->second.kind());
          *facts.mutable_discloser()->mutable_agency() = to->second.agency();
          facts.mutable_recipient()->set_agency_kind(from.kind());
          *facts.mutable_recipient()->mutable_agency() = from.agency();
          facts.clear_subject();
          SLUSS_ASSIGN_OR_RETURN(std::string pseudonym,
                                 OpenSubject(ra.subject_kind(), ra.subject_commitment(), r->subject(), day, &facts));
          SLUSS_ASSIGN_OR_RETURN(v1::Assessment assessment, RunGate(facts, day));
          Prepared p;
          p.case_id = exchange::CaseIdFor(from.agency(), v.action.idempotency_key());
          if (proj_.cases.count(p.case_id) != 0) return absl::AlreadyExistsError("request: case exists");
          SLUSS_RETURN_IF_ERROR(CheckEnvelope(r->question(), ra.question_digest(), {&from, &to->second}, &p.payload));
          p.payload_digest = ra.question_digest();
          v1::RequestEntry* re = p.entry.mutable_request();
          v1::CaseOpening* op = re->mutable_opening();
          op->set_case_id(p.case_id);
          *op->mutable_from() = from.agency();
          *op->mutable_to() = to->second.agency();
          op->set_subject_pseudonym(pseudonym);
          op->set_subject_commitment(ra.subject_commitment());
          *re->mutable_action() = r->action();
          *re->mutable_facts() = std::move(facts);
          re->set_decision_date(DateString(day));
          *re->mutable_assessment() = std::move(assessment);
          p.keys.case_id = p.case_id;
          p.keys.agency_ids = {AgencyKey(from.agency()), AgencyKey(to->second.agency())};
          p.keys.subject_pseudonyms = {pseudonym};
          const int year = static_cast<int>(day.year());
          p.finalize = [this, year](Prepared& q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            v1::CaseOpening* o = q.entry.mutable_request()->mutable_opening();
            auto [f, t] = ReserveDiarienummer(o->from(), o->to(), year);
            o->set_from_diarienummer(f);
            o->set_to_diarienummer(t);
          };
          return p;
        },
        [this](v1::DiariumEntry& e, uint64_t index, bool replayed) ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          v1::RequestResponse resp;
          *resp.mutable_logged() = MakeLogged(e.request().opening().case_id(), index, replayed, true);
          resp.mutable_assessment()->Swap(e.mutable_request()->mutable_assessment());
          return resp;
        },
        std::move(done));
  }

  void Decide(const Caller& caller, const v1::DecideRequest& req, Done<v1::DecideResponse> done) {
    const v1::DecideRequest* r = &req;  // read only before Run returns
    Run<v1::DecideResponse>(
        caller, r->idempotency_key(), r->action(), v1::Action::kDecide,
        [this, r, caller](const Verified& v) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<Prepared> {
          const v1::DecideAction& da = v.action.decide();
          auto it = proj_.cases.find(da.case_id());
          if (it == proj_.cases.end()) return absl::NotFoundError(absl::StrCat("decide: no case ", da.case_id()));
          const CaseState& c = it->second;
          if (AgencyKey(c.summary.discloser()) != AgencyKey(caller.orgnr, caller.function)) {
            return absl::PermissionDeniedError(absl::StrCat("decide: case ", da.case_id(),
                                                            " is not addressed to your agency"));
          }
          if (c.summary.state() != v1::AWAITING_DECISION) {
            return absl::FailedPreconditionError(absl::StrCat("decide: case ", da.case_id(), " is ",
                                                              v1::CaseState_Name(c.summary.state()),
                                                              ", not AWAITING_DECISION"));
          }
          const OfficerState& officer = proj_.officers.at(v.action.officer());
          SLUSS_RETURN_IF_ERROR(CheckBeslutsratt(officer.reg, c.summary.categories()));
          Prepared p;
          p.case_id = da.case_id();
          v1::DecisionEntry* de = p.entry.mutable_decision();
          de->set_case_id(da.case_id());
          *de->mutable_action() = r->action();
          const absl::CivilDay day = Today();
          de->set_decision_date(DateString(day));
          if (da.has_refuse()) {
            if (da.refuse().reasons_size() == 0) return absl::InvalidArgumentError("refuse: give at least one reason");
          } else if (da.has_disclose()) {
            v1::Facts facts = c.facts;
            for (const v1::Attestation& a : da.disclose().attestations()) {
              if (a.officer() != officer.reg.id()) {
                return absl::InvalidArgumentError(absl::StrCat("disclose: attestation of ", a.provision(), "/",
                                                               a.judgement(), " names officer ", a.officer(),
                                                               ", not the signer ", officer.reg.id()));
              }
              *facts.add_attestations() = a;
            }
            SLUSS_ASSIGN_OR_RETURN(v1::Assessment assessment, RunGate(facts, day));
            SLUSS_RETURN_IF_ERROR(RequireAllowed(assessment));
            const v1::AgencyRegistration& a = proj_.agencies.at(AgencyKey(c.summary.recipient()));
            const v1::AgencyRegistration& b = proj_.agencies.at(AgencyKey(c.summary.discloser()));
            SLUSS_RETURN_IF_ERROR(CheckEnvelope(r->answer(), da.disclose().envelope_digest(), {&a, &b}, &p.payload));
            p.payload_digest = da.disclose().envelope_digest();
            *de->mutable_facts() = std::move(facts);
            *de->mutable_assessment() = std::move(assessment);
          } else {
            return absl::InvalidArgumentError("decide: neither disclose nor refuse");
          }
          p.keys.case_id = p.case_id;
          p.keys.agency_ids = {AgencyKey(c.summary.from()), AgencyKey(c.summary.to())};
          return p;
        },
        [this](v1::DiariumEntry& e, uint64_t index, bool replayed) ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          v1::DecideResponse resp;
          *resp.mutable_logged() = MakeLogged(e.decision().case_id(), index, replayed, false);
          resp.mutable_assessment()->Swap(e.mutable_decision()->mutable_assessment());
          return resp;
        },
        std::move(done));
  }

  void Send(const Caller& caller, const v1::SendRequest& req, Done<v1::SendResponse> done) {
    const v1::SendRequest* r = &req;  // read only before Run returns
    Run<v1::SendResponse>(
        caller, r->idempotency_key(), r->action(), v1::Action::kSend,
        [this, r, caller](const Verified& v) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<Prepared> {
          const v1::SendAction& sa = v.action.send();
          const OfficerState& officer = proj_.officers.at(v.action.officer());
          SLUSS_RETURN_IF_ERROR(CheckBeslutsratt(officer.reg, sa.facts().categories()));
          auto to = proj_.agencies.find(AgencyKey(sa.to()));
          if (to == proj_.agencies.end()) {
            return absl::NotFoundError(absl::StrCat("send: agency ", AgencyKey(sa.to()), " is not in the directory"));
          }
          const v1::AgencyRegistration& from = AgencyOf(caller);
          if (AgencyKey(sa.to()) == AgencyKey(from.agency())) {
            return absl::InvalidArgumentError("send: an agency cannot send to itself");
          }
          if (sa.kind() == v1::SendAction::KIND_UNSPECIFIED) {
            return absl::InvalidArgumentError("send: kind must be OWN_INITIATIVE or DUTY_NOTICE");
          }
          if (sa.kind() == v1::SendAction::DUTY_NOTICE && sa.facts().duty_laws_size() == 0) {
            return absl::InvalidArgumentError("send: a duty notice must name the duty law (facts.duty_laws)");
          }
          for (const v1::Attestation& a : sa.facts().attestations()) {
            if (a.officer() != officer.reg.id()) {
              return absl::InvalidArgumentError(absl::StrCat("send: attestation names officer ", a.officer(),
                                                             ", not the signer ", officer.reg.id()));
            }
          }
          const absl::CivilDay day = Today();
          v1::Facts facts = sa.facts();
          facts.mutable_discloser()->set_agency_kind(from.kind());
          *facts.mutable_discloser()->mutable_agency() = from.agency();
          facts.mutable_recipient()->set_agency_kind(to->second.kind());
          *facts.mutable_recipient()->mutable_agency() = to->second.agency();
          facts.clear_subject();
          SLUSS_ASSIGN_OR_RETURN(std::string pseudonym,
                                 OpenSubject(sa.subject_kind(), sa.subject_commitment(), r->subject(), day, &facts));
          SLUSS_ASSIGN_OR_RETURN(v1::Assessment assessment, RunGate(facts, day));
          SLUSS_RETURN_IF_ERROR(RequireAllowed(assessment));
          Prepared p;
          p.case_id = exchange::CaseIdFor(from.agency(), v.action.idempotency_key());
          if (proj_.cases.count(p.case_id) != 0) return absl::AlreadyExistsError("send: case exists");
          SLUSS_RETURN_IF_ERROR(CheckEnvelope(r->content(), sa.envelope_digest(), {&from, &to->second}, &p.payload));
          p.payload_digest = sa.envelope_digest();
          v1::SendEntry* se = p.entry.mutable_send();
          v1::CaseOpening* op = se->mutable_opening();
          op->set_case_id(p.case_id);
          *op->mutable_from() = from.agency();
          *op->mutable_to() = to->second.agency();
          op->set_subject_pseudonym(pseudonym);
          op->set_subject_commitment(sa.subject_commitment());
          *se->mutable_action() = r->action();
          *se->mutable_facts() = std::move(facts);
          se->set_decision_date(DateString(day));
          *se->mutable_assessment() = std::move(assessment);
          p.keys.case_id = p.case_id;
          p.keys.agency_ids = {AgencyKey(from.agency()), AgencyKey(to->second.agency())};
          p.keys.subject_pseudonyms = {pseudonym};
          const int year = static_cast<int>(day.year());
          p.finalize = [this, year](Prepared& q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
            v1::CaseOpening* o = q.entry.mutable_send()->mutable_opening();
            auto [f, t] = ReserveDiarienummer(o->from(), o->to(), year);
            o->set_from_diarienummer(f);
            o->set_to_diarienummer(t);
          };
          return p;
        },
        [this](v1::DiariumEntry& e, uint64_t index, bool replayed) ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          v1::SendResponse resp;
          *resp.mutable_logged() = MakeLogged(e.send().opening().case_id(), index, replayed, true);
          resp.mutable_assessment()->Swap(e.mutable_send()->mutable_assessment());
          return resp;
        },
        std::move(done));
  }

  void Acknowledge(const Caller& caller, const v1::AcknowledgeRequest& req, Done<v1::AcknowledgeResponse> done) {
    const v1::AcknowledgeRequest* r = &req;  // read only before Run returns
    Run<v1::AcknowledgeResponse>(
        caller, r->idempotency_key(), r->action(), v1::Action::kAcknowledge,
        [this, r, caller](const Verified& v) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<Prepared> {
          const v1::AcknowledgeAction& aa = v.action.acknowledge();
          auto it = proj_.cases.find(aa.case_id());
          if (it == proj_.cases.end()) return absl::NotFoundError(absl::StrCat("acknowledge: no case ", aa.case_id()));
          const CaseState& c = it->second;
          if (AgencyKey(c.summary.recipient()) != AgencyKey(caller.orgnr, caller.function)) {
            return absl::PermissionDeniedError(absl::StrCat("acknowledge: case ", aa.case_id(),
                                                            " discloses nothing to your agency"));
          }
          const OfficerState& officer = proj_.officers.at(v.action.officer());
          if (!HasRole(officer.reg, v1::HANDLAGGARE) && !HasRole(officer.reg, v1::BESLUTSFATTARE)) {
            return absl::PermissionDeniedError(absl::StrCat("officer ", officer.reg.id(), " may not acknowledge"));
          }
          if (c.summary.state() != v1::DISCLOSED) {
            return absl::FailedPreconditionError(absl::StrCat("acknowledge: case ", aa.case_id(), " is ",
                                                              v1::CaseState_Name(c.summary.state()),
                                                              ", not DISCLOSED"));
          }
          if (aa.envelope_digest() != c.answer_digest) {
            return absl::InvalidArgumentError("acknowledge: the digest is not the disclosure's");
          }
          Prepared p;
          p.case_id = aa.case_id();
          p.entry.mutable_receipt()->set_case_id(aa.case_id());
          *p.entry.mutable_receipt()->mutable_action() = r->action();
          p.keys.case_id = p.case_id;
          p.keys.agency_ids = {AgencyKey(c.summary.from()), AgencyKey(c.summary.to())};
          return p;
        },
        [this, caller](v1::DiariumEntry& e, uint64_t index, bool replayed) ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          v1::AcknowledgeResponse resp;
          const std::string& id = e.receipt().case_id();
          bool is_from = proj_.cases.count(id) && AgencyKey(proj_.cases.at(id).summary.from()) ==
                                                 AgencyKey(caller.orgnr, caller.function);
          *resp.mutable_logged() = MakeLogged(id, index, replayed, is_from);
          return resp;
        },
        std::move(done));
  }

  void RevokeKey(const Caller& caller, const v1::RevokeKeyRequest& req, Done<v1::RevokeKeyResponse> done) {
    const v1::RevokeKeyRequest* r = &req;  // read only before Run returns
    // RevokeKeyResponse has no `logged`: adapt through a wrapper message.
    Run<v1::AcknowledgeResponse>(
        caller, r->idempotency_key(), r->action(), v1::Action::kRevokeKey,
        [this, r, caller](const Verified& v) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::StatusOr<Prepared> {
          const OfficerState& admin = proj_.officers.at(v.action.officer());
          if (!HasRole(admin.reg, v1::ADMIN)) {
            return absl::PermissionDeniedError(absl::StrCat("officer ", admin.reg.id(), " is not an admin"));
          }
          auto it = proj_.officers.find(v.action.revoke_key().officer());
          if (it == proj_.officers.end()) {
            return absl::NotFoundError(absl::StrCat("revoke: no officer ", v.action.revoke_key().officer()));
          }
          if (AgencyKey(it->second.reg.agency()) != AgencyKey(caller.orgnr, caller.function)) {
            return absl::PermissionDeniedError("revoke: an admin may revoke only officers of its own agency");
          }
          if (it->second.revoked) return absl::FailedPreconditionError("revoke: the key is already revoked");
          Prepared p;
          p.entry.mutable_revocation()->set_officer(it->first);
          *p.entry.mutable_revocation()->mutable_action() = r->action();
          p.keys.agency_ids = {AgencyKey(caller.orgnr, caller.function)};
          return p;
        },
        [](const v1::DiariumEntry&, uint64_t index, bool replayed) {
          v1::AcknowledgeResponse resp;
          resp.mutable_logged()->set_log_index(index);
          resp.mutable_logged()->set_replayed(replayed);
          return resp;
        },
        [done = std::move(done)](absl::StatusOr<v1::AcknowledgeResponse> a) {
          if (!a.ok()) return done(a.status());
          v1::RevokeKeyResponse resp;
          resp.set_log_index(a->logged().log_index());
          resp.set_checkpoint(a->logged().checkpoint());
          resp.set_replayed(a->logged().replayed());
          done(resp);
        });
  }

  // --------------------------------------------------------------- reads

  bool IsAuditor(const Caller& c) const ABSL_SHARED_LOCKS_REQUIRED(mu_) { return AgencyOf(c).may_audit(); }

  absl::StatusOr<v1::GetDisclosureResponse> GetDisclosure(const Caller& caller,
                                                          const v1::GetDisclosureRequest& req) const {
    SLUSS_ASSIGN_OR_RETURN(StoredEnvelope stored, GetEnvelope(caller, req));
    v1::GetDisclosureResponse resp;
    if (!resp.mutable_envelope()->ParseFromString(stored.bytes)) {
      return absl::DataLossError("diarium: the stored envelope does not parse");
    }
    resp.set_digest(std::move(stored.digest));
    *resp.mutable_action() = std::move(stored.action);
    return resp;
  }

  absl::StatusOr<StoredEnvelope> GetEnvelope(const Caller& caller, const v1::GetDisclosureRequest& req) const {
    std::string digest;
    v1::DsseEnvelope action;
    {
      absl::ReaderMutexLock l(&mu_);
      SLUSS_RETURN_IF_ERROR(KnownAgency(caller));
      auto it = proj_.cases.find(req.case_id());
      if (it == proj_.cases.end()) return absl::NotFoundError(absl::StrCat("no case ", req.case_id()));
      const CaseState& c = it->second;
      const std::string me = AgencyKey(caller.orgnr, caller.function);
      if (me != AgencyKey(c.summary.from()) && me != AgencyKey(c.summary.to())) {
        return absl::PermissionDeniedError(absl::StrCat(
            "case ", req.case_id(), ": only its two parties may fetch envelopes (auditors read the log)"));
      }
      if (req.which() == v1::GetDisclosureRequest::QUESTION) {
        digest = c.question_digest;
        action = c.question_action;
      } else {
        digest = c.answer_digest;
        action = c.answer_action;
      }
    }
    if (digest.empty()) return absl::NotFoundError(absl::StrCat("case ", req.case_id(), " has no such envelope (yet)"));
    StoredEnvelope out;
    SLUSS_ASSIGN_OR_RETURN(out.bytes, opts_.diarium->GetPayload(digest));
    out.digest = std::move(digest);
    out.action = std::move(action);
    return out;
  }

  absl::StatusOr<v1::InboxResponse> Inbox(const Caller& caller) const {
    absl::ReaderMutexLock l(&mu_);
    SLUSS_RETURN_IF_ERROR(KnownAgency(caller));
    const std::string me = AgencyKey(caller.orgnr, caller.function);
    v1::InboxResponse resp;
    for (const auto& [id, c] : proj_.cases) {
      const auto& s = c.summary;
      if ((s.state() == v1::AWAITING_DECISION && AgencyKey(s.discloser()) == me) ||
          (s.state() == v1::DISCLOSED && AgencyKey(s.recipient()) == me)) {
        *resp.add_cases() = s;
      }
    }
    return resp;
  }

  absl::StatusOr<v1::OutboxResponse> Outbox(const Caller& caller) const {
    absl::ReaderMutexLock l(&mu_);
    SLUSS_RETURN_IF_ERROR(KnownAgency(caller));
    const std::string me = AgencyKey(caller.orgnr, caller.function);
    v1::OutboxResponse resp;
    for (const auto& [id, c] : proj_.cases) {
      if (AgencyKey(c.summary.from()) == me) *resp.add_cases() = c.summary;
    }
    return resp;
  }

  absl::StatusOr<v1::CaseHistoryResponse> CaseHistory(const Caller& caller, const v1::CaseHistoryRequest& req) const {
    std::vector<uint64_t> indices;
    v1::CaseHistoryResponse resp;
    {
      absl::ReaderMutexLock l(&mu_);
      SLUSS_RETURN_IF_ERROR(KnownAgency(caller));
      auto it = proj_.cases.find(req.case_id());
      if (it == proj_.cases.end()) return absl::NotFoundError(absl::StrCat("no case ", req.case_id()));
      const std::string me = AgencyKey(caller.orgnr, caller.function);
      if (me != AgencyKey(it->second.summary.from()) && me != AgencyKey(it->second.summary.to()) &&
          !IsAuditor(caller)) {
        return absl::PermissionDeniedError(absl::StrCat("case ", req.case_id(), ": only its parties and auditors may read it"));
      }
      indices = it->second.indices;
      *resp.mutable_summary() = it->second.summary;
    }
    for (uint64_t i : indices) {
      SLUSS_ASSIGN_OR_RETURN(std::string bytes, opts_.diarium->Get(i));
      v1::LoggedEntry* le = resp.add_entries();
      le->set_log_index(i);
      le->mutable_entry()->ParseFromString(bytes);
    }
    return resp;
  }

  absl::StatusOr<v1::ListAgenciesResponse> ListAgencies(const Caller& caller) const {
    absl::ReaderMutexLock l(&mu_);
    SLUSS_RETURN_IF_ERROR(KnownAgency(caller));
    v1::ListAgenciesResponse resp;
    for (const auto& [k, a] : proj_.agencies) *resp.add_agencies() = a;
    return resp;
  }

  absl::StatusOr<v1::GetOfficerResponse> GetOfficer(const Caller& caller, const v1::GetOfficerRequest& req) const {
    absl::ReaderMutexLock l(&mu_);
    SLUSS_RETURN_IF_ERROR(KnownAgency(caller));
    auto it = proj_.officers.find(req.id());
    if (it == proj_.officers.end()) return absl::NotFoundError(absl::StrCat("no officer ", req.id()));
    v1::GetOfficerResponse resp;
    *resp.mutable_officer() = it->second.reg;
    resp.set_revoked(it->second.revoked);
    return resp;
  }

  absl::StatusOr<v1::CheckResponse> GateCheck(const Caller& caller, const v1::CheckRequest& req) const {
    SLUSS_RETURN_IF_ERROR(AuthenticateLocked(caller));
    absl::CivilDay day = Today();
    if (!req.decision_date().empty() && !absl::ParseCivilTime(req.decision_date(), &day)) {
      return absl::InvalidArgumentError(absl::StrCat("decision_date \"", req.decision_date(), "\" is not YYYY-MM-DD"));
    }
    v1::CheckResponse resp;
    SLUSS_ASSIGN_OR_RETURN(*resp.mutable_assessment(), RunGate(req.facts(), day));
    return resp;
  }

  absl::Status RequireAuditor(const Caller& caller) const {
    absl::ReaderMutexLock l(&mu_);
    SLUSS_RETURN_IF_ERROR(KnownAgency(caller));
    if (!IsAuditor(caller)) {
      return absl::PermissionDeniedError("only auditing agencies (may_audit) may read log entries and tiles");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<v1::GetCheckpointResponse> GetCheckpoint(const Caller& caller) const {
    SLUSS_RETURN_IF_ERROR(AuthenticateLocked(caller));
    v1::GetCheckpointResponse resp;
    resp.set_checkpoint(opts_.diarium->LatestCheckpoint().note);
    for (const std::string& k : opts_.diarium->VerifierKeys()) resp.add_verifier_keys(k);
    return resp;
  }

  absl::StatusOr<v1::GetEntriesResponse> GetEntries(const Caller& caller, const v1::GetEntriesRequest& req) const {
    SLUSS_RETURN_IF_ERROR(RequireAuditor(caller));
    if (req.end() < req.begin() || req.end() - req.begin() > 1000) {
      return absl::InvalidArgumentError("entries: need begin <= end and at most 1000 entries per call");
    }
    v1::GetEntriesResponse resp;
    SLUSS_RETURN_IF_ERROR(opts_.diarium->ReadRange(req.begin(), req.end(), [&](uint64_t, absl::string_view b) {
      resp.add_entries(std::string(b));
      return true;
    }));
    return resp;
  }

  absl::StatusOr<v1::GetInclusionProofResponse> GetInclusionProof(const Caller& caller,
                                                                  const v1::GetInclusionProofRequest& req) const {
    SLUSS_RETURN_IF_ERROR(AuthenticateLocked(caller));
    v1::GetInclusionProofResponse resp;
    SLUSS_ASSIGN_OR_RETURN(*resp.mutable_proof(), opts_.diarium->InclusionProofFile(req.index()));
    return resp;
  }

  absl::StatusOr<v1::GetConsistencyProofResponse> GetConsistencyProof(
      const Caller& caller, const v1::GetConsistencyProofRequest& req) const {
    SLUSS_RETURN_IF_ERROR(AuthenticateLocked(caller));
    v1::GetConsistencyProofResponse resp;
    SLUSS_ASSIGN_OR_RETURN(*resp.mutable_body(), opts_.diarium->ConsistencyProofBody(req.old_size()));
    return resp;
  }

  absl::StatusOr<v1::GetTileResponse> GetTile(const Caller& caller, const v1::GetTileRequest& req) const {
    SLUSS_RETURN_IF_ERROR(RequireAuditor(caller));
    if (req.width() < 1 || req.width() > 256) return absl::InvalidArgumentError("tile: width must be 1..256");
    v1::GetTileResponse resp;
    if (req.level() < 0) {
      // Entry bundle: each entry as a 2-byte big-endian length and its bytes.
      const uint64_t begin = req.index() * 256;
      std::string out;
      SLUSS_RETURN_IF_ERROR(opts_.diarium->ReadRange(begin, begin + req.width(), [&](uint64_t, absl::string_view b) {
        out.push_back(static_cast<char>(b.size() >> 8));
        out.push_back(static_cast<char>(b.size() & 0xff));
        out.append(b.data(), b.size());
        return true;
      }));
      resp.set_data(std::move(out));
      return resp;
    }
    SLUSS_ASSIGN_OR_RETURN(*resp.mutable_data(), opts_.diarium->ReadTile(req.level(), req.index(), req.width()));
    return resp;
  }

  std::string CanonicalProjection() const {
    absl::ReaderMutexLock l(&mu_);
    return proj_.Canonical();
  }

  bool healthy() const {
    absl::ReaderMutexLock l(&mu_);
    return healthy_;
  }

 private:
  struct Bucket {
    double tokens = 0;
    absl::Time last = absl::InfinitePast();
  };

  const BrokerOptions opts_;
  Clock* const clock_;
  std::unique_ptr<CheckpointNotifier> notifier_;

  mutable absl::Mutex mu_;
  bool healthy_ ABSL_GUARDED_BY(mu_) = true;
  Projection proj_ ABSL_GUARDED_BY(mu_);
  // Live only (not part of the projection):
  std::map<std::string, int> reserved_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> in_flight_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> pending_cases_ ABSL_GUARDED_BY(mu_);
  int in_flight_appends_ ABSL_GUARDED_BY(mu_) = 0;

  absl::Mutex rate_mu_;
  std::map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(rate_mu_);
};

Broker::Broker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Broker::~Broker() = default;

absl::StatusOr<std::unique_ptr<Broker>> Broker::Open(BrokerOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  SLUSS_RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<Broker>(new Broker(std::move(impl)));
}

absl::Status Broker::Authenticate(const Caller& c) const { return impl_->AuthenticateLocked(c); }
void Broker::Request(const Caller& c, const v1::RequestRequest& r, Done<v1::RequestResponse> d) {
  impl_->Request(c, r, std::move(d));
}
void Broker::Decide(const Caller& c, const v1::DecideRequest& r, Done<v1::DecideResponse> d) {
  impl_->Decide(c, r, std::move(d));
}
void Broker::Send(const Caller& c, const v1::SendRequest& r, Done<v1::SendResponse> d) {
  impl_->Send(c, r, std::move(d));
}
void Broker::Acknowledge(const Caller& c, const v1::AcknowledgeRequest& r, Done<v1::AcknowledgeResponse> d) {
  impl_->Acknowledge(c, r, std::move(d));
}
void Broker::RevokeKey(const Caller& c, const v1::RevokeKeyRequest& r, Done<v1::RevokeKeyResponse> d) {
  impl_->RevokeKey(c, r, std::move(d));
}
absl::StatusOr<v1::GetDisclosureResponse> Broker::GetDisclosure(const Caller& c,
                                                                const v1::GetDisclosureRequest& r) const {
  return impl_->GetDisclosure(c, r);
}
absl::StatusOr<StoredEnvelope> Broker::GetEnvelope(const Caller& c, const v1::GetDisclosureRequest& r) const {
  return impl_->GetEnvelope(c, r);
}
absl::StatusOr<v1::InboxResponse> Broker::Inbox(const Caller& c) const { return impl_->Inbox(c); }
absl::StatusOr<v1::OutboxResponse> Broker::Outbox(const Caller& c) const { return impl_->Outbox(c); }
absl::StatusOr<v1::CaseHistoryResponse> Broker::CaseHistory(const Caller& c, const v1::CaseHistoryRequest& r) const {
  return impl_->CaseHistory(c, r);
}
absl::StatusOr<v1::ListAgenciesResponse> Broker::ListAgencies(const Caller& c) const { return impl_->ListAgencies(c); }
absl::StatusOr<v1::GetOfficerResponse> Broker::GetOfficer(const Caller& c, const v1::GetOfficerRequest& r) const {
  return impl_->GetOfficer(c, r);
}
absl::StatusOr<v1::CheckResponse> Broker::GateCheck(const Caller& c, const v1::CheckRequest& r) const {
  return impl_->GateCheck(c, r);
}
absl::StatusOr<v1::GetCheckpointResponse> Broker::GetCheckpoint(const Caller& c) const {
  return impl_->GetCheckpoint(c);
}
absl::StatusOr<v1::GetEntriesResponse> Broker::GetEntries(const Caller& c, const v1::GetEntriesRequest& r) const {
  return impl_->GetEntries(c, r);
}
absl::StatusOr<v1::GetInclusionProofResponse> Broker::GetInclusionProof(
    const Caller& c, const v1::GetInclusionProofRequest& r) const {
  return impl_->GetInclusionProof(c, r);
}
absl::StatusOr<v1::GetConsistencyProofResponse> Broker::GetConsistencyProof(
    const Caller& c, const v1::GetConsistencyProofRequest& r) const {
  return impl_->GetConsistencyProof(c, r);
}
absl::StatusOr<v1::GetTileResponse> Broker::GetTile(const Caller& c, const v1::GetTileRequest& r) const {
  return impl_->GetTile(c, r);
}
std::string Broker::CanonicalProjection() const { return impl_->CanonicalProjection(); }
bool Broker::healthy() const { return impl_->healthy(); }

}  // namespace sluss::broker
