#include "cli/config_loader.h"

#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "cli/profiles.h"
#include "policy/landlock_plan.h"
#include "util/strings.h"

namespace syd::cli {
namespace {

constexpr int kMaxIncludeDepth = 16;

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int e = errno;
    // `-c user` for `-c @user`.
    for (const EmbeddedProfile& p : EmbeddedProfiles())
      if (path == p.name) return Failf("cannot read config file '{}': {} (did you mean '@{}', the bundled profile?)", path, std::strerror(e), p.name);
    return Failf("cannot read config file '{}': {}", path, std::strerror(e));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Failf("cannot read config file '{}': {}", path, std::strerror(errno));
  return ss.str();
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Replaces ${NAME} in a config value by the environment variable NAME; an
// unset variable is an error (a profile must not silently allow "/***").
Status ExpandEnv(lang::Command* c) {
  std::string out;
  const std::string& v = c->value;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '$' && i + 1 < v.size() && v[i + 1] == '{') {
      size_t end = v.find('}', i + 2);
      if (end == std::string::npos) return Failf("{}: unterminated ${{...}}", c->origin.ToString());
      std::string name = v.substr(i + 2, end - i - 2);
      const char* val = getenv(name.c_str());
      if (name.empty() || !val || !*val)
        return Failf("{}: environment variable {} is not set", c->origin.ToString(), name.empty() ? "''" : name);
      out += val;
      i = end;
    } else {
      out += v[i];
    }
  }
  c->value = std::move(out);
  return {};
}

Status LoadText(const std::string& text, const std::string& name, const std::string& dir, int depth,
                std::vector<std::string>* stack, std::vector<lang::Command>* out);

Status LoadFile(const std::string& path, int depth, std::vector<std::string>* stack,
                std::vector<lang::Command>* out) {
  if (depth > kMaxIncludeDepth) return Failf("{}: includes nested too deeply", path);
  if (std::find(stack->begin(), stack->end(), path) != stack->end())
    return Failf("{}: include cycle", path);
  SYD_TRY(text, ReadFile(path));
  return LoadText(text, path, DirName(path), depth, stack, out);
}

Status LoadText(const std::string& text, const std::string& path, const std::string& dir, int depth,
                std::vector<std::string>* stack, std::vector<lang::Command>* out) {
  SYD_TRY(items, lang::ParseConfigText(text, path, lang::FormatForName(path)));
  stack->push_back(path);
  for (auto& item : items) {
    if (auto* inc = std::get_if<lang::Include>(&item)) {
      std::string target = inc->path[0] == '/' ? inc->path : dir + "/" + inc->path;
      auto st = LoadFile(target, depth + 1, stack, out);
      if (!st) return Failf("{}: {}", inc->origin.ToString(), st.error().what);
    } else {
      auto& cmd = std::get<lang::Command>(item);
      SYD_TRY_STATUS(ExpandEnv(&cmd));
      out->push_back(std::move(cmd));
    }
  }
  stack->pop_back();
  return {};
}

}  // namespace

std::vector<std::string> ProfileDirs() {
  std::vector<std::string> dirs;
  if (const char* env = getenv("SYDBOX_PROFILE_DIR")) dirs.emplace_back(env);
  return dirs;
}

