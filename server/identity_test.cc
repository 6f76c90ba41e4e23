#include "server/identity.h"

#include "gtest/gtest.h"

namespace sluss::server {
namespace {

TEST(IdentityTest, ParsesAgencyUri) {
  auto id = IdentityFromUris({"https://example.org", "urn:sluss:agency:212000-0142:socialtjanst"});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->orgnr, "212000-0142");
  EXPECT_EQ(id->function, "socialtjanst");
}

TEST(IdentityTest, RejectsMissingDuplicateAndMalformed) {
  EXPECT_EQ(IdentityFromUris({}).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(IdentityFromUris({"urn:sluss:agency:212000-0142:a", "urn:sluss:agency:202100-0076:b"})
                .status()
                .code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(IdentityFromUris({"urn:sluss:agency:2120000142:socialtjanst"}).status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ParseAgencyUri("urn:sluss:agency:212000-0142:Social Tjanst").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseAgencyUri("urn:sluss:agency:212000-0142").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sluss::server
