// The dump is read with nlohmann-json's SAX interface: a line's values go
// straight into the few strings the profile needs (reused from line to
// line), with no document built, so a million lines take about a second.
// Uses are counted in hash maps while reading; sorting, --limit trimming
// and the /proc/PID generalisation happen once, in Body().
#include "pandora/profile_gen.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace syd::pandora {
namespace {

constexpr const char* kCategories[4] = {"read", "write", "exec", "stat"};
constexpr const char* kDirections[2] = {"bind", "connect"};

// Calls that reach sydbox only when a rule traces every system call
// (none of them is a category's, and sydbox intercepts none of them for
// its own needs).
constexpr std::array<std::string_view, 6> kTracedOnly = {"brk", "exit_group", "munmap", "getpid",
                                                          "rt_sigaction", "arch_prctl"};

}  // namespace

const std::vector<std::string>& SecretPlaces() {
  static const std::vector<std::string> places = {
      "/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers", "/etc/sudoers.d",
      "/etc/ssh", "/etc/ssl/private", "/etc/krb5.keytab", "/etc/security/opasswd", "/etc/libvirt/secrets",
      "/root", "/run/secrets", "/var/lib/sss/secrets", "/proc/*/environ", "/proc/*/mem", "/proc/kcore",
      "~/.ssh", "~/.gnupg", "~/.netrc", "~/.pgpass", "~/.git-credentials", "~/.aws", "~/.azure", "~/.kube",
      "~/.docker", "~/.password-store", "~/.pki", "~/.npmrc", "~/.pypirc", "~/.cargo/credentials.toml",
      "~/.config/gcloud", "~/.config/gh", "~/.local/share/keyrings", "~/.mozilla", "~/.config/chromium",
      "~/.config/google-chrome", "~/.thunderbird", "~/.bash_history", "~/.lesshst"};
  return places;
}

namespace {

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// The secret places as component lists, `~` expanded; "*" matches any one
// component.
std::vector<std::vector<std::string>> SecretComponents(const std::string& home) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::vector<std::string>> homes = {{"root"}, {"home", "*"}};
  if (!home.empty() && home[0] == '/') {
    std::vector<std::string> h;
    for (auto c : Components(home)) h.emplace_back(c);
    if (!h.empty()) homes.push_back(h);
  }
  for (const std::string& place : SecretPlaces()) {
    if (place[0] == '~') {
      for (const auto& h : homes) {
        std::vector<std::string> v = h;
        for (auto c : Components(place.substr(1))) v.emplace_back(c);
        out.push_back(std::move(v));
      }
    } else {
      std::vector<std::string> v;
      for (auto c : Components(place)) v.emplace_back(c);
      out.push_back(std::move(v));
    }
  }
  return out;
}

// Component `c` of a path against component `s` of a secret place.
bool SameComponent(std::string_view c, std::string_view s, bool generalised) {
  return s == "*" || generalised || c == s;
}

// The first `n` components are inside secret place `s` (s is a prefix).
bool Inside(const std::vector<std::string_view>& comps, const std::vector<bool>& gen, size_t n,
            const std::vector<std::string>& s) {
  if (s.size() > n) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (!SameComponent(comps[i], s[i], gen[i])) return false;
  return true;
}

// DIR/*** for the first `n` components would match something in `s`.
bool Covers(const std::vector<std::string_view>& comps, const std::vector<bool>& gen, size_t n,
            const std::vector<std::string>& s) {
  const size_t m = std::min(n, s.size());
  for (size_t i = 0; i < m; ++i)
    if (!SameComponent(comps[i], s[i], gen[i])) return false;
  return true;
}

// One component written for wildmatch: the pattern characters escaped;
// `${` written `[$]{` (the loader would expand ${VAR}); a newline, a
// carriage return and a trailing blank (which a config line cannot hold)
// become `?`.
void AppendEscaped(std::string* out, std::string_view c, bool last) {
  for (size_t i = 0; i < c.size(); ++i) {
    const char ch = c[i];
    switch (ch) {
      case '*': case '?': case '[': case ']': case '\\': *out += '\\'; *out += ch; break;
      case '$':
        if (i + 1 < c.size() && c[i + 1] == '{') *out += "[$]";
        else *out += ch;
        break;
      case '\n': case '\r': case '\0': *out += '?'; break;
      default: {
        const bool blank = ch == ' ' || ch == '\t' || ch == '\v' || ch == '\f';
        if (blank && last && c.find_first_not_of(" \t\v\f", i) == std::string_view::npos) *out += '?';
        else *out += ch;
      }
    }
  }
}

