// pandora profile, inspect and box (issue 14): a profile learnt from a run
// lets the same run through cleanly and denies what the run did not do;
// box refuses, running nothing, when a check fails.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "harness.h"
#include "pandora/profile_file.h"
#include "pandora/profile_gen.h"
#include "util/sha256.h"

namespace syd::test {
namespace {

bool Has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

std::string ProfileHelper() { return Helper("syd-profile"); }

std::string Sha256Of(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  auto hex = Sha256HexOfFd(fd);
  close(fd);
  return hex ? *hex : "";
}

// A work directory the helper reads from and writes into.
struct Work {
  TempDir dir;
  Work() { WriteFile(dir / "in", "input\n"); }
};

RunResult Profile(const std::vector<std::string>& extra, const std::vector<std::string>& cmd) {
  std::vector<std::string> argv = {PandoraBin(), "profile", "--sydbox", SydboxBin()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("--");
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return RunCmd(argv);
}

RunResult Box(const std::string& profile, const std::vector<std::string>& extra, const std::vector<std::string>& cmd) {
  std::vector<std::string> argv = {PandoraBin(), "box", "--sydbox", SydboxBin(), "-c", profile};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("--");
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return RunCmd(argv);
}

// Learns the profile of `syd-profile work DIR` into DIR/../NAME.
std::string Learn(const Work& w, const std::vector<std::string>& extra = {}) {
  const std::string out = w.dir / "work.syd-3";
  std::vector<std::string> opts = {"-o", out};
  opts.insert(opts.end(), extra.begin(), extra.end());
  RunResult r = Profile(opts, {ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n") << r.err;
  EXPECT_TRUE(Has(r.err, "profile written to " + out)) << r.err;
  return out;
}

TEST(PandoraProfile, ProfileThenBoxRunsTheSameCommandCleanly) {
  Work w;
  const std::string profile = Learn(w);
  const std::string text = ReadFile(profile);
  EXPECT_TRUE(Has(text, "\ncore/sandbox/write:deny\n")) << text;
  EXPECT_TRUE(Has(text, "\nallowlist/read+" + w.dir.path() + "/in\n")) << text;
  EXPECT_TRUE(Has(text, "\nallowlist/write+" + w.dir.path() + "/out\n")) << text;
  EXPECT_TRUE(Has(text, "\nallowlist/network/bind+unix:" + w.dir.path() + "/sock\n")) << text;
  EXPECT_TRUE(Has(text, "\nallowlist/network/connect+unix:" + w.dir.path() + "/sock\n")) << text;
  EXPECT_TRUE(Has(text, "\nallowlist/syscall+^socket$\n")) << text;
  EXPECT_TRUE(Has(text, "by syd-profile\n")) << text;
  unlink((w.dir / "out").c_str());
  RunResult r = Box(profile, {}, {ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_FALSE(Has(r.err, "violation")) << r.err;
  EXPECT_TRUE(Exists(w.dir / "out"));
}

TEST(PandoraProfile, AWriteTheRunDidNotDoIsDenied) {
  Work w;
  const std::string untouched = w.dir / "untouched";
  // Natively the extra write works.
  RunResult native = RunCmd({ProfileHelper(), "work", w.dir.path(), untouched});
  ASSERT_EQ(native.code, 0) << native.out;
  ASSERT_TRUE(Exists(untouched));
  unlink(untouched.c_str());

  const std::string profile = Learn(w);
  RunResult r = Box(profile, {}, {ProfileHelper(), "work", w.dir.path(), untouched});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_TRUE(Has(r.out, "extra: EPERM\n")) << r.out;
  EXPECT_TRUE(Has(r.out, "ok\n")) << r.out;  // what the profile allows still works
  EXPECT_FALSE(Exists(untouched));
}

TEST(PandoraProfile, HeaderFields) {
  Work w;
  const std::string profile = Learn(w);
  auto f = pandora::ParseProfile(ReadFile(profile));
  ASSERT_TRUE(f) << f.error().what;
  EXPECT_EQ(f->header.program, ProfileHelper());
  EXPECT_EQ(f->header.sha256, Sha256Of(ProfileHelper()));
  EXPECT_TRUE(pandora::IsRfc3339(f->header.created)) << f->header.created;
  EXPECT_EQ(f->header.created.back(), 'Z');  // UTC
  EXPECT_TRUE(pandora::CheckBody(*f)) << "body-sha256";
  EXPECT_TRUE(f->header.signature.empty());
}

TEST(PandoraProfile, LimitTrimsButNotIntoSecrets) {
  Work w;
  const std::string profile = Learn(w, {"--limit", "2"});
  const std::string text = ReadFile(profile);
  // The C library under /usr/lib (or /lib): trimmed.
  EXPECT_TRUE(Has(text, "\nallowlist/read+/usr/lib/***\n") || Has(text, "\nallowlist/read+/lib/x86_64-linux-gnu/***\n"))
      << text;
  // /etc/ld.so.cache stays literal: /etc/*** would hold /etc/shadow.
  EXPECT_TRUE(Has(text, "\nallowlist/read+/etc/ld.so.cache\n")) << text;
  EXPECT_FALSE(Has(text, "+/etc/***")) << text;
  // The trimmed profile still runs the command.
  RunResult r = Box(profile, {}, {ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
}

TEST(PandoraProfile, InspectFromADump) {
  Work w;
  const std::string dump = w.dir / "dump.jsonl";
  RunResult d = Sydbox({"--dry-run", "--log-file", "/dev/null", "--dump", dump, "-m", "core/sandbox/read:deny", "-m",
                        "core/sandbox/write:deny", "-m", "core/sandbox/exec:deny", "-m", "core/sandbox/stat:deny", "-m",
                        "core/sandbox/network:deny", "-m",
                        "sys/trace+/.*,!read,!write,!close,!rt_sigprocmask,!exit,!exit_group", "--", ProfileHelper(),
                        "work", w.dir.path()});
  ASSERT_EQ(d.code, 0) << d.err;
  RunResult a = RunCmd({PandoraBin(), "inspect", "-i", dump});
  ASSERT_EQ(a.code, 0) << a.err;
  RunResult b = RunCmd({PandoraBin(), "inspect", "-i", dump, "-o", w.dir / "p.syd-3"});
  ASSERT_EQ(b.code, 0) << b.err;
  auto fa = pandora::ParseProfile(a.out);
  auto fb = pandora::ParseProfile(ReadFile(w.dir / "p.syd-3"));
  ASSERT_TRUE(fa && fb);
  // The same dump, the same body, byte for byte.
  EXPECT_EQ(fa->body, fb->body);
  EXPECT_EQ(fa->header.program, ProfileHelper());
  EXPECT_TRUE(Has(fa->body, "\nallowlist/write+" + w.dir.path() + "/out\n")) << fa->body;
  RunResult r = Box(w.dir / "p.syd-3", {}, {ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
}

TEST(PandoraProfile, ABinaryWithAnotherChecksumIsRefusedAndNothingRuns) {
  Work w;
  const std::string profile = Learn(w);
  // A copy of the helper with one byte more: another SHA-256.
  const std::string other = w.dir / "syd-profile-other";
  WriteFile(other, ReadFile(ProfileHelper()) + "x");
  chmod(other.c_str(), 0755);
  const std::string marker = w.dir / "marker";
  ASSERT_EQ(RunCmd({other, "mark", marker}).code, 0);  // it runs natively
  unlink(marker.c_str());
  RunResult r = Box(profile, {}, {other, "mark", marker});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(Has(r.err, "program checksum")) << r.err;
  EXPECT_TRUE(Has(r.err, "nothing run")) << r.err;
  EXPECT_FALSE(Exists(marker));
}

TEST(PandoraProfile, AChangedBodyIsRefusedAndNothingRuns) {
  Work w;
  const std::string profile = Learn(w);
  std::string text = ReadFile(profile);
  const std::string deny = "core/sandbox/write:deny\n";
  ASSERT_TRUE(Has(text, deny));
  text.replace(text.find(deny), deny.size(), "core/sandbox/write:off \n");
  WriteFile(profile, text);
  const std::string marker = w.dir / "marker";
  RunResult r = Box(profile, {}, {ProfileHelper(), "mark", marker});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(Has(r.err, "body-sha256 does not match")) << r.err;
  EXPECT_FALSE(Exists(marker));
}

TEST(PandoraProfile, BoxPassesProcessSetupOptions) {
  Work w;
  const std::string profile = Learn(w);
  // --chdir is sydbox's; a bad value is refused before anything runs.
  RunResult bad = Box(profile, {"--nice", "99"}, {ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_TRUE(Has(bad.err, "--nice 99")) << bad.err;
  RunResult r = Box(profile, {"--chdir", w.dir.path(), "--stdout", w.dir / "stdout"},
                    {ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(ReadFile(w.dir / "stdout"), "ok\n");
}

TEST(PandoraProfile, GarbageDumpsAreReportedByLine) {
  TempDir t;
  const std::string good =
      "{\"event\":\"call\",\"ts\":1,\"pid\":5,\"tgid\":5,\"comm\":\"x\",\"syscall\":\"openat\",\"nr\":257,"
      "\"args\":[0,0,0,0,0,0],\"path\":\"/etc/hostname\",\"category\":\"read\",\"decision\":\"cont\","
      "\"rule\":null,\"answer\":\"fd\"}\n";
  WriteFile(t / "mixed.jsonl", good + "garbage here\n{\"event\":1}\n" + good);
  RunResult r = RunCmd({PandoraBin(), "inspect", "-i", t / "mixed.jsonl", "--program", "/bin/sh"});
  EXPECT_EQ(r.code, 1) << r.err;  // written, with problems
  EXPECT_TRUE(Has(r.err, t / "mixed.jsonl:2: not JSON")) << r.err;
  EXPECT_TRUE(Has(r.err, t / "mixed.jsonl:3:")) << r.err;
  EXPECT_TRUE(Has(r.out, "\nallowlist/read+/etc/hostname\n")) << r.out;

  std::string junk;
  for (int i = 0; i < 256; ++i) junk += static_cast<char>(i);
  WriteFile(t / "junk.jsonl", junk + "\n\n{\"event\":\"call\"}\n[]\n");
  RunResult j = RunCmd({PandoraBin(), "inspect", "-i", t / "junk.jsonl", "--program", "/bin/sh"});
  EXPECT_EQ(j.code, 2) << j.err;
  EXPECT_TRUE(Has(j.err, "no call lines")) << j.err;
  EXPECT_EQ(j.out, "");

  RunResult missing = RunCmd({PandoraBin(), "inspect", "-i", t / "nope.jsonl"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_TRUE(Has(missing.err, "No such file")) << missing.err;
}

TEST(PandoraProfile, ProfileFindsTheSydboxNextToPandora) {
  // Without --sydbox, pandora runs the sydbox in its own directory (the
  // build tree, or the copies of the uid 65534 run).
  const std::string pandora = PandoraBin();
  const std::string sydbox = pandora.substr(0, pandora.rfind('/') + 1) + "sydbox";
  if (!Exists(sydbox)) GTEST_SKIP() << "no sydbox next to " << pandora;
  Work w;
  RunResult r = RunCmd({pandora, "profile", "-o", w.dir / "p.syd-3", "--", ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(ReadFile(w.dir / "p.syd-3"), "allowlist/write+" + w.dir.path() + "/out\n"));
}

TEST(PandoraProfile, UsageErrors) {
  RunResult none = RunCmd({PandoraBin(), "profile"});
  EXPECT_EQ(none.code, 2);
  EXPECT_TRUE(Has(none.err, "no command")) << none.err;
  RunResult missing = RunCmd({PandoraBin(), "profile", "--", "/nonexistent/program"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_TRUE(Has(missing.err, "/nonexistent/program")) << missing.err;
  RunResult nocfg = RunCmd({PandoraBin(), "box", "--", "/bin/true"});
  EXPECT_EQ(nocfg.code, 2);
  EXPECT_TRUE(Has(nocfg.err, "give one of -c PROFILE and --fetch URL")) << nocfg.err;
}

TEST(PandoraProfile, TheSecretPlacesAreNamedInTheDocs) {
  const std::string doc = ReadFile(std::string(SYD_SOURCE_DIR) + "/docs/PANDORA.md");
  ASSERT_FALSE(doc.empty());
  for (const std::string& place : pandora::SecretPlaces())
    EXPECT_TRUE(Has(doc, "`" + place + "`")) << place << " is not in docs/PANDORA.md";
}

TEST(PandoraProfile, CompletionKnowsTheSubcommandsAndTheirOptions) {
  const std::string file = std::string(SYD_SOURCE_DIR) + "/completion/pandora";
  auto complete = [&](const std::string& words, int cword) {
    return RunCmd({"/bin/bash", "-c",
                   "source '" + file + "' && COMP_WORDS=(" + words + ") && COMP_CWORD=" + std::to_string(cword) +
                       " && _pandora && printf '%s\\n' \"${COMPREPLY[@]}\""})
        .out;
  };
  const std::string subs = complete("pandora ''", 1);
  for (const char* s : {"profile", "inspect", "box"}) EXPECT_TRUE(Has(subs, std::string(s) + "\n")) << subs;
  EXPECT_EQ(complete("pandora box --fe", 2), "--fetch\n");
  EXPECT_EQ(complete("pandora inspect --pro", 2), "--program\n");
  EXPECT_EQ(complete("pandora profile --li", 2), "--limit\n");
  EXPECT_TRUE(Has(complete("pandora box --unshare-n", 2), "--unshare-net\n"));
}

}  // namespace
}  // namespace syd::test
