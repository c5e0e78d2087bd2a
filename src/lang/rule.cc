// A small hand-written scanner: the set ends at the first ':' outside
// brackets (a /regex may contain ':' only inside them), items are split at
// ':' outside double quotes and brackets, and an integer expression is
// parsed by precedence climbing over the generated constant table.
#include "lang/rule.h"

#include <cctype>

#include "lang/constants.h"
#include "util/strings.h"

namespace syd::lang {
namespace {

// Splits at ':' outside "..." and (), [], {}. Unbalanced brackets or an
// open quote leave the rest as one item (its parser reports the error).
std::vector<std::pair<std::string_view, uint32_t>> SplitItems(std::string_view s, uint32_t base) {
  std::vector<std::pair<std::string_view, uint32_t>> out;
  int depth = 0;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '\\' && i + 1 < s.size()) ++i;
      else if (c == '"') quoted = false;
      continue;
    }
    if (c == '\\' && i + 1 < s.size()) { ++i; continue; }
    if (c == '"') quoted = true;
    else if (c == '(' || c == '[' || c == '{') ++depth;
    else if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
    else if (c == ':' && depth == 0) {
      out.emplace_back(s.substr(start, i - start), base + static_cast<uint32_t>(start));
      start = i + 1;
    }
  }
  out.emplace_back(s.substr(start), base + static_cast<uint32_t>(start));
  return out;
}

struct ExprParser {
  std::string_view s;
  size_t i = 0;
  int depth = 0;  // nesting of the recursive descent, bounded: hostile input must not exhaust the stack

  void Skip() { while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i; }

  // Counts one level of nesting for the life of a Primary() or Binary().
  struct Nest {
    int& d;
    explicit Nest(int& depth_ref) : d(++depth_ref) {}
    ~Nest() { --d; }
  };

  Result<uint64_t> Primary() {
    Nest nest(depth);
    if (depth > kMaxExprDepth)
      return FailAt(static_cast<uint32_t>(i), fmt::format("expression nested deeper than {} levels", kMaxExprDepth));
    Skip();
    if (i >= s.size()) return FailAt(static_cast<uint32_t>(i), "expected a number or a constant");
    char c = s[i];
    if (c == '(') {
      ++i;
      SYD_TRY(v, Binary(0));
      Skip();
      if (i >= s.size() || s[i] != ')') return FailAt(static_cast<uint32_t>(i), "expected ')'");
      ++i;
      return v;
    }
    if (c == '~') { ++i; SYD_TRY(v, Primary()); return ~v; }
    if (c == '-') { ++i; SYD_TRY(v, Primary()); return static_cast<uint64_t>(-static_cast<int64_t>(v)); }
    if (c == '+') { ++i; return Primary(); }
    size_t start = i;
    if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i < s.size() && std::isalnum(static_cast<unsigned char>(s[i]))) ++i;
      std::string num(s.substr(start, i - start));
      char* end = nullptr;
      errno = 0;
      uint64_t v = std::strtoull(num.c_str(), &end, 0);
      if (errno || *end) return FailAt(static_cast<uint32_t>(start), fmt::format("bad number '{}'", num));
      return v;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '_')) ++i;
      std::string_view name = s.substr(start, i - start);
      if (auto v = LookupConstant(name)) return *v;
      return FailAt(static_cast<uint32_t>(start), fmt::format("unknown constant '{}'", name));
    }
    return FailAt(static_cast<uint32_t>(i), fmt::format("unexpected '{}' in expression", c));
  }

  // Binary operators by C precedence (higher binds tighter).
  static int Prec(std::string_view op) {
    if (op == "*" || op == "/") return 5;
    if (op == "+" || op == "-") return 4;
    if (op == "<<" || op == ">>") return 3;
    if (op == "&") return 2;
    if (op == "^") return 1;
    if (op == "|") return 0;
    return -1;
  }

  std::string_view PeekOp() {
    Skip();
    if (i >= s.size()) return {};
    if (s.substr(i, 2) == "<<" || s.substr(i, 2) == ">>") return s.substr(i, 2);
    if (std::string_view("*/+-&^|").find(s[i]) != std::string_view::npos) return s.substr(i, 1);
    return {};
  }

  Result<uint64_t> Binary(int min_prec) {
    Nest nest(depth);
    if (depth > kMaxExprDepth)
      return FailAt(static_cast<uint32_t>(i), fmt::format("expression nested deeper than {} levels", kMaxExprDepth));
    SYD_TRY(lhs, Primary());
    for (;;) {
      std::string_view op = PeekOp();
      int p = op.empty() ? -1 : Prec(op);
      if (p < min_prec) return lhs;
      size_t at = i;
      i += op.size();
      SYD_TRY(rhs, Binary(p + 1));
      if (op == "*") lhs *= rhs;
      else if (op == "/") {
        if (rhs == 0) return FailAt(static_cast<uint32_t>(at), "division by zero");
        lhs /= rhs;
      } else if (op == "+") lhs += rhs;
      else if (op == "-") lhs -= rhs;
      else if (op == "<<") lhs = rhs >= 64 ? 0 : lhs << rhs;
      else if (op == ">>") lhs = rhs >= 64 ? 0 : lhs >> rhs;
      else if (op == "&") lhs &= rhs;
      else if (op == "^") lhs ^= rhs;
      else lhs |= rhs;
    }
  }
};

