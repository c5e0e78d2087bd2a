// The dump is read with nlohmann-json's SAX interface: a line's values go
// straight into the few strings the profile needs (reused from line to
// line), with no document built, so a million lines take about a second.
// Uses are counted in hash maps while reading; sorting, --limit trimming
// and the /proc/PID generalisation happen once, in Body().
#include "pandora/profile_gen.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
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
        for (auto c : Components(std::string_view(place).substr(1))) v.emplace_back(c);
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

namespace {

enum class Field { kNone, kNr, kAnswer, kEvent, kComm, kSyscall, kPath, kPath2, kAddr, kCategory, kPid, kTgid, kCode, kArgv };

// Keys of up to 8 bytes as one number (little-endian), compared at once.
constexpr uint64_t Pack(std::string_view k) {
  uint64_t v = 0;
  for (size_t i = 0; i < k.size() && i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(k[i])) << (8 * i);
  return v;
}

Field FieldOf(std::string_view k) {
  if (k.size() > 8) return Field::kNone;
  uint64_t v = 0;
  for (size_t i = 0; i < k.size(); ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(k[i])) << (8 * i);
  switch (v) {
    case Pack("nr"): return Field::kNr;
    case Pack("pid"): return Field::kPid;
    case Pack("comm"): return Field::kComm;
    case Pack("path"): return Field::kPath;
    case Pack("addr"): return Field::kAddr;
    case Pack("tgid"): return Field::kTgid;
    case Pack("argv"): return Field::kArgv;
    case Pack("code"): return Field::kCode;
    case Pack("event"): return Field::kEvent;
    case Pack("path2"): return Field::kPath2;
    case Pack("answer"): return Field::kAnswer;
    case Pack("syscall"): return Field::kSyscall;
    case Pack("category"): return Field::kCategory;
    default: return Field::kNone;
  }
}

}  // namespace

// What one line says; the strings are reused from line to line.
struct DumpLine {
  // Views into the line itself, or into `store` when decoding changed the
  // bytes (escapes) or the general reader parsed the line.
  std::string_view event, comm, syscall, path, path2, addr, category, answer;
  bool has_event = false, has_syscall = false, has_path = false, has_path2 = false, has_addr = false,
       has_category = false, has_comm = false;
  int64_t pid = -1, tgid = -1, code = -1, nr = -1;
  std::vector<std::string> argv;
  std::string store[8];
  void Clear() {
    answer = {};
    has_event = has_syscall = has_path = has_path2 = has_addr = has_category = has_comm = false;
    pid = tgid = code = nr = -1;
    argv.clear();
  }
  // The view for a field, its flag and its backing string (null: not kept).
  std::string_view* Slot(Field f, bool** has, std::string** backing) {
    static bool ignored;
    *has = &ignored;
    std::string_view* v = nullptr;
    size_t i = 0;
    switch (f) {
      case Field::kEvent: *has = &has_event, v = &event, i = 0; break;
      case Field::kComm: *has = &has_comm, v = &comm, i = 1; break;
      case Field::kSyscall: *has = &has_syscall, v = &syscall, i = 2; break;
      case Field::kPath: *has = &has_path, v = &path, i = 3; break;
      case Field::kPath2: *has = &has_path2, v = &path2, i = 4; break;
      case Field::kAddr: *has = &has_addr, v = &addr, i = 5; break;
      case Field::kCategory: *has = &has_category, v = &category, i = 6; break;
      case Field::kAnswer: v = &answer, i = 7; break;
      default: return nullptr;
    }
    *backing = &store[i];
    return v;
  }
  void Number(Field f, int64_t v) {
    if (f == Field::kPid) pid = v;
    else if (f == Field::kTgid) tgid = v;
    else if (f == Field::kCode) code = v;
    else if (f == Field::kNr) nr = v;
  }
};

