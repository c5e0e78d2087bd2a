#include "cli/config_loader.h"

#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "util/strings.h"

#ifndef SYD_DATADIR
#define SYD_DATADIR "/usr/local/share/sydbox"
#endif

namespace syd::cli {
namespace {

constexpr int kMaxIncludeDepth = 16;

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(errno, "cannot read config", path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Fail(errno, "cannot read config", path);
  return ss.str();
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status LoadFile(const std::string& path, int depth, std::vector<std::string>* stack,
                std::vector<lang::Command>* out) {
  if (depth > kMaxIncludeDepth) return Failf("{}: includes nested too deeply", path);
  if (std::find(stack->begin(), stack->end(), path) != stack->end())
    return Failf("{}: include cycle", path);
  SYD_TRY(text, ReadFile(path));
  SYD_TRY(items, lang::ParseConfigText(text, path, lang::FormatForName(path)));
  stack->push_back(path);
  for (auto& item : items) {
    if (auto* inc = std::get_if<lang::Include>(&item)) {
      std::string target = inc->path[0] == '/' ? inc->path : DirName(path) + "/" + inc->path;
      auto st = LoadFile(target, depth + 1, stack, out);
      if (!st) return Failf("{}: {}", inc->origin.ToString(), st.error().what);
    } else {
      out->push_back(std::move(std::get<lang::Command>(item)));
    }
  }
  stack->pop_back();
  return {};
}

}  // namespace

std::vector<std::string> ProfileDirs() {
  std::vector<std::string> dirs;
  if (const char* env = getenv("SYDBOX_PROFILE_DIR")) dirs.emplace_back(env);
  dirs.emplace_back(SYD_DATADIR "/profiles");
  return dirs;
}

Result<std::vector<lang::Command>> LoadPathspec(const std::string& spec) {
  std::vector<lang::Command> out;
  std::vector<std::string> stack;
  if (!spec.empty() && spec[0] == '@') {
    std::string name = spec.substr(1);
    if (name.empty() || name.find('/') != std::string::npos) return Failf("bad profile name '{}'", spec);
    for (const std::string& dir : ProfileDirs()) {
      for (const char* ext : {".syd-3", ".toml"}) {
        std::string path = dir + "/" + name + ext;
        if (access(path.c_str(), R_OK) == 0) {
          SYD_TRY_STATUS(LoadFile(path, 0, &stack, &out));
          return out;
        }
      }
    }
    return Failf("no bundled profile named '{}'", name);
  }
  SYD_TRY_STATUS(LoadFile(spec, 0, &stack, &out));
  return out;
}

policy::ServiceLookup SystemServices() {
  return [](std::string_view name) -> std::optional<uint16_t> {
    std::string n(name);
    servent* s = getservbyname(n.c_str(), nullptr);
    if (!s) return std::nullopt;
    return static_cast<uint16_t>(ntohs(static_cast<uint16_t>(s->s_port)));
  };
}

Result<policy::Policy> BuildPolicy(const std::vector<lang::Command>& cmds, std::vector<std::string>* warnings) {
  std::vector<std::string> raw;
  policy::ApplyEnv env;
  env.services = SystemServices();
  env.warnings = &raw;
  auto p = policy::ApplyAll(policy::Policy{}, cmds, env);
  for (std::string& w : raw)
    if (std::find(warnings->begin(), warnings->end(), w) == warnings->end()) warnings->push_back(std::move(w));
  return p;
}

std::vector<std::string> OverlapWarnings(const policy::Policy& p) {
  std::vector<std::string> out;
  // A sample path a pattern certainly matches: its text up to the first
  // wildcard (trailing "/***" and "/**" dropped).
  auto sample = [](const std::string& t) {
    std::string s = t.substr(0, std::min(t.find_first_of("*?["), t.size()));
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    return s;
  };
  for (size_t c = 0; c < policy::kNumPathCategories; ++c) {
    const auto& rules = p.path_rules[c];
    for (size_t i = 0; i < rules.size(); ++i) {
      for (size_t j = i + 1; j < rules.size(); ++j) {
        if (rules[i].action == rules[j].action) continue;
        bool overlap = rules[i].pattern.Matches(sample(rules[j].pattern.text()), p.match) ||
                       rules[j].pattern.Matches(sample(rules[i].pattern.text()), p.match);
        if (!overlap) continue;
        out.push_back(fmt::format(
            "{} ({} {}) and {} ({} {}) overlap for {}: the first match wins; sydbox-1/2 decided such pairs "
            "differently",
            rules[i].origin.ToString(), rules[i].action == policy::ListAction::kAllow ? "allow" : "deny",
            rules[i].pattern.text(), rules[j].origin.ToString(),
            rules[j].action == policy::ListAction::kAllow ? "allow" : "deny", rules[j].pattern.text(),
            policy::CategoryName(static_cast<policy::Category>(c))));
      }
    }
  }
  return out;
}

}  // namespace syd::cli