// "..." with \" and \\ unescaped (other backslashes are kept: regexes).
Result<std::string> Quoted(std::string_view v, uint32_t col) {
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return FailAt(col, "expected a double-quoted string");
  std::string out;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size() && (v[i + 1] == '"' || v[i + 1] == '\\')) {
      out += v[++i];
    } else if (v[i] == '"') {
      return FailAt(col + static_cast<uint32_t>(i), "unescaped '\"' inside a string");
    } else {
      out += v[i];
    }
  }
  return out;
}

Result<int64_t> NamedNumber(std::string_view v, uint32_t col, std::string_view what) {
  if (v.empty()) return FailAt(col, fmt::format("{} needs a value", what));
  if (auto n = ParseInt(v)) return *n;
  if (auto c = LookupConstant(v)) return static_cast<int64_t>(*c);
  return FailAt(col, fmt::format("unknown {} '{}'", what, v));
}

Result<RuleCond> ParseCond(std::string_view item, uint32_t col) {
  RuleCond c;
  c.column = col;
  size_t i = 3;
  if (item.size() < 4) return FailAt(col, "incomplete argument condition");
  if (item[3] == '_') {
    c.arg = -1;
  } else if (item[3] >= '0' && item[3] <= '5') {
    c.arg = item[3] - '0';
  } else {
    return FailAt(col + 3, "argument must be arg0..arg5 or arg_");
  }
  i = 4;
  struct OpText { std::string_view text; CondOp op; };
  static const OpText kOps[] = {
      {"!=", CondOp::kNe}, {"!&", CondOp::kNoBits}, {"!~", CondOp::kNotRegex}, {"!*", CondOp::kNotGlob},
      {">=", CondOp::kGe}, {"<=", CondOp::kLe}, {"=~", CondOp::kRegex}, {"=*", CondOp::kGlob},
      {"@~", CondOp::kAddrIn}, {"@!", CondOp::kAddrNotIn}, {"=", CondOp::kEq}, {">", CondOp::kGt},
      {"<", CondOp::kLt}, {"&", CondOp::kAnyBits},
  };
  std::string_view rest = item.substr(i);
  const OpText* found = nullptr;
  for (const OpText& o : kOps) {
    if (StartsWith(rest, o.text)) {
      found = &o;
      break;
    }
  }
  if (!found) return FailAt(col + static_cast<uint32_t>(i), "expected an operator (= != > >= < <= & !& =~ !~ =* !* @~ @!)");
  c.op = found->op;
  std::string_view value = rest.substr(found->text.size());
  uint32_t vcol = col + static_cast<uint32_t>(i + found->text.size());
  if (value.empty()) return FailAt(vcol, "missing value");
  if (value[0] == '"' && (c.op == CondOp::kEq || c.op == CondOp::kNe)) {
    // An exact string comparison; the empty string is a string like any
    // other here (execveat's "" with AT_EMPTY_PATH).
    c.op = c.op == CondOp::kEq ? CondOp::kStrEq : CondOp::kStrNe;
    SYD_TRY(text, Quoted(value, vcol));
    c.text = std::move(text);
    return c;
  }
  if (IsArithmetic(c.op)) {
    if (value[0] == '"')
      return FailAt(vcol, fmt::format("'{}' compares numbers, not strings (strings take = != =~ !~ =* !*)",
                                      found->text));
    ExprParser p{value};
    auto v = p.Binary(0);
    if (!v) return FailAt(vcol + v.error().column, v.error().what);
    p.Skip();
    if (p.i != value.size()) return FailAt(vcol + static_cast<uint32_t>(p.i), "unexpected text after the expression");
    c.value = *v;
    return c;
  }
  SYD_TRY(text, Quoted(value, vcol));
  if (text.empty()) return FailAt(vcol, "empty string");
  c.text = std::move(text);
  return c;
}

