#include "harness.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <sstream>

namespace syd::test {

std::string SydboxBin() {
  if (const char* e = getenv("SYDBOX_BIN")) return e;
  return SYD_BIN_DIR "/sydbox";
}

std::string PandoraBin() {
  if (const char* e = getenv("PANDORA_BIN")) return e;
  return SYD_BIN_DIR "/pandora";
}

std::string HelperBin() {
  if (const char* e = getenv("SYD_TEST_HELPER")) return e;
  return Helper("syd-test-helper");
}

std::string Helper(const std::string& name) {
  if (const char* e = getenv("SYD_HELPER_DIR")) return std::string(e) + "/" + name;
  return std::string(SYD_HELPER_DIR) + "/" + name;
}

std::string AttackBin() {
  if (const char* e = getenv("SYD_ATTACK_HELPER")) return e;
  return Helper("syd-attack");
}

RunResult RunCmd(const std::vector<std::string>& argv, const std::string& cwd) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) abort();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(250);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(251);
  }
  close(out[1]);
  close(err[1]);
  RunResult r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status;
  waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

RunResult Sydbox(const std::vector<std::string>& args, const std::string& cwd) {
  std::vector<std::string> argv = {SydboxBin(), "--log-format", "json"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCmd(argv, cwd);
}

HttpdServer::HttpdServer(const std::string& root, const std::string& log, std::vector<std::string> extra) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) abort();
  std::vector<std::string> argv = {Helper("syd-httpd")};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(root);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], 1);
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) dup2(fd, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  std::string line;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
  close(out[0]);
  port_ = line.empty() ? 0 : std::stoi(line);
}

HttpdServer::~HttpdServer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

std::vector<std::string> PandoraArgv(const std::vector<std::string>& env) {
  std::vector<std::string> argv = {"/usr/bin/env", "XDG_CONFIG_HOME=/nonexistent/pandora-test"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.push_back(PandoraBin());
  return argv;
}

RunResult Pandora(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  std::vector<std::string> argv = PandoraArgv(env);
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCmd(argv);
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/syd-it-XXXXXX";
  if (!mkdtemp(tmpl)) abort();
  chmod(tmpl, 0755);
  char real[PATH_MAX];
  path_ = realpath(tmpl, real) ? real : tmpl;
}

TempDir::~TempDir() {
  std::string cmd = "rm -rf '" + path_ + "' 2>/dev/null";
  (void)!system(cmd.c_str());
}

std::string FindProgram(const std::string& name) {
  const char* path = getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':'))
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  return "";
}

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path);
  out << data;
}

int CountLines(const std::string& text, const std::string& needle) {
  int n = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (line.find(needle) != std::string::npos) ++n;
  return n;
}

std::vector<std::string> SystemAllowlist(const std::string& category) {
  std::vector<std::string> out;
  std::string helper_dir = HelperBin().substr(0, HelperBin().rfind('/'));
  for (std::string p : std::vector<std::string>{"/usr/***", "/lib/***", "/lib64/***", "/bin/***", "/sbin/***",
                                                "/etc/***", "/proc/***", "/dev/***", "/sys/***", "/",
                                                helper_dir + "/***"}) {
    out.push_back("-m");
    out.push_back("allowlist/" + category + "+" + p);
  }
  return out;
}

}  // namespace syd::test