namespace {

using Json = nlohmann::json;

// sydbox writes each byte of a path as one code point (\u00XX for bytes
// 0x7f to 0xff); nlohmann gives such a string back as UTF-8. Back to the
// bytes when every code point is below 0x100.
void Latin1Bytes(std::string* s) {
  bool high = false;
  for (char c : *s) high = high || (static_cast<unsigned char>(c) & 0x80);
  if (!high) return;
  std::string out;
  for (size_t i = 0; i < s->size(); ++i) {
    const auto c = static_cast<unsigned char>((*s)[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if ((c == 0xc2 || c == 0xc3) && i + 1 < s->size()) {
      out += static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>((*s)[i + 1]) & 0x3f));
      ++i;
    } else {
      return;  // a code point above 0xff: not sydbox's, left as UTF-8
    }
  }
  s->swap(out);
}

// The general reader (and the one that explains what is wrong with a
// line): nlohmann's SAX parser, keeping the top-level fields the profile
// needs; nested values other than init's argv are skipped.
class Sax : public nlohmann::json_sax<Json> {
 public:
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
  bool string(string_t& v) override {
    Latin1Bytes(&v);
    if (in_argv_) {
      l_->argv.push_back(v);
      return true;
    }
    if (depth_ == 1) {
      bool* has;
      std::string* backing;
      if (std::string_view* slot = l_->Slot(field_, &has, &backing)) {
        backing->swap(v);
        *slot = *backing;
        *has = true;
      }
    }
    return Value();
  }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override {
    if (depth_ == 0) top_object = true;
    ++depth_;
    field_ = Field::kNone;
    return true;
  }
  bool key(string_t& k) override {
    field_ = depth_ == 1 ? FieldOf(k) : Field::kNone;
    return true;
  }
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
  bool Number(int64_t v) {
    if (depth_ == 1) l_->Number(field_, v);
    return Value();
  }

  DumpLine* l_;
  int depth_ = 0;
  Field field_ = Field::kNone;
  bool in_argv_ = false;
};

// Bytes a string holds as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return t;
}();

// The fast reader: a strict subset of JSON, what sydbox writes (compact,
// ASCII, \u00XX for bytes). It accepts nothing that is not JSON; whatever
// it does not know (blanks, \u above 0xff, raw non-ASCII bytes, deep
// nesting, a number too big) it leaves to the general reader, which
// decides and explains.
class Fast {
 public:
  Fast(std::string_view s, DumpLine* l) : p_(s.data()), end_(s.data() + s.size()), l_(l) {}

  // true: parsed and kept; false: let the general reader decide.
  bool Line() {
    if (!Object(0)) return false;
    return p_ == end_;
  }

 private:
  bool Eat(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  // A string into `out` (null: checked and dropped).
  bool String(std::string* out) {
    if (!Eat('"')) return false;
    if (out) out->clear();
    for (;;) {
      const char* run = p_;
      while (p_ < end_ && kPlain[static_cast<unsigned char>(*p_)]) ++p_;
      if (out) out->append(run, static_cast<size_t>(p_ - run));
      if (p_ >= end_) return false;
      if (*p_ == '"') {
        ++p_;
        return true;
      }
      if (*p_ != '\\') return false;  // control character or non-ASCII byte
      if (end_ - p_ < 2) return false;
      char c = p_[1];
      p_ += 2;
      switch (c) {
        case '"': case '\\': case '/': break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u': {
          if (end_ - p_ < 4 || p_[0] != '0' || p_[1] != '0') return false;
          int v = 0;
          for (int i = 2; i < 4; ++i) {
            const char h = p_[i];
            v <<= 4;
            if (h >= '0' && h <= '9') v |= h - '0';
            else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
            else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
            else return false;
          }
          p_ += 4;
          c = static_cast<char>(v);
          break;
        }
        default: return false;
      }
      if (out) out->push_back(c);
    }
  }

