// Benchmarks of the sekretess gate's hot path: Assess with the full bundled
// rulebook on realistic facts.
//
// Reports, per benchmark: the per-call latency distribution (median, p99,
// max over all calls, each call timed with steady_clock, whose own cost of
// ~20-30 ns is included) and heap allocations per call (counted by the
// replaced global operator new below). A ceiling measured in the same run:
// copying the Facts message (BM_FactsCopy), the least work any assessment of
// the facts could involve.
//
//   cmake --preset release && cmake --build build/release -j2 --target gate_bench
//   build/release/bin/gate_bench
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "benchmark/benchmark.h"
#include "gate/assess.h"
#include "gate/rulebook.h"
#include "google/protobuf/text_format.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// The replacements below pair malloc with free; GCC 12 cannot see that the
// replaced operator new is the malloc and warns about a mismatch.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace sluss::gate {
namespace {

const Rulebook& TheRulebook() {
  static const Rulebook* const rb = [] {
    absl::StatusOr<std::unique_ptr<const Rulebook>> r = Rulebook::Bundled();
    if (!r.ok()) std::abort();
    return r->release();
  }();
  return *rb;
}

// Realistic requests: a social-services question about a young person at
// risk (attested), and a tax-fraud investigation touching two categories
// with a claimed basis.
v1::Facts FactsFor(int which) {
  static const char* const kFacts[] = {
      R"pb(discloser { agency_kind: "kommun_socialnamnd" agency { orgnr: "212000-0142" function: "socialtjanst" } }
           recipient { agency_kind: "polismyndigheten" }
           categories: "socialtjanst" purposes: "forebygga_brott" subject { age_years: 19 pseudonym: "p:7f3a" }
           attestations { provision: "10:18a" judgement: "konkret_risk" officer: "o17" motivation: "Iakttagelser." }
           attestations { provision: "10:18a" judgement: "inte_olampligt" officer: "o17" motivation: "Ingen insats påverkas." })pb",
      R"pb(discloser { agency_kind: "skatteverket" } recipient { agency_kind: "polismyndigheten" roles: "ingripande_mot_brott" }
           categories: "skatt" categories: "folkbokforing" purposes: "utreda_brott"
           crime { stage: COMMITTED offence_classes: "skattebrott" minimum_penalty_months: 6 prison_in_scale: true }
           claimed_basis: "10:27" duty_laws: "lag_2016_774")pb",
  };
  v1::Facts f;
  if (!google::protobuf::TextFormat::ParseFromString(kFacts[which], &f)) std::abort();
  return f;
}

const absl::CivilDay kDate(2026, 3, 1);

void Report(benchmark::State& state, std::vector<double>& ns, long allocations, long calls) {
  std::sort(ns.begin(), ns.end());
  if (ns.empty()) return;
  state.counters["median_ns"] = ns[ns.size() / 2];
  state.counters["p99_ns"] = ns[std::min(ns.size() - 1, ns.size() * 99 / 100)];
  state.counters["max_ns"] = ns.back();
  state.counters["allocs_per_call"] = static_cast<double>(allocations) / static_cast<double>(calls);
}


// Times `call(i)` for i = 0, 1, 2, ... and reports the distribution.
template <typename F>
void TimeCalls(benchmark::State& state, F call) {
  std::vector<double> ns;
  ns.reserve(1 << 22);
  long allocations = 0, calls = 0;
  for (auto _ : state) {
    const long before = g_allocations.load(std::memory_order_relaxed);
    const auto t0 = std::chrono::steady_clock::now();
    const absl::Status st = call(calls);
    const auto t1 = std::chrono::steady_clock::now();
    allocations += g_allocations.load(std::memory_order_relaxed) - before;
    ++calls;
    benchmark::DoNotOptimize(st);
    if (ns.size() < ns.capacity()) ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
  }
  Report(state, ns, allocations, calls);
}

// A caller's Assessment reused across calls (overwritten in place).
void BM_AssessInto_Reused(benchmark::State& state) {
  const v1::Facts facts = FactsFor(static_cast<int>(state.range(0)));
  v1::Assessment out;
  if (!AssessInto(TheRulebook(), facts, kDate, &out).ok()) std::abort();  // warm-up
  TimeCalls(state, [&](long) { return AssessInto(TheRulebook(), facts, kDate, &out); });
}
BENCHMARK(BM_AssessInto_Reused)->Arg(0)->Arg(1)->MinTime(2.0);

// One AssessmentBuffer per worker, the same facts each call.
void BM_AssessInto_Buffer(benchmark::State& state) {
  const v1::Facts facts = FactsFor(static_cast<int>(state.range(0)));
  AssessmentBuffer out;
  if (!AssessInto(TheRulebook(), facts, kDate, &out).ok()) std::abort();  // warm-up
  TimeCalls(state, [&](long) { return AssessInto(TheRulebook(), facts, kDate, &out); });
}
BENCHMARK(BM_AssessInto_Buffer)->Arg(0)->Arg(1)->MinTime(2.0);

