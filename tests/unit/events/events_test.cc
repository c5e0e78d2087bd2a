// The one JSON writer: each event type against its golden line
// (tests/golden/events/, SYD_UPDATE_GOLDEN=1 rewrites them; pandora's
// tests read the same files), every line parses, and bytes survive.
#include "events/events.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace syd::events {
namespace {

Violation SampleViolation() {
  Violation v;
  v.ts = 1796093150.945242;
  v.pid = 4242;
  v.tgid = 4240;
  v.comm = "touch";
  v.cmdline = "touch /etc/x \"quoted\"";
  v.cwd = "/tmp/build";
  v.syscall = "openat";
  v.category = "write";
  v.path = "/etc/x";
  v.action = "deny";
  v.errno_name = "EPERM";
  v.rule = "default:write";
  return v;
}

void Golden(const std::string& name, const std::string& got) {
  const std::string path = std::string(SYD_GOLDEN_DIR) + "/events/" + name;
  if (getenv("SYD_UPDATE_GOLDEN")) {
    std::ofstream(path) << got;
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(got, want.str()) << "the " << name << " schema changed; if intended, bump kSchemaVersion if a consumer "
                             << "could break, and rerun with SYD_UPDATE_GOLDEN=1";
  // Every golden line is one JSON object whose first member is "event".
  std::istringstream lines(want.str());
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::ordered_json::parse(line);
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j.begin().key(), "event") << line;
  }
}

TEST(Events, Violation) {
  Violation deny = SampleViolation();
  Violation dry = deny;
  dry.action = "cont";
  dry.errno_name.clear();
  dry.would = "deny";
  dry.allow = "allowlist/write+/etc/x";
  Violation net = deny;
  net.category = "net/connect";
  net.syscall = "connect";
  net.path = "inet:127.0.0.1@9";
  net.is_addr = true;
  net.rule = "paludis.syd-3:12";
  Golden("violation.jsonl", Json(deny) + Json(dry) + Json(net));
  EXPECT_EQ(Human(deny),
            "sydbox: deny write path /etc/x (openat, EPERM) by touch[4242] cwd /tmp/build cmd \"touch /etc/x "
            "\"quoted\"\" rule default:write\n");
  EXPECT_EQ(Human(dry),
            "sydbox: would deny write path /etc/x (openat) by touch[4242] cwd /tmp/build cmd \"touch /etc/x "
            "\"quoted\"\" rule default:write; to allow: -m allowlist/write+/etc/x\n");
}

TEST(Events, RuleKillForPeople) {
  Violation v = SampleViolation();
  v.category = "rule";
  v.syscall = "getppid";
  v.path = "getppid";
  v.action = "kill";
  v.errno_name.clear();
  v.rule = "-m:1";
  EXPECT_EQ(Human(v),
            "sydbox: kill getppid (a sys/ rule) by touch[4242] cwd /tmp/build cmd \"touch /etc/x \"quoted\"\" rule "
            "-m:1\n");
}

TEST(Events, SyscallLog) {
  SyscallLog e;
  e.pid = 7;
  e.tgid = 7;
  e.comm = "cat";
  e.syscall = "renameat2";
  e.nr = 316;
  e.args = {0xffffff9c, 0x7ffd0000, 0xffffff9c, 0x7ffd0100, 1, 0};
  e.paths = {"/tmp/a", "/tmp/b"};
  e.rule = "-m:1";
  SyscallLog net;
  net.pid = 8;
  net.tgid = 8;
  net.comm = "curl";
  net.syscall = "connect";
  net.nr = 42;
  net.addr = "inet6:::1@443";
  net.rule = "x.syd-3:3";
  Golden("syscall.jsonl", Json(e) + Json(net));
}