  // A string as a view of the line when it has no escapes, else decoded
  // into `backing`.
  bool View(std::string_view* out, std::string* backing) {
    if (!Eat('"')) return false;
    const char* run = p_;
    while (p_ < end_ && kPlain[static_cast<unsigned char>(*p_)]) ++p_;
    if (p_ < end_ && *p_ == '"') {
      *out = std::string_view(run, static_cast<size_t>(p_ - run));
      ++p_;
      return true;
    }
    p_ = run - 1;
    if (!String(backing)) return false;
    *out = *backing;
    return true;
  }

  // A JSON number; `*v` set when it is an integer that fits.
  bool Number(int64_t* v, bool* integer) {
    const char* start = p_;
    const bool neg = Eat('-');
    if (p_ >= end_) return false;
    uint64_t n = 0;
    bool fits = true;
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
        if (n > (UINT64_MAX - 9) / 10) fits = false;
        n = n * 10 + static_cast<uint64_t>(*p_ - '0');
        ++p_;
      }
    } else {
      return false;
    }
    *integer = true;
    if (Eat('.')) {
      *integer = false;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      *integer = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    if (!*integer || !fits) {
      // What overflows a double is no JSON number to nlohmann-json (found
      // by fuzz_dump: 1E7603): the general reader decides.
      const std::string token(start, p_);
      if (!std::isfinite(std::strtod(token.c_str(), nullptr))) return false;
    }
    if (*integer) {
      if (!fits || n > static_cast<uint64_t>(INT64_MAX)) *v = -1;
      else *v = neg ? -static_cast<int64_t>(n) : static_cast<int64_t>(n);
    }
    return p_ > start;
  }

  bool Literal(std::string_view w) {
    if (static_cast<size_t>(end_ - p_) < w.size() || std::string_view(p_, w.size()) != w) return false;
    p_ += w.size();
    return true;
  }

  // Any value; at depth 1 the fields are kept.
  bool Value(int depth, Field f) {
    if (p_ >= end_) return false;
    switch (*p_) {
      case '"': {
        if (depth != 1 || f == Field::kNone) return String(nullptr);
        bool* has;
        std::string* backing;
        std::string_view* slot = l_->Slot(f, &has, &backing);
        if (!slot) return String(nullptr);
        *has = true;
        return View(slot, backing);
      }
      case '{': return Object(depth);
      case '[': return Array(depth, depth == 1 && f == Field::kArgv);
      case 'n': return Literal("null");
      case 't': return Literal("true");
      case 'f': return Literal("false");
      default: {
        int64_t v = -1;
        bool integer = false;
        if (!Number(&v, &integer)) return false;
        if (depth == 1 && integer) l_->Number(f, v);
        return true;
      }
    }
  }

  bool Object(int depth) {
    if (depth > 16 || !Eat('{')) return false;
    if (Eat('}')) return true;
    for (;;) {
      Field f = Field::kNone;
      if (depth == 0) {
        std::string_view key;
        if (!View(&key, &key_)) return false;
        f = FieldOf(key);
      } else if (!String(nullptr)) {
        return false;
      }
      if (!Eat(':') || !Value(depth + 1, f)) return false;
      if (Eat('}')) return true;
      if (!Eat(',')) return false;
    }
  }

  bool Array(int depth, bool argv) {
    if (depth > 16 || !Eat('[')) return false;
    if (Eat(']')) return true;
    for (;;) {
      if (argv) {
        if (p_ < end_ && *p_ == '"') {
          l_->argv.emplace_back();
          if (!String(&l_->argv.back())) return false;
        } else if (!Value(depth + 1, Field::kNone)) {
          return false;
        }
      } else if (!Value(depth + 1, Field::kNone)) {
        return false;
      }
      if (Eat(']')) return true;
      if (!Eat(',')) return false;
    }
  }

  const char* p_;
  const char* end_;
  DumpLine* l_;
  std::string key_;
};

}  // namespace

