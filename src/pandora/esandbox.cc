// Mapping (suffix = "", "_path", "_exec", "_net"):
//   check                      /dev/sydbox exists
//   enabled[suffix]            core/sandbox/CAT?
//   enable / disable[suffix]   core/sandbox/CAT:deny / :off
//   allow / disallow[suffix]   allowlist/CAT^ARG / allowlist/CAT-ARG
//   addfilter / rmfilter[...]  filter/CAT^ARG / filter/CAT-ARG
//   lock, exec_lock            refused: they would lock only pandora itself
//   wait_eldest, wait_all      core/trace/exit_wait_all:false / :true
// "" and "_path" mean write sandboxing, as in Paludis; "_net" lists are
// network/bind unless --connect is given. Exceptions are prepended so a
// build script's allowance wins over the profile it runs under.
#include "pandora/esandbox.h"

#include <fmt/format.h>

#include "util/strings.h"

namespace syd::pandora {
namespace {

struct Split {
  std::string verb;
  std::string cat;  // write, exec, network
};

bool SplitVerb(const std::string& word, const std::string& verb, Split* out) {
  if (!StartsWith(word, verb)) return false;
  std::string suffix = word.substr(verb.size());
  if (suffix.empty() || suffix == "_path") out->cat = "write";
  else if (suffix == "_exec") out->cat = "exec";
  else if (suffix == "_net") out->cat = "network";
  else return false;
  out->verb = verb;
  return true;
}

}  // namespace

Result<EsandboxRequest> TranslateEsandbox(const std::vector<std::string>& args) {
  if (args.empty()) return Failf("no command given");
  EsandboxRequest req;
  const std::string& w = args[0];
  auto no_args = [&]() -> Status {
    if (args.size() != 1) return Failf("{} takes no argument", w);
    return {};
  };
  if (w == "check") {
    SYD_TRY_STATUS(no_args());
    req.query = true;
    return req;
  }
  if (w == "lock" || w == "exec_lock") {
    // The lock is per process: pandora would lock itself and exit, and the
    // shell that ran it would stay unlocked. Say so instead of "success".
    return Failf(
        "'{}' would lock only this pandora process (the lock is per process, and pandora exits at once); "
        "to lock the shell and what it starts, run in it: test -e /dev/sydbox/core/trace/magic_lock:{}",
        w, w == "lock" ? "on" : "exec");
  }
  if (w == "wait_eldest" || w == "wait_all") {
    SYD_TRY_STATUS(no_args());
    req.magic.push_back(std::string("core/trace/exit_wait_all:") + (w == "wait_all" ? "true" : "false"));
    return req;
  }
  Split s;
  if (SplitVerb(w, "enabled", &s)) {
    SYD_TRY_STATUS(no_args());
    req.magic.push_back("core/sandbox/" + s.cat + "?");
    req.query = true;
    return req;
  }
  if (SplitVerb(w, "enable", &s) || SplitVerb(w, "disable", &s)) {
    SYD_TRY_STATUS(no_args());
    req.magic.push_back("core/sandbox/" + s.cat + (s.verb == "enable" ? ":deny" : ":off"));
    return req;
  }
  const bool list_verb = SplitVerb(w, "allow", &s) || SplitVerb(w, "disallow", &s) ||
                         SplitVerb(w, "addfilter", &s) || SplitVerb(w, "rmfilter", &s);
  if (!list_verb) {
    std::vector<std::string> verbs = {"check", "lock", "exec_lock", "wait_eldest", "wait_all"};
    for (const char* v : {"enabled", "enable", "disable", "allow", "disallow", "addfilter", "rmfilter"})
      for (const char* suffix : {"", "_path", "_exec", "_net"}) verbs.push_back(std::string(v) + suffix);
    return Failf("unknown command '{}'{}", w, DidYouMean(w, verbs));
  }
  std::vector<std::string> values;
  bool connect = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--connect" && s.cat == "network") connect = true;
    else values.push_back(args[i]);
  }
  if (values.empty()) return Failf("{} needs an argument", w);
  std::string list = s.cat == "network" ? (connect ? "network/connect" : "network/bind") : s.cat;
  const bool filter = s.verb == "addfilter" || s.verb == "rmfilter";
  const bool add = s.verb == "allow" || s.verb == "addfilter";
  for (const std::string& v : values) {
    if (v.empty()) return Failf("empty argument");
    req.magic.push_back(fmt::format("{}/{}{}{}", filter ? "filter" : "allowlist", list, add ? '^' : '-', v));
  }
  return req;
}

}  // namespace syd::pandora
