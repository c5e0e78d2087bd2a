// pandora keygen / sign / verify (SPEC §5.2) against the real minisign:
// keys made by either program sign with the other, pandora's detached
// signature passes `minisign -V`, and a wrong key, a changed body byte and a
// forged body-sha256 are each refused with the failed check named.
// minisign is a test dependency (scripts/install-deps.sh); without it the
// interoperability tests skip and say so.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>

#include "harness.h"
#include "pandora/profile_file.h"

namespace syd::test {
namespace {

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }


std::string Minisign() { return FindProgram("minisign"); }
#define NEED_MINISIGN()                                                                                 \
  if (Minisign().empty())                                                                               \
  GTEST_SKIP() << "minisign is not installed (Debian package 'minisign', see scripts/install-deps.sh): " \
                  "the minisign interoperability test did not run"

// An unsigned profile for /bin/true in `path`.
void WriteProfile(const std::string& path) {
  pandora::ProfileHeader h;
  h.program = "/bin/true";
  h.sha256 = std::string(64, '0');
  h.created = "2026-12-01T07:00:00Z";
  WriteFile(path, pandora::FormatProfile(h, "# made by pandora_sign_test\nsandbox/write:deny\nallowlist/write+/tmp/***\n"));
}

TEST(PandoraSign, KeygenSignVerify) {
  TempDir d;
  RunResult k = Pandora({"keygen", "-W", "-p", d / "k.pub", "-s", d / "k.key"});
  ASSERT_EQ(k.code, 0) << k.err;
  struct stat st;
  ASSERT_EQ(stat((d / "k.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(ReadFile(d / "k.pub").starts_with("untrusted comment: minisign public key "));
  WriteProfile(d / "p.syd-3");
  RunResult unsigned_v = Pandora({"verify", "-p", d / "k.pub", d / "p.syd-3"});
  EXPECT_EQ(unsigned_v.code, 1);
  EXPECT_TRUE(Has(unsigned_v.err, "profile is not signed")) << unsigned_v.err;
  RunResult s = Pandora({"sign", "-s", d / "k.key", d / "p.syd-3"});
  ASSERT_EQ(s.code, 0) << s.err;
  const std::string text = ReadFile(d / "p.syd-3");
  EXPECT_TRUE(Has(text, "\n#! signature: ")) << text;
  EXPECT_TRUE(Has(text, "\n#! key-id: ")) << text;
  RunResult v = Pandora({"verify", "-p", d / "k.pub", d / "p.syd-3"});
  EXPECT_EQ(v.code, 0) << v.err;
  EXPECT_TRUE(Has(v.out, "signature verified")) << v.out;
  // Signing again replaces the signature; the file still verifies.
  ASSERT_EQ(Pandora({"sign", "-s", d / "k.key", d / "p.syd-3"}).code, 0);
  EXPECT_EQ(Pandora({"verify", "-p", d / "k.pub", d / "p.syd-3"}).code, 0);
}

TEST(PandoraSign, KeygenRefusesToOverwrite) {
  TempDir d;
  ASSERT_EQ(Pandora({"keygen", "-W", "-p", d / "k.pub", "-s", d / "k.key"}).code, 0);
  const std::string first = ReadFile(d / "k.pub");
  RunResult again = Pandora({"keygen", "-W", "-p", d / "k.pub", "-s", d / "k.key"});
  EXPECT_EQ(again.code, 1);
  EXPECT_TRUE(Has(again.err, "already exists (use -f to overwrite it)")) << again.err;
  EXPECT_EQ(ReadFile(d / "k.pub"), first);
  ASSERT_EQ(Pandora({"keygen", "-W", "-f", "-p", d / "k.pub", "-s", d / "k.key"}).code, 0);
  EXPECT_NE(ReadFile(d / "k.pub"), first);
  RunResult usage = Pandora({"keygen", "-p", d / "x.pub"});
  EXPECT_EQ(usage.code, 2);
  EXPECT_TRUE(Has(usage.err, "both -p PUB and -s SEC are needed")) << usage.err;
}

TEST(PandoraSign, MinisignKeysSignWithPandora) {
  NEED_MINISIGN();
  TempDir d;
  RunResult g = RunCmd({Minisign(), "-G", "-W", "-p", d / "m.pub", "-s", d / "m.key"});
  ASSERT_EQ(g.code, 0) << g.err;
  WriteProfile(d / "p.syd-3");
  RunResult s = Pandora({"sign", "-s", d / "m.key", "-x", d / "p.minisig", d / "p.syd-3"});
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(Pandora({"verify", "-p", d / "m.pub", d / "p.syd-3"}).code, 0);
  // minisign accepts pandora's detached signature of the file as written.
  RunResult mv = RunCmd({Minisign(), "-Vm", d / "p.syd-3", "-x", d / "p.minisig", "-p", d / "m.pub"});
  EXPECT_EQ(mv.code, 0) << mv.out << mv.err;
  EXPECT_TRUE(Has(mv.out, "Signature and comment signature verified")) << mv.out;
  EXPECT_TRUE(Has(mv.out, "file:p.syd-3\thashed")) << mv.out;
  // And refuses it once one byte of the file changes.
  std::string text = ReadFile(d / "p.syd-3");
  text[text.size() - 2] ^= 1;
  WriteFile(d / "p.syd-3", text);
  EXPECT_NE(RunCmd({Minisign(), "-Vm", d / "p.syd-3", "-x", d / "p.minisig", "-p", d / "m.pub"}).code, 0);
}

TEST(PandoraSign, PandoraKeysWorkWithMinisign) {
  NEED_MINISIGN();
  TempDir d;
  ASSERT_EQ(Pandora({"keygen", "-W", "-p", d / "k.pub", "-s", d / "k.key"}).code, 0);
  WriteProfile(d / "p.syd-3");
  ASSERT_EQ(Pandora({"sign", "-s", d / "k.key", "-x", d / "p.minisig", d / "p.syd-3"}).code, 0);
  RunResult mv = RunCmd({Minisign(), "-Vm", d / "p.syd-3", "-x", d / "p.minisig", "-p", d / "k.pub"});
  EXPECT_EQ(mv.code, 0) << mv.out << mv.err;
  // minisign signs with pandora's secret key; pandora verify -x checks it.
  RunResult ms = RunCmd({Minisign(), "-S", "-s", d / "k.key", "-m", d / "p.syd-3", "-x", d / "m.minisig"});
  ASSERT_EQ(ms.code, 0) << ms.out << ms.err;
  RunResult v = Pandora({"verify", "-p", d / "k.pub", "-x", d / "m.minisig", d / "p.syd-3"});
  EXPECT_EQ(v.code, 0) << v.err;
  // minisign's legacy (not prehashed) signatures verify too.
  ASSERT_EQ(RunCmd({Minisign(), "-S", "-l", "-s", d / "k.key", "-m", d / "p.syd-3", "-x", d / "l.minisig"}).code, 0);
  EXPECT_EQ(Pandora({"verify", "-p", d / "k.pub", "-x", d / "l.minisig", d / "p.syd-3"}).code, 0);
  // A detached signature by another key is refused, naming the key.
  ASSERT_EQ(RunCmd({Minisign(), "-G", "-W", "-p", d / "o.pub", "-s", d / "o.key"}).code, 0);
  ASSERT_EQ(RunCmd({Minisign(), "-S", "-s", d / "o.key", "-m", d / "p.syd-3", "-x", d / "o.minisig"}).code, 0);
  RunResult other = Pandora({"verify", "-p", d / "k.pub", "-x", d / "o.minisig", d / "p.syd-3"});
  EXPECT_EQ(other.code, 1);
  EXPECT_TRUE(Has(other.err, "which is not a trusted key")) << other.err;
}

// Each tampering is refused and the message names the check that failed.
TEST(PandoraSign, RefusalsNameTheCheck) {
  TempDir d;
  ASSERT_EQ(Pandora({"keygen", "-W", "-p", d / "k.pub", "-s", d / "k.key"}).code, 0);
  ASSERT_EQ(Pandora({"keygen", "-W", "-p", d / "o.pub", "-s", d / "o.key"}).code, 0);
  WriteProfile(d / "p.syd-3");
  ASSERT_EQ(Pandora({"sign", "-s", d / "k.key", d / "p.syd-3"}).code, 0);
  const std::string good = ReadFile(d / "p.syd-3");
  ASSERT_EQ(Pandora({"verify", "-p", d / "k.pub", d / "p.syd-3"}).code, 0);

  RunResult wrong = Pandora({"verify", "-p", d / "o.pub", d / "p.syd-3"});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_TRUE(Has(wrong.err, "which is not a trusted key")) << wrong.err;

  std::string byte = good;
  byte[byte.find("/tmp/***")] = 'X';
  WriteFile(d / "b.syd-3", byte);
  RunResult changed = Pandora({"verify", "-p", d / "k.pub", d / "b.syd-3"});
  EXPECT_EQ(changed.code, 1);
  EXPECT_TRUE(Has(changed.err, "body-sha256 does not match")) << changed.err;

  // The forger widens the body and recomputes body-sha256 to match.
  auto parsed = pandora::ParseProfile(good);
  ASSERT_TRUE(parsed);
  parsed->body += "allowlist/write+/***\n";
  parsed->header.body_sha256 = pandora::Sha256Hex(parsed->body);
  WriteFile(d / "f.syd-3", pandora::FormatProfileFile(*parsed));
  RunResult forged = Pandora({"verify", "-p", d / "k.pub", d / "f.syd-3"});
  EXPECT_EQ(forged.code, 1);
  EXPECT_TRUE(Has(forged.err, "signature does not verify")) << forged.err;

  // A malformed file names the line.
  WriteFile(d / "m.syd-3", "#! pandora-profile: 2\n");
  RunResult bad = Pandora({"verify", "-p", d / "k.pub", d / "m.syd-3"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_TRUE(Has(bad.err, "profile:1: unknown profile version '2'")) << bad.err;
}

// Encrypted secret keys both ways. scrypt at minisign's cost (1 GiB, a few
// seconds per key use), so one test does it all.
TEST(PandoraSign, EncryptedKeysBothWays) {
  NEED_MINISIGN();
  TempDir d;
  WriteProfile(d / "p.syd-3");
  // pandora's encrypted key, password from the environment, used by minisign.
  ASSERT_EQ(Pandora({"keygen", "-p", d / "k.pub", "-s", d / "k.key"}, {"PANDORA_PASSWORD=pandora pw"}).code, 0);
  EXPECT_TRUE(ReadFile(d / "k.key").starts_with("untrusted comment: minisign encrypted secret key\n"));
  RunResult ms = RunCmd({"/bin/sh", "-c", "printf 'pandora pw\\n' | \"$0\" -S -s \"$1\" -m \"$2\" -x \"$3\"", Minisign(),
                         d / "k.key", d / "p.syd-3", d / "m.minisig"});
  ASSERT_EQ(ms.code, 0) << ms.out << ms.err;
  // minisign's encrypted key, password on standard input, used by pandora.
  RunResult mg = RunCmd({"/bin/sh", "-c", "printf 'mini pw\\nmini pw\\n' | \"$0\" -G -p \"$1\" -s \"$2\"", Minisign(),
                         d / "m.pub", d / "m.key"});
  ASSERT_EQ(mg.code, 0) << mg.out << mg.err;
  RunResult wrong = Pandora({"sign", "-s", d / "m.key", d / "p.syd-3"}, {"PANDORA_PASSWORD=pandora pw"});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_TRUE(Has(wrong.err, "wrong password")) << wrong.err;
  RunResult ps = RunCmd({"/bin/sh", "-c", "printf 'mini pw\\n' | \"$0\" sign -s \"$1\" -x \"$2\" \"$3\"", PandoraBin(),
                         d / "m.key", d / "p.minisig", d / "p.syd-3"});
  ASSERT_EQ(ps.code, 0) << ps.err;
  EXPECT_EQ(Pandora({"verify", "-p", d / "m.pub", d / "p.syd-3"}).code, 0);
  EXPECT_EQ(RunCmd({Minisign(), "-Vm", d / "p.syd-3", "-x", d / "p.minisig", "-p", d / "m.pub"}).code, 0);
}

}  // namespace
}  // namespace syd::test

namespace syd::test {
namespace {

// Reads the pty master until `want` has been seen (or 20 s pass).
bool ReadUntil(int master, std::string& seen, const std::string& want) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (seen.find(want) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char buf[256];
    ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) return false;  // EIO: the child closed the terminal
    seen.append(buf, static_cast<size_t>(n));
  }
  return true;
}

// keygen on a terminal: the password is asked twice with echo off, and
// what was typed never shows on the terminal.
TEST(PandoraSign, PasswordFromTerminalIsNotEchoed) {
  TempDir d;
  int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  const std::string slave = ptsname(master);
  const std::string pub = d / "t.pub", sec = d / "t.key", bin = PandoraBin();
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    int fd = open(slave.c_str(), O_RDWR);  // the controlling terminal
    if (fd < 0) _exit(120);
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    const char* argv[] = {bin.c_str(), "keygen", "-p", pub.c_str(), "-s", sec.c_str(), nullptr};
    const char* envp[] = {"PATH=/usr/bin:/bin", "XDG_CONFIG_HOME=/nonexistent/pandora-test", nullptr};
    execve(argv[0], const_cast<char**>(argv), const_cast<char**>(envp));
    _exit(121);
  }
  std::string seen;
  EXPECT_TRUE(ReadUntil(master, seen, "Password: ")) << seen;
  ASSERT_EQ(write(master, "tty secret\n", 11), 11);
  EXPECT_TRUE(ReadUntil(master, seen, "Password (one more time): ")) << seen;
  ASSERT_EQ(write(master, "tty secret\n", 11), 11);
  ReadUntil(master, seen, "public key");
  int status = 0;
  waitpid(pid, &status, 0);
  close(master);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << seen;
  EXPECT_FALSE(Has(seen, "tty secret")) << "the password was echoed: " << seen;
  // The key opens with that password.
  WriteProfile(d / "p.syd-3");
  RunResult s = Pandora({"sign", "-s", sec, d / "p.syd-3"}, {"PANDORA_PASSWORD=tty secret"});
  EXPECT_EQ(s.code, 0) << s.err;
}

}  // namespace
}  // namespace syd::test
