#include "supervisor/landlock_paths.h"

#include <cstring>

#include <fmt/format.h>

#include "policy/landlock_plan.h"

namespace syd::supervisor {
namespace {

using policy::Category;
using policy::Mode;

constexpr Category kCats[3] = {Category::kRead, Category::kWrite, Category::kExec};

}  // namespace

policy::Policy LandlockAsDeny(const policy::Policy& p) {
  policy::Policy out = p;
  for (Mode& m : out.modes)
    if (m == Mode::kLandlock) m = Mode::kDeny;
  return out;
}

LandlockChoice ChooseLandlock(const policy::Policy& p, LandlockUse use, int abi, bool dry_run,
                              bool runtime_changes) {
  LandlockChoice out;
  out.paths.abi = abi;
  const uint64_t have = policy::landlock::RightsOfAbi(abi);
  for (int s = 0; s < 3; ++s) {
    const Category c = kCats[s];
    const std::string name(policy::CategoryName(c));
    const Mode m = p.mode(c);
    if (m != Mode::kDeny && m != Mode::kLandlock) continue;
    const policy::LandlockCategoryPlan plan = policy::PlanLandlockCategory(p, c);
    if (m == Mode::kLandlock) {
      // --dry-run lowers landlock as deny (LandlockAsDeny): nothing here.
      if (dry_run) {
        out.notes[s] = name + ": landlock mode checked in user space (--dry-run)";
        continue;
      }
      if (!plan.expressible) {
        out.error = fmt::format("core/sandbox/{}:landlock: Landlock cannot enforce this: {}", name, plan.reason);
        return out;
      }
      if (abi < 1) {
        out.error = fmt::format("core/sandbox/{}:landlock: the kernel offers no Landlock", name);
        return out;
      }
      out.paths.strict |= static_cast<uint8_t>(1u << s);
    } else {
      std::string why;
      if (use == LandlockUse::kOff) why = "--landlock=off";
      else if (dry_run) why = "--dry-run allows everything";
      else if (!plan.expressible) why = plan.reason;
      else if (runtime_changes) why = "runtime configuration is unlocked (an allow added later must work)";
      else if (abi < 2)
        why = fmt::format("the kernel offers Landlock ABI {}, a backstop needs 2 (moving files between "
                          "directories)", abi);
      if (!why.empty()) {
        if (use == LandlockUse::kRequire && plan.expressible && abi < 2 && !dry_run && !runtime_changes) {
          out.error = fmt::format("--landlock=require: no Landlock backstop for {}: {}", name, why);
          return out;
        }
        out.notes[s] = name + ": no Landlock backstop: " + why;
        continue;
      }
    }
    out.paths.categories |= static_cast<uint8_t>(1u << s);
    out.paths.handled[s] = plan.handled & have;
    for (const policy::LandlockGrant& g : plan.grants) {
      const uint64_t a = g.access & have;
      if (a) out.paths.rules.push_back({g.path, a, g.beneath, static_cast<uint8_t>(1u << s), g.implied});
    }
    size_t given = 0;
    for (const policy::LandlockGrant& g : plan.grants) given += !g.implied;
    out.notes[s] = fmt::format("{}: {} ({} rules)", name, m == Mode::kLandlock ? "landlock mode" : "Landlock backstop",
                               given);
  }
  return out;
}

std::string LandlockOutcomeError(LandlockChoice& c, const spawn::LandlockOutcome& o, LandlockUse use) {
  std::string err;
  for (int s = 0; s < 3; ++s) {
    if (!(o.dropped & (1u << s))) continue;
    const int i = o.dropped_rule[s];
    const std::string path = i >= 0 && static_cast<size_t>(i) < c.paths.rules.size() ? c.paths.rules[i].path : "?";
    const std::string what =
        o.dropped_errno[s] == EISDIR ? "an exact entry that is a directory" : std::strerror(o.dropped_errno[s]);
    const std::string name(policy::CategoryName(kCats[s]));
    c.notes[s] = fmt::format("{}: no Landlock backstop: {}: {}", name, path, what);
    if (use == LandlockUse::kRequire && err.empty())
      err = fmt::format("--landlock=require: no Landlock backstop for {}: {}: {}", name, path, what);
  }
  return err;
}

}  // namespace syd::supervisor
