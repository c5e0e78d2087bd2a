// pandora push / pull (SPEC §5.3) against syd-httpd, a small server of our
// own on 127.0.0.1 (tests/helpers/syd-httpd.c): round trips over HTTP and
// HTTPS (a self-signed certificate made here with openssl), and every
// refusal: 404, a served profile for another binary, a changed body, a
// wrong or missing signature, refused connection, TLS failure, timeout.
// A refused download writes nothing.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>

#include "harness.h"
#include "pandora/file_io.h"
#include "pandora/profile_file.h"

namespace syd::test {
namespace {

bool Has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }


// A port on 127.0.0.1 where nothing listens (bound, then closed).
int FreePort() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) != 0)
    abort();
  close(s);
  return ntohs(a.sin_port);
}

// A directory with a program (a copy of syd-test-helper), a key pair and a
// signed profile for the program; `other` is a second program.
struct World {
  TempDir d;
  std::string prog = d / "bin/prog", other = d / "bin/other";
  std::string prog_sha, other_sha;
  std::string root = d / "srv", log = d / "httpd.log";
  World() {
    mkdir((d / "bin").c_str(), 0755);
    mkdir(root.c_str(), 0755);
    mkdir((d / "srv/sha256").c_str(), 0755);
    WriteFile(prog, ReadFile(Helper("syd-test-helper")));
    WriteFile(other, ReadFile(Helper("syd-test-helper")) + std::string(1, '\0'));
    chmod(prog.c_str(), 0755);
    chmod(other.c_str(), 0755);
    prog_sha = *pandora::FileSha256(prog);
    other_sha = *pandora::FileSha256(other);
    EXPECT_EQ(Pandora({"keygen", "-W", "-p", d / "k.pub", "-s", d / "k.key"}).code, 0);
    EXPECT_EQ(Pandora({"keygen", "-W", "-p", d / "o.pub", "-s", d / "o.key"}).code, 0);
    WriteFile(d / "prog.syd-3", Profile(prog, prog_sha));
    RunResult s = Pandora({"sign", "-s", d / "k.key", d / "prog.syd-3"});
    EXPECT_EQ(s.code, 0) << s.err;
  }
  static std::string Profile(const std::string& program, const std::string& sha) {
    pandora::ProfileHeader h;
    h.program = program;
    h.sha256 = sha;
    h.created = "2026-12-01T07:30:00Z";
    return pandora::FormatProfile(h, "sandbox/write:deny\nallowlist/write+/tmp/***\n");
  }
  std::string Served(const std::string& sha) const { return root + "/sha256/" + sha + ".syd-3"; }
};

TEST(PandoraShare, PushThenPull) {
  World w;
  HttpdServer srv(w.root, w.log);
  ASSERT_GT(srv.port(), 0);
  RunResult push = Pandora({"push", srv.Url(), w.d / "prog.syd-3"});
  ASSERT_EQ(push.code, 0) << push.err;
  EXPECT_TRUE(Has(push.out, "/sha256/" + w.prog_sha + ".syd-3")) << push.out;
  EXPECT_EQ(ReadFile(w.Served(w.prog_sha)), ReadFile(w.d / "prog.syd-3"));
  EXPECT_TRUE(Has(ReadFile(w.log), "PUT /sha256/" + w.prog_sha + ".syd-3 201"));
  // Pull to a file with the signer's key; a trailing '/' of the URL is fine.
  RunResult pull = Pandora({"pull", srv.Url() + "/", w.prog, "-o", w.d / "got.syd-3", "-p", w.d / "k.pub"});
  ASSERT_EQ(pull.code, 0) << pull.err;
  EXPECT_EQ(ReadFile(w.d / "got.syd-3"), ReadFile(w.d / "prog.syd-3"));
  EXPECT_TRUE(Has(pull.err, "signature verified")) << pull.err;
  // To stdout, the program found through PATH as execvp would.
  RunResult by_name = Pandora({"pull", srv.Url(), "prog", "-p", w.d / "k.pub"}, {"PATH=" + w.d / "bin"});
  ASSERT_EQ(by_name.code, 0) << by_name.err;
  EXPECT_EQ(by_name.out, ReadFile(w.d / "prog.syd-3"));
}