TEST(Events, DryRunAndStats) {
  DryRunSummary none;
  DryRunSummary some;
  some.categories = {{"net/connect", 1, {"inet:127.0.0.1@9"}}, {"write", 7, {"/etc/a", "/etc/b"}}};
  Stats st{1317, 1292, 8, 17, 3, 2, 177, 16};
  Golden("summary.jsonl", Json(none) + Json(some) + Json(st));
  EXPECT_EQ(Human(none), "sydbox: dry run: nothing would have been denied\n");
  EXPECT_EQ(Human(some),
            "sydbox: dry run: 8 accesses would have been denied\n"
            "sydbox:   net/connect: 1 (inet:127.0.0.1@9)\n"
            "sydbox:   write: 7 (/etc/a, /etc/b, ...)\n");
  EXPECT_EQ(Human(st),
            "sydbox: stats: 1317 notifications (1292 continued, 8 emulated, 17 errors), 3 denied; latency p50 2 µs, "
            "p99 177 µs; 16 workers\n");
}

// --dump: the init line, calls (a two-path call, a denial, an address,
// a dry-run would-be denial, an error, a call answered with a value, one
// whose caller was gone) and the exit line.
TEST(Events, Dump) {
  DumpInit init;
  init.ts = 1796093150.5;
  init.pid = 100;
  init.eldest = 101;
  init.sydbox = "3.0.0";
  init.argv = {"sh", "-c", "mv a b"};
  DumpCall rename;
  rename.ts = 1796093150.945242;
  rename.pid = 102;
  rename.tgid = 101;
  rename.comm = "mv";
  rename.syscall = "renameat2";
  rename.nr = 316;
  rename.args = {0xffffff9c, 0x7ffd0000, 0xffffff9c, 0x7ffd0100, 1, 0};
  rename.path = "/tmp/a";
  rename.path2 = "/tmp/b";
  rename.category = "write";
  rename.decision = "allow";
  rename.rule = "-m:2";
  rename.answer = "value";
  rename.ret = 0;
  DumpCall deny = rename;
  deny.syscall = "openat";
  deny.nr = 257;
  deny.path = "/etc/x";
  deny.path2.reset();
  deny.decision = "deny";
  deny.rule = "default:write";
  deny.answer = "error";
  deny.errno_name = "EPERM";
  deny.ret.reset();
  DumpCall dry = deny;
  dry.decision = "cont";
  dry.would = "deny";
  dry.answer = "fd";
  dry.errno_name.clear();
  DumpCall net;
  net.ts = 1796093151;
  net.pid = net.tgid = 103;
  net.comm = "curl";
  net.syscall = "connect";
  net.nr = 42;
  net.addr = "inet:127.0.0.1@9";
  net.category = "net/connect";
  net.decision = "allow";
  net.answer = "continue";
  DumpCall unchecked = net;
  unchecked.syscall = "getppid";
  unchecked.nr = 110;
  unchecked.addr.reset();
  unchecked.category.clear();
  unchecked.decision = "none";
  unchecked.answer = "none";
  DumpExit exit;
  exit.ts = 1796093152.25;
  exit.code = 137;
  exit.signal = 9;
  exit.calls = 5;
  DumpExit exited = exit;
  exited.code = 0;
  exited.signal = 0;
  Golden("dump.jsonl", Json(init) + Json(rename) + Json(deny) + Json(dry) + Json(net) + Json(unchecked) + Json(exit) +
                           Json(exited));
}

