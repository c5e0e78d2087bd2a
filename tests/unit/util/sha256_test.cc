#include "util/sha256.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <string>

namespace syd {
namespace {

std::string DigestOf(const std::string& data) {
  FILE* f = tmpfile();
  if (!f) return "tmpfile";
  if (!data.empty()) fwrite(data.data(), 1, data.size(), f);
  fflush(f);
  // The offset is left where it is: the digest reads from offset 0.
  auto h = Sha256HexOfFd(fileno(f));
  fclose(f);
  return h ? *h : h.error().what;
}

// FIPS 180-2 test vectors, and a file larger than one read.
TEST(Sha256, KnownDigests) {
  EXPECT_EQ(DigestOf(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(DigestOf("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(DigestOf(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, UnreadableDescriptor) { EXPECT_FALSE(Sha256HexOfFd(-1)); }

}  // namespace
}  // namespace syd
