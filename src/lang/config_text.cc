// Line-oriented syd files are trivial; TOML goes through toml++ and every
// key path is turned back into the magic command it stands for, so TOML
// and .syd-3 profiles lower through exactly the same code.
#include "lang/config_text.h"

// Header-only and exception-free: errors come back as values like ours.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <algorithm>

#include "util/strings.h"

namespace syd::lang {
namespace {

Result<std::vector<ConfigItem>> ParseSyd(std::string_view text, std::string_view name) {
  std::vector<ConfigItem> items;
  uint32_t lineno = 0;
  for (std::string_view raw : Split(text, '\n')) {
    ++lineno;
    std::string_view line = Trim(raw);
    if (line.empty() || line[0] == '#') continue;
    Origin origin{std::string(name), lineno};
    if (line.find('\0') != std::string_view::npos)
      return Failf("{}: NUL byte in line", origin.ToString());
    if (StartsWith(line, "include") && line.size() > 7 && (line[7] == ' ' || line[7] == '\t')) {
      std::string_view path = Trim(line.substr(7));
      if (path.empty()) return Failf("{}: include needs a path", origin.ToString());
      items.emplace_back(Include{std::string(path), origin});
      continue;
    }
    // Values keep inner whitespace but not trailing blanks.
    auto cmd = ParseCommand(line, origin);
    if (!cmd) return Failf("{}: {}", origin.ToString(), cmd.error().what);
    items.emplace_back(std::move(*cmd));
  }
  return items;
}

std::string TomlScalar(const toml::node& n, bool* ok) {
  *ok = true;
  if (auto s = n.value<std::string>()) return *s;
  if (n.is_boolean()) return *n.value<bool>() ? "true" : "false";
  if (n.is_integer()) return std::to_string(*n.value<int64_t>());
  *ok = false;
  return {};
}

// A config item and where it was written (line, column), so that items
// are applied in the order of the file: toml++ keeps a table's keys in name
// order, and the first matching list entry wins.
struct Placed {
  toml::source_position at;
  ConfigItem item;
};

Status FromToml(const toml::table& table, const std::string& prefix, std::string_view name,
                std::vector<Placed>* out) {
  for (const auto& [k, node] : table) {
    std::string key = prefix.empty() ? std::string(k.str()) : prefix + "/" + std::string(k.str());
    Origin origin{std::string(name), static_cast<uint32_t>(node.source().begin.line)};
    if (const toml::table* sub = node.as_table()) {
      SYD_TRY_STATUS(FromToml(*sub, key, name, out));
      continue;
    }
    if (key == "include" || key == "rules") {
      const toml::array* arr = node.as_array();
      if (!arr) return Failf("{}: '{}' must be an array of strings", origin.ToString(), key);
      for (const auto& el : *arr) {
        Origin eo{std::string(name), static_cast<uint32_t>(el.source().begin.line)};
        auto s = el.value<std::string>();
        if (!s) return Failf("{}: '{}' must hold strings", eo.ToString(), key);
        if (key == "include") {
          out->push_back(Placed{el.source().begin, Include{*s, eo}});
        } else {
          auto cmd = ParseCommand(*s, eo);
          if (!cmd) return Failf("{}: {}", eo.ToString(), cmd.error().what);
          out->push_back(Placed{el.source().begin, std::move(*cmd)});
        }
      }
      continue;
    }
    auto push = [&](const toml::node& v, Op op) -> Status {
      Origin vo{std::string(name), static_cast<uint32_t>(v.source().begin.line)};
      bool ok = false;
      std::string value = TomlScalar(v, &ok);
      if (!ok) return Failf("{}: '{}' needs a string, boolean or integer", vo.ToString(), key);
      std::string text = key + static_cast<char>(op) + value;
      auto cmd = ParseCommand(text, vo);
      if (!cmd) return Failf("{}: {}", vo.ToString(), cmd.error().what);
      out->push_back(Placed{v.source().begin, std::move(*cmd)});
      return {};
    };
    if (const toml::array* arr = node.as_array()) {
      for (const auto& el : *arr) SYD_TRY_STATUS(push(el, Op::kAppend));
    } else {
      SYD_TRY_STATUS(push(node, Op::kSet));
    }
  }
  return {};
}

}  // namespace

// Debian 12's toml++ 3.3.0 reaches __builtin_unreachable() (undefined
// behaviour) on some non-ASCII characters (incomplete switches in its
// generated Unicode tables; found by our fuzzer). So toml++ only ever gets
// ASCII: non-ASCII text in a double-quoted string becomes a \UXXXXXXXX
// escape, in a comment it is blanked, anywhere else it is an error. Even
// where this scanner and toml++ disagree about where a string starts (on
// broken input), no byte >= 0x80 reaches toml++.
Result<std::string> AsciiToml(std::string_view text, std::string_view name) {
  enum { kCode, kComment, kBasic, kLiteral, kMlBasic, kMlLiteral } st = kCode;
  std::string out;
  out.reserve(text.size());
  uint32_t line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char ch = static_cast<unsigned char>(text[i]);
    const std::string_view rest = text.substr(i);
    if (ch >= 0x80) {
      if (st == kComment) {
        out += ' ';
        continue;
      }
      if (st != kBasic && st != kMlBasic)
        return Failf("{}:{}: non-ASCII text is only allowed in double-quoted strings and comments", name, line);
      // Decode one UTF-8 sequence.
      int len = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : ch >= 0xc0 ? 2 : 0;
      if (len == 0 || i + len > text.size()) return Failf("{}:{}: invalid UTF-8", name, line);
      uint32_t cp = ch & (0x7f >> len);
      for (int k = 1; k < len; ++k) {
        unsigned char cc = static_cast<unsigned char>(text[i + k]);
        if ((cc & 0xc0) != 0x80) return Failf("{}:{}: invalid UTF-8", name, line);
        cp = (cp << 6) | (cc & 0x3f);
      }
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0x80)
        return Failf("{}:{}: invalid UTF-8", name, line);
      out += fmt::format("\\U{:08X}", cp);
      i += len - 1;
      continue;
    }
    out += static_cast<char>(ch);
    if (ch == '\n') {
      ++line;
      if (st == kComment) st = kCode;
      continue;
    }
    switch (st) {
      case kCode:
        if (ch == '#') st = kComment;
        else if (StartsWith(rest, "\"\"\"")) { st = kMlBasic; out += "\"\""; i += 2; }
        else if (StartsWith(rest, "'''")) { st = kMlLiteral; out += "''"; i += 2; }
        else if (ch == '"') st = kBasic;
        else if (ch == '\'') st = kLiteral;
        break;
      case kComment: break;
      case kBasic:
      case kMlBasic:
        if (ch == '\\' && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0x80) {
          out += text[++i];
          if (text[i] == '\n') ++line;
        } else if (st == kBasic && ch == '"') {
          st = kCode;
        } else if (st == kMlBasic && StartsWith(rest, "\"\"\"")) {
          st = kCode;
          out += "\"\"";
          i += 2;
        }
        break;
      case kLiteral:
        if (ch == '\'') st = kCode;
        break;
      case kMlLiteral:
        if (StartsWith(rest, "'''")) { st = kCode; out += "''"; i += 2; }
        break;
    }
  }
  return out;
}

ConfigFormat FormatForName(std::string_view name) {
  return name.size() >= 5 && name.substr(name.size() - 5) == ".toml" ? ConfigFormat::kToml
                                                                      : ConfigFormat::kSyd;
}

Result<std::vector<ConfigItem>> ParseConfigText(std::string_view text, std::string_view name,
                                                ConfigFormat format) {
  if (format == ConfigFormat::kSyd) return ParseSyd(text, name);
  SYD_TRY(ascii, AsciiToml(text, name));
  toml::parse_result parsed = toml::parse(ascii, name);
  if (!parsed) {
    const toml::parse_error& err = parsed.error();
    return Failf("{}:{}:{}: {}", name, err.source().begin.line, err.source().begin.column,
                 err.description());
  }
  std::vector<Placed> placed;
  SYD_TRY_STATUS(FromToml(parsed.table(), "", name, &placed));
  std::stable_sort(placed.begin(), placed.end(), [](const Placed& a, const Placed& b) {
    return a.at.line != b.at.line ? a.at.line < b.at.line : a.at.column < b.at.column;
  });
  std::vector<ConfigItem> items;
  items.reserve(placed.size());
  for (Placed& p : placed) items.push_back(std::move(p.item));
  return items;
}

}  // namespace syd::lang
