// Magic stat (SPEC §3.2), the built-in module `magic_stat` (modules.h):
// while runtime configuration is unlocked for the caller, a stat-like call
// on /dev/sydbox/CMD applies CMD. Most stat calls are not magic: the first
// 12 bytes tell, and the rest is read only for a /dev/sydbox path. Options:
// readonly (queries only), initonly (changes until the eldest process
// executes its next program).
#include "supervisor/magic.h"

#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstring>

#include "policy/apply.h"
#include "supervisor/modules.h"
#include "sydbox/module.h"
#include "util/strings.h"

namespace syd::supervisor {
namespace {

constexpr std::string_view kMagicPrefix = "/dev/sydbox";

bool IsMagicPath(std::string_view p) {
  return StartsWith(p, kMagicPrefix) && (p.size() == kMagicPrefix.size() || p[kMagicPrefix.size()] == '/');
}

// Writes a /dev/null-like stat result into the caller's buffer.
int FillStat(Call& c) {
  const struct stat& st = c.env.null_stat;
  switch (c.info.nr) {
    case __NR_stat:
    case __NR_lstat:
      return c.tracee.WriteMemory(c.arg(1), &st, sizeof st) ? 0 : EFAULT;
    case __NR_newfstatat:
      return c.tracee.WriteMemory(c.arg(2), &st, sizeof st) ? 0 : EFAULT;
    case __NR_statx: {
      struct statx sx;
      std::memset(&sx, 0, sizeof sx);
      sx.stx_mask = STATX_BASIC_STATS;
      sx.stx_blksize = static_cast<uint32_t>(st.st_blksize);
      sx.stx_nlink = static_cast<uint32_t>(st.st_nlink);
      sx.stx_uid = st.st_uid;
      sx.stx_gid = st.st_gid;
      sx.stx_mode = static_cast<uint16_t>(st.st_mode);
      sx.stx_ino = st.st_ino;
      sx.stx_rdev_major = major(st.st_rdev);
      sx.stx_rdev_minor = minor(st.st_rdev);
      sx.stx_dev_major = major(st.st_dev);
      sx.stx_dev_minor = minor(st.st_dev);
      return c.tracee.WriteMemory(c.arg(4), &sx, sizeof sx) ? 0 : EFAULT;
    }
    default:
      return 0;  // access family: no buffer
  }
}

// The module's options (load=magic_stat:readonly, :initonly).
struct MagicStat {
  bool readonly = false;  // queries answered, changes refused (EINVAL)
  bool initonly = false;  // changes taken until the eldest executes its next program
};

Verdict HandleMagic(Call& c, const std::string& raw, const MagicStat& opts) {
  std::string_view cmd = std::string_view(raw).substr(kMagicPrefix.size());
  if (!cmd.empty()) cmd.remove_prefix(1);  // the '/'
  auto answer_ok = [&] {
    int e = FillStat(c);
    return e ? Verdict::Error(e) : Verdict::Value(0);
  };
  if (cmd.empty() || cmd == "3") return answer_ok();
  if (opts.readonly || (opts.initonly && c.env.procs->eldest_reexeced())) {
    auto parsed = lang::ParseCommand(cmd, lang::Origin{"/dev/sydbox", 0});
    if (!parsed || parsed->op != lang::Op::kQuery) {
      c.env.reporter->Note(fmt::format("magic command '{}' from pid {} rejected: magic_stat is {}", cmd, c.tid(),
                                       opts.readonly ? "read-only (queries only)"
                                                     : "init-only and the first program has executed another"));
      return Verdict::Error(EINVAL);
    }
  }
  const MagicOutcome out = RunMagicCommand(
      c.env, cmd, lang::Origin{"/dev/sydbox", 0}, fmt::format("pid {}", c.tid()), [&](policy::MagicLock lock) {
        // Per process: the caller (and what it forks afterwards) locks itself
        // (not a process that took its pid since: UpdateCaller).
        c.env.procs->UpdateCaller(c.tracee, [&](ProcState& st) {
          if (lock == policy::MagicLock::kOn) st.locked = true;
          if (lock == policy::MagicLock::kExec) st.lock_on_exec = true;
          if (lock == policy::MagicLock::kOff) st.lock_on_exec = false;
        });
        return MagicOutcome{};
      });
  switch (out.kind) {
    case MagicOutcome::Kind::kOk:
    case MagicOutcome::Kind::kTrue: return answer_ok();
    case MagicOutcome::Kind::kFalse: return Verdict::Error(ENOENT);
    case MagicOutcome::Kind::kError: return Verdict::Error(EINVAL);
  }
  return Verdict::Error(EINVAL);
}

}  // namespace

MagicOutcome RunMagicCommand(HandlerEnv& env, std::string_view text, const lang::Origin& origin,
                             std::string_view from, const std::function<MagicOutcome(policy::MagicLock)>& lock) {
  auto error = [](int e, std::string why) { return MagicOutcome{MagicOutcome::Kind::kError, e, std::move(why)}; };
  auto parsed = lang::ParseCommand(text, origin);
  if (!parsed) {
    env.reporter->Note(fmt::format("magic command from {} rejected: {}", from, parsed.error().what));
    return error(EINVAL, parsed.error().what);
  }
  const lang::Command& command = *parsed;
  if (command.op == lang::Op::kQuery) {
    auto q = policy::Query(env.policy->Load()->policy(), command);
    if (!q) return error(EINVAL, q.error().what);
    return MagicOutcome{*q ? MagicOutcome::Kind::kTrue : MagicOutcome::Kind::kFalse, 0, {}};
  }
  if (command.key == "core/trace/magic_lock" && command.op == lang::Op::kSet) {
    const std::string& v = command.value;
    if (v == "on" || v == "true" || v == "t" || v == "1") return lock(policy::MagicLock::kOn);
    if (v == "exec") return lock(policy::MagicLock::kExec);
    if (v == "off" || v == "false" || v == "f" || v == "0") return lock(policy::MagicLock::kOff);
    return error(EINVAL, fmt::format("core/trace/magic_lock wants on, off or exec, not '{}'", v));
  }
  std::vector<std::string> warnings;
  auto st = env.policy->Change(command, &warnings);
  for (const auto& w : warnings) env.reporter->Note(w);
  if (!st) {
    env.reporter->Note(fmt::format("magic command '{}' from {} rejected: {}", text, from, st.error().what));
    return error(EINVAL, st.error().what);
  }
  return MagicOutcome{};
}

namespace {

// Built-in module magic_stat: a stat-like call on /dev/sydbox/CMD while
// the caller may still configure is the command CMD; anything else is left
// to what follows (DEFER).
std::optional<Verdict> TryMagic(Call& c, const MagicStat& opts) {
  if (!c.info.magic || c.info.npaths == 0) return std::nullopt;  // not a call that can carry one
  const uint64_t path = c.arg(c.info.paths[0].path);
  char prefix[12];
  ssize_t n = c.tracee.ReadSome(path, prefix, sizeof prefix);
  if (n < static_cast<ssize_t>(kMagicPrefix.size()) ||
      !IsMagicPath(std::string_view(prefix, static_cast<size_t>(n)).substr(0, std::min<size_t>(n, strnlen(prefix, n)))))
    return std::nullopt;
  auto raw = c.tracee.ReadString(path, PATH_MAX);
  if (!raw || !IsMagicPath(*raw)) return std::nullopt;
  // The caller's lock is looked up by its tgid (read from /proc for a
  // thread) before the notification is confirmed, so that both are known
  // to be the caller's: after it, the pid could be another process's.
  const bool locked = c.env.procs->Get(c.Tgid()).locked;
  if (c.tracee.Recheck() && !locked && !c.env.runtime_locked.load(std::memory_order_acquire))
    return HandleMagic(c, *raw, opts);
  return std::nullopt;
}

int MagicInit(const sydbox_host*, const char* const* options, void** state, char* error, size_t error_size) {
  auto* st = new MagicStat;
  for (const char* const* o = options; *o; ++o) {
    const std::string_view opt(*o);
    if (opt == "readonly") {
      st->readonly = true;
    } else if (opt == "initonly") {
      st->initonly = true;
    } else {
      snprintf(error, error_size, "unknown option '%s' (readonly, initonly)", *o);
      delete st;
      return 1;
    }
  }
  *state = st;
  return 0;
}

sydbox_answer MagicOnCall(void* state, const sydbox_call* k) {
  std::optional<Verdict> v = TryMagic(CallOf(k), *static_cast<const MagicStat*>(state));
  if (!v) return sydbox_answer{SYDBOX_DEFER, 0, 0};
  if (v->kind() == Verdict::Kind::kError) return sydbox_answer{SYDBOX_FAULT, 0, v->err()};
  return sydbox_answer{SYDBOX_RETURN, 0, v->value()};
}

void MagicFini(void* state) { delete static_cast<MagicStat*>(state); }

}  // namespace

extern const sydbox_module kMagicStatModule;
const sydbox_module kMagicStatModule = {
    sizeof(sydbox_module), SYDBOX_MODULE_ABI, "magic_stat", MagicInit, MagicOnCall, MagicFini,
};

}  // namespace syd::supervisor
