// pandora (issue 14, item 8), Google Benchmark:
//  - BM_ProfileFromDump: a profile body from a 1,000,000-line dump shaped
//    like a build's (a few thousand distinct paths, a dozen commands,
//    every category, addresses, untraced-category calls); items/s is
//    lines per second (the goal: at least 1M). BM_DomParse is the same
//    lines through nlohmann-json's document parser, for scale.
//  - BM_Start*: one start of /bin/true natively, under `sydbox -c BODY`
//    and under `pandora box -c PROFILE` (which checks the profile and the
//    program's SHA-256, then execs sydbox): box's start-up overhead over
//    sydbox is the difference. The binaries are the build's
//    (SYD_BIN_DIR), or $SYDBOX_BIN / $PANDORA_BIN.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "pandora/profile_gen.h"

extern char** environ;

namespace {

using syd::pandora::ProfileBuilder;

const std::string& Dump() {
  static const std::string dump = [] {
    constexpr int kLines = 1000000;
    std::mt19937 rng(7);
    const char* comms[] = {"make", "cc1", "as", "ld", "sh", "cp", "install", "sed", "grep", "python3", "cat", "rm"};
    const char* calls[][3] = {{"openat", "read", "257"},      {"newfstatat", "stat", "262"},
                              {"openat", "write", "257"},     {"execve", "exec", "59"},
                              {"statx", "stat", "332"},       {"unlinkat", "write", "263"},
                              {"mmap", "", "9"},              {"brk", "", "12"},
                              {"connect", "net/connect", "42"}};
    std::string out =
        "{\"event\":\"init\",\"version\":1,\"ts\":1796093150.5,\"sydbox\":\"3.0.0\",\"pid\":100,\"eldest\":101,"
        "\"argv\":[\"make\",\"-j2\"],\"dry_run\":true}\n";
    out.reserve(static_cast<size_t>(kLines) * 300);
    for (int i = 0; i < kLines; ++i) {
      const auto& c = calls[rng() % 9];
      const int pid = 101 + static_cast<int>(rng() % 400);
      std::string path;
      switch (rng() % 4) {
        case 0: path = fmt::format("/usr/include/pkg{}/header{}.h", rng() % 40, rng() % 50); break;
        case 1: path = fmt::format("/var/tmp/build/src/dir{}/file{}.c", rng() % 30, rng() % 60); break;
        case 2: path = fmt::format("/usr/lib/x86_64-linux-gnu/lib{}.so.{}", rng() % 200, rng() % 3); break;
        default: path = fmt::format("/proc/{}/status", pid); break;
      }
      std::string cat = c[1][0] ? fmt::format("\"{}\"", c[1]) : "null";
      std::string where;
      if (std::string(c[1]) == "net/connect") where = fmt::format(",\"addr\":\"inet:10.0.0.{}@443\"", rng() % 8);
      else if (c[1][0]) where = fmt::format(",\"path\":\"{}\"", path);
      out += fmt::format(
          "{{\"event\":\"call\",\"ts\":1796093150.{:06},\"pid\":{},\"tgid\":{},\"comm\":\"{}\",\"syscall\":\"{}\","
          "\"nr\":{},\"args\":[4294967196,140737488346112,524288,0,0,0]{},\"category\":{},\"decision\":\"cont\","
          "\"would\":\"deny\",\"rule\":\"default:read\",\"answer\":\"continue\"}}\n",
          i % 1000000, pid, pid, comms[rng() % 12], c[0], c[2], where, cat);
    }
    out += "{\"event\":\"exit\",\"ts\":1796093152.25,\"code\":0,\"signal\":null,\"calls\":1000000}\n";
    return out;
  }();
  return dump;
}

void BM_ProfileFromDump(benchmark::State& st) {
  const std::string& dump = Dump();
  size_t body = 0;
  for (auto _ : st) {
    syd::pandora::GenOptions o;
    o.limit = static_cast<int>(st.range(0));
    ProfileBuilder b(o);
    b.Feed(dump);
    b.Finish();
    std::string text = b.Body();
    body = text.size();
    benchmark::DoNotOptimize(text);
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * 1000002);
  st.counters["body_bytes"] = static_cast<double>(body);
}
BENCHMARK(BM_ProfileFromDump)->Arg(0)->Arg(3)->Unit(benchmark::kMillisecond);

void BM_DomParse(benchmark::State& st) {
  const std::string& dump = Dump();
  for (auto _ : st) {
    size_t lines = 0, off = 0;
    while (off < dump.size()) {
      size_t nl = dump.find('\n', off);
      auto j = nlohmann::json::parse(dump.begin() + static_cast<long>(off), dump.begin() + static_cast<long>(nl));
      benchmark::DoNotOptimize(j);
      off = nl + 1;
      ++lines;
    }
    benchmark::DoNotOptimize(lines);
  }
  st.SetItemsProcessed(static_cast<int64_t>(st.iterations()) * 1000002);
}
BENCHMARK(BM_DomParse)->Unit(benchmark::kMillisecond)->Iterations(1);

std::string Bin(const char* env, const char* name) {
  if (const char* e = getenv(env); e && *e) return e;
  return std::string(SYD_BIN_DIR) + "/" + name;
}

int Run(const std::vector<std::string>& argv) {
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  // pandora's own settings stay out of it.
  static std::vector<std::string> env_store = [] {
    std::vector<std::string> e;
    for (char** p = environ; *p; ++p)
      if (strncmp(*p, "XDG_CONFIG_HOME=", 16) != 0) e.emplace_back(*p);
    e.emplace_back("XDG_CONFIG_HOME=/nonexistent/pandora-bench");
    return e;
  }();
  static std::vector<char*> envp = [] {
    std::vector<char*> v;
    for (auto& s : env_store) v.push_back(s.data());
    v.push_back(nullptr);
    return v;
  }();
  if (posix_spawn(&pid, a[0], &fa, nullptr, a.data(), envp.data()) != 0) return -1;
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// CPU time (user + system) of the waited-for children so far, in ms.
double ChildrenCpuMs() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  return (static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
          static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3);
}

// Runs `argv` once per iteration; counters: the children's CPU time per
// start (the column "CPU" is the benchmark process's own, nearly nothing).
void Starts(benchmark::State& st, const std::vector<std::string>& argv) {
  const double before = ChildrenCpuMs();
  for (auto _ : st)
    if (Run(argv) != 0) st.SkipWithError("the command failed");
  st.counters["child_cpu_ms"] = (ChildrenCpuMs() - before) / static_cast<double>(st.iterations());
}

// A profile of /bin/true, learnt once, and its body alone for sydbox -c.
const std::string& TrueProfile() {
  static const std::string path = [] {
    char dir[] = "/tmp/pandora-bench.XXXXXX";
    if (!mkdtemp(dir)) std::abort();
    std::string p = std::string(dir) + "/true.syd-3";
    if (Run({Bin("PANDORA_BIN", "pandora"), "profile", "--sydbox", Bin("SYDBOX_BIN", "sydbox"), "-o", p, "--",
             "/bin/true"}) != 0)
      std::abort();
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    std::ofstream(std::string(dir) + "/body.syd-3") << text.substr(text.find("\n# Written") + 1);
    return p;
  }();
  return path;
}

void BM_StartNative(benchmark::State& st) { Starts(st, {"/bin/true"}); }
BENCHMARK(BM_StartNative)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_StartSydbox(benchmark::State& st) {
  const std::string body = TrueProfile().substr(0, TrueProfile().rfind('/')) + "/body.syd-3";
  Starts(st, {Bin("SYDBOX_BIN", "sydbox"), "-c", body, "--", "/bin/true"});
}
BENCHMARK(BM_StartSydbox)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_StartBox(benchmark::State& st) {
  Starts(st, {Bin("PANDORA_BIN", "pandora"), "box", "--sydbox", Bin("SYDBOX_BIN", "sydbox"), "-c", TrueProfile(), "--",
              "/bin/true"});
}
BENCHMARK(BM_StartBox)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// pandora alone (dynamic linking and start-up), for what box adds.
void BM_StartPandoraVersion(benchmark::State& st) { Starts(st, {Bin("PANDORA_BIN", "pandora"), "--version"}); }
BENCHMARK(BM_StartPandoraVersion)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
