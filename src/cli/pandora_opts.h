// A small option parser for pandora's keygen/sign/verify/push/pull:
// minisign's short letters ("-p FILE", "-pFILE", flags alone) and a few
// long options mapped onto letters ("--cacert FILE" as if '-C FILE').
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace syd::pandora::cli {

struct Opts {
  std::map<char, std::vector<std::string>> values;
  std::set<char> flags;
  std::vector<std::string> positional;
  const std::string* Last(char c) const {
    auto it = values.find(c);
    return it == values.end() || it->second.empty() ? nullptr : &it->second.back();
  }
};

struct LongOpt {
  std::string_view name;  // without "--"
  char letter;
};

inline Result<Opts> ParseOpts(const std::vector<std::string>& args, std::string_view with_value, std::string_view flags,
                              const std::vector<LongOpt>& longs = {}) {
  Opts o;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--") {
      o.positional.insert(o.positional.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      o.positional.push_back(a);
      continue;
    }
    if (a.starts_with("--")) {
      std::string name = a.substr(2), value;
      bool has_value = false;
      if (size_t eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        has_value = true;
      }
      const LongOpt* found = nullptr;
      for (const LongOpt& l : longs)
        if (l.name == name) found = &l;
      if (!found) return Failf("unknown option '--{}'", name);
      if (with_value.find(found->letter) == std::string_view::npos) {
        if (has_value) return Failf("option --{} takes no value", name);
        o.flags.insert(found->letter);
        continue;
      }
      if (!has_value) {
        if (i + 1 >= args.size()) return Failf("option --{} needs a value", name);
        value = args[++i];
      }
      o.values[found->letter].push_back(value);
      continue;
    }
    char c = a[1];
    if (with_value.find(c) != std::string_view::npos) {
      if (a.size() > 2) {
        o.values[c].push_back(a.substr(2));
      } else if (i + 1 < args.size()) {
        o.values[c].push_back(args[++i]);
      } else {
        return Failf("option -{} needs a value", c);
      }
    } else if (flags.find(c) != std::string_view::npos && a.size() == 2) {
      o.flags.insert(c);
    } else {
      return Failf("unknown option '{}'", a);
    }
  }
  return o;
}

}  // namespace syd::pandora::cli
