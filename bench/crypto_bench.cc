// crypto/ benchmarks: the costs every Sluss call pays (Ed25519, envelopes)
// and the measurement behind the choice of SHA-256 implementation for the
// Merkle tree (OpenSSL vs libsodium). See docs/PERFORMANCE.md.
#include <string>

#include "benchmark/benchmark.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/keys.h"

namespace sluss::crypto {
namespace {

void BM_Ed25519Sign(benchmark::State& state) {
  Ed25519SigningKey key = Ed25519SigningKey::Generate();
  std::string msg(256, 'm');
  for (auto _ : state) benchmark::DoNotOptimize(key.Sign(msg));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Sign);

void BM_Ed25519Verify(benchmark::State& state) {
  Ed25519SigningKey key = Ed25519SigningKey::Generate();
  std::string msg(256, 'm');
  Ed25519Signature sig = key.Sign(msg);
  for (auto _ : state) {
    absl::Status s = Ed25519Verify(key.public_key(), msg, Bytes(sig));
    if (!s.ok()) state.SkipWithError("verify failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Ed25519Verify);

void BM_SealEnvelope(benchmark::State& state) {
  std::string plain(static_cast<size_t>(state.range(0)), 'p');
  X25519KeyPair a = X25519KeyPair::Generate(), b = X25519KeyPair::Generate();
  for (auto _ : state) {
    auto env = SealEnvelope(plain, "case:1", {a.public_key(), b.public_key()});
    benchmark::DoNotOptimize(env);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SealEnvelope)->Arg(1 << 10)->Arg(1 << 20);

void BM_OpenEnvelope(benchmark::State& state) {
  std::string plain(static_cast<size_t>(state.range(0)), 'p');
  X25519KeyPair a = X25519KeyPair::Generate(), b = X25519KeyPair::Generate();
  Envelope env = *SealEnvelope(plain, "case:1", {a.public_key(), b.public_key()});
  for (auto _ : state) {
    auto opened = OpenEnvelope(env, "case:1", b);
    if (!opened.ok()) state.SkipWithError("open failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_OpenEnvelope)->Arg(1 << 10)->Arg(1 << 20);

// 65 bytes = one RFC 6962 interior node (0x01 || left || right).
void BM_Sha256OpenSsl(benchmark::State& state) {
  std::string data(static_cast<size_t>(state.range(0)), 'd');
  for (auto _ : state) benchmark::DoNotOptimize(Sha256(data));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256OpenSsl)->Arg(65)->Arg(1 << 10);

void BM_Sha256Libsodium(benchmark::State& state) {
  std::string data(static_cast<size_t>(state.range(0)), 'd');
  for (auto _ : state) benchmark::DoNotOptimize(Sha256WithLibsodium(data));
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Sha256Libsodium)->Arg(65)->Arg(1 << 10);

// The Merkle hot path: an incremental hasher reused across nodes.
void BM_MerkleNodeHashOpenSsl(benchmark::State& state) {
  Sha256Hasher h;
  Sha256Digest left = Sha256("l"), right = Sha256("r");
  const unsigned char prefix = 0x01;
  for (auto _ : state) {
    h.Update(&prefix, 1);
    h.Update(left.data(), left.size());
    h.Update(right.data(), right.size());
    left = h.Finish();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MerkleNodeHashOpenSsl);

}  // namespace
}  // namespace sluss::crypto

BENCHMARK_MAIN();
