// getdents64 with stat sandboxing that can hide entries: the directory is
// read here, on a copy of the caller's descriptor (the same open file
// description, so its offset moves for the caller too), filtered, and
// written back to the caller's buffer.
#include "supervisor/families.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "supervisor/resolve.h"

namespace syd::supervisor {
namespace {

using policy::Category;
using policy::Mode;

struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  uint16_t d_reclen;
  uint8_t d_type;
  char d_name[];
};

}  // namespace

Verdict HandleGetdents(Call& c) {
  if (c.rule_allowed) return Verdict::Continue();
  const policy::Policy& p = c.policy();
  bool may_hide = p.mode(Category::kStat) == Mode::kDeny;
  for (const auto& r : p.path_rules[static_cast<size_t>(Category::kStat)])
    may_hide = may_hide || r.action == policy::ListAction::kDeny;
  if (!may_hide) return Verdict::Continue();  // nothing can be hidden: the kernel lists the directory itself
  c.MayBlock();  // a whole directory read and checked, entry by entry
  const int fd = static_cast<int>(c.arg(0) & 0xffffffffu);
  const size_t count = std::min<uint64_t>(c.arg(2) & 0xffffffffu, 1 << 20);
  auto dup = c.tracee.TakeFd(fd);
  if (!dup) return dup.error().sys_errno == ESRCH ? Verdict::None() : Verdict::Error(EBADF);
  auto dir = kernel::ReadLink(AT_FDCWD, fmt::format("/proc/self/fd/{}", dup->get()));
  if (!dir) return Verdict::Error(EBADF);
  std::vector<char> in(count), out(count);
  for (;;) {
    long n = syscall(SYS_getdents64, dup->get(), in.data(), count);
    if (n <= 0) return n < 0 ? Verdict::Error(errno) : Verdict::Value(0);
    size_t kept = 0;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<LinuxDirent64*>(in.data() + off);
      std::string_view name(d->d_name);
      bool keep = name == "." || name == "..";
      if (!keep) {
        std::string path = JoinPath(*dir, std::string(name));
        keep = c.decider->CheckPath(Category::kStat, path, c.Tgid()).allow;
      }
      if (keep) {
        std::memcpy(out.data() + kept, d, d->d_reclen);
        kept += d->d_reclen;
      }
      off += d->d_reclen;
    }
    if (kept > 0) {
      if (!c.tracee.WriteMemory(c.arg(1), out.data(), kept)) return Verdict::Error(EFAULT);
      return Verdict::Value(static_cast<int64_t>(kept));
    }
    // Everything in this batch was hidden: read on.
  }
}


}  // namespace syd::supervisor