bool AllDigits(std::string_view s) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// A comment's text: printable ASCII only (a newline would end the comment
// and start a command).
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace

std::string PathPattern(std::string_view path, int limit, const std::string& home,
                        const std::unordered_set<int64_t>& pids) {
  std::vector<std::string_view> comps = Components(path);
  // /proc/PID and /proc/PID/task/TID of the sandbox's own processes: their
  // numbers differ from run to run.
  std::vector<bool> gen(comps.size(), false);
  if (comps.size() >= 2 && comps[0] == "proc" && AllDigits(comps[1])) {
    gen[1] = pids.count(std::stoll(std::string(comps[1]))) > 0;
    if (comps.size() >= 4 && comps[2] == "task" && AllDigits(comps[3]))
      gen[3] = pids.count(std::stoll(std::string(comps[3]))) > 0;
  }
  size_t keep = comps.size();
  bool trimmed = false;
  if (limit > 0 && comps.size() > static_cast<size_t>(limit)) {
    static thread_local std::string cached_home;
    static thread_local std::vector<std::vector<std::string>> secrets;
    if (secrets.empty() || cached_home != home) {
      secrets = SecretComponents(home);
      cached_home = home;
    }
    bool literal = false;
    for (const auto& s : secrets) literal = literal || Inside(comps, gen, comps.size(), s);
    if (!literal) {
      for (size_t n = static_cast<size_t>(limit); n < comps.size(); ++n) {
        bool covers = false;
        for (const auto& s : secrets) covers = covers || Covers(comps, gen, n, s);
        if (!covers) {
          keep = n;
          trimmed = true;
          break;
        }
      }
    }
  }
  std::string out;
  out.reserve(path.size() + 8);
  for (size_t i = 0; i < keep; ++i) {
    out += '/';
    if (gen[i]) out += "[0-9]*";
    else AppendEscaped(&out, comps[i], !trimmed && i + 1 == keep);
  }
  if (trimmed) out += "/***";
  if (out.empty()) out = "/";
  return out;
}

// ---------------------------------------------------------------------
// Reading.

// What one line says; the strings are reused from line to line.
struct DumpLine {
  std::string event, comm, syscall, path, path2, addr, category, answer;
  bool has_event = false, has_syscall = false, has_path = false, has_path2 = false, has_addr = false,
       has_category = false, has_comm = false;
  int64_t pid = -1, tgid = -1, code = -1;
  std::vector<std::string> argv;
  void Clear() {
    answer.clear();
    has_event = has_syscall = has_path = has_path2 = has_addr = has_category = has_comm = false;
    pid = tgid = code = -1;
    argv.clear();
  }
};

namespace {

using Json = nlohmann::json;

// Keeps the top-level fields the profile needs; nested values other than
// init's argv are skipped.
class Sax : public nlohmann::json_sax<Json> {
 public:
  enum class Field { kNone, kAnswer, kEvent, kComm, kSyscall, kPath, kPath2, kAddr, kCategory, kPid, kTgid, kCode, kArgv };

  explicit Sax(DumpLine* line) : l_(line) {}
  std::string error;
  bool top_object = false;

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t v) override { return Number(v); }
  bool number_unsigned(number_unsigned_t v) override {
    return Number(v > static_cast<uint64_t>(INT64_MAX) ? -1 : static_cast<int64_t>(v));
  }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t& v) override;
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override {
    if (depth_ == 0) top_object = true;
    ++depth_;
    field_ = Field::kNone;
    return true;
  }
  bool key(string_t& k) override;
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    in_argv_ = depth_ == 1 && field_ == Field::kArgv;
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    in_argv_ = false;
    field_ = Field::kNone;
    return true;
  }
  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& ex) override {
    // nlohmann's message names the byte; keep the part after "parse error".
    std::string what = ex.what();
    const size_t colon = what.find(": ", what.find("parse error"));
    error = fmt::format("not JSON (byte {}): {}", pos, colon == std::string::npos ? what : what.substr(colon + 2));
    return false;
  }

 private:
  bool Value() {
    field_ = Field::kNone;
    return true;
  }
  bool Number(int64_t v);

  DumpLine* l_;
  int depth_ = 0;
  Field field_ = Field::kNone;
  bool in_argv_ = false;
};

}  // namespace