TEST(PandoraShare, PullRefusalsWriteNothing) {
  World w;
  HttpdServer srv(w.root, w.log);
  ASSERT_GT(srv.port(), 0);
  const std::string out = w.d / "out.syd-3";
  auto pull = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"pull", srv.Url(), w.prog, "-o", out};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = Pandora(args);
    EXPECT_EQ(r.code, 1) << r.err;
    EXPECT_FALSE(Exists(out)) << r.err;
    return r.err;
  };
  // Nothing served yet.
  EXPECT_TRUE(Has(pull({}), "HTTP 404, not found"));
  // A profile for another binary, served under this binary's checksum.
  WriteFile(w.Served(w.prog_sha), World::Profile(w.other, w.other_sha));
  std::string err = pull({});
  EXPECT_TRUE(Has(err, "profile is for another binary")) << err;
  EXPECT_TRUE(Has(err, w.other_sha)) << err;
  // One body byte changed after signing.
  std::string text = ReadFile(w.d / "prog.syd-3");
  std::string changed = text;
  changed[changed.find("/tmp/***")] = 'X';
  WriteFile(w.Served(w.prog_sha), changed);
  EXPECT_TRUE(Has(pull({"-p", w.d / "k.pub"}), "body-sha256 does not match"));
  // The body widened and body-sha256 forged to match it.
  auto parsed = pandora::ParseProfile(text);
  ASSERT_TRUE(parsed);
  parsed->body += "allowlist/write+/***\n";
  parsed->header.body_sha256 = pandora::Sha256Hex(parsed->body);
  WriteFile(w.Served(w.prog_sha), pandora::FormatProfileFile(*parsed));
  EXPECT_TRUE(Has(pull({"-p", w.d / "k.pub"}), "signature does not verify"));
  // Signed, but not by the key asked for.
  WriteFile(w.Served(w.prog_sha), text);
  EXPECT_TRUE(Has(pull({"-p", w.d / "o.pub"}), "which is not a trusted key"));
  // Signed, and no key trusted at all (empty keyring).
  RunResult none = Pandora({"pull", srv.Url(), w.prog, "-o", out}, {"XDG_CONFIG_HOME=" + w.d / "cfg"});
  EXPECT_EQ(none.code, 1);
  EXPECT_TRUE(Has(none.err, "no trusted public key was given")) << none.err;
  EXPECT_FALSE(Exists(out));
  // Unsigned while a key is named.
  WriteFile(w.Served(w.prog_sha), World::Profile(w.prog, w.prog_sha));
  EXPECT_TRUE(Has(pull({"-p", w.d / "k.pub"}), "profile is not signed"));
}

TEST(PandoraShare, KeyringAndUrlFromSettings) {
  World w;
  HttpdServer srv(w.root, w.log);
  ASSERT_GT(srv.port(), 0);
  const std::string cfg = w.d / "cfg";
  mkdir(cfg.c_str(), 0755);
  mkdir((cfg + "/pandora").c_str(), 0755);
  mkdir((cfg + "/pandora/keys").c_str(), 0755);
  WriteFile(cfg + "/pandora/keys/k.pub", ReadFile(w.d / "k.pub"));
  WriteFile(cfg + "/pandora/pandora.toml", "url = \"" + srv.Url() + "\"\ntimeout = 20\n");
  const std::vector<std::string> env = {"XDG_CONFIG_HOME=" + cfg};
  RunResult push = Pandora({"push", w.d / "prog.syd-3"}, env);
  ASSERT_EQ(push.code, 0) << push.err;
  RunResult pull = Pandora({"pull", w.prog}, env);
  ASSERT_EQ(pull.code, 0) << pull.err;
  EXPECT_TRUE(Has(pull.err, "signature verified")) << pull.err;
  // verify without -p uses the keyring too.
  EXPECT_EQ(Pandora({"verify", w.d / "prog.syd-3"}, env).code, 0);
  // A bad settings file is an error naming file and line.
  WriteFile(cfg + "/pandora/pandora.toml", "url = \"" + srv.Url() + "\"\nkeyrnig = \"/k\"\n");
  RunResult bad = Pandora({"pull", w.prog}, env);
  EXPECT_EQ(bad.code, 1);
  EXPECT_TRUE(Has(bad.err, cfg + "/pandora/pandora.toml:2: unknown key 'keyrnig'")) << bad.err;
  // No URL anywhere.
  WriteFile(cfg + "/pandora/pandora.toml", "");
  RunResult no_url = Pandora({"pull", w.prog}, env);
  EXPECT_EQ(no_url.code, 2);
  EXPECT_TRUE(Has(no_url.err, "URL is needed")) << no_url.err;
}