// The two fact sets in turn on one output, so that each call's output
// differs from the previous one's: a reused Assessment (arg 0) or an
// AssessmentBuffer (arg 1). Figures are per call (either facts).
void BM_AssessInto_Alternating(benchmark::State& state) {
  const v1::Facts facts[2] = {FactsFor(0), FactsFor(1)};
  if (state.range(0) == 0) {
    v1::Assessment out;
    for (const v1::Facts& f : facts) {
      if (!AssessInto(TheRulebook(), f, kDate, &out).ok()) std::abort();  // warm-up
    }
    TimeCalls(state, [&](long i) { return AssessInto(TheRulebook(), facts[i & 1], kDate, &out); });
  } else {
    AssessmentBuffer out;
    for (const v1::Facts& f : facts) {
      if (!AssessInto(TheRulebook(), f, kDate, &out).ok()) std::abort();  // warm-up
    }
    TimeCalls(state, [&](long i) { return AssessInto(TheRulebook(), facts[i & 1], kDate, &out); });
  }
}
BENCHMARK(BM_AssessInto_Alternating)->Arg(0)->Arg(1)->MinTime(2.0);

// A worker's stream: consecutive calls on different, realistic facts, so no
// call repeats its predecessor's output. Arg 0: one route (socialtjänsten ->
// Polisen about young people, the broker's route 1) with the subject's age
// 13-25 (10:18a applies to under-21s, 10:20-22 to under-18s), none, one or
// both judgements attested, and a new pseudonym each time; 39 distinct fact
// sets. Arg 1: every third call is instead the tax-fraud request (two
// categories, crime, claimed basis) with its penalty and prison-in-scale
// varied: two routes interleaved. Figures are per call.
std::vector<v1::Facts> StreamFacts(bool mixed) {
  std::vector<v1::Facts> out;
  for (int i = 0; i < 39; ++i) {
    v1::Facts f = FactsFor(0);
    f.mutable_subject()->set_age_years(13 + i % 13);
    f.mutable_subject()->set_pseudonym(absl::StrCat("p:", 1000 + i));
    const int attested = (i / 13) % 3;  // 2, 1 or 0 judgements attested
    while (f.attestations_size() > attested) f.mutable_attestations()->RemoveLast();
    out.push_back(std::move(f));
    if (mixed && i % 2 == 1) {
      v1::Facts t = FactsFor(1);
      t.mutable_crime()->set_minimum_penalty_months(i % 3 == 0 ? 3 : i % 3 == 1 ? 6 : 24);
      t.mutable_crime()->set_prison_in_scale(i % 5 != 0);
      out.push_back(std::move(t));
    }
  }
  return out;
}

// Arg 0/1 with one AssessmentBuffer; arg 2: the mixed stream through
// RouteBuffers (one buffer per route).
void BM_AssessInto_Stream(benchmark::State& state) {
  const std::vector<v1::Facts> facts = StreamFacts(state.range(0) >= 1);
  if (state.range(0) == 2) {
    RouteBuffers out;
    for (const v1::Facts& f : facts) {
      if (!out.AssessInto(TheRulebook(), f, kDate).ok()) std::abort();  // warm-up
    }
    TimeCalls(state, [&](long i) { return out.AssessInto(TheRulebook(), facts[i % facts.size()], kDate).status(); });
    return;
  }
  AssessmentBuffer out;
  for (const v1::Facts& f : facts) {
    if (!AssessInto(TheRulebook(), f, kDate, &out).ok()) std::abort();  // warm-up
  }
  TimeCalls(state, [&](long i) { return AssessInto(TheRulebook(), facts[i % facts.size()], kDate, &out); });
}
BENCHMARK(BM_AssessInto_Stream)->Arg(0)->Arg(1)->Arg(2)->MinTime(2.0);

// A fresh Assessment per call (Assess returning StatusOr<Assessment>).
void BM_Assess_Fresh(benchmark::State& state) {
  const v1::Facts facts = FactsFor(static_cast<int>(state.range(0)));
  std::vector<double> ns;
  ns.reserve(1 << 22);
  long allocations = 0, calls = 0;
  for (auto _ : state) {
    const long before = g_allocations.load(std::memory_order_relaxed);
    const auto t0 = std::chrono::steady_clock::now();
    absl::StatusOr<v1::Assessment> a = Assess(TheRulebook(), facts, kDate);
    const auto t1 = std::chrono::steady_clock::now();
    allocations += g_allocations.load(std::memory_order_relaxed) - before;
    ++calls;
    benchmark::DoNotOptimize(a);
    if (ns.size() < ns.capacity()) ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
  }
  Report(state, ns, allocations, calls);
}
BENCHMARK(BM_Assess_Fresh)->Arg(0)->Arg(1)->MinTime(2.0);

// Ceiling for comparison, same run: copy the facts message.
void BM_FactsCopy(benchmark::State& state) {
  const v1::Facts facts = FactsFor(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    v1::Facts copy = facts;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_FactsCopy)->Arg(0)->Arg(1);

// Loading and validating the bundled rulebook (once per activation).
void BM_LoadBundledRulebook(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<std::unique_ptr<const Rulebook>> rb = Rulebook::Bundled();
    benchmark::DoNotOptimize(rb);
  }
}
BENCHMARK(BM_LoadBundledRulebook)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sluss::gate

BENCHMARK_MAIN();