bool FastReaderAccepts(std::string_view line) {
  DumpLine l;
  return Fast(line, &l).Line();
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
  if (!Fast(text, &line).Line()) {
    line.Clear();
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

uint32_t ProfileBuilder::CommId(std::string_view comm) {
  auto it = comm_ids_.find(comm);
  if (it != comm_ids_.end()) return it->second;
  const auto id = static_cast<uint32_t>(comm_names_.size());
  comm_names_.emplace_back(comm);
  comm_ids_.emplace(std::string(comm), id);
  return id;
}

void ProfileBuilder::Note(ViewMap<Use>& m, std::string_view key, uint32_t comm, uint64_t* distinct) {
  auto it = m.find(key);
  if (it == m.end()) {
    it = m.emplace(std::string(key), Use{}).first;
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
  // The same command and process as the line before, most of the time.
  const std::string_view comm_name = l.has_comm ? l.comm : std::string_view("?");
  if (last_comm_id_ == UINT32_MAX || comm_name != comm_names_[last_comm_id_]) last_comm_id_ = CommId(comm_name);
  const uint32_t comm = last_comm_id_;
  if (l.pid > 0 && l.pid != last_pid_) pids_.insert(last_pid_ = l.pid);
  if (l.tgid > 0 && l.tgid != last_tgid_) pids_.insert(last_tgid_ = l.tgid);
  if (l.syscall != "?") {
    // By number, checked against the name (a dump may be hand-made).
    Use* use = nullptr;
    if (l.nr >= 0 && l.nr < static_cast<int64_t>(by_nr_.size()) && by_nr_[static_cast<size_t>(l.nr)].first &&
        *by_nr_[static_cast<size_t>(l.nr)].first == l.syscall)
      use = by_nr_[static_cast<size_t>(l.nr)].second;
    if (!use) {
      auto it = syscalls_.find(l.syscall);
      if (it == syscalls_.end()) {
        it = syscalls_.emplace(std::string(l.syscall), Use{}).first;
        ++stats_.syscalls;
      }
      use = &it->second;
      if (l.nr >= 0 && l.nr < static_cast<int64_t>(by_nr_.size())) by_nr_[static_cast<size_t>(l.nr)] = {&it->first, use};
    }
    ++use->count;
    if (std::find(use->comms.begin(), use->comms.end(), comm) == use->comms.end()) use->comms.push_back(comm);
  }
  if (!l.has_category) return;
  const std::string_view cat = l.category;
  int pc = -1;
  if (cat == "read") pc = 0;
  else if (cat == "write") pc = 1;
  else if (cat == "exec") pc = 2;
  else if (cat == "stat") pc = 3;
  if (pc >= 0) {
    for (int i = 0; i < 2; ++i) {
      const bool has = i == 0 ? l.has_path : l.has_path2;
      const std::string_view p = i == 0 ? l.path : l.path2;
      if (!has) continue;
      // Relative: sydbox could not resolve it; sydbox's own magic paths.
      if (p.empty() || p[0] != '/' || (p.substr(0, 11) == "/dev/sydbox" && (p.size() == 11 || p[11] == '/'))) {
        ++stats_.skipped;
        continue;
      }
      Note(paths_[pc], p, comm, &stats_.paths);
    }
    // execvp tries each directory of PATH: the first exec that did not fail.
    if (pc == 2 && first_exec_.empty() && l.has_path && !l.path.empty() && l.path[0] == '/' && l.answer != "error")
      first_exec_ = std::string(l.path);
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
  const std::string_view a = l.addr;
  if (a.substr(0, 5) == "unix:" || a.substr(0, 14) == "unix-abstract:" || a.substr(0, 5) == "inet:" ||
      a.substr(0, 6) == "inet6:") {
    Note(addrs_[dir], a, comm, &stats_.addresses);
  } else {
    ++stats_.skipped;  // other families (core/allowlist/unsupported_socket_families decides), "?"
  }
}

bool ProfileBuilder::TracesAllSyscalls() const {
  for (std::string_view s : kTracedOnly)
    if (syscalls_.find(s) != syscalls_.end()) return true;
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
