// Crash test: a child process (crash_child.cc) appends continuously from 16
// threads and reports each acknowledged index and each published checkpoint
// through a pipe; the parent SIGKILLs it at a random moment, reopens the
// log, and checks that every acknowledged entry is present and intact, that
// the tree extends the last checkpoint the child published, that the whole
// log verifies, and that appending continues. 20+ rounds on one log.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/crash_record.h"
#include "storage/diarium.h"
#include "storage/test_util.h"

extern char** environ;

namespace sluss::storage {
namespace {

using testing::CrashEntry;
using testing::CrashRecord;

// The child is built into the same bin/ directory as this test.
std::string ChildPath() {
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe");
  return (self.parent_path() / "diarium_crash_child").string();
}

struct RoundResult {
  std::vector<CrashRecord> acks;
  std::optional<CrashRecord> last_checkpoint;
};

// Runs the child until `run_for` after its first acknowledged append, kills
// it with SIGKILL, returns its reports.
RoundResult RunAndKill(const std::string& dir, uint32_t round, absl::Duration run_for) {
  RoundResult result;
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const std::string child = ChildPath();
  const std::string fd_arg = absl::StrCat(fds[1]);
  const std::string round_arg = absl::StrCat(round);
  char* argv[] = {const_cast<char*>(child.c_str()), const_cast<char*>(dir.c_str()),
                  const_cast<char*>(fd_arg.c_str()), const_cast<char*>(round_arg.c_str()),
                  nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, child.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    ADD_FAILURE() << "cannot start " << child << ": " << strerror(rc);
    close(fds[0]);
    return result;
  }
  std::string buf;
  auto consume = [&] {
    while (buf.size() >= sizeof(CrashRecord)) {
      CrashRecord r;
      std::memcpy(&r, buf.data(), sizeof r);
      buf.erase(0, sizeof r);
      if (r.type == CrashRecord::kAck) {
        result.acks.push_back(r);
      } else if (r.type == CrashRecord::kCheckpoint) {
        if (!result.last_checkpoint || r.value > result.last_checkpoint->value) {
          result.last_checkpoint = r;
        }
      }
    }
  };
  auto read_some = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    char chunk[4096];
    const ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n <= 0) return false;
    buf.append(chunk, n);
    consume();
    return true;
  };
  // The random moment counts from the child's first acknowledged append, so
  // the kill lands while appends are in flight however long the child takes
  // to start (a sanitizer build, a loaded machine).
  const absl::Time start_limit = absl::Now() + absl::Seconds(60);
  while (result.acks.empty() && absl::Now() < start_limit) read_some(100);
  EXPECT_FALSE(result.acks.empty()) << "the child acknowledged nothing within 60 s in round " << round;
  const absl::Time deadline = absl::Now() + run_for;
  while (absl::Now() < deadline) {
    read_some(static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(deadline - absl::Now()))));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child exited by itself (status " << status << ") in round " << round;
  while (read_some(1000)) {
  }
  close(fds[0]);
  return result;
}

TEST(CrashTest, KillAtRandomMomentsLosesNothingAcknowledged) {
  testing::ScratchDir dir("db");
  std::mt19937 rng(20240601);
  constexpr int kRounds = 24;
  uint64_t total_acked = 0;
  std::map<uint64_t, std::string> expected;  // index -> entry, acknowledged so far
  for (uint32_t round = 0; round < kRounds; ++round) {
    const absl::Duration run_for = absl::Milliseconds(20 + rng() % 200);
    RoundResult r = RunAndKill(dir.path(), round, run_for);
    total_acked += r.acks.size();
    for (const CrashRecord& a : r.acks) {
      ASSERT_EQ(a.round, round);
      ASSERT_TRUE(expected.emplace(a.value, CrashEntry(a.round, a.thread, a.op)).second)
          << "index " << a.value << " acknowledged twice";
    }

    absl::StatusOr<std::unique_ptr<Diarium>> opened = Diarium::Open(testing::TestOptions(), dir.path());
    ASSERT_TRUE(opened.ok()) << "round " << round << ": " << opened.status();
    Diarium& d = **opened;
    // Every acknowledged entry, of this round and all before, is there, intact.
    if (!expected.empty()) {
      ASSERT_GT(d.size(), expected.rbegin()->first);
    }
    for (const auto& [index, entry] : expected) {
      absl::StatusOr<std::string> got = d.Get(index);
      ASSERT_TRUE(got.ok()) << "round " << round << ": " << got.status();
      ASSERT_EQ(*got, entry) << "round " << round << ", index " << index;
    }
    // The tree extends the last checkpoint the child published.
    if (r.last_checkpoint) {
      const uint64_t cp_size = r.last_checkpoint->value;
      ASSERT_GE(d.size(), cp_size);
      absl::StatusOr<Hash> root = d.RootAt(cp_size);
      ASSERT_TRUE(root.ok()) << root.status();
      ASSERT_TRUE(std::equal(root->begin(), root->end(), r.last_checkpoint->root))
          << "round " << round << ": tree at size " << cp_size << " differs from its checkpoint";
      absl::StatusOr<std::vector<Hash>> proof = d.ConsistencyProof(cp_size, d.size());
      ASSERT_TRUE(proof.ok());
      ASSERT_TRUE(VerifyConsistency(cp_size, d.size(), *root, *d.RootAt(d.size()), *proof).ok());
    }
    // The whole log verifies against its latest signed checkpoint.
    ASSERT_TRUE(d.Verify().ok()) << "round " << round << ": " << d.Verify();
    // And appending continues at the next index.
    const uint64_t next = d.size();
    const std::string extra = absl::StrCat("parent after round ", round);
    absl::StatusOr<uint64_t> idx = d.Append(extra);
    ASSERT_TRUE(idx.ok()) << idx.status();
    ASSERT_EQ(*idx, next);
    expected.emplace(*idx, extra);
  }
  // The test proves something only if the children got work done.
  EXPECT_GT(total_acked, uint64_t{kRounds * 10});
  std::printf("crash test: %d rounds, %llu acknowledged appends\n", kRounds,
              static_cast<unsigned long long>(total_acked));
}

}  // namespace
}  // namespace sluss::storage
