// SetupArgv: pandora box passes the process setup options it parsed on to
// sydbox; parsing them again must give the same options.
#include "cli/setup_options.h"

#include <gtest/gtest.h>

namespace syd::cli {
namespace {

SetupArgs Parse(std::vector<std::string> args) {
  CLI::App app{"t", "t"};
  SetupArgs a;
  AddSetupOptions(app, a);
  std::vector<std::string> rev(args.rbegin(), args.rend());
  app.parse(rev);
  return a;
}

TEST(SetupArgv, ParsingWhatItWritesGivesTheSameOptions) {
  const SetupArgs a =
      Parse({"-C", "/srv/root", "--chdir", "/work dir", "-E", "A=b c", "-E", "UNSET", "-u", "nobody", "-g", "65534",
             "-G", "10", "-G", "wheel", "--umask", "027", "--nice", "-5", "--ionice", "idle", "--unshare-net",
             "--unshare-ipc", "--close-fds", "3:", "--stdout", "/tmp/o", "--stderr", "/tmp/e", "--alias", "-x"});
  const std::vector<std::string> argv = SetupArgv(a);
  const SetupArgs b = Parse(argv);
  EXPECT_EQ(b.chroot, "/srv/root");
  EXPECT_EQ(b.chdir, "/work dir");
  EXPECT_EQ(b.env, (std::vector<std::string>{"A=b c", "UNSET"}));
  EXPECT_EQ(b.uid, "nobody");
  EXPECT_EQ(b.gid, "65534");
  EXPECT_EQ(b.add_gids, (std::vector<std::string>{"10", "wheel"}));
  EXPECT_EQ(b.umask, "027");
  EXPECT_TRUE(b.has_nice);
  EXPECT_EQ(b.nice, -5);
  EXPECT_EQ(b.ionice, "idle");
  EXPECT_EQ(b.unshare, (std::vector<std::string>{"net", "ipc"}));
  EXPECT_EQ(b.close_fds, (std::vector<std::string>{"3:"}));
  EXPECT_EQ(b.stdout_file, "/tmp/o");
  EXPECT_EQ(b.stderr_file, "/tmp/e");
  EXPECT_EQ(b.alias, "-x");  // a value that looks like an option stays a value
  EXPECT_EQ(SetupArgv(b), argv);
  EXPECT_TRUE(SetupArgv(SetupArgs{}).empty());
}

}  // namespace
}  // namespace syd::cli
