#include "pandora/esandbox.h"

#include <gtest/gtest.h>

namespace syd::pandora {
namespace {

std::vector<std::string> Magic(std::vector<std::string> args) {
  auto r = TranslateEsandbox(args);
  EXPECT_TRUE(r) << args[0];
  return r ? r->magic : std::vector<std::string>{};
}

TEST(Esandbox, Vocabulary) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Magic({"check"}), V{});
  EXPECT_TRUE(TranslateEsandbox({"check"})->query);
  EXPECT_EQ(Magic({"enabled"}), V{"core/sandbox/write?"});
  EXPECT_EQ(Magic({"enabled_path"}), V{"core/sandbox/write?"});
  EXPECT_EQ(Magic({"enabled_exec"}), V{"core/sandbox/exec?"});
  EXPECT_EQ(Magic({"enabled_net"}), V{"core/sandbox/network?"});
  EXPECT_TRUE(TranslateEsandbox({"enabled_net"})->query);
  EXPECT_EQ(Magic({"enable"}), V{"core/sandbox/write:deny"});
  EXPECT_EQ(Magic({"disable_exec"}), V{"core/sandbox/exec:off"});
  EXPECT_EQ(Magic({"enable_net"}), V{"core/sandbox/network:deny"});
  EXPECT_EQ(Magic({"allow", "/a", "/b"}), (V{"allowlist/write^/a", "allowlist/write^/b"}));
  EXPECT_EQ(Magic({"allow_path", "/a"}), V{"allowlist/write^/a"});
  EXPECT_EQ(Magic({"disallow_path", "/a"}), V{"allowlist/write-/a"});
  EXPECT_EQ(Magic({"allow_exec", "/bin/x"}), V{"allowlist/exec^/bin/x"});
  EXPECT_EQ(Magic({"allow_net", "LOOPBACK@80"}), V{"allowlist/network/bind^LOOPBACK@80"});
  EXPECT_EQ(Magic({"allow_net", "--connect", "LOOPBACK@80"}), V{"allowlist/network/connect^LOOPBACK@80"});
  EXPECT_EQ(Magic({"disallow_net", "--connect", "x"}), V{"allowlist/network/connect-x"});
  EXPECT_EQ(Magic({"addfilter", "/dev/tty*"}), V{"filter/write^/dev/tty*"});
  EXPECT_EQ(Magic({"rmfilter_exec", "/x"}), V{"filter/exec-/x"});
  EXPECT_EQ(Magic({"wait_eldest"}), V{"core/trace/exit_wait_all:false"});
  EXPECT_EQ(Magic({"wait_all"}), V{"core/trace/exit_wait_all:true"});
}

TEST(Esandbox, Errors) {
  for (auto args : std::vector<std::vector<std::string>>{
           {}, {"bogus"}, {"allow"}, {"allow_bogus", "x"}, {"check", "x"}, {"lock", "x"}, {"allow", ""}}) {
    EXPECT_FALSE(TranslateEsandbox(args)) << (args.empty() ? "(empty)" : args[0]);
  }
}

// Locking is per process: pandora would lock itself, then exit. Refused, with
// the command that locks the shell.
TEST(Esandbox, LockIsRefusedWithTheShellsWay) {
  auto lock = TranslateEsandbox({"lock"});
  ASSERT_FALSE(lock);
  EXPECT_NE(lock.error().what.find("test -e /dev/sydbox/core/trace/magic_lock:on"), std::string::npos)
      << lock.error().what;
  auto exec_lock = TranslateEsandbox({"exec_lock"});
  ASSERT_FALSE(exec_lock);
  EXPECT_NE(exec_lock.error().what.find("magic_lock:exec"), std::string::npos) << exec_lock.error().what;
}

}  // namespace
}  // namespace syd::pandora
