// Runs the real sydbox binary on the helper programs and reports what
// happened: exit code, stdout, stderr. Binaries are found through
// SYDBOX_BIN / SYD_TEST_HELPER / SYD_ATTACK_HELPER (so a copied tree can run
// as another user) or the build directory.
#pragma once

#include <string>
#include <vector>

namespace syd::test {

struct RunResult {
  int code = -1;  // exit status, or 128+signal
  std::string out, err;
};

std::string SydboxBin();
// PANDORA_BIN, else the build's pandora.
std::string PandoraBin();
std::string HelperBin();
// Any helper program built in tests/ (syd-NAME): from $SYD_HELPER_DIR (the
// copies of the uid 65534 run), else the build directory.
std::string Helper(const std::string& name);
// syd-attack (escape_test.cc): SYD_ATTACK_HELPER, else next to HelperBin().
std::string AttackBin();

// Runs argv (argv[0] is the program) with cwd (empty = inherit), stdin
// from /dev/null; inherited descriptors stay open.
RunResult RunCmd(const std::vector<std::string>& argv, const std::string& cwd = "");
// sydbox ARGS...
RunResult Sydbox(const std::vector<std::string>& args, const std::string& cwd = "");
// The argv that starts pandora, with the user's own pandora settings kept
// out (XDG_CONFIG_HOME) and extra environment entries ("NAME=VALUE") that
// win over it; pandora ARGS... through it.
std::vector<std::string> PandoraArgv(const std::vector<std::string>& env = {});
RunResult Pandora(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

// syd-httpd (tests/helpers) serving `root` on 127.0.0.1, its request log
// to `log`; EXTRA options before the root (--stall, --tls CERT KEY).
// Killed when destroyed.
class HttpdServer {
 public:
  HttpdServer(const std::string& root, const std::string& log, std::vector<std::string> extra = {});
  ~HttpdServer();
  HttpdServer(const HttpdServer&) = delete;
  HttpdServer& operator=(const HttpdServer&) = delete;
  int port() const { return port_; }
  std::string Url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }

 private:
  int pid_ = -1;
  int port_ = 0;
};

// A fresh directory under /tmp, removed with everything below it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

// A program found in PATH (RunCmd does not search it), or "".
std::string FindProgram(const std::string& name);

bool Exists(const std::string& path);        // lstat succeeds
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& data);
int CountLines(const std::string& text, const std::string& needle);

// -m arguments that allow what any dynamically linked program needs for
// the given category (system directories, /proc, /dev, the helper).
std::vector<std::string> SystemAllowlist(const std::string& category);

}  // namespace syd::test
