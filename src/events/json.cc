// The one JSON writer: nlohmann::ordered_json keeps members in the order
// written, and ensure_ascii turns every byte above 0x7f, carried as the
// code point of the same value, into \u00XX.
#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "events/events.h"
#include "policy/suggest.h"

namespace syd::events {
namespace {

using Json_ = nlohmann::ordered_json;

// Bytes as a JSON string: each byte is the code point of its value
// (Latin-1 read as Unicode), so the writer never meets invalid UTF-8.
Json_ Bytes(std::string_view s) {
  std::string u;
  u.reserve(s.size());
  for (unsigned char c : s) {
    if (c < 0x80) {
      u += static_cast<char>(c);
    } else {
      u += static_cast<char>(0xc0 | (c >> 6));
      u += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return Json_(std::move(u));
}

std::string Line(const Json_& j) { return j.dump(-1, ' ', /*ensure_ascii=*/true) + "\n"; }

}  // namespace

uint64_t DryRunSummary::total() const {
  uint64_t n = 0;
  for (const Category& c : categories) n += c.count;
  return n;
}

std::string Json(const Violation& e) {
  Json_ j;
  j["event"] = "violation";
  j["ts"] = std::round(e.ts * 1e6) / 1e6;
  j["pid"] = e.pid;
  j["tgid"] = e.tgid;
  j["comm"] = Bytes(e.comm);
  j["cmdline"] = Bytes(e.cmdline);
  j["cwd"] = Bytes(e.cwd);
  j["syscall"] = e.syscall;
  j["category"] = e.category;
  j[e.is_addr ? "addr" : "path"] = Bytes(e.path);
  j["action"] = e.action;
  j["errno"] = e.errno_name.empty() ? Json_(nullptr) : Json_(e.errno_name);
  j["rule"] = Bytes(e.rule);
  if (!e.would.empty()) {
    j["would"] = e.would;
    j["allow"] = e.allow.empty() ? Json_(nullptr) : Bytes(e.allow);
  }
  return Line(j);
}

std::string Json(const SyscallLog& e) {
  Json_ j;
  j["event"] = "syscall";
  j["pid"] = e.pid;
  j["tgid"] = e.tgid;
  j["comm"] = Bytes(e.comm);
  j["syscall"] = e.syscall;
  j["nr"] = e.nr;
  j["args"] = e.args;
  for (size_t i = 0; i < e.paths.size() && i < 2; ++i) j[i == 0 ? "path" : "path2"] = Bytes(e.paths[i]);
  if (e.addr) j["addr"] = Bytes(*e.addr);
  j["rule"] = Bytes(e.rule);
  return Line(j);
}

std::string Json(const DryRunSummary& e) {
  Json_ j;
  j["event"] = "dry_run";
  j["would_deny"] = e.total();
  Json_ cats = Json_::object();
  for (const auto& c : e.categories) {
    Json_ first = Json_::array();
    for (const auto& p : c.first) first.push_back(Bytes(p));
    cats[c.name] = Json_{{"count", c.count}, {"first", std::move(first)}};
  }
  j["categories"] = std::move(cats);
  return Line(j);
}

std::string Json(const Stats& e) {
  Json_ j;
  j["event"] = "stats";
  j["notifications"] = e.notifications;
  j["continued"] = e.continued;
  j["emulated"] = e.emulated;
  j["errors"] = e.errors;
  j["denied"] = e.denied;
  j["latency_us"] = Json_{{"p50", e.p50_us}, {"p99", e.p99_us}};
  j["workers"] = e.workers;
  return Line(j);
}

namespace {

double Ts(double ts) { return std::round(ts * 1e6) / 1e6; }

Json_ ProcessObject(const ProcessInfo& e) {
  Json_ j;
  j["pid"] = e.pid;
  j["tgid"] = e.tgid;
  j["ppid"] = e.ppid;
  j["comm"] = Bytes(e.comm);
  j["cwd"] = Bytes(e.cwd);
  j["lock"] = e.lock;
  j["resumed"] = e.resumed;
  return j;
}

Json_ StatsObject(const Stats& e) {
  Json_ j = Json_::parse(Json(e));
  j.erase("event");
  return j;
}

Json_ Strings(const std::vector<std::string>& v) {
  Json_ a = Json_::array();
  for (const std::string& s : v) a.push_back(Bytes(s));
  return a;
}

}  // namespace

std::string Json(const DumpInit& e) {
  Json_ j;
  j["event"] = "init";
  j["version"] = kSchemaVersion;
  j["ts"] = Ts(e.ts);
  j["sydbox"] = e.sydbox;
  j["pid"] = e.pid;
  j["eldest"] = e.eldest;
  j["argv"] = Strings(e.argv);
  j["dry_run"] = e.dry_run;
  return Line(j);
}

// A dump has a line per call: written directly, byte for byte what Line()
// makes of the same members (events_test checks both agree), without
// building an object first (a third of the cost).
namespace {

// As Bytes() then ensure_ascii: each byte is one code point.
void AppendString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '\b': *out += "\\b"; break;
      case '\t': *out += "\\t"; break;
      case '\n': *out += "\\n"; break;
      case '\f': *out += "\\f"; break;
      case '\r': *out += "\\r"; break;
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      default:
        if (c <= 0x1f || c >= 0x7f) {
          const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
          out->append(u, sizeof u);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

template <class N>
void AppendNumber(std::string* out, N n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;
  out->append(buf, end);
}

void Member(std::string* out, std::string_view name) {
  out->push_back(',');
  out->push_back('"');
  out->append(name);
  out->append("\":");
}

}  // namespace

std::string Json(const DumpCall& e) {
  std::string o;
  o.reserve(256);
  o += "{\"event\":\"call\",\"ts\":";
  o += Json_(Ts(e.ts)).dump();  // the JSON library's shortest form of a double
  Member(&o, "pid");
  AppendNumber(&o, e.pid);
  Member(&o, "tgid");
  AppendNumber(&o, e.tgid);
  Member(&o, "comm");
  AppendString(&o, e.comm);
  Member(&o, "syscall");
  AppendString(&o, e.syscall);
  Member(&o, "nr");
  AppendNumber(&o, e.nr);
  Member(&o, "args");
  for (size_t i = 0; i < e.args.size(); ++i) {
    o.push_back(i == 0 ? '[' : ',');
    AppendNumber(&o, e.args[i]);
  }
  o.push_back(']');
  if (e.path) Member(&o, "path"), AppendString(&o, *e.path);
  if (e.path2) Member(&o, "path2"), AppendString(&o, *e.path2);
  if (e.addr) Member(&o, "addr"), AppendString(&o, *e.addr);
  Member(&o, "category");
  if (e.category.empty()) o += "null";
  else AppendString(&o, e.category);
  Member(&o, "decision");
  AppendString(&o, e.decision);
  if (!e.would.empty()) Member(&o, "would"), AppendString(&o, e.would);
  Member(&o, "rule");
  if (e.rule.empty()) o += "null";
  else AppendString(&o, e.rule);
  if (!e.module.empty()) Member(&o, "module"), AppendString(&o, e.module);
  Member(&o, "answer");
  AppendString(&o, e.answer);
  if (!e.errno_name.empty()) Member(&o, "errno"), AppendString(&o, e.errno_name);
  if (e.ret) Member(&o, "ret"), AppendNumber(&o, *e.ret);
  o += "}\n";
  return o;
}

std::string Json(const DumpExit& e) {
  Json_ j;
  j["event"] = "exit";
  j["ts"] = Ts(e.ts);
  j["code"] = e.code;
  j["signal"] = e.signal ? Json_(e.signal) : Json_(nullptr);
  j["calls"] = e.calls;
  return Line(j);
}

std::string Json(const ProcessInfo& e) {
  Json_ j;
  j["event"] = "process";
  j.update(ProcessObject(e));
  return Line(j);
}

std::string Json(const Sydcore& e) {
  Json_ j;
  j["event"] = "sydcore";
  j["version"] = kSchemaVersion;
  j["ts"] = Ts(e.ts);
  j["sydbox"] = e.sydbox;
  j["pid"] = e.pid;
  j["eldest"] = e.eldest;
  j["argv"] = Strings(e.argv);
  j["dump"] = e.dump.empty() ? Json_(nullptr) : Bytes(e.dump);
  j["dry_run"] = e.dry_run;
  j["locked"] = e.locked;
  Json_ config;
  Json_ sandbox = Json_::object();
  for (const auto& [k, v] : e.config.sandbox) sandbox[k] = v;
  config["sandbox"] = std::move(sandbox);
  Json_ options = Json_::object();
  for (const auto& [k, v] : e.config.options) options[k] = Bytes(v);
  config["options"] = std::move(options);
  Json_ lists = Json_::array();
  for (const auto& l : e.config.lists)
    lists.push_back(Json_{{"list", l.list}, {"category", l.category}, {"pattern", Bytes(l.pattern)},
                          {"origin", Bytes(l.origin)}});
  config["lists"] = std::move(lists);
  config["rules"] = Strings(e.config.rules);
  j["config"] = std::move(config);
  Json_ procs = Json_::array();
  for (const auto& p : e.processes) procs.push_back(ProcessObject(p));
  j["processes"] = std::move(procs);
  j["counters"] = StatsObject(e.counters);
  j["workers"] = Json_{{"started", e.workers.started}, {"idle", e.workers.idle}, {"max", e.workers.max},
                       {"blocking_threads", e.workers.blocking_threads}};
  return j.dump(2, ' ', /*ensure_ascii=*/true) + "\n";
}

std::string Human(const ProcessInfo& e) {
  return fmt::format("sydbox: process {} tgid {} ppid {} comm {} cwd {} lock {}{}\n", e.pid, e.tgid, e.ppid, e.comm,
                     e.cwd, e.lock, e.resumed ? " (resumed)" : "");
}

std::string Human(const Violation& e) {
  if (e.category == "rule")  // a sys/ rule killed the process: no path to show
    return fmt::format("sydbox: {} {} (a sys/ rule) by {}[{}] cwd {} cmd \"{}\" rule {}\n",
                       e.would.empty() ? e.action : "would " + e.would, e.syscall, e.comm, e.pid, e.cwd, e.cmdline,
                       e.rule);
  return fmt::format("sydbox: {} {} {} {} ({}{}) by {}[{}] cwd {} cmd \"{}\" rule {}{}\n",
                     e.would.empty() ? e.action : "would " + e.would, e.category, e.is_addr ? "addr" : "path", e.path,
                     e.syscall, e.errno_name.empty() ? std::string() : ", " + e.errno_name, e.comm, e.pid, e.cwd,
                     e.cmdline, e.rule, e.allow.empty() ? std::string() : "; to allow: -m " + policy::ShellQuote(e.allow));
}

std::string Human(const DryRunSummary& e) {
  const uint64_t total = e.total();
  if (total == 0) return "sydbox: dry run: nothing would have been denied\n";
  std::string out = fmt::format("sydbox: dry run: {} access{} would have been denied\n", total, total == 1 ? "" : "es");
  for (const auto& c : e.categories) {
    std::string first;
    for (const std::string& p : c.first) first += (first.empty() ? "" : ", ") + p;
    out += fmt::format("sydbox:   {}: {} ({}{})\n", c.name, c.count, first, c.count > c.first.size() ? ", ..." : "");
  }
  return out;
}

std::string Human(const Stats& e) {
  return fmt::format(
      "sydbox: stats: {} notification{} ({} continued, {} emulated, {} errors), {} denied; "
      "latency p50 {} µs, p99 {} µs; {} workers\n",
      e.notifications, e.notifications == 1 ? "" : "s", e.continued, e.emulated, e.errors, e.denied, e.p50_us,
      e.p99_us, e.workers);
}

std::string BytesFromJson(const std::string& utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(utf8[i]);
    if ((c & 0xe0) == 0xc0 && i + 1 < utf8.size()) {
      const unsigned cp = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3fu);
      if (cp <= 0xff) {
        out += static_cast<char>(cp);
        ++i;
        continue;
      }
    }
    out += static_cast<char>(c);  // not written by sydbox: passed as is
  }
  return out;
}

}  // namespace syd::events