TEST(PandoraShare, ConnectionRefusedAndTimeout) {
  World w;
  RunResult refused = Pandora({"pull", "http://127.0.0.1:" + std::to_string(FreePort()), w.prog});
  EXPECT_EQ(refused.code, 1);
  EXPECT_TRUE(Has(refused.err, "connection refused")) << refused.err;
  RunResult push_refused = Pandora({"push", "http://127.0.0.1:" + std::to_string(FreePort()), w.d / "prog.syd-3"});
  EXPECT_EQ(push_refused.code, 1);
  EXPECT_TRUE(Has(push_refused.err, "connection refused")) << push_refused.err;
  // Credentials in the URL never show in a message.
  RunResult creds = Pandora({"push", "http://me:s3cret@127.0.0.1:" + std::to_string(FreePort()), w.d / "prog.syd-3"});
  EXPECT_EQ(creds.code, 1);
  EXPECT_TRUE(Has(creds.err, "http://me:***@127.0.0.1:")) << creds.err;
  EXPECT_FALSE(Has(creds.err + creds.out, "s3cret")) << creds.err;

  HttpdServer stall(w.root, w.log, {"--stall"});
  ASSERT_GT(stall.port(), 0);
  auto start = std::chrono::steady_clock::now();
  RunResult slow = Pandora({"pull", "--timeout", "1", stall.Url(), w.prog});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(slow.code, 1);
  EXPECT_TRUE(Has(slow.err, "timed out")) << slow.err;
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(PandoraShare, Https) {
  const std::string openssl = FindProgram("openssl");
  if (openssl.empty()) GTEST_SKIP() << "openssl is not installed (scripts/install-deps.sh): no certificate, HTTPS not tested";
  World w;
  const std::string cert = w.d / "cert.pem", key = w.d / "key.pem";
  RunResult gen = RunCmd({openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                          "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                          "subjectAltName=IP:127.0.0.1"});
  ASSERT_EQ(gen.code, 0) << gen.err;
  HttpdServer srv(w.root, w.log, {"--tls", cert, key});
  ASSERT_GT(srv.port(), 0);
  // Not trusted: a TLS failure, said as such.
  RunResult untrusted = Pandora({"push", srv.Url("https"), w.d / "prog.syd-3"});
  EXPECT_EQ(untrusted.code, 1);
  EXPECT_TRUE(Has(untrusted.err, "TLS failure")) << untrusted.err;
  EXPECT_FALSE(Exists(w.Served(w.prog_sha)));
  RunResult push = Pandora({"push", "--cacert", cert, srv.Url("https"), w.d / "prog.syd-3"});
  ASSERT_EQ(push.code, 0) << push.err;
  RunResult pull_untrusted = Pandora({"pull", srv.Url("https"), w.prog, "-p", w.d / "k.pub"});
  EXPECT_EQ(pull_untrusted.code, 1);
  EXPECT_TRUE(Has(pull_untrusted.err, "TLS failure")) << pull_untrusted.err;
  RunResult pull = Pandora({"pull", "--cacert=" + cert, srv.Url("https"), w.prog, "-p", w.d / "k.pub"});
  ASSERT_EQ(pull.code, 0) << pull.err;
  EXPECT_EQ(pull.out, ReadFile(w.d / "prog.syd-3"));
  // The certificate from the settings.
  const std::string cfg = w.d / "cfg";
  mkdir(cfg.c_str(), 0755);
  mkdir((cfg + "/pandora").c_str(), 0755);
  WriteFile(cfg + "/pandora/pandora.toml", "cacert = \"" + cert + "\"\n");
  RunResult by_settings = Pandora({"pull", srv.Url("https"), w.prog, "-p", w.d / "k.pub"}, {"XDG_CONFIG_HOME=" + cfg});
  EXPECT_EQ(by_settings.code, 0) << by_settings.err;
}

TEST(PandoraShare, PushRefusesABrokenProfile) {
  World w;
  HttpdServer srv(w.root, w.log);
  std::string text = ReadFile(w.d / "prog.syd-3");
  text[text.find("/tmp/***")] = 'X';
  WriteFile(w.d / "bad.syd-3", text);
  RunResult r = Pandora({"push", srv.Url(), w.d / "bad.syd-3"});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(Has(r.err, "body-sha256 does not match")) << r.err;
  EXPECT_FALSE(Exists(w.Served(w.prog_sha)));
}

}  // namespace
}  // namespace syd::test