// The dump's call line is written without the JSON library's object: the
// same bytes as the library writes for the same members, for random calls
// (any byte in the strings, members present or not, any number).
TEST(Events, DumpCallAsTheLibraryWritesIt) {
  auto bytes = [](const std::string& s) {  // one code point per byte
    std::string u;
    for (unsigned char c : s) {
      if (c < 0x80) {
        u += static_cast<char>(c);
      } else {
        u += static_cast<char>(0xc0 | (c >> 6));
        u += static_cast<char>(0x80 | (c & 0x3f));
      }
    }
    return nlohmann::ordered_json(u);
  };
  uint64_t x = 88172645463325252ull;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  auto str = [&](size_t max) {
    std::string s(next() % (max + 1), '\0');
    for (char& c : s) c = static_cast<char>(next() % 4 == 0 ? next() % 256 : 32 + next() % 95);
    return s;
  };
  for (int i = 0; i < 5000; ++i) {
    DumpCall e;
    e.ts = static_cast<double>(next() % 2000000000000000ull) / 1e6;
    e.pid = static_cast<pid_t>(next() % 4194304);
    e.tgid = static_cast<pid_t>(next() % 4194304);
    e.comm = str(15);
    e.syscall = next() % 8 ? "openat" : "?";
    e.nr = static_cast<int>(next() % 512) - 1;
    for (auto& a : e.args) a = next() % 3 ? next() : next() % 100;
    if (next() % 2) e.path = str(40);
    if (next() % 4 == 0) e.path2 = str(40);
    if (next() % 4 == 0) e.addr = str(30);
    e.category = next() % 3 ? "net/connect" : "";
    e.decision = "allow";
    if (next() % 4 == 0) e.would = "deny";
    e.rule = next() % 3 ? str(20) : "";
    e.answer = next() % 2 ? "error" : "value";
    if (next() % 2) e.errno_name = "EPERM";
    if (next() % 2) e.ret = static_cast<int64_t>(next());
    nlohmann::ordered_json j;
    j["event"] = "call";
    j["ts"] = std::round(e.ts * 1e6) / 1e6;
    j["pid"] = e.pid;
    j["tgid"] = e.tgid;
    j["comm"] = bytes(e.comm);
    j["syscall"] = e.syscall;
    j["nr"] = e.nr;
    j["args"] = e.args;
    if (e.path) j["path"] = bytes(*e.path);
    if (e.path2) j["path2"] = bytes(*e.path2);
    if (e.addr) j["addr"] = bytes(*e.addr);
    j["category"] = e.category.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.category);
    j["decision"] = e.decision;
    if (!e.would.empty()) j["would"] = e.would;
    j["rule"] = e.rule.empty() ? nlohmann::ordered_json(nullptr) : bytes(e.rule);
    j["answer"] = e.answer;
    if (!e.errno_name.empty()) j["errno"] = e.errno_name;
    if (e.ret) j["ret"] = *e.ret;
    ASSERT_EQ(Json(e), j.dump(-1, ' ', true) + "\n") << "case " << i;
  }
}

// SIGUSR1's line and SIGUSR2's document.
TEST(Events, Sydcore) {
  ProcessInfo p;
  p.pid = p.tgid = 101;
  p.ppid = 100;
  p.comm = "make";
  p.cwd = "/tmp/build";
  p.lock = "off";
  Golden("process.jsonl", Json(p));
  EXPECT_EQ(Human(p), "sydbox: process 101 tgid 101 ppid 100 comm make cwd /tmp/build lock off\n");
  Sydcore core;
  core.ts = 1796093150.5;
  core.pid = 100;
  core.eldest = 101;
  core.sydbox = "3.0.0";
  core.argv = {"make"};
  core.config.sandbox = {{"read", "off"}, {"write", "deny"}};
  core.config.options = {{"core/violation/decision", "deny"}};
  core.config.lists = {{"allowlist", "write", "/tmp/***", "-m:1"}};
  core.config.rules = {"sys/kill_process+ptrace (-m:2)"};
  core.processes = {p};
  core.counters = Stats{10, 8, 1, 1, 0, 2, 9, 16};
  core.workers = {16, 15, 16, 32};
  // One document, not one line: the golden file holds it as written.
  const std::string doc = Json(core);
  const std::string path = std::string(SYD_GOLDEN_DIR) + "/events/sydcore.json";
  if (getenv("SYD_UPDATE_GOLDEN")) std::ofstream(path) << doc;
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(doc, want.str());
  auto j = nlohmann::ordered_json::parse(doc);
  EXPECT_EQ(j.begin().key(), "event");
  EXPECT_EQ(j["processes"][0]["comm"], "make");
  EXPECT_EQ(j["counters"]["notifications"], 10);
}

// Paths are bytes: invalid UTF-8, control characters and quotes come back
// exactly, and the line stays valid JSON.
TEST(Events, BytesSurvive) {
  std::string odd = "/tmp/\xff\xfe\x01\"\\\n\xc3\xa9";
  Violation v = SampleViolation();
  v.path = odd;
  const std::string line = Json(v);
  EXPECT_EQ(line.find('\xff'), std::string::npos);
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(BytesFromJson(j["path"].get<std::string>()), odd);
  EXPECT_EQ(BytesFromJson("plain/ascii"), "plain/ascii");
}

}  // namespace
}  // namespace syd::events