bool Sax::key(string_t& k) {
  field_ = Field::kNone;
  if (depth_ != 1) return true;
  switch (k.size()) {
    case 3:
      if (k == "pid") field_ = Field::kPid;
      break;
    case 4:
      if (k == "comm") field_ = Field::kComm;
      else if (k == "path") field_ = Field::kPath;
      else if (k == "addr") field_ = Field::kAddr;
      else if (k == "tgid") field_ = Field::kTgid;
      else if (k == "argv") field_ = Field::kArgv;
      else if (k == "code") field_ = Field::kCode;
      break;
    case 5:
      if (k == "event") field_ = Field::kEvent;
      else if (k == "path2") field_ = Field::kPath2;
      break;
    case 6:
      if (k == "answer") field_ = Field::kAnswer;
      break;
    case 7:
      if (k == "syscall") field_ = Field::kSyscall;
      break;
    case 8:
      if (k == "category") field_ = Field::kCategory;
      break;
    default: break;
  }
  return true;
}

bool Sax::string(string_t& v) {
  DumpLine* l = l_;
  if (in_argv_) {
    l->argv.push_back(v);
    return true;
  }
  if (depth_ == 1) {
    switch (field_) {
      case Field::kEvent: l->event.swap(v), l->has_event = true; break;
      case Field::kComm: l->comm.swap(v), l->has_comm = true; break;
      case Field::kSyscall: l->syscall.swap(v), l->has_syscall = true; break;
      case Field::kPath: l->path.swap(v), l->has_path = true; break;
      case Field::kPath2: l->path2.swap(v), l->has_path2 = true; break;
      case Field::kAddr: l->addr.swap(v), l->has_addr = true; break;
      case Field::kCategory: l->category.swap(v), l->has_category = true; break;
      case Field::kAnswer: l->answer.swap(v); break;
      default: break;
    }
  }
  field_ = Field::kNone;
  return true;
}

bool Sax::Number(int64_t v) {
  DumpLine* l = l_;
  if (depth_ == 1) {
    if (field_ == Field::kPid) l->pid = v;
    else if (field_ == Field::kTgid) l->tgid = v;
    else if (field_ == Field::kCode) l->code = v;
  }
  field_ = Field::kNone;
  return true;
}

ProfileBuilder::ProfileBuilder(GenOptions opts) : opts_(std::move(opts)) {}

void ProfileBuilder::Problem(std::string what) {
  ++stats_.problems;
  if (problems_.size() < kMaxProblems) problems_.push_back(DumpProblem{stats_.lines, std::move(what)});
}

void ProfileBuilder::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(bytes);
      return;
    }
    if (partial_.empty()) {
      AddLine(bytes.substr(0, nl));
    } else {
      partial_.append(bytes.substr(0, nl));
      AddLine(partial_);
      partial_.clear();
    }
    bytes.remove_prefix(nl + 1);
  }
}

void ProfileBuilder::Finish() {
  if (partial_.empty()) return;
  std::string last;
  last.swap(partial_);
  AddLine(last);
}

void ProfileBuilder::AddLine(std::string_view text) {
  ++stats_.lines;
  static thread_local DumpLine line;
  line.Clear();
  if (text.find_first_not_of(" \t\r") == std::string_view::npos) return;  // blank
  if (text.size() > (1u << 20)) {
    Problem(fmt::format("a line of {} bytes (no dump line is this long)", text.size()));
    return;
  }
  Sax sax(&line);
  const bool ok = Json::sax_parse(text.begin(), text.end(), &sax, nlohmann::json::input_format_t::json, true);
  if (!ok) {
    Problem(sax.error.empty() ? "not JSON" : sax.error);
    return;
  }
  if (!sax.top_object) {
    Problem("not a JSON object");
    return;
  }
  if (!line.has_event) {
    Problem("no \"event\" field");
    return;
  }
  if (line.event == "call") {
    Take(line);
  } else if (line.event == "init") {
    if (stats_.saw_init) Problem("a second init line");
    stats_.saw_init = true;
    argv_ = line.argv;
  } else if (line.event == "exit") {
    stats_.saw_exit = true;
    stats_.exit_code = static_cast<int>(line.code);
  } else {
    Problem(fmt::format("unknown event \"{}\"", Printable(line.event.substr(0, 40))));
  }
}

