// client/audit_entries.h: officer signatures against the keys registered
// earlier in the log, and references to earlier entries only.
#include "client/audit_entries.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <google/protobuf/arena.h>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "crypto/dsse.h"
#include "crypto/keys.h"
#include "exchange/action.h"
#include "sluss/v1/diarium_entry.pb.h"
#include "storage/tiles.h"

namespace sluss::client {
namespace {

using storage::kTileWidth;

// ------------------------------------------------------------ wire format

// The fields of a serialized message, without parsing it: for each field,
// its number and, for length-delimited ones, its bytes. False if malformed.
template <typename Fn>
bool WalkFields(absl::string_view m, Fn&& fn) {
  size_t p = 0;
  auto varint = [&](uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= m.size()) return false;
      const uint8_t b = static_cast<uint8_t>(m[p++]);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  };
  while (p < m.size()) {
    uint64_t tag;
    if (!varint(&tag)) return false;
    const uint32_t field = static_cast<uint32_t>(tag >> 3);
    uint64_t v;
    switch (tag & 7) {
      case 0:
        if (!varint(&v)) return false;
        break;
      case 1:
        if (m.size() - p < 8) return false;
        p += 8;
        break;
      case 2:
        if (!varint(&v) || v > m.size() - p) return false;
        fn(field, m.substr(p, v));
        p += v;
        break;
      case 5:
        if (m.size() - p < 4) return false;
        p += 4;
        break;
      default:
        return false;
    }
  }
  return true;
}

// The last length-delimited field `number` of `m` (empty if absent).
absl::string_view Field(absl::string_view m, uint32_t number) {
  absl::string_view out;
  WalkFields(m, [&](uint32_t f, absl::string_view v) {
    if (f == number) out = v;
  });
  return out;
}

std::string AgencyKeyOf(absl::string_view ref) {
  return absl::StrCat(Field(ref, 1), "/", Field(ref, 2));
}

// ------------------------------------------------------------ directory

struct KeyEvent {
  uint64_t index = 0;  // the registration or revocation entry
  bool revoked = false;
  crypto::Ed25519PublicKey key{};
  std::string agency;  // AgencyKey of the registration
};

// Officer id -> its registrations and revocations, ascending by index.
using KeyTimeline = absl::flat_hash_map<std::string, std::vector<KeyEvent>>;

// The last event strictly before `index`, or nullptr.
const KeyEvent* KeyAt(const KeyTimeline& t, const std::string& officer, uint64_t index) {
  auto it = t.find(officer);
  if (it == t.end()) return nullptr;
  const KeyEvent* out = nullptr;
  for (const KeyEvent& e : it->second) {
    if (e.index >= index) break;
    out = &e;
  }
  return out;
}

class Problems {
 public:
  explicit Problems(size_t max) : max_(max) {}
  void Add(uint64_t index, const char* kind, std::string message) {
    items_.push_back({index, kind, std::move(message)});
    if (items_.size() > 4 * max_ + 16) Trim();
  }
  void Merge(Problems&& other) {
    omitted_ += other.omitted_;
    for (auto& p : other.items_) items_.push_back(std::move(p));
    Trim();
  }
  void Trim() {
    std::stable_sort(items_.begin(), items_.end(),
                     [](const EntryProblem& a, const EntryProblem& b) { return a.index < b.index; });
    if (items_.size() > max_) {
      omitted_ += items_.size() - max_;
      items_.resize(max_);
    }
  }
  std::vector<EntryProblem> items_;
  uint64_t omitted_ = 0;

 private:
  size_t max_;
};

// ------------------------------------------------------------ pass 1

class ReferencePass {
 public:
  ReferencePass(KeyTimeline& keys, Problems& problems) : keys_(keys), problems_(problems) {}

