// Feeds arbitrary bytes to the config parsers (syd lines and TOML) and
// applies whatever parses to a policy, then builds a Decider and asks it
// about a few paths: nothing may crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lang/config_text.h"
#include "policy/apply.h"
#include "policy/decider.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the format, the rest is the file.
  const bool toml = data[0] & 1;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  auto items = syd::lang::ParseConfigText(text, toml ? "f.toml" : "f.syd-3",
                                          toml ? syd::lang::ConfigFormat::kToml : syd::lang::ConfigFormat::kSyd);
  if (!items) return 0;
  syd::policy::Policy p;
  std::vector<std::string> warnings;
  syd::policy::ApplyEnv env;
  env.warnings = &warnings;
  for (const auto& item : *items) {
    if (const auto* cmd = std::get_if<syd::lang::Command>(&item)) {
      if (cmd->op == syd::lang::Op::kQuery) (void)syd::policy::Query(p, *cmd);
      else (void)syd::policy::Apply(p, *cmd, env);
    }
  }
  syd::policy::Decider d(std::move(p));
  for (std::string_view path : {"/", "/tmp/x", "/etc/passwd", "/proc/1/fd/3", "/a/b/c/d/e"}) {
    for (auto c : {syd::policy::Category::kRead, syd::policy::Category::kWrite, syd::policy::Category::kExec,
                   syd::policy::Category::kStat})
      (void)d.CheckPath(c, path, 1);
  }
  return 0;
}