Result<RuleOption> ParseOption(std::string_view item, uint32_t col) {
  RuleOption o;
  o.column = col;
  size_t eq = item.find('=');
  std::string_view key = item.substr(0, eq);
  std::string_view val = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
  uint32_t vcol = col + static_cast<uint32_t>(key.size() + 1);
  struct K { std::string_view name; OptKind kind; };
  static const K kKeys[] = {
      {"allow", OptKind::kAllow}, {"fault", OptKind::kFault}, {"trap", OptKind::kTrap},
      {"retval", OptKind::kRetval}, {"error", OptKind::kError}, {"kill_process", OptKind::kKillProcess},
      {"kill_thread", OptKind::kKillThread}, {"detach_process", OptKind::kDetachProcess},
      {"detach_thread", OptKind::kDetachThread}, {"log", OptKind::kLog}, {"command", OptKind::kCommand},
      {"cmdline", OptKind::kCmdline}, {"load", OptKind::kLoad},
  };
  const K* k = nullptr;
  for (const K& e : kKeys)
    if (e.name == key) k = &e;
  if (!k) return FailAt(col, fmt::format("unknown option '{}'", key));
  o.kind = k->kind;
  switch (o.kind) {
    case OptKind::kAllow:
      if (eq != std::string_view::npos) return FailAt(vcol, "'allow' takes no value");
      return o;
    case OptKind::kFault:
    case OptKind::kError:
    case OptKind::kTrap: {
      SYD_TRY(n, NamedNumber(val, vcol, "errno"));
      if (n < 0 || n > 4095) return FailAt(vcol, "errno out of range");
      o.number = n;
      return o;
    }
    case OptKind::kRetval: {
      SYD_TRY(n, NamedNumber(val, vcol, "value"));
      o.number = n;
      return o;
    }
    case OptKind::kKillProcess:
    case OptKind::kKillThread:
    case OptKind::kDetachProcess:
    case OptKind::kDetachThread: {
      SYD_TRY(n, NamedNumber(val, vcol, "signal"));
      if (n < 0 || n > 64) return FailAt(vcol, "signal out of range");
      o.number = n;
      return o;
    }
    case OptKind::kLog:
      if (val == "syslog") {
        o.number = -1;
        return o;
      } else {
        auto n = ParseInt(val);
        if (!n || *n < 0 || *n > 65535) return FailAt(vcol, "log= wants a descriptor number or 'syslog'");
        o.number = *n;
        return o;
      }
    case OptKind::kCommand:
    case OptKind::kCmdline:
      if (val.empty()) return FailAt(vcol, fmt::format("{}= needs a regex", key));
      if (val[0] == '"') {
        SYD_TRY(q, Quoted(val, vcol));
        o.text = std::move(q);
      } else {
        o.text = std::string(val);
      }
      return o;
    case OptKind::kLoad:
      if (val.empty()) return FailAt(vcol, "load= needs a module (a name or a path to a .so)");
      o.text = std::string(val);
      return o;
  }
  return o;
}

}  // namespace

bool IsArithmetic(CondOp op) { return op <= CondOp::kNoBits; }
bool IsStringOp(CondOp op) { return op >= CondOp::kRegex && op <= CondOp::kStrNe; }
bool IsAddressOp(CondOp op) { return op == CondOp::kAddrIn || op == CondOp::kAddrNotIn; }

std::string_view CondOpText(CondOp op) {
  static const char* kText[] = {"=", "!=", ">", ">=", "<", "<=", "&", "!&", "=~", "!~", "=*", "!*", "=", "!=", "@~", "@!"};
  return kText[static_cast<int>(op)];
}