  void Entry(uint64_t i, absl::string_view bytes) {
    uint32_t kind = 0;
    absl::string_view body;
    int kinds = 0;
    const bool wire_ok = WalkFields(bytes, [&](uint32_t f, absl::string_view v) {
      if (f >= 10 && f <= 18) {
        kind = f;
        body = v;
        ++kinds;
      }
    });
    if (!wire_ok || kinds != 1) {
      // Reported by the parsing pass ("entry_malformed").
      chunks_.clear();
      return;
    }
    if (kind != 13) {
      if (kind != 14) chunks_.clear();
    }
    switch (kind) {
      case 10: {  // agency
        v1::AgencyRegistration a;
        if (!a.ParseFromArray(body.data(), static_cast<int>(body.size()))) return;
        agencies_.insert(exchange::AgencyKey(a.agency()));
        return;
      }
      case 11: {  // officer
        v1::OfficerRegistration o;
        if (!o.ParseFromArray(body.data(), static_cast<int>(body.size()))) return;
        const std::string agency = exchange::AgencyKey(o.agency());
        if (!agencies_.contains(agency)) {
          problems_.Add(i, "reference_invalid",
                        absl::StrCat("entry ", i, " registers officer ", o.id(), " of agency ", agency,
                                     ", which is not registered before it"));
        }
        absl::StatusOr<crypto::Ed25519PublicKey> key = crypto::Ed25519PublicKeyFromBytes(o.signing_key());
        if (!key.ok()) {
          problems_.Add(i, "entry_malformed",
                        absl::StrCat("entry ", i, " registers officer ", o.id(), " with a signing key of ",
                                     o.signing_key().size(), " bytes, not 32"));
          return;
        }
        keys_[o.id()].push_back({i, false, *key, agency});
        return;
      }
      case 12: {  // revocation
        v1::KeyRevocation r;
        if (!r.ParseFromArray(body.data(), static_cast<int>(body.size()))) return;
        if (KeyAt(keys_, r.officer(), i) == nullptr) {
          problems_.Add(i, "reference_invalid",
                        absl::StrCat("entry ", i, " revokes the key of officer ", r.officer(),
                                     ", who is not registered before it"));
          return;
        }
        keys_[r.officer()].push_back({i, true, {}, ""});
        return;
      }
      case 13: {  // rulebook chunk
        v1::RulebookChunk c;
        if (!c.ParseFromArray(body.data(), static_cast<int>(body.size()))) return;
        if (c.index() == 0) chunks_.clear();
        chunks_.push_back({i, c.digest(), c.index()});
        return;
      }
      case 14: {  // rulebook activation
        v1::RulebookActivation a;
        if (!a.ParseFromArray(body.data(), static_cast<int>(body.size()))) return;
        if (a.chunks() > 0) {
          bool ok = chunks_.size() == a.chunks() && chunks_.back().index + 1 == i;
          for (uint32_t c = 0; ok && c < chunks_.size(); ++c) {
            ok = chunks_[c].chunk == c && chunks_[c].digest == a.digest();
          }
          if (!ok) {
            problems_.Add(i, "reference_invalid",
                          absl::StrCat("entry ", i, " activates rulebook ", a.digest(), " from ", a.chunks(),
                                       " chunks, but the entries immediately before it are not chunks 0–",
                                       a.chunks() - 1, " of that rulebook"));
          }
        }
        chunks_.clear();
        rulebooks_.insert(a.digest());
        return;
      }
      case 15:    // request
      case 17: {  // send
        const absl::string_view opening = Field(body, 1);
        const std::string case_id(Field(opening, 1));
        auto [it, inserted] = cases_.emplace(case_id, i);
        if (!inserted) {
          problems_.Add(i, "reference_invalid",
                        absl::StrCat("entry ", i, " opens case ", case_id, ", which entry ", it->second,
                                     " opened already"));
        }
        for (uint32_t f : {2u, 3u}) {
          const std::string agency = AgencyKeyOf(Field(opening, f));
          if (!agencies_.contains(agency)) {
            problems_.Add(i, "reference_invalid",
                          absl::StrCat("entry ", i, " opens case ", case_id, (f == 2 ? " from" : " to"),
                                       " agency ", agency, ", which is not registered before it"));
          }
        }
        CheckRulebook(i, body);
        return;
      }
      case 16:    // decision
      case 18: {  // receipt
        const std::string case_id(Field(body, 1));
        auto it = cases_.find(case_id);
        if (it == cases_.end()) {
          problems_.Add(i, "reference_invalid",
                        absl::StrCat("entry ", i, " (", kind == 16 ? "decision" : "receipt", ") refers to case ",
                                     case_id, ", which no earlier entry opens"));
        }
        if (kind == 16) CheckRulebook(i, body);
        return;
      }
    }
  }

 private:
  void CheckRulebook(uint64_t i, absl::string_view body) {
    const absl::string_view assessment = Field(body, 5);
    if (assessment.empty()) return;
    const std::string digest(Field(assessment, 3));
    if (!rulebooks_.contains(digest)) {
      problems_.Add(i, "reference_invalid",
                    absl::StrCat("entry ", i, " holds an assessment under rulebook ", digest,
                                 ", which no earlier entry activates"));
    }
  }

