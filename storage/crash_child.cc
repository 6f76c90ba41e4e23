// Child process of storage/crash_test.cc: appends from many threads until
// killed, reporting every acknowledged index and every published checkpoint
// through a pipe.  Usage: diarium_crash_child <dir> <fd> <round>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "storage/crash_record.h"
#include "storage/diarium.h"
#include "storage/test_util.h"

namespace {

using sluss::storage::testing::CrashEntry;
using sluss::storage::testing::CrashRecord;

void Send(int fd, const CrashRecord& r) {
  if (write(fd, &r, sizeof r) != static_cast<ssize_t>(sizeof r)) std::_Exit(3);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <dir> <fd> <round>\n", argv[0]);
    return 2;
  }
  const int fd = std::atoi(argv[2]);
  const uint32_t round = static_cast<uint32_t>(std::atoi(argv[3]));
  sluss::storage::DiariumOptions o;
  o.origin = std::string(sluss::storage::testing::kOrigin);
  o.signers = {sluss::storage::testing::TestSigner(1)};
  o.checkpoint_interval = absl::Milliseconds(2);
  auto d = sluss::storage::Diarium::Open(o, argv[1]);
  if (!d.ok()) {
    std::fprintf(stderr, "open: %s\n", d.status().ToString().c_str());
    return 1;
  }
  sluss::storage::Diarium& log = **d;
  std::thread checkpoints([&] {
    uint64_t last = log.LatestCheckpoint().body.size;
    while (true) {
      auto cp = log.AwaitCheckpoint(last + 1, absl::Seconds(60));
      if (!cp.ok()) std::_Exit(4);
      CrashRecord r;
      r.type = CrashRecord::kCheckpoint;
      r.round = round;
      r.value = cp->body.size;
      std::copy(cp->body.root.begin(), cp->body.root.end(), r.root);
      Send(fd, r);
      last = cp->body.size;
    }
  });
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t op = 0;; ++op) {
        auto idx = log.Append(CrashEntry(round, t, op));
        if (!idx.ok()) {
          std::fprintf(stderr, "append: %s\n", idx.status().ToString().c_str());
          std::_Exit(5);
        }
        CrashRecord r;
        r.type = CrashRecord::kAck;
        r.round = round;
        r.thread = t;
        r.op = op;
        r.value = *idx;
        Send(fd, r);
      }
    });
  }
  for (auto& th : threads) th.join();  // never: the parent kills us
  checkpoints.join();
  return 0;
}
