// --dump (SPEC §6.2) read back line by line with a JSON parser, and the
// signals of §6.3 sent while a workload runs.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "events/events.h"
#include "harness.h"

namespace syd::test {
namespace {

using nlohmann::json;

bool Has(const std::string& s, const std::string& needle) { return s.find(needle) != std::string::npos; }

std::string DumpHelper() { return Helper("syd-dump"); }

// Every line of a dump, parsed; fails the test on a line that is not JSON.
std::vector<json> ParseDump(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

std::vector<json> Calls(const std::vector<json>& lines) {
  std::vector<json> out;
  for (const json& j : lines)
    if (j.value("event", "") == "call") out.push_back(j);
  return out;
}

// Init first, exit last, calls between; the exit line counts them.
void CheckFrame(const std::vector<json>& lines) {
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines.front()["event"], "init");
  EXPECT_EQ(lines.front()["version"], events::kSchemaVersion);
  EXPECT_EQ(lines.back()["event"], "exit");
  for (size_t i = 1; i + 1 < lines.size(); ++i) EXPECT_EQ(lines[i]["event"], "call") << lines[i].dump();
  EXPECT_EQ(lines.back()["calls"], lines.size() - 2);
  for (const json& j : Calls(lines)) {
    for (const char* k : {"ts", "pid", "tgid", "comm", "syscall", "nr", "args", "category", "decision", "rule", "answer"})
      EXPECT_TRUE(j.contains(k)) << k << " missing in " << j.dump();
    EXPECT_EQ(j["args"].size(), 6u);
  }
}

std::vector<std::string> WriteDenyIn(const std::string& dir) {
  return {"-m", "core/sandbox/write:deny", "-m", "allowlist/write+" + dir + "/***"};
}

std::vector<std::string> Cat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Every call the helper made, once, in the order each thread made it: an
// open and a rename per file, four threads at once; then a denied creat.
TEST(Dump, EveryCallOnceInOrderPerThread) {
  TempDir t;
  const std::string out = t / "dump.jsonl";
  const int kN = 150, kThreads = 4;
  RunResult r = Sydbox(Cat(Cat({"--dump", out}, WriteDenyIn(t.path())),
                           {"--", DumpHelper(), "calls", t.path(), std::to_string(kN), std::to_string(kThreads),
                            "/etc/syd-dump-denied"}));
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_TRUE(Has(r.out, "done"));
  std::vector<json> lines = ParseDump(ReadFile(out));
  ASSERT_NO_FATAL_FAILURE(CheckFrame(lines));
  EXPECT_EQ(lines.front()["argv"][0], DumpHelper());
  EXPECT_EQ(lines.back()["code"], 0);
  EXPECT_TRUE(lines.back()["signal"].is_null());

  // Per thread (by the T in its file names): the exact sequence it made.
  std::map<int, std::vector<std::string>> seen;  // tid -> "open P" / "rename P Q"
  std::map<int, int> thread_of;                  // tid -> T
  const std::string prefix = t.path() + "/t";
  bool denied_seen = false;
  for (const json& j : Calls(lines)) {
    const std::string sc = j["syscall"];
    const std::string path = j.value("path", "");
    if (path == "/etc/syd-dump-denied") {
      EXPECT_EQ(sc, "creat");
      EXPECT_EQ(j["decision"], "deny");
      EXPECT_EQ(j["category"], "write");
      EXPECT_EQ(j["rule"], "default:write");
      EXPECT_EQ(j["answer"], "error");
      EXPECT_EQ(j["errno"], "EPERM");
      EXPECT_FALSE(denied_seen) << "recorded twice";
      denied_seen = true;
      continue;
    }
    if (path.rfind(prefix, 0) != 0) continue;
    const int tid = j["pid"];
    EXPECT_EQ(j["comm"], "syd-dump");
    EXPECT_EQ(j["category"], "write");
    EXPECT_EQ(j["decision"], "allow");
    EXPECT_EQ(j["rule"], "-m:2");
    thread_of[tid] = std::stoi(path.substr(prefix.size()));
    if (sc == "openat") {
      EXPECT_EQ(j["answer"], "fd") << j.dump();
      EXPECT_FALSE(j.contains("path2"));
      seen[tid].push_back("open " + path);
    } else if (sc == "renameat" || sc == "renameat2") {
      ASSERT_TRUE(j.contains("path2")) << j.dump();
      EXPECT_EQ(j["answer"], "value") << j.dump();
      EXPECT_EQ(j["ret"], 0);
      seen[tid].push_back("rename " + path + " " + j["path2"].get<std::string>());
    } else {
      ADD_FAILURE() << "unexpected call on the helper's files: " << j.dump();
    }
  }
  EXPECT_TRUE(denied_seen);
  ASSERT_EQ(seen.size(), static_cast<size_t>(kThreads));
  for (const auto& [tid, calls] : seen) {
    const int T = thread_of[tid];
    std::vector<std::string> want;
    for (int i = 0; i < kN; ++i) {
      const std::string a = prefix + std::to_string(T) + "." + std::to_string(i);
      want.push_back("open " + a);
      want.push_back("rename " + a + " " + a + ".r");
    }
    EXPECT_EQ(calls, want) << "thread " << T << " (tid " << tid << ")";
  }
}

// --dry-run: the would-be denials, allowed; and the tmp target, named on
// stderr, a new 0600 file in $TMPDIR.
TEST(Dump, DryRunRecordsWouldBeDenialsToTmp) {
  TempDir t, tmp;
  RunResult r = RunCmd({"/usr/bin/env", "TMPDIR=" + tmp.path(), SydboxBin(), "--dry-run", "--dump", "tmp", "-m",
                        "core/sandbox/write:deny", "--", DumpHelper(), "calls", t.path(), "3", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string tag = "sydbox: dumping to ";
  const size_t at = r.err.find(tag);
  ASSERT_NE(at, std::string::npos) << r.err;
  const std::string file = r.err.substr(at + tag.size(), r.err.find('\n', at) - at - tag.size());
  EXPECT_EQ(file.rfind(tmp.path() + "/", 0), 0u) << file;
  struct stat st{};
  ASSERT_EQ(stat(file.c_str(), &st), 0) << file;
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  std::vector<json> lines = ParseDump(ReadFile(file));
  ASSERT_NO_FATAL_FAILURE(CheckFrame(lines));
  EXPECT_EQ(lines.front()["dry_run"], true);
  int would = 0;
  for (const json& j : Calls(lines)) {
    if (j.value("path", "").rfind(t.path() + "/t0.", 0) != 0) continue;
    EXPECT_EQ(j["decision"], "cont") << j.dump();
    EXPECT_EQ(j["would"], "deny") << j.dump();
    EXPECT_EQ(j["rule"], "default:write");
    EXPECT_NE(j["answer"], "error") << j.dump();
    ++would;
  }
  EXPECT_EQ(would, 6);  // 3 opens, 3 renames
  EXPECT_TRUE(Exists(t / "t0.2.r"));  // allowed
}

// fd:N: an inherited descriptor; closed to COMMAND.
TEST(Dump, ToAnOpenDescriptor) {
  TempDir t;
  const std::string out = t / "fd.jsonl";
  int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);  // inherited by sydbox
  ASSERT_GE(fd, 3);
  RunResult r = Sydbox(Cat(Cat({"--dump", "fd:" + std::to_string(fd)}, WriteDenyIn(t.path())),
                           {"--", "/bin/sh", "-c", "test -e /proc/self/fd/" + std::to_string(fd) + " && exit 9; exit 3"}));
  close(fd);
  EXPECT_EQ(r.code, 3) << "the dump's descriptor must not reach COMMAND: " << r.err;
  std::vector<json> lines = ParseDump(ReadFile(out));
  ASSERT_NO_FATAL_FAILURE(CheckFrame(lines));
  EXPECT_EQ(lines.back()["code"], 3);
  EXPECT_TRUE(lines.back()["signal"].is_null());

  RunResult closed = Sydbox({"--dump", "fd:99", "--", "/bin/true"});
  EXPECT_EQ(closed.code, 2);
  EXPECT_TRUE(Has(closed.err, "not open")) << closed.err;
  RunResult bad = Sydbox({"--dump", "fd:x", "--", "/bin/true"});
  EXPECT_EQ(bad.code, 2);
  RunResult empty = Sydbox({"--dump", "", "--", "/bin/true"});
  EXPECT_EQ(empty.code, 2);
}

// PATH: created 0600; an existing regular file is truncated; a symlink, a
// FIFO and a directory are refused before anything runs.
TEST(Dump, ToAPath) {
  TempDir t;
  const std::string out = t / "new.jsonl";
  RunResult r = Sydbox({"--dump", out, "--", "/bin/true"});
  ASSERT_EQ(r.code, 0) << r.err;
  struct stat st{};
  ASSERT_EQ(stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_NO_FATAL_FAILURE(CheckFrame(ParseDump(ReadFile(out))));

  WriteFile(t / "old.jsonl", std::string(100000, 'x'));
  r = Sydbox({"--dump", t / "old.jsonl", "--", "/bin/true"});
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_NO_FATAL_FAILURE(CheckFrame(ParseDump(ReadFile(t / "old.jsonl"))));

  WriteFile(t / "victim", "keep");
  ASSERT_EQ(symlink((t / "victim").c_str(), (t / "link").c_str()), 0);
  r = Sydbox({"--dump", t / "link", "--", "/bin/sh", "-c", "touch " + t / "ran"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Has(r.err, "symbolic link")) << r.err;
  EXPECT_EQ(ReadFile(t / "victim"), "keep");
  EXPECT_FALSE(Exists(t / "ran"));

  ASSERT_EQ(mkfifo((t / "fifo").c_str(), 0600), 0);
  r = Sydbox({"--dump", t / "fifo", "--", "/bin/true"});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(Has(r.err, "not a regular file")) << r.err;

  r = Sydbox({"--dump", t.path(), "--", "/bin/true"});
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_TRUE(Has(r.err, "not a regular file")) << r.err;
}

// A command that is killed: the exit line says so, every call before is there.
TEST(Dump, KilledCommand) {
  TempDir t;
  const std::string out = t / "dump.jsonl";
  RunResult r = Sydbox(Cat(Cat({"--dump", out}, WriteDenyIn(t.path())),
                           {"--", "/bin/sh", "-c", ": > " + t / "before; kill -9 $$"}));
  EXPECT_EQ(r.code, 137) << r.err;
  std::vector<json> lines = ParseDump(ReadFile(out));
  ASSERT_NO_FATAL_FAILURE(CheckFrame(lines));
  EXPECT_EQ(lines.back()["code"], 137);
  EXPECT_EQ(lines.back()["signal"], 9);
  int before = 0;
  for (const json& j : Calls(lines)) before += j.value("path", "") == t / "before";
  EXPECT_EQ(before, 1);
}

// Network calls: the address as matched, the deciding rule, and what the
// call itself answered (an allowed connect that the kernel refused).
TEST(Dump, Addresses) {
  TempDir t;
  const std::string out = t / "dump.jsonl";
  RunResult r = Sydbox({"--dump", out, "-m", "core/sandbox/network:deny", "-m",
                        "allowlist/network/connect+inet:127.0.0.1@9", "--", "/bin/bash", "-c",
                        "(echo > /dev/tcp/127.0.0.1/9) 2>/dev/null; (echo > /dev/tcp/127.0.0.1/10) 2>/dev/null; exit 0"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<json> lines = ParseDump(ReadFile(out));
  ASSERT_NO_FATAL_FAILURE(CheckFrame(lines));
  int allowed = 0, denied = 0;
  for (const json& j : Calls(lines)) {
    if (j["syscall"] != "connect") continue;
    EXPECT_EQ(j["category"], "net/connect") << j.dump();
    // The C library's own connects (nscd and the like, depending on the
    // environment) are not this test's.
    if (j.value("addr", "").rfind("unix", 0) == 0) continue;
    if (j["addr"] == "inet:127.0.0.1@9") {
      EXPECT_EQ(j["decision"], "allow");
      EXPECT_EQ(j["rule"], "-m:2");
      EXPECT_EQ(j["answer"], "error");
      EXPECT_EQ(j["errno"], "ECONNREFUSED");
      ++allowed;
    } else if (j["addr"] == "inet:127.0.0.1@10") {
      EXPECT_EQ(j["decision"], "deny");
      EXPECT_EQ(j["rule"], "default:net/connect");
      EXPECT_EQ(j["errno"], "EPERM");
      ++denied;
    } else {
      ADD_FAILURE() << j.dump();
    }
  }
  EXPECT_EQ(allowed, 1);
  EXPECT_EQ(denied, 1);
}

// A child of the test running sydbox, its stdout and stderr read as it goes.
class Background {
 public:
  explicit Background(const std::vector<std::string>& argv) {
    int o[2], e[2];
    if (pipe2(o, O_CLOEXEC) != 0 || pipe2(e, O_CLOEXEC) != 0) abort();
    pid_ = fork();
    if (pid_ == 0) {
      dup2(o[1], 1);
      dup2(e[1], 2);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(251);
    }
    close(o[1]);
    close(e[1]);
    out_ = o[0];
    err_ = e[0];
  }
  pid_t pid() const { return pid_; }
  // Reads stderr until it holds `needle` (or `seconds` pass); true if it did.
  bool WaitErr(const std::string& needle, double seconds) { return Wait(err_, &err_text_, needle, seconds); }
  bool WaitOut(const std::string& needle, double seconds) { return Wait(out_, &out_text_, needle, seconds); }
  RunResult Finish() {
    Drain(out_, &out_text_);
    Drain(err_, &err_text_);
    int status;
    waitpid(pid_, &status, 0);
    RunResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = out_text_;
    r.err = err_text_;
    return r;
  }
  const std::string& err() const { return err_text_; }

 private:
  static bool Wait(int fd, std::string* text, const std::string& needle, double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!Has(*text, needle)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) return Has(*text, needle);
      text->append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  static void Drain(int fd, std::string* text) {
    char buf[4096];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) text->append(buf, static_cast<size_t>(n));
    close(fd);
  }
  pid_t pid_;
  int out_, err_;
  std::string out_text_, err_text_;
};

// SIGUSR1 and SIGUSR2 while a workload runs: the process lines and the
// state dump, the sandbox going on meanwhile, and not one call lost.
TEST(Dump, SignalsWhileRunning) {
  TempDir t, tmp;
  const std::string out = t / "dump.jsonl";
  Background b(Cat(Cat({"/usr/bin/env", "TMPDIR=" + tmp.path(), SydboxBin(), "--log-format", "json", "--dump", out},
                       WriteDenyIn(t.path())),
                   {"--", DumpHelper(), "busy", t.path(), "3"}));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  kill(b.pid(), SIGUSR1);  // env execs sydbox: same pid
  ASSERT_TRUE(b.WaitErr("\"comm\":\"syd-dump\"", 10)) << b.err();
  kill(b.pid(), SIGUSR2);
  ASSERT_TRUE(b.WaitErr("sydbox: state dump: ", 10)) << b.err();
  kill(b.pid(), SIGUSR1);
  kill(b.pid(), SIGUSR2);
  RunResult r = b.Finish();
  ASSERT_EQ(r.code, 0) << r.err;

  // SIGUSR1: one JSON line per sandboxed process.
  int process_lines = 0;
  std::istringstream err(r.err);
  for (std::string line; std::getline(err, line);) {
    if (!Has(line, "\"event\":\"process\"")) continue;
    json j = json::parse(line);
    EXPECT_EQ(j["comm"], "syd-dump");
    EXPECT_EQ(j["pid"], j["tgid"]);
    EXPECT_EQ(j["ppid"], b.pid());
    EXPECT_EQ(j["lock"], "off");
    EXPECT_EQ(j["cwd"].get<std::string>().empty(), false);
    ++process_lines;
  }
  EXPECT_EQ(process_lines, 2) << r.err;

  // SIGUSR2: $TMPDIR/sydcore.PID.json, one JSON document.
  const std::string core_path = tmp / ("sydcore." + std::to_string(b.pid()) + ".json");
  EXPECT_TRUE(Has(r.err, "sydbox: state dump: " + core_path)) << r.err;
  struct stat st{};
  ASSERT_EQ(stat(core_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  json core = json::parse(ReadFile(core_path));
  EXPECT_EQ(core["event"], "sydcore");
  EXPECT_EQ(core["pid"], b.pid());
  EXPECT_EQ(core["config"]["sandbox"]["write"], "deny");
  bool listed = false;
  for (const json& l : core["config"]["lists"])
    listed |= l["list"] == "allowlist" && l["category"] == "write" && l["pattern"] == t.path() + "/***";
  EXPECT_TRUE(listed) << core["config"].dump();
  ASSERT_EQ(core["processes"].size(), 1u);
  EXPECT_EQ(core["processes"][0]["comm"], "syd-dump");
  EXPECT_GT(core["counters"]["notifications"].get<uint64_t>(), 0u);
  EXPECT_GT(core["workers"]["started"].get<unsigned>(), 0u);
  EXPECT_EQ(core["dump"], out);
  // No leftover temporary file beside it.
  EXPECT_EQ(RunCmd({"/bin/sh", "-c", "ls -A " + tmp.path()}).out, "sydcore." + std::to_string(b.pid()) + ".json\n");

  // Every open the helper counted is in the dump, once.
  const size_t at = r.out.find("opens ");
  ASSERT_NE(at, std::string::npos) << r.out;
  const long opens = std::stol(r.out.substr(at + 6));
  EXPECT_GT(opens, 10);
  std::vector<json> lines = ParseDump(ReadFile(out));
  ASSERT_NO_FATAL_FAILURE(CheckFrame(lines));
  long dumped = 0;
  for (const json& j : Calls(lines))
    dumped += j["syscall"] == "openat" && j.value("path", "").rfind(t.path() + "/busy.", 0) == 0;
  EXPECT_EQ(dumped, opens);
}

// SIGTERM to sydbox reaches the command; the dump ends with its status.
TEST(Dump, TerminatedWhileRunning) {
  TempDir t;
  const std::string out = t / "dump.jsonl";
  Background b(Cat(Cat({SydboxBin(), "--dump", out}, WriteDenyIn(t.path())), {"--", DumpHelper(), "hang", t.path()}));
  ASSERT_TRUE(b.WaitOut("ready", 10));
  kill(b.pid(), SIGTERM);
  RunResult r = b.Finish();
  EXPECT_EQ(r.code, 128 + SIGTERM) << r.err;
  std::vector<json> lines = ParseDump(ReadFile(out));
  ASSERT_NO_FATAL_FAILURE(CheckFrame(lines));
  EXPECT_EQ(lines.back()["signal"], SIGTERM);
  int hang = 0;
  for (const json& j : Calls(lines)) hang += j.value("path", "") == t / "hang";
  EXPECT_EQ(hang, 1);
}

}  // namespace
}  // namespace syd::test
