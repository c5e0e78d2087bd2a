#include "pandora/report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <tuple>

#include "util/strings.h"

namespace syd::pandora {
namespace {

constexpr size_t kMaxProblems = 20;

// The dump writes every byte above 0x7f as the code point of the same
// value (events/json.cc): back to the bytes.
std::string Bytes(const std::string& utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size(); ++i) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c & 0xe0) == 0xc0 && i + 1 < utf8.size()) {
      const unsigned cp = ((c & 0x1fu) << 6) | (static_cast<unsigned char>(utf8[i + 1]) & 0x3fu);
      out.push_back(static_cast<char>(cp & 0xff));
      ++i;
    } else {
      out.push_back(static_cast<char>(c));  // not from sydbox: kept as it is
    }
  }
  return out;
}

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return Bytes(it->get<std::string>());
}

void Problem(ReportData* d, uint64_t line, const std::string& what) {
  ++d->problems;
  if (d->first_problems.size() < kMaxProblems) d->first_problems.push_back(fmt::format("line {}: {}", line, what));
}

bool Denied(const std::string& decision) {
  return decision == "deny" || decision == "kill" || decision == "killall" || decision == "trap";
}

void TakeCall(ReportData* d, const nlohmann::json& j) {
  ++d->calls;
  const std::string category = Str(j, "category"), decision = Str(j, "decision");
  const std::string path = Str(j, "path"), path2 = Str(j, "path2"), addr = Str(j, "addr");
  auto count = [&](const std::string& p) {
    if (p.empty() || p[0] != '/') return;
    ReportData::Counts& c = d->paths[p];
    if (category == "read") ++c.read;
    else if (category == "write") ++c.write;
    else if (category == "exec") ++c.exec;
    else if (category == "stat") ++c.stat;
  };
  if (category == "read" || category == "write" || category == "exec" || category == "stat") {
    count(path);
    count(path2);
  }
  if ((category == "net/bind" || category == "net/connect") && !addr.empty()) {
    ReportData::Peer& p = d->peers[{category == "net/bind" ? "bind" : "connect", addr}];
    ++p.count;
    if (Denied(decision)) ++p.denied;
  }
  if (Denied(decision)) {
    ReportData::Denial den;
    den.syscall = Str(j, "syscall");
    den.target = !path.empty() ? path + (path2.empty() ? "" : " -> " + path2) : addr;
    den.category = category;
    den.decision = decision;
    den.errno_name = Str(j, "errno");
    den.rule = Str(j, "rule");
    den.comm = Str(j, "comm");
    ++d->denied[den];
  }
}

void GatherDump(ReportData* d, std::string_view text) {
  uint64_t n = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++n;
    if (Trim(line).empty()) continue;
    auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      Problem(d, n, "not a JSON object");
      continue;
    }
    const std::string event = Str(j, "event");
    if (event == "call") {
      TakeCall(d, j);
    } else if (event == "init") {
      std::string argv;
      if (auto it = j.find("argv"); it != j.end() && it->is_array())
        for (const auto& a : *it)
          if (a.is_string()) argv += (argv.empty() ? "" : " ") + Bytes(a.get<std::string>());
      d->program = argv;
    } else if (event == "exit") {
      if (auto it = j.find("code"); it != j.end() && it->is_number_integer()) d->exit_code = it->get<int>();
    } else if (event.empty()) {
      Problem(d, n, "no \"event\"");
    }
    // Other events (process, sydcore, dry_run, ...) say nothing the page shows.
  }
}

// A profile: its allowlists are what the program may do.
Status GatherProfile(ReportData* d, std::string_view text) {
  d->source = ReportData::Source::kProfile;
  uint64_t n = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++n;
    const std::string_view t = Trim(line);
    if (t.empty() || t[0] == '#') {
      if (StartsWith(t, "#! program:")) d->program = std::string(Trim(t.substr(11)));
      continue;
    }
    const size_t plus = t.find('+');
    if (!StartsWith(t, "allowlist/") || plus == std::string_view::npos) continue;  // modes, locks, syscalls
    const std::string_view key = t.substr(10, plus - 10), value = t.substr(plus + 1);
    if (value.empty()) {
      Problem(d, n, "an allowlist entry without a value");
      continue;
    }
    if (key == "read" || key == "write" || key == "exec" || key == "stat") {
      ReportData::Counts& c = d->paths[std::string(value)];
      c.allowed_only = true;
      (key == "read" ? c.read : key == "write" ? c.write : key == "exec" ? c.exec : c.stat) = 1;
    } else if (key == "network/bind" || key == "network/connect") {
      d->peers[{std::string(key.substr(8)), std::string(value)}].count = 0;
    }
  }
  return {};
}

