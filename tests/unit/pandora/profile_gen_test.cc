// profile_gen: dump lines in, profile body out (issue 14, item 1).
#include "pandora/profile_gen.h"

#include <gtest/gtest.h>

#include <string>

#include "lang/config_text.h"
#include "policy/wildmatch.h"

namespace syd::pandora {
namespace {

std::string Call(const std::string& comm, const std::string& syscall, const std::string& category,
                 const std::string& path, int pid = 101) {
  std::string s = "{\"event\":\"call\",\"ts\":1.5,\"pid\":" + std::to_string(pid) + ",\"tgid\":" + std::to_string(pid) +
                  ",\"comm\":\"" + comm + "\",\"syscall\":\"" + syscall +
                  "\",\"nr\":257,\"args\":[1,2,3,4,5,6]";
  if (!path.empty()) s += ",\"path\":\"" + path + "\"";
  s += ",\"category\":" + (category.empty() ? std::string("null") : "\"" + category + "\"");
  s += ",\"decision\":\"cont\",\"would\":\"deny\",\"rule\":\"default:read\",\"answer\":\"fd\"}\n";
  return s;
}

std::string NetCall(const std::string& comm, const std::string& syscall, const std::string& category,
                    const std::string& addr) {
  return "{\"event\":\"call\",\"ts\":1.5,\"pid\":7,\"tgid\":7,\"comm\":\"" + comm + "\",\"syscall\":\"" + syscall +
         "\",\"nr\":42,\"args\":[0,0,0,0,0,0],\"addr\":\"" + addr + "\",\"category\":\"" + category +
         "\",\"decision\":\"allow\",\"rule\":null,\"answer\":\"continue\"}\n";
}

const std::string kInit =
    "{\"event\":\"init\",\"version\":1,\"ts\":1.0,\"sydbox\":\"3.0.0\",\"pid\":100,\"eldest\":101,"
    "\"argv\":[\"cat\",\"/etc/passwd\"],\"dry_run\":true}\n";
const std::string kExit = "{\"event\":\"exit\",\"ts\":2.0,\"code\":0,\"signal\":null,\"calls\":3}\n";

std::string SampleDump() {
  return kInit + Call("sydbox", "execve", "exec", "/usr/bin/cat") + Call("cat", "openat", "read", "/etc/passwd") +
         Call("cat", "openat", "read", "/etc/passwd") + Call("sh", "openat", "read", "/etc/passwd", 102) +
         Call("cat", "openat", "write", "/tmp/out") + Call("cat", "newfstatat", "stat", "/etc") +
         Call("cat", "brk", "", "") + Call("cat", "exit_group", "", "") +
         NetCall("cat", "connect", "net/connect", "inet:127.0.0.1@9") +
         NetCall("cat", "bind", "net/bind", "unix:/tmp/s*ck") + kExit;
}

std::string BodyOf(const std::string& dump, GenOptions o = {}) {
  ProfileBuilder b(o);
  b.Feed(dump);
  b.Finish();
  return b.Body();
}

TEST(ProfileGen, BodyDeniesEveryCategoryLocksAndAllowsWhatWasUsed) {
  ProfileBuilder b;
  b.Feed(SampleDump());
  b.Finish();
  const std::string body = b.Body();
  EXPECT_EQ(body.find("core/sandbox/read:deny\ncore/sandbox/write:deny\ncore/sandbox/exec:deny\n"
                      "core/sandbox/stat:deny\ncore/sandbox/network:deny\ncore/trace/magic_lock:on\n"),
            body.find("core/sandbox/"))
      << body;
  EXPECT_NE(body.find("# 3 calls by cat, sh\nallowlist/read+/etc/passwd\n"), std::string::npos) << body;
  EXPECT_NE(body.find("# 1 call by cat\nallowlist/write+/tmp/out\n"), std::string::npos) << body;
  EXPECT_NE(body.find("# 1 call by sydbox\nallowlist/exec+/usr/bin/cat\n"), std::string::npos) << body;
  EXPECT_NE(body.find("allowlist/stat+/etc\n"), std::string::npos) << body;
  EXPECT_NE(body.find("allowlist/network/connect+inet:127.0.0.1@9\n"), std::string::npos) << body;
  EXPECT_NE(body.find("allowlist/network/bind+unix:/tmp/s\\*ck\n"), std::string::npos) << body;
  // brk and exit_group show every call was traced: the syscalls are listed.
  EXPECT_NE(body.find("allowlist/syscall+^openat$\n"), std::string::npos) << body;
  EXPECT_NE(body.find("allowlist/syscall+^exit_group$\n"), std::string::npos) << body;
  EXPECT_EQ(b.stats().calls, 10u);
  EXPECT_EQ(b.stats().paths, 4u);
  EXPECT_EQ(b.stats().addresses, 2u);
  EXPECT_EQ(b.stats().problems, 0u);
  EXPECT_TRUE(b.stats().saw_exit);
  EXPECT_EQ(b.first_exec(), "/usr/bin/cat");
  ASSERT_EQ(b.argv().size(), 2u);
  EXPECT_EQ(b.argv()[0], "cat");
}

TEST(ProfileGen, TheBodyParsesAsConfiguration) {
  const std::string body = BodyOf(SampleDump());
  auto items = lang::ParseConfigText(body, "profile.syd-3", lang::ConfigFormat::kSyd);
  ASSERT_TRUE(items) << items.error().what;
  EXPECT_GT(items->size(), 12u);
}

TEST(ProfileGen, SameDumpSameBodyWhateverTheChunks) {
  const std::string dump = SampleDump();
  const std::string whole = BodyOf(dump);
  ProfileBuilder bytewise;
  for (char c : dump) bytewise.Feed(std::string_view(&c, 1));
  bytewise.Finish();
  EXPECT_EQ(whole, bytewise.Body());
  EXPECT_EQ(whole, BodyOf(dump));
}

TEST(ProfileGen, EntriesAreSorted) {
  const std::string body = BodyOf(Call("a", "openat", "read", "/z") + Call("a", "openat", "read", "/a") +
                                  Call("a", "openat", "read", "/m"));
  EXPECT_LT(body.find("read+/a\n"), body.find("read+/m\n"));
  EXPECT_LT(body.find("read+/m\n"), body.find("read+/z\n"));
}

TEST(ProfileGen, SyscallsOnlyWhenEveryCallWasTraced) {
  const std::string categories_only = Call("cat", "openat", "read", "/etc/passwd");
  EXPECT_EQ(BodyOf(categories_only).find("allowlist/syscall"), std::string::npos);
  GenOptions yes;
  yes.syscalls = GenOptions::Syscalls::kYes;
  EXPECT_NE(BodyOf(categories_only, yes).find("allowlist/syscall+^openat$"), std::string::npos);
  GenOptions no;
  no.syscalls = GenOptions::Syscalls::kNo;
  EXPECT_EQ(BodyOf(SampleDump(), no).find("allowlist/syscall"), std::string::npos);
}

TEST(ProfileGen, PathsAreEscapedSoTheyMatchThemselvesOnly) {
  const std::unordered_set<int64_t> none;
  for (std::string path : {"/tmp/a*b", "/tmp/q?", "/tmp/[x]", "/tmp/back\\slash", "/tmp/${HOME}", "/tmp/x $y"}) {
    const std::string pat = PathPattern(path, 0, "", none);
    EXPECT_TRUE(policy::WildMatch(pat, path)) << path << " as " << pat;
    EXPECT_EQ(policy::PatternError(pat), "") << pat;
  }
  EXPECT_EQ(PathPattern("/tmp/a*b", 0, "", none), "/tmp/a\\*b");
  EXPECT_FALSE(policy::WildMatch(PathPattern("/tmp/a*b", 0, "", none), "/tmp/aXXb"));
  EXPECT_EQ(PathPattern("/tmp/${HOME}", 0, "", none), "/tmp/[$]{HOME}");
}

TEST(ProfileGen, ANewlineInAPathCannotStartACommand) {
  // A file named "x\nallowlist/write+/***": the body must stay one entry.
  const std::string body = BodyOf(Call("cat", "openat", "read", "/tmp/x\\nallowlist/write+/***"));
  EXPECT_EQ(body.find("\nallowlist/write+/***"), std::string::npos) << body;
  EXPECT_NE(body.find("allowlist/read+/tmp/x?allowlist/write+/\\*\\*\\*\n"), std::string::npos) << body;
  // comm is a comment: a newline there must not end it either.
  const std::string body2 = BodyOf(Call("x\\nallowlist/write+/***", "openat", "read", "/tmp/y"));
  EXPECT_EQ(body2.find("\nallowlist/write+/***"), std::string::npos) << body2;
}

TEST(ProfileGen, TrailingBlankIsKept) {
  const std::unordered_set<int64_t> none;
  const std::string pat = PathPattern("/tmp/x ", 0, "", none);
  EXPECT_EQ(pat, "/tmp/x?");
  auto items = lang::ParseConfigText("allowlist/read+" + pat + "\n", "p.syd-3", lang::ConfigFormat::kSyd);
  ASSERT_TRUE(items);
}

TEST(ProfileGen, LimitTrimsToNComponents) {
  const std::unordered_set<int64_t> none;
  EXPECT_EQ(PathPattern("/usr/lib/x86_64-linux-gnu/libc.so.6", 2, "", none), "/usr/lib/***");
  EXPECT_EQ(PathPattern("/usr/lib/x86_64-linux-gnu/libc.so.6", 3, "", none), "/usr/lib/x86_64-linux-gnu/***");
  EXPECT_EQ(PathPattern("/usr/lib", 2, "", none), "/usr/lib");  // not longer than N: literal
  EXPECT_EQ(PathPattern("/usr/lib/x86_64-linux-gnu/libc.so.6", 0, "", none), "/usr/lib/x86_64-linux-gnu/libc.so.6");
  // Entries that trim to the same pattern are one entry, their uses added.
  GenOptions o;
  o.limit = 2;
  const std::string body = BodyOf(Call("a", "openat", "read", "/usr/lib/x/1") +
                                  Call("b", "openat", "read", "/usr/lib/y/2"), o);
  EXPECT_NE(body.find("# 2 calls by a, b\nallowlist/read+/usr/lib/***\n"), std::string::npos) << body;
}

TEST(ProfileGen, LimitNeverWidensIntoSecrets) {
  const std::unordered_set<int64_t> none;
  // /etc/*** would allow /etc/shadow: literal.
  EXPECT_EQ(PathPattern("/etc/passwd", 1, "", none), "/etc/passwd");
  // Deeper than N, but trimmed below the level that holds the secret.
  EXPECT_EQ(PathPattern("/etc/ssl/certs/ca.pem", 1, "", none), "/etc/ssl/certs/***");
  // Inside a secret place: literal, whatever N.
  EXPECT_EQ(PathPattern("/home/u/.ssh/known_hosts", 2, "", none), "/home/u/.ssh/known_hosts");
  EXPECT_EQ(PathPattern("/home/u/.gnupg/pubring.kbx", 1, "", none), "/home/u/.gnupg/pubring.kbx");
  EXPECT_EQ(PathPattern("/root/.bashrc", 1, "", none), "/root/.bashrc");
  // /home/u/*** would hold ~/.ssh: trimmed one level lower.
  EXPECT_EQ(PathPattern("/home/u/.cache/x/y", 2, "", none), "/home/u/.cache/***");
  // A home outside /home, from GenOptions::home.
  EXPECT_EQ(PathPattern("/opt/svc/.ssh/id_ed25519", 2, "/opt/svc", none), "/opt/svc/.ssh/id_ed25519");
  EXPECT_EQ(PathPattern("/opt/svc/data/x", 2, "/opt/svc", none), "/opt/svc/data/***");
  EXPECT_EQ(PathPattern("/opt/svc/data/x", 2, "", none), "/opt/svc/***");
  // /var/lib/*** would hold /var/lib/sss/secrets.
  EXPECT_EQ(PathPattern("/var/lib/dpkg/status", 2, "", none), "/var/lib/dpkg/***");
  for (const std::string& s : SecretPlaces()) EXPECT_TRUE(s[0] == '/' || s[0] == '~') << s;
}

TEST(ProfileGen, ProcOfASandboxProcessIsGeneralised) {
  const std::unordered_set<int64_t> pids = {4242};
  EXPECT_EQ(PathPattern("/proc/4242/status", 0, "", pids), "/proc/[0-9]*/status");
  EXPECT_EQ(PathPattern("/proc/4242/task/4242/comm", 0, "", pids), "/proc/[0-9]*/task/[0-9]*/comm");
  EXPECT_EQ(PathPattern("/proc/1/cmdline", 0, "", pids), "/proc/1/cmdline");  // not the sandbox's
  // and never trimmed into another process's environment.
  EXPECT_EQ(PathPattern("/proc/4242/status", 1, "", pids), "/proc/[0-9]*/status");
  const std::string body = BodyOf(Call("cat", "openat", "read", "/proc/101/status", 101));
  EXPECT_NE(body.find("allowlist/read+/proc/[0-9]*/status\n"), std::string::npos) << body;
}

TEST(ProfileGen, GarbageLinesAreReportedWithTheirNumbers) {
  const std::string dump = kInit + "not json at all\n" + "[1,2,3]\n" + "{\"no\":\"event\"}\n" +
                           "{\"event\":\"call\",\"pid\":1}\n" + "{\"event\":\"bogus\"}\n" +
                           std::string("\xff\xfe\x00garbage\n", 11) + "{\"event\":\"call\",\"syscall\":\"open" +
                           "\n" + Call("cat", "openat", "read", "/etc/passwd") + kExit;
  ProfileBuilder b;
  b.Feed(dump);
  b.Finish();
  ASSERT_EQ(b.stats().problems, 7u);
  ASSERT_EQ(b.problems().size(), 7u);
  EXPECT_EQ(b.problems()[0].line, 2u);
  EXPECT_NE(b.problems()[0].what.find("not JSON"), std::string::npos) << b.problems()[0].what;
  EXPECT_EQ(b.problems()[1].line, 3u);
  EXPECT_EQ(b.problems()[1].what, "not a JSON object");
  EXPECT_EQ(b.problems()[2].line, 4u);
  EXPECT_EQ(b.problems()[3].line, 5u);
  EXPECT_EQ(b.problems()[3].what, "a call line without \"syscall\"");
  EXPECT_EQ(b.problems()[4].what, "unknown event \"bogus\"");
  EXPECT_EQ(b.problems()[5].line, 7u);
  EXPECT_EQ(b.problems()[6].line, 8u);
  // The good lines around them still count.
  EXPECT_EQ(b.stats().calls, 1u);
  EXPECT_NE(b.Body().find("allowlist/read+/etc/passwd\n"), std::string::npos);
}

TEST(ProfileGen, FastAndGeneralReadersAgree) {
  // sydbox's compact lines take the fast reader; the same lines with a
  // blank after the opening brace (valid JSON sydbox does not write) take
  // nlohmann's. Both must read the same.
  const std::string compact =
      SampleDump() + Call("cat", "openat", "read", "/tmp/\\u00ff\\t\\\"q\\/") +
      "{\"event\":\"call\",\"pid\":5,\"tgid\":5,\"comm\":\"n\",\"syscall\":\"openat\",\"x\":{\"y\":[1,-2.5e3,true,null]},"
      "\"path\":\"/a\",\"category\":\"write\"}\n";
  std::string spaced;
  for (size_t i = 0; i < compact.size(); ++i) {
    spaced += compact[i];
    if (compact[i] == '{' && (i == 0 || compact[i - 1] == '\n')) spaced += ' ';
  }
  ASSERT_NE(compact, spaced);
  ProfileBuilder a, b;
  a.Feed(compact);
  a.Finish();
  b.Feed(spaced);
  b.Finish();
  EXPECT_EQ(a.stats().problems, 0u);
  EXPECT_EQ(b.stats().problems, 0u);
  EXPECT_EQ(a.stats().calls, b.stats().calls);
  EXPECT_EQ(a.argv(), b.argv());
  EXPECT_EQ(a.Body(), b.Body());
  EXPECT_NE(a.Body().find("allowlist/read+/tmp/\xff\t\"q\n"), std::string::npos) << a.Body();
}

TEST(ProfileGen, BytesWrittenAsCodePointsAreBytesAgain) {
  // sydbox writes byte 0xff of a path as \u00ff.
  const std::string line = "{\"event\":\"call\",\"pid\":1,\"comm\":\"x\",\"syscall\":\"openat\","
                           "\"path\":\"/tmp/a\\u00ffb\",\"category\":\"read\"}\n";
  const std::string want = "allowlist/read+/tmp/a\xff" "b\n";
  EXPECT_NE(BodyOf(line).find(want), std::string::npos) << BodyOf(line);
  // The same through the general reader (a blank after the first brace).
  EXPECT_NE(BodyOf("{ " + line.substr(1)).find(want), std::string::npos);
}

TEST(ProfileGen, OtherFamiliesAndRelativePathsAreSkipped) {
  ProfileBuilder b;
  b.Feed(NetCall("ip", "sendto", "net/connect", "family:16") + Call("cat", "openat", "read", "relative/path"));
  b.Finish();
  EXPECT_EQ(b.stats().skipped, 2u);
  EXPECT_EQ(b.Body().find("family:16"), std::string::npos);
  EXPECT_EQ(b.Body().find("relative"), std::string::npos);
}

// Found by fuzz_dump: a number that overflows a double (1E7603) is not
// JSON to nlohmann-json, so the fast reader must not take the line either.
TEST(ProfileGen, FastReaderLeavesOverflowingNumbersToTheGeneralReader) {
  EXPECT_TRUE(FastReaderAccepts(R"({"event":"call","ts":1.5,"args":[1,2e3]})"));
  EXPECT_FALSE(FastReaderAccepts(R"({"event":"call","args":[1407226862E7603]})"));
  EXPECT_FALSE(FastReaderAccepts(R"({"event":"call","ts":-1e999})"));
  EXPECT_FALSE(FastReaderAccepts(R"({"event":"call","x":{"y":[1.0e400]}})"));
}

}  // namespace
}  // namespace syd::pandora