  struct Chunk {
    uint64_t index;
    std::string digest;
    uint32_t chunk;
  };
  KeyTimeline& keys_;
  Problems& problems_;
  absl::flat_hash_set<std::string> agencies_;
  absl::flat_hash_set<std::string> rulebooks_;
  absl::flat_hash_map<std::string, uint64_t> cases_;
  std::vector<Chunk> chunks_;
};

// ------------------------------------------------------------ pass 2

struct SignedPart {
  const v1::DsseEnvelope* envelope = nullptr;
  v1::Action::BodyCase body = v1::Action::BODY_NOT_SET;
  const char* what = "";
  std::string case_id;  // the entry's case (decision, receipt), checked against the action
};

std::optional<SignedPart> SignedPartOf(const v1::DiariumEntry& e) {
  SignedPart s;
  switch (e.kind_case()) {
    case v1::DiariumEntry::kRequest:
      s = {&e.request().action(), v1::Action::kRequest, "request", ""};
      break;
    case v1::DiariumEntry::kSend:
      s = {&e.send().action(), v1::Action::kSend, "send", ""};
      break;
    case v1::DiariumEntry::kDecision:
      s = {&e.decision().action(), v1::Action::kDecide, "decision", e.decision().case_id()};
      break;
    case v1::DiariumEntry::kReceipt:
      s = {&e.receipt().action(), v1::Action::kAcknowledge, "receipt", e.receipt().case_id()};
      break;
    case v1::DiariumEntry::kRevocation:
      s = {&e.revocation().action(), v1::Action::kRevokeKey, "revocation", ""};
      break;
    default:
      return std::nullopt;
  }
  return s;
}

void CheckEntry(uint64_t i, absl::string_view bytes, const KeyTimeline& keys, v1::DiariumEntry& e,
                Problems& problems, uint64_t& signatures) {
  if (!e.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      e.kind_case() == v1::DiariumEntry::KIND_NOT_SET) {
    problems.Add(i, "entry_malformed",
                 absl::StrCat("entry ", i, " (", bytes.size(), " bytes) does not parse as a sluss.v1.DiariumEntry"));
    return;
  }
  std::optional<SignedPart> part = SignedPartOf(e);
  if (!part) return;
  const v1::DsseEnvelope& env = *part->envelope;
  absl::StatusOr<v1::Action> action = exchange::ParseActionUnverified(env);
  if (!action.ok()) {
    problems.Add(i, "entry_malformed",
                 absl::StrCat("entry ", i, " (", part->what, "): its signed action: ", action.status().message()));
    return;
  }
  const std::string& officer = action->officer();
  const v1::DsseSignature* sig = nullptr;
  for (const auto& s : env.signatures()) {
    if (s.keyid() == officer) sig = &s;
  }
  if (sig == nullptr) {
    problems.Add(i, "action_mismatch",
                 absl::StrCat("entry ", i, " (", part->what, "): the action names officer ", officer,
                              ", but no signature carries that keyid"));
    return;
  }
  const KeyEvent* key = KeyAt(keys, officer, i);
  if (key == nullptr) {
    problems.Add(i, "signer_unknown",
                 absl::StrCat("entry ", i, " (", part->what, ") is signed by officer ", officer,
                              ", who is not registered before it"));
    return;
  }
  if (key->revoked) {
    problems.Add(i, "signer_revoked",
                 absl::StrCat("entry ", i, " (", part->what, ") is signed by officer ", officer,
                              ", whose key entry ", key->index, " revoked"));
    return;
  }
  ++signatures;
  absl::Status v = crypto::Ed25519Verify(key->key, crypto::DssePae(env.payload_type(), env.payload()), sig->sig());
  if (!v.ok()) {
    problems.Add(i, "signature_invalid",
                 absl::StrCat("entry ", i, " (", part->what, "): the signature of officer ", officer,
                              " does not verify with the key registered at entry ", key->index));
    return;
  }
  if (exchange::AgencyKey(action->agency()) != key->agency) {
    problems.Add(i, "action_mismatch",
                 absl::StrCat("entry ", i, " (", part->what, "): officer ", officer, " of ", key->agency,
                              " signed for agency ", exchange::AgencyKey(action->agency())));
    return;
  }
  if (action->body_case() != part->body) {
    problems.Add(i, "action_mismatch",
                 absl::StrCat("entry ", i, " is a ", part->what, ", but the signed action is of another kind"));
    return;
  }
  std::string signed_case;
  if (action->has_decide()) signed_case = action->decide().case_id();
  if (action->has_acknowledge()) signed_case = action->acknowledge().case_id();
  if (action->has_revoke_key() && action->revoke_key().officer() != e.revocation().officer()) {
    problems.Add(i, "action_mismatch",
                 absl::StrCat("entry ", i, " revokes officer ", e.revocation().officer(),
                              ", but the signed action revokes ", action->revoke_key().officer()));
    return;
  }
  if (signed_case != part->case_id) {
    problems.Add(i, "action_mismatch",
                 absl::StrCat("entry ", i, " (", part->what, ") is on case ", part->case_id,
                              ", but the officer signed for case ", signed_case));
  }
}

}  // namespace