// --- the page ------------------------------------------------------------

struct Node {
  std::map<std::string, Node> kids;
  ReportData::Counts own, sum;
  bool is_entry = false;
};

void Insert(Node* root, const std::string& path, const ReportData::Counts& c) {
  Node* n = root;
  for (std::string_view part : Split(path, '/')) {
    if (part.empty()) continue;
    n = &n->kids[std::string(part)];
  }
  n->own = c;
  n->is_entry = true;
}

void Sum(Node* n) {
  n->sum = n->own;
  for (auto& [name, k] : n->kids) {
    Sum(&k);
    n->sum.read += k.sum.read;
    n->sum.write += k.sum.write;
    n->sum.exec += k.sum.exec;
    n->sum.stat += k.sum.stat;
    n->sum.allowed_only = n->sum.allowed_only || k.sum.allowed_only;
  }
}

std::string Badges(const ReportData::Counts& c, bool counts) {
  std::string out;
  auto badge = [&](const char* cls, const char* label, uint64_t v) {
    if (!v) return;
    out += counts ? fmt::format("<span class=\"b {}\" title=\"{}\">{} {}</span>", cls, label, label[0], v)
                  : fmt::format("<span class=\"b {}\" title=\"{} allowed\">{}</span>", cls, label, label);
  };
  badge("r", "read", c.read);
  badge("w", "write", c.write);
  badge("x", "exec", c.exec);
  badge("s", "stat", c.stat);
  return out;
}

void RenderNode(const Node& n, const std::string& name, bool counts, int depth, std::string* out) {
  const std::string label = HtmlText(name);
  if (n.kids.empty()) {
    *out += fmt::format("<li class=\"f\"><span class=\"n\">{}</span>{}</li>\n", label, Badges(n.own, counts));
    return;
  }
  *out += fmt::format("<li><details{}><summary><span class=\"n d\">{}/</span>{}</summary><ul>\n",
                      depth < 2 ? " open" : "", label, Badges(n.sum, counts));
  if (n.is_entry)
    *out += fmt::format("<li class=\"f\"><span class=\"n\">.</span>{}</li>\n", Badges(n.own, counts));
  for (const auto& [k, kid] : n.kids) RenderNode(kid, k, counts, depth + 1, out);
  *out += "</ul></details></li>\n";
}

constexpr const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;background:#fff}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .4em;border-bottom:1px solid #ddd}
.meta{color:#555}.sum span{display:inline-block;margin-right:1.2em}
ul{list-style:none;margin:0;padding-left:1.2em}#tree>ul{padding-left:0}
summary{cursor:pointer}.n{font-family:ui-monospace,monospace}.d{font-weight:600}
.b{display:inline-block;min-width:2.2em;margin-left:.4em;padding:0 .35em;border-radius:.6em;font-size:.8em;text-align:center;color:#fff}
.r{background:#2b7bb9}.w{background:#c0392b}.x{background:#8e44ad}.s{background:#7f8c8d}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.m{font-family:ui-monospace,monospace}.none{color:#777}
)";

}  // namespace

bool ReportData::Denial::operator<(const Denial& o) const {
  return std::tie(syscall, target, category, decision, errno_name, rule, comm) <
         std::tie(o.syscall, o.target, o.category, o.decision, o.errno_name, o.rule, o.comm);
}

std::string HtmlText(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '&': out += "&amp;"; ++i; continue;
      case '<': out += "&lt;"; ++i; continue;
      case '>': out += "&gt;"; ++i; continue;
      case '"': out += "&quot;"; ++i; continue;
      case '\'': out += "&#39;"; ++i; continue;
      default: break;
    }
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    // A whole UTF-8 sequence is kept; anything else is shown as \xNN.
    size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    }
  }
  return out;
}