std::string_view RuleActionName(RuleAction a) {
  switch (a) {
    case RuleAction::kKillProcess: return "kill_process";
    case RuleAction::kKillThread: return "kill_thread";
    case RuleAction::kFault: return "fault";
    case RuleAction::kTrap: return "trap";
    case RuleAction::kLog: return "log";
    case RuleAction::kAllow: return "allow";
    case RuleAction::kTrace: return "trace";
  }
  return "?";
}

Result<uint64_t> EvalExpression(std::string_view text) {
  ExprParser p{text};
  SYD_TRY(v, p.Binary(0));
  p.Skip();
  if (p.i != text.size()) return FailAt(static_cast<uint32_t>(p.i) + 1, "unexpected text after the expression");
  return v;
}

Result<Rule> ParseRule(const Command& cmd) {
  Rule r;
  std::string_view action = std::string_view(cmd.key).substr(4);
  if (action == "kill_process") r.action = RuleAction::kKillProcess;
  else if (action == "kill_thread") r.action = RuleAction::kKillThread;
  else if (action == "fault") r.action = RuleAction::kFault;
  else if (action == "trap") r.action = RuleAction::kTrap;
  else if (action == "log") r.action = RuleAction::kLog;
  else if (action == "allow") r.action = RuleAction::kAllow;
  else if (action == "trace" || action == "user") r.action = RuleAction::kTrace;
  else return FailAt(5, fmt::format("unknown action '{}' (kill_process, kill_thread, fault, trap, log, allow, trace)", action));
  if (cmd.op != Op::kAppend && cmd.op != Op::kPrepend && cmd.op != Op::kRemove)
    return FailAt(static_cast<uint32_t>(cmd.key.size() + 1), "a sys/ rule takes '+', '^' or '-'");
  const uint32_t base = static_cast<uint32_t>(cmd.key.size() + 2);  // column of the value's first byte
  auto items = SplitItems(cmd.value, base);
  r.set_text = std::string(items[0].first);
  r.set_column = items[0].second;
  if (Trim(r.set_text).empty()) return FailAt(base, "missing system call set");
  for (size_t k = 1; k < items.size(); ++k) {
    auto [item, col] = items[k];
    if (item.empty()) return FailAt(col, "empty condition or option");
    if (!r.options.empty() && r.options.back().kind == OptKind::kLoad) {
      // Everything after load=NAME is the module's: KEY=VAL options, kept
      // as written (the module says what it makes of them).
      RuleOption& load = r.options.back();
      load.text += ':';
      load.text += item;
      continue;
    }
    if (StartsWith(item, "arg")) {
      SYD_TRY(c, ParseCond(item, col));
      r.conds.push_back(std::move(c));
    } else {
      SYD_TRY(o, ParseOption(item, col));
      r.options.push_back(std::move(o));
    }
  }
  // Which options go with which action.
  for (const RuleOption& o : r.options) {
    bool ok = true;
    switch (o.kind) {
      case OptKind::kError: ok = r.action == RuleAction::kFault || r.action == RuleAction::kTrap; break;
      case OptKind::kRetval: ok = r.action == RuleAction::kTrap || r.action == RuleAction::kTrace; break;
      case OptKind::kCommand:
      case OptKind::kCmdline: break;
      case OptKind::kLog: ok = r.action == RuleAction::kTrace || r.action == RuleAction::kLog; break;
      case OptKind::kLoad:
        ok = r.action == RuleAction::kTrace;
        if (ok) {
          // The module decides the call: no other outcome beside it.
          for (const RuleOption& other : r.options) {
            switch (other.kind) {
              case OptKind::kLog:
              case OptKind::kCommand:
              case OptKind::kCmdline:
              case OptKind::kLoad: break;
              default:
                return FailAt(other.column, "a rule with load= lets its module decide: no other outcome option");
            }
          }
        }
        break;
      default: ok = r.action == RuleAction::kTrace; break;
    }
    if (!ok) return FailAt(o.column, fmt::format("this option does not apply to a {} rule", RuleActionName(r.action)));
  }
  return r;
}

}  // namespace syd::lang