absl::StatusOr<EntryAuditReport> AuditSlussEntries(storage::TileSource& source, uint64_t size,
                                                   const EntryAuditOptions& options) {
  if (options.threads < 0) return absl::InvalidArgumentError("audit: threads must be >= 0");
  const absl::Time start = absl::Now();
  const uint64_t hint = std::max(options.hint_size, size);
  const uint64_t nb = (size + kTileWidth - 1) / kTileWidth;
  EntryAuditReport report;
  Problems problems(options.max_problems);
  KeyTimeline keys;

  // Pass 1, sequential: the directory timeline and the references.
  {
    ReferencePass pass(keys, problems);
    std::string buffer, path;
    std::vector<absl::string_view> entries;
    for (uint64_t k = 0; k < nb; ++k) {
      absl::Status s = storage::ReadEntryBundle(source, size, k, &buffer, &entries, &path, hint);
      if (!s.ok()) return s;
      for (size_t j = 0; j < entries.size(); ++j) pass.Entry(k * kTileWidth + j, entries[j]);
    }
  }

  // Pass 2, parallel: parse every entry, verify every signature.
  int threads = options.threads > 0 ? options.threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(threads), std::max<uint64_t>(nb, 1)));
  std::atomic<uint64_t> next{0}, done_entries{0}, signatures{0};
  absl::Mutex mu;
  int running = threads;
  absl::Status failure;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      Problems mine(options.max_problems);
      uint64_t sigs = 0;
      std::string buffer, path;
      std::vector<absl::string_view> entries;
      absl::Status status;
      // Entries are parsed on an arena, reset after each bundle: parsing
      // is the largest cost after the signatures.
      google::protobuf::ArenaOptions ao;
      ao.start_block_size = 64 << 10;
      ao.max_block_size = 1 << 20;
      google::protobuf::Arena arena(ao);
      for (;;) {
        const uint64_t k = next.fetch_add(1);
        if (k >= nb) break;
        status = storage::ReadEntryBundle(source, size, k, &buffer, &entries, &path, hint);
        if (!status.ok()) break;
        for (size_t j = 0; j < entries.size(); ++j) {
          auto* entry = google::protobuf::Arena::CreateMessage<v1::DiariumEntry>(&arena);
          CheckEntry(k * kTileWidth + j, entries[j], keys, *entry, mine, sigs);
        }
        arena.Reset();
        done_entries.fetch_add(entries.size(), std::memory_order_relaxed);
      }
      signatures.fetch_add(sigs);
      absl::MutexLock l(&mu);
      if (!status.ok() && failure.ok()) failure = status;
      problems.Merge(std::move(mine));
      --running;
    });
  }
  {
    absl::MutexLock l(&mu);
    auto finished = [&running]() { return running == 0; };
    while (!mu.AwaitWithTimeout(absl::Condition(&finished), absl::Milliseconds(100))) {
      if (options.progress) {
        mu.Unlock();
        options.progress(done_entries.load(std::memory_order_relaxed), size);
        mu.Lock();
      }
    }
  }
  for (auto& w : workers) w.join();
  if (!failure.ok()) return failure;
  if (options.progress) options.progress(done_entries.load(), size);
  problems.Trim();
  report.entries_checked = done_entries.load();
  report.signatures_verified = signatures.load();
  report.problems = std::move(problems.items_);
  report.problems_omitted = problems.omitted_;
  report.elapsed = absl::Now() - start;
  return report;
}

}  // namespace sluss::client