Result<ReportData> GatherReport(std::string_view text) {
  ReportData d;
  const std::string_view first = Trim(text.substr(0, text.find('\n')));
  if (StartsWith(first, "#! pandora-profile:")) {
    SYD_TRY_STATUS(GatherProfile(&d, text));
    if (d.paths.empty() && d.peers.empty()) return Failf("the profile allows no path and no address: nothing to show");
    return d;
  }
  GatherDump(&d, text);
  if (d.calls == 0 && d.program.empty())
    return Failf("neither a sydbox dump (JSON lines with \"event\") nor a pandora profile{}",
                 d.first_problems.empty() ? "" : " (" + d.first_problems.front() + ")");
  return d;
}

std::string RenderReport(const ReportData& d, const std::string& title) {
  const bool counts = d.source == ReportData::Source::kDump;
  std::string o;
  o += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  o += "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n";
  o += fmt::format("<title>{}</title>\n<style>{}</style></head>\n<body>\n", HtmlText(title), kStyle);
  o += fmt::format("<h1>{}</h1>\n", HtmlText(d.program.empty() ? title : d.program));
  o += fmt::format("<p class=\"meta\">{}</p>\n", counts ? "What the program did, from a sydbox dump."
                                                        : "What the profile allows the program to do.");
  uint64_t denied = 0;
  for (const auto& [den, n] : d.denied) denied += n;
  o += "<p class=\"sum\" id=\"summary\">";
  if (counts) o += fmt::format("<span>{} calls</span>", d.calls);
  o += fmt::format("<span>{} paths</span><span>{} network peers</span>", d.paths.size(), d.peers.size());
  if (counts) o += fmt::format("<span>{} denied</span>", denied);
  if (d.exit_code >= 0) o += fmt::format("<span>exit status {}</span>", d.exit_code);
  o += "</p>\n";

  o += "<h2>Files</h2>\n<div id=\"tree\">";
  if (d.paths.empty()) {
    o += "<p class=\"none\">No path.</p>";
  } else {
    Node root;
    for (const auto& [p, c] : d.paths) Insert(&root, p, c);
    Sum(&root);
    o += fmt::format("<ul><li><details open><summary><span class=\"n d\">/</span>{}</summary><ul>\n",
                     Badges(root.sum, counts));
    for (const auto& [k, kid] : root.kids) RenderNode(kid, k, counts, 1, &o);
    o += "</ul></details></li></ul>";
  }
  o += "</div>\n";

  o += "<h2>Network</h2>\n";
  if (d.peers.empty()) {
    o += "<p class=\"none\" id=\"peers\">No network peer.</p>\n";
  } else {
    o += "<table id=\"peers\"><tr><th>direction</th><th>address</th>";
    if (counts) o += "<th>calls</th><th>denied</th>";
    o += "</tr>\n";
    for (const auto& [key, p] : d.peers) {
      o += fmt::format("<tr><td>{}</td><td class=\"m\">{}</td>", key.first, HtmlText(key.second));
      if (counts) o += fmt::format("<td>{}</td><td>{}</td>", p.count, p.denied);
      o += "</tr>\n";
    }
    o += "</table>\n";
  }

  if (counts) {
    o += "<h2>Denied calls</h2>\n";
    if (d.denied.empty()) {
      o += "<p class=\"none\" id=\"denied\">Nothing was denied.</p>\n";
    } else {
      o += "<table id=\"denied\"><tr><th>call</th><th>path or address</th><th>category</th><th>decision</th>"
           "<th>errno</th><th>deciding rule</th><th>by</th><th>times</th></tr>\n";
      for (const auto& [den, n] : d.denied)
        o += fmt::format("<tr><td class=\"m\">{}</td><td class=\"m\">{}</td><td>{}</td><td>{}</td><td>{}</td>"
                         "<td class=\"m\">{}</td><td class=\"m\">{}</td><td>{}</td></tr>\n",
                         HtmlText(den.syscall), HtmlText(den.target), HtmlText(den.category), HtmlText(den.decision),
                         HtmlText(den.errno_name), HtmlText(den.rule), HtmlText(den.comm), n);
      o += "</table>\n";
    }
  }
  if (d.problems) {
    o += fmt::format("<h2>Unreadable lines</h2>\n<p>{} line{} could not be read:</p><ul id=\"problems\">",
                     d.problems, d.problems == 1 ? "" : "s");
    for (const auto& p : d.first_problems) o += fmt::format("<li>{}</li>", HtmlText(p));
    o += "</ul>\n";
  }
  o += "</body></html>\n";
  return o;
}

}  // namespace syd::pandora