uint32_t ProfileBuilder::CommId(const std::string& comm) {
  auto it = comm_ids_.find(comm);
  if (it != comm_ids_.end()) return it->second;
  const auto id = static_cast<uint32_t>(comm_names_.size());
  comm_names_.push_back(comm);
  comm_ids_.emplace(comm, id);
  return id;
}

void ProfileBuilder::Note(std::unordered_map<std::string, Use>& m, const std::string& key, uint32_t comm,
                          uint64_t* distinct) {
  auto it = m.find(key);
  if (it == m.end()) {
    it = m.emplace(key, Use{}).first;
    if (distinct) ++*distinct;
  }
  Use& u = it->second;
  ++u.count;
  if (std::find(u.comms.begin(), u.comms.end(), comm) == u.comms.end()) u.comms.push_back(comm);
}

void ProfileBuilder::Take(const DumpLine& l) {
  if (!l.has_syscall || l.syscall.empty()) {
    Problem("a call line without \"syscall\"");
    return;
  }
  ++stats_.calls;
  const uint32_t comm = CommId(l.has_comm ? l.comm : std::string("?"));
  if (l.pid > 0) pids_.insert(l.pid);
  if (l.tgid > 0) pids_.insert(l.tgid);
  if (l.syscall != "?") {
    auto before = syscalls_.size();
    Note(syscalls_, l.syscall, comm, nullptr);
    stats_.syscalls += syscalls_.size() - before;
  }
  if (!l.has_category) return;
  const std::string& cat = l.category;
  int pc = -1;
  if (cat == "read") pc = 0;
  else if (cat == "write") pc = 1;
  else if (cat == "exec") pc = 2;
  else if (cat == "stat") pc = 3;
  if (pc >= 0) {
    for (int i = 0; i < 2; ++i) {
      const bool has = i == 0 ? l.has_path : l.has_path2;
      const std::string& p = i == 0 ? l.path : l.path2;
      if (!has) continue;
      // Relative: sydbox could not resolve it; sydbox's own magic paths.
      if (p.empty() || p[0] != '/' || p == "/dev/sydbox" || p.compare(0, 12, "/dev/sydbox/") == 0) {
        ++stats_.skipped;
        continue;
      }
      Note(paths_[pc], p, comm, &stats_.paths);
    }
    // execvp tries each directory of PATH: the first exec that did not fail.
    if (pc == 2 && first_exec_.empty() && l.has_path && !l.path.empty() && l.path[0] == '/' && l.answer != "error")
      first_exec_ = l.path;
    return;
  }
  int dir = -1;
  if (cat == "net/bind" || cat == "network/bind") dir = 0;
  else if (cat == "net/connect" || cat == "network/connect") dir = 1;
  if (dir < 0) {
    Problem(fmt::format("unknown category \"{}\"", Printable(cat.substr(0, 40))));
    return;
  }
  if (!l.has_addr) return;  // sendto on a connected socket: no address
  const std::string& a = l.addr;
  if (a.compare(0, 5, "unix:") == 0 || a.compare(0, 14, "unix-abstract:") == 0 ||
      a.compare(0, 5, "inet:") == 0 || a.compare(0, 6, "inet6:") == 0) {
    Note(addrs_[dir], a, comm, &stats_.addresses);
  } else {
    ++stats_.skipped;  // other families (core/allowlist/unsupported_socket_families decides), "?"
  }
}

bool ProfileBuilder::TracesAllSyscalls() const {
  for (std::string_view s : kTracedOnly)
    if (syscalls_.count(std::string(s))) return true;
  return false;
}

// ---------------------------------------------------------------------
// Writing.

