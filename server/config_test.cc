#include "server/config.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace sluss::server {
namespace {

using ::testing::HasSubstr;

constexpr char kGood[] = R"(
[server]
listen = "127.0.0.1:0"
data_dir = "data"
[tls]
cert = "server.pem"
key = "/abs/server.key"
client_ca = "ca.pem"
)";

TEST(ConfigTest, ParsesAndResolvesRelativePaths) {
  auto c = ParseConfig("/etc/sluss/slussd.toml", kGood);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->listen, "127.0.0.1:0");
  EXPECT_EQ(c->data_dir, "/etc/sluss/data");
  EXPECT_EQ(c->tls.cert, "/etc/sluss/server.pem");
  EXPECT_EQ(c->tls.key, "/abs/server.key");
  EXPECT_EQ(c->log_format, "text");
}

TEST(ConfigTest, UnknownKeyIsNamedWithLine) {
  std::string text = std::string(kGood) + "[log]\nformatt = \"json\"\n";
  auto c = ParseConfig("/etc/sluss/slussd.toml", text);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "/etc/sluss/slussd.toml:10: unknown key 'log.formatt'");
}

TEST(ConfigTest, TopLevelKeyIsRejected) {
  auto c = ParseConfig("s.toml", std::string("listen = \"x\"\n") + kGood);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("unknown key 'listen'"));
}

TEST(ConfigTest, MissingTlsIsRefused) {
  auto c = ParseConfig("s.toml", "[server]\ndata_dir = \"d\"\n");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(c.status().message()), HasSubstr("missing required key 'tls.cert'"));
}

TEST(ConfigTest, BadListenAndSyntax) {
  std::string bad_listen = kGood;
  bad_listen.replace(bad_listen.find("127.0.0.1:0"), 11, "localhost");
  EXPECT_THAT(std::string(ParseConfig("s.toml", bad_listen).status().message()),
              HasSubstr("is not host:port"));
  auto syntax = ParseConfig("s.toml", "[server\n");
  EXPECT_EQ(syntax.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(syntax.status().message()), HasSubstr("s.toml:1:"));
  auto wrong_type = ParseConfig("s.toml", std::string(kGood) + "[log]\nformat = 3\n");
  EXPECT_THAT(std::string(wrong_type.status().message()), HasSubstr("must be a string"));
}

TEST(ConfigTest, RateIsANumberAndTestingKeyResolves) {
  auto c = ParseConfig("/etc/sluss/slussd.toml", std::string(kGood) +
                                                     "[broker]\nrate_per_second = 0.5\n"
                                                     "[testing]\nfail_diarium_sync_if_exists = \"fail\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->rate_per_second, 0.5);
  EXPECT_EQ(c->fail_diarium_sync_if_exists, "/etc/sluss/fail");
  auto d = ParseConfig("s.toml", std::string(kGood) + "[broker]\nrate_per_second = 7\n");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->rate_per_second, 7.0);
  EXPECT_TRUE(ParseConfig("s.toml", kGood)->fail_diarium_sync_if_exists.empty());
  auto bad = ParseConfig("s.toml", std::string(kGood) + "[broker]\nrate_per_second = -1.5\n");
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("'broker.rate_per_second' must be a non-negative number"));
  auto gone = ParseConfig("s.toml", std::string(kGood) + "[broker]\nio_threads = 2\n");
  EXPECT_THAT(std::string(gone.status().message()), HasSubstr("unknown key 'broker.io_threads'"));
}

TEST(ConfigTest, AlignWritesIsABooleanDefaultingToTrue) {
  auto c = ParseConfig("s.toml", kGood);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->align_writes_to_checkpoints);
  auto off = ParseConfig("s.toml", std::string(kGood) + "[diarium]\nalign_writes_to_checkpoints = false\n");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->align_writes_to_checkpoints);
  auto bad = ParseConfig("s.toml", std::string(kGood) + "[diarium]\nalign_writes_to_checkpoints = \"no\"\n");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("key 'diarium.align_writes_to_checkpoints' must be true or false"));
}

}  // namespace
}  // namespace sluss::server