Result<std::vector<lang::Command>> LoadPathspec(const std::string& spec) {
  std::vector<lang::Command> out;
  std::vector<std::string> stack;
  if (!spec.empty() && spec[0] == '@') {
    std::string name = spec.substr(1);
    if (name.empty() || name.find('/') != std::string::npos) return Failf("bad profile name '{}'", spec);
    // $SYDBOX_PROFILE_DIR overrides; otherwise the copy built into sydbox
    // (the installed share/sydbox/profiles files are for reading).
    for (const std::string& dir : ProfileDirs()) {
      for (const char* ext : {".syd-3", ".toml"}) {
        std::string path = dir + "/" + name + ext;
        if (access(path.c_str(), R_OK) == 0) {
          SYD_TRY_STATUS(LoadFile(path, 0, &stack, &out));
          return out;
        }
      }
    }
    for (const EmbeddedProfile& p : EmbeddedProfiles()) {
      if (p.name == name) {
        SYD_TRY_STATUS(LoadText(std::string(p.text), std::string(p.file), "/", 0, &stack, &out));
        return out;
      }
    }
    std::string known;
    std::vector<std::string> names;
    for (const EmbeddedProfile& p : EmbeddedProfiles()) {
      known += " @" + std::string(p.name);
      names.emplace_back(p.name);
    }
    return Failf("no bundled profile named '{}'{} (bundled:{})", name, DidYouMean(name, names), known);
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

std::vector<std::string> LandlockModeErrors(const policy::Policy& p) {
  std::vector<std::string> out;
  for (policy::Category c : {policy::Category::kRead, policy::Category::kWrite, policy::Category::kExec}) {
    if (p.mode(c) != policy::Mode::kLandlock) continue;
    const policy::LandlockCategoryPlan plan = policy::PlanLandlockCategory(p, c);
    if (!plan.expressible)
      out.push_back(fmt::format("core/sandbox/{}:landlock: Landlock cannot enforce this: {}", policy::CategoryName(c),
                                plan.reason));
  }
  return out;
}

Result<policy::Policy> BuildPolicy(const std::vector<lang::Command>& cmds, std::vector<std::string>* warnings) {
  std::vector<std::string> raw;
  policy::ApplyEnv env;
  env.services = SystemServices();
  env.warnings = &raw;
  env.mistakes = &raw;
  auto p = policy::ApplyAll(policy::Policy{}, cmds, env);
  if (p) {
    // Lists for a category that is off decide nothing: say so.
    for (size_t c = 0; c < policy::kNumPathCategories; ++c) {
      auto cat = static_cast<policy::Category>(c);
      const size_t n = p->path_rules[c].size();
      if (n && p->mode(cat) == policy::Mode::kOff)
        raw.push_back(fmt::format("{} {} for {} {} no effect while core/sandbox/{} is off", n,
                                  n == 1 ? "entry" : "entries", policy::CategoryName(cat), n == 1 ? "has" : "have",
                                  policy::CategoryName(cat)));
    }
    if ((!p->net_rules[0].empty() || !p->net_rules[1].empty()) && p->mode(policy::Sandbox::kNetwork) == policy::Mode::kOff)
      raw.push_back("network entries have no effect while core/sandbox/network is off");
    if (auto errors = LandlockModeErrors(*p); !errors.empty()) return Failf("{}", errors[0]);
  }
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
  // Paths a pattern matches, to ask whether another covers them all.
  auto probes = [&](const std::string& t) {
    std::string s = sample(t);
    std::vector<std::string> v = {s};
    if (t.size() > s.size()) {
      v.push_back(s + "/a");
      v.push_back(s + "/a/b");
    }
    return v;
  };
  auto legacy = [](const lang::Origin& o) { return EndsWith(o.file, ".syd-1") || EndsWith(o.file, ".syd-2"); };
  auto action = [](const policy::PathRule& r) { return r.action == policy::ListAction::kAllow ? "allow" : "deny"; };
  for (size_t c = 0; c < policy::kNumPathCategories; ++c) {
    const auto& rules = p.path_rules[c];
    const std::string_view cat = policy::CategoryName(static_cast<policy::Category>(c));
    for (size_t i = 0; i < rules.size(); ++i) {
      for (size_t j = i + 1; j < rules.size(); ++j) {
        if (rules[i].action == rules[j].action) continue;
        // A later entry that an earlier one covers entirely never decides:
        // a mistake in any format (the exception should come first).
        bool shadowed = true;
        for (const std::string& probe : probes(rules[j].pattern.text()))
          shadowed = shadowed && rules[i].pattern.Matches(probe, p.match);
        if (shadowed) {
          out.push_back(fmt::format("{} ({} {}) never decides for {}: {} ({} {}) comes first and matches everything "
                                    "it does (the first match wins; put exceptions first)",
                                    rules[j].origin.ToString(), action(rules[j]), rules[j].pattern.text(), cat,
                                    rules[i].origin.ToString(), action(rules[i]), rules[i].pattern.text()));
          continue;
        }
        // Legacy profiles were written for sydbox-1/2, which consulted the
        // lists differently: any overlap there may now decide otherwise.
        if (!legacy(rules[i].origin) && !legacy(rules[j].origin)) continue;
        bool overlap = rules[i].pattern.Matches(sample(rules[j].pattern.text()), p.match) ||
                       rules[j].pattern.Matches(sample(rules[i].pattern.text()), p.match);
        if (!overlap) continue;
        out.push_back(fmt::format(
            "{} ({} {}) and {} ({} {}) overlap for {}: the first match wins; sydbox-1/2 decided such pairs "
            "differently",
            rules[i].origin.ToString(), action(rules[i]), rules[i].pattern.text(), rules[j].origin.ToString(),
            action(rules[j]), rules[j].pattern.text(), cat));
      }
    }
  }
  return out;
}

}  // namespace syd::cli
