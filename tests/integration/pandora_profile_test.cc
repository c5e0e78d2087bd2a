// pandora profile, inspect and box (issue 14): a profile learnt from a run
// lets the same run through cleanly and denies what the run did not do;
// box refuses, running nothing, when a check fails.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

// pandora with the user's own settings (pandora.toml, keyring) out of it;
// `env` entries (VAR=VALUE) win.
RunResult Profile(const std::vector<std::string>& extra, const std::vector<std::string>& cmd) {
  std::vector<std::string> argv = PandoraArgv();
  argv.insert(argv.end(), {"profile", "--sydbox", SydboxBin()});
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("--");
  argv.insert(argv.end(), cmd.begin(), cmd.end());
  return RunCmd(argv);
}

RunResult Box(const std::string& profile, const std::vector<std::string>& extra, const std::vector<std::string>& cmd,
              const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = PandoraArgv(env);
  argv.insert(argv.end(), {"box", "--sydbox", SydboxBin()});
  if (!profile.empty()) argv.insert(argv.end(), {"-c", profile});
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
  RunResult a = Pandora({"inspect", "-i", dump});
  ASSERT_EQ(a.code, 0) << a.err;
  RunResult b = Pandora({"inspect", "-i", dump, "-o", w.dir / "p.syd-3"});
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
  RunResult r = Pandora({"inspect", "-i", t / "mixed.jsonl", "--program", "/bin/sh"});
  EXPECT_EQ(r.code, 1) << r.err;  // written, with problems
  EXPECT_TRUE(Has(r.err, t / "mixed.jsonl:2: not JSON")) << r.err;
  EXPECT_TRUE(Has(r.err, t / "mixed.jsonl:3:")) << r.err;
  EXPECT_TRUE(Has(r.out, "\nallowlist/read+/etc/hostname\n")) << r.out;

  std::string junk;
  for (int i = 0; i < 256; ++i) junk += static_cast<char>(i);
  WriteFile(t / "junk.jsonl", junk + "\n\n{\"event\":\"call\"}\n[]\n");
  RunResult j = Pandora({"inspect", "-i", t / "junk.jsonl", "--program", "/bin/sh"});
  EXPECT_EQ(j.code, 2) << j.err;
  EXPECT_TRUE(Has(j.err, "no call lines")) << j.err;
  EXPECT_EQ(j.out, "");

  RunResult missing = Pandora({"inspect", "-i", t / "nope.jsonl"});
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
  RunResult r = RunCmd({"/usr/bin/env", "XDG_CONFIG_HOME=/nonexistent/pandora-test", pandora, "profile", "-o",
                        w.dir / "p.syd-3", "--", ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(Has(ReadFile(w.dir / "p.syd-3"), "allowlist/write+" + w.dir.path() + "/out\n"));
}

TEST(PandoraProfile, UsageErrors) {
  RunResult none = Pandora({"profile"});
  EXPECT_EQ(none.code, 2);
  EXPECT_TRUE(Has(none.err, "no command")) << none.err;
  RunResult missing = Pandora({"profile", "--", "/nonexistent/program"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_TRUE(Has(missing.err, "/nonexistent/program")) << missing.err;
  RunResult nocfg = Pandora({"box", "--", "/bin/true"});
  EXPECT_EQ(nocfg.code, 2);
  EXPECT_TRUE(Has(nocfg.err, "give one of -c PROFILE and --fetch URL")) << nocfg.err;
}

// Keys made by pandora keygen (unencrypted: -W) in DIR/NAME.pub, .key.
void Keygen(const TempDir& d, const std::string& name) {
  RunResult k = Pandora({"keygen", "-W", "-p", d / (name + ".pub"), "-s", d / (name + ".key")});
  ASSERT_EQ(k.code, 0) << k.err;
}

TEST(PandoraProfile, BoxChecksTheSignature) {
  Work w;
  const std::string profile = Learn(w);
  Keygen(w.dir, "k");
  Keygen(w.dir, "o");
  // Unsigned, with --key: a signature is mandatory.
  unlink((w.dir / "out").c_str());
  RunResult unsigned_ = Box(profile, {"--key", w.dir / "k.pub"}, {ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(unsigned_.code, 2) << unsigned_.err;
  EXPECT_TRUE(Has(unsigned_.err, "not signed")) << unsigned_.err;
  EXPECT_FALSE(Exists(w.dir / "out"));
  RunResult sign = Pandora({"sign", "-s", w.dir / "k.key", profile});
  ASSERT_EQ(sign.code, 0) << sign.err;
  // Signed by k: another key is refused, nothing runs.
  RunResult wrong = Box(profile, {"--key", w.dir / "o.pub"}, {ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(wrong.code, 2) << wrong.err;
  EXPECT_TRUE(Has(wrong.err, "which is not a trusted key")) << wrong.err;
  EXPECT_FALSE(Exists(w.dir / "out"));
  // Without --key and with an empty keyring, a signed profile is not trusted either.
  RunResult nokey = Box(profile, {}, {ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(nokey.code, 2) << nokey.err;
  EXPECT_FALSE(Exists(w.dir / "out"));
  // The right key, named or in the keyring: it runs.
  RunResult right = Box(profile, {"--key", w.dir / "k.pub"}, {ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(right.code, 0) << right.err;
  EXPECT_EQ(right.out, "ok\n");
  unlink((w.dir / "out").c_str());
  mkdir((w.dir / "xdg").c_str(), 0755);
  mkdir((w.dir / "xdg/pandora").c_str(), 0755);
  mkdir((w.dir / "xdg/pandora/keys").c_str(), 0755);
  WriteFile(w.dir / "xdg/pandora/keys/k.pub", ReadFile(w.dir / "k.pub"));
  RunResult ring = Box(profile, {}, {ProfileHelper(), "work", w.dir.path()}, {"XDG_CONFIG_HOME=" + w.dir / "xdg"});
  EXPECT_EQ(ring.code, 0) << ring.err;
  EXPECT_TRUE(Exists(w.dir / "out"));
}

TEST(PandoraProfile, BoxFetchesTheProfileOfTheProgram) {
  Work w;
  const std::string profile = Learn(w);
  const std::string sha = Sha256Of(ProfileHelper());
  const std::string root = w.dir / "srv";
  mkdir(root.c_str(), 0755);
  mkdir((root + "/sha256").c_str(), 0755);
  HttpdServer srv(root, "/dev/null");
  // Nothing served yet: a 404, nothing run.
  unlink((w.dir / "out").c_str());
  RunResult none = Box("", {"--fetch", srv.Url()}, {ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(none.code, 2) << none.err;
  EXPECT_TRUE(Has(none.err, "404")) << none.err;
  EXPECT_FALSE(Exists(w.dir / "out"));
  // A profile for another binary served under this one's checksum: refused.
  const std::string other = w.dir / "other";
  WriteFile(other, ReadFile(ProfileHelper()) + "x");
  chmod(other.c_str(), 0755);
  RunResult p2 = Profile({"-o", w.dir / "other.syd-3"}, {other, "work", w.dir.path()});
  ASSERT_EQ(p2.code, 0) << p2.err;
  unlink((w.dir / "out").c_str());
  WriteFile(root + "/sha256/" + sha + ".syd-3", ReadFile(w.dir / "other.syd-3"));
  RunResult foreign = Box("", {"--fetch", srv.Url()}, {ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(foreign.code, 2) << foreign.err;
  EXPECT_TRUE(Has(foreign.err, "another binary")) << foreign.err;
  EXPECT_FALSE(Exists(w.dir / "out"));
  // The right one: it runs.
  WriteFile(root + "/sha256/" + sha + ".syd-3", ReadFile(profile));
  RunResult r = Box("", {"--fetch", srv.Url()}, {ProfileHelper(), "work", w.dir.path()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "ok\n");
  EXPECT_TRUE(Exists(w.dir / "out"));
}

TEST(PandoraProfile, ALiveProgressLineOnATerminalOnly) {
  if (!Exists("/usr/bin/script")) GTEST_SKIP() << "no script(1) to make a terminal";
  Work w;
  // A run of half a second on a terminal (script(1)): progress lines, then
  // the line cleared and the summary.
  const std::string cmd = "/usr/bin/env XDG_CONFIG_HOME=/nonexistent " + PandoraBin() + " profile -o " +
                          (w.dir / "p.syd-3") + " --sydbox " + SydboxBin() + " -- /bin/sh -c 'sleep 0.5; " +
                          ProfileHelper() + " work " + w.dir.path() + "'";
  RunResult tty = RunCmd({"/usr/bin/script", "-qec", cmd, "/dev/null"});
  EXPECT_EQ(tty.code, 0) << tty.out;
  EXPECT_TRUE(Has(tty.out, "\r\033[Kpandora: ")) << tty.out;
  EXPECT_TRUE(Has(tty.out, " calls, ")) << tty.out;
  EXPECT_TRUE(Has(tty.out, " system calls")) << tty.out;
  EXPECT_TRUE(Has(tty.out, "\r\033[Kpandora: /bin/sh exited with status 0; ")) << tty.out;
  EXPECT_TRUE(Has(tty.out, "profile written to " + w.dir / "p.syd-3")) << tty.out;
  // Not on a terminal: the summary only.
  RunResult plain = Profile({"-o", w.dir / "q.syd-3"}, {"/bin/sh", "-c", "sleep 0.5"});
  EXPECT_EQ(plain.code, 0) << plain.err;
  EXPECT_FALSE(Has(plain.err, "\033[K")) << plain.err;
  EXPECT_TRUE(Has(plain.err, "pandora: /bin/sh exited with status 0; ")) << plain.err;
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