namespace {

struct Entry {
  uint64_t count = 0;
  std::vector<uint32_t> comms;
};

std::string UseComment(uint64_t count, std::vector<uint32_t> comms, const std::vector<std::string>& names) {
  std::vector<std::string> who;
  for (uint32_t c : comms) who.push_back(Printable(names[c]));
  std::sort(who.begin(), who.end());
  who.erase(std::unique(who.begin(), who.end()), who.end());
  constexpr size_t kShown = 8;
  std::string list;
  for (size_t i = 0; i < who.size() && i < kShown; ++i) list += (i ? ", " : "") + who[i];
  if (who.size() > kShown) list += fmt::format(" and {} more", who.size() - kShown);
  return fmt::format("# {} {} by {}\n", count, count == 1 ? "call" : "calls", list);
}

void Merge(std::map<std::string, Entry>* out, const std::string& key, uint64_t count,
           const std::vector<uint32_t>& comms) {
  Entry& e = (*out)[key];
  e.count += count;
  for (uint32_t c : comms)
    if (std::find(e.comms.begin(), e.comms.end(), c) == e.comms.end()) e.comms.push_back(c);
}

// An address as an allowlist pattern: a UNIX socket's path (a glob there)
// escaped like a path.
std::string AddrPattern(const std::string& a) {
  for (std::string_view prefix : {std::string_view("unix:"), std::string_view("unix-abstract:")}) {
    if (a.compare(0, prefix.size(), prefix) == 0) {
      std::string out(prefix);
      AppendEscaped(&out, std::string_view(a).substr(prefix.size()), true);
      return out;
    }
  }
  return a;
}

}  // namespace

std::string ProfileBuilder::Body() const {
  std::string out;
  out += "# Written by pandora from a sydbox dump: every category denied, each path,\n"
         "# address and system call the program used allowed.\n";
  for (const char* c : kCategories) out += fmt::format("core/sandbox/{}:deny\n", c);
  out += "core/sandbox/network:deny\n";
  out += "core/trace/magic_lock:on\n";
  for (int i = 0; i < 4; ++i) {
    std::map<std::string, Entry> sorted;
    for (const auto& [path, use] : paths_[i]) {
      if (i == 3 && std::find(opts_.ignore_stat.begin(), opts_.ignore_stat.end(), path) != opts_.ignore_stat.end())
        continue;
      Merge(&sorted, PathPattern(path, opts_.limit, opts_.home, pids_), use.count, use.comms);
    }
    out += fmt::format("\n# {}: {} {}\n", kCategories[i], sorted.size(), sorted.size() == 1 ? "entry" : "entries");
    for (const auto& [pattern, e] : sorted) {
      out += UseComment(e.count, e.comms, comm_names_);
      out += fmt::format("allowlist/{}+{}\n", kCategories[i], pattern);
    }
  }
  for (int i = 0; i < 2; ++i) {
    std::map<std::string, Entry> sorted;
    for (const auto& [addr, use] : addrs_[i]) Merge(&sorted, AddrPattern(addr), use.count, use.comms);
    out += fmt::format("\n# network/{}: {} {}\n", kDirections[i], sorted.size(),
                       sorted.size() == 1 ? "entry" : "entries");
    for (const auto& [pattern, e] : sorted) {
      out += UseComment(e.count, e.comms, comm_names_);
      out += fmt::format("allowlist/network/{}+{}\n", kDirections[i], pattern);
    }
  }
  const bool syscalls = opts_.syscalls == GenOptions::Syscalls::kYes ||
                        (opts_.syscalls == GenOptions::Syscalls::kAuto && TracesAllSyscalls());
  if (syscalls) {
    std::map<std::string, Entry> sorted;
    for (const auto& [name, use] : syscalls_) {
      bool plain = !name.empty();
      for (char c : name) plain = plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
      if (plain) Merge(&sorted, name, use.count, use.comms);
    }
    out += fmt::format("\n# system calls: {} (any other fails with ENOSYS)\n", sorted.size());
    for (const auto& [name, e] : sorted) {
      out += UseComment(e.count, e.comms, comm_names_);
      out += fmt::format("allowlist/syscall+^{}$\n", name);
    }
  } else {
    out += "\n# system calls: not listed (the dump does not hold every system call)\n";
  }
  return out;
}

}  // namespace syd::pandora
