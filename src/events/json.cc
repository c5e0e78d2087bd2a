// The one JSON writer: nlohmann::ordered_json keeps members in the order
// written, and ensure_ascii turns every byte above 0x7f, carried as the
// code point of the same value, into \u00XX.
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
