// Calls that read a file's attributes, performed by the supervisor on the
// object they were checked on (fs_attr.h) and answered with the result,
// written back to the caller's buffer: access, faccessat, faccessat2; the
// getxattr and listxattr families; and, with stat sandboxing, stat,
// lstat, newfstatat, statx, readlink(at), statfs and file_getattr. Sizes,
// truncation and ERANGE/E2BIG are the kernel's own: the supervisor makes
// the same call with a buffer of the caller's size (clamped where the
// kernel clamps it) and copies back what the kernel wrote.
//
// access(2) without AT_EACCESS checks with the caller's real ids: the
// kernel's access_override_creds() takes fsuid/fsgid = the real uid/gid
// and, for a real uid 0, the permitted capabilities as effective (none
// otherwise). The supervisor (as root) takes exactly that identity and
// asks faccessat2(AT_EACCESS), which checks with the identity it holds;
// with AT_EACCESS it takes the caller's own fsuid/fsgid/capabilities.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <tuple>
#include <vector>

#include "supervisor/fs_attr.h"
#include "util/strings.h"

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#ifndef AT_EACCESS
#define AT_EACCESS 0x200
#endif

namespace syd::supervisor {
namespace {

namespace uapi = kernel::uapi;

long Ret(long r) { return r < 0 ? -errno : r; }
Verdict Answer(long r) { return Verdict::Result(Ret(r)); }

// Copies `len` bytes of a result to the caller once the call succeeded;
// EFAULT when its buffer is not writable, as the kernel would say.
Verdict WriteBack(Call& c, Verdict v, uint64_t addr, const void* buf, size_t len) {
  if (v.kind() != Verdict::Kind::kValue || len == 0) return v;
  if (!c.tracee.WriteMemory(addr, buf, len)) return c.tracee.Valid() ? Verdict::Error(EFAULT) : Verdict::None();
  return v;
}

// After the check: prepare() reads what the call takes from the caller's
// memory (an error verdict, or nothing), then op(Held&) performs it as
// the caller, then out(result) says what to write back (address, bytes,
// length).
// The write-back happens with the supervisor's own identity: writing into
// another process is ptrace-checked.
template <class Prepare, class Op, class Out>
Verdict Query(Call& c, const Intent& in, Prepare prepare, Op op, Out out) {
  return CheckedThen(c, in, [&](Checked& ck) -> std::optional<Verdict> {
    if (std::optional<Verdict> bad = prepare()) return std::move(*bad);
    if (!c.tracee.Valid()) return Verdict::None();
    std::optional<Verdict> v = Perform(c, ck, ck.creds, op);
    if (!v) return std::nullopt;
    if (v->kind() != Verdict::Kind::kValue) return std::move(*v);
    auto [addr, buf, len] = out(*v);
    return WriteBack(c, std::move(*v), addr, buf, len);
  });
}

std::optional<Verdict> NoInput() { return std::nullopt; }

bool ValidAtFlags(uint64_t at) { return (at & ~static_cast<uint64_t>(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) == 0; }

// ---------------------------------------------------------------------------

Verdict Access(Call& c, const Intent& in) {
  const int nr = c.nr();
  const int mode = static_cast<int>(c.arg(nr == __NR_access ? 1 : 2));
  const int flags = nr == __NR_faccessat2 ? static_cast<int>(c.arg(3)) : 0;
  return CheckedThen(c, in, [&](Checked& ck) -> std::optional<Verdict> {
    std::optional<kernel::Creds> who = ck.creds;
    if (who && !(flags & AT_EACCESS)) {
      who->fsuid = who->ruid;
      who->fsgid = who->rgid;
      who->cap_eff = who->ruid == 0 ? who->cap_prm : 0;
    }
    // With an identity taken, AT_EACCESS makes the kernel check with it;
    // without (an unprivileged supervisor: the caller has its ids), the
    // caller's flags decide as they would have.
    const int f = flags | AT_EMPTY_PATH | (who && c.env.self.root ? AT_EACCESS : 0);
    return Perform(c, ck, who, [&](Held& h) { return Answer(syscall(__NR_faccessat2, h.fd(), "", mode, f)); });
  });
}

// getxattr, lgetxattr, fgetxattr, getxattrat.
Verdict GetXattr(Call& c, const Intent& in) {
  const int nr = c.nr();
  const bool at = nr == uapi::kNrGetxattrat;
  const uint64_t at_flags = at ? c.arg(2) : 0;
  std::string name;
  uapi::XattrArgs args;
  std::vector<char> buf;
  auto prepare = [&]() -> std::optional<Verdict> {
    if (at && !ValidAtFlags(at_flags)) return Verdict::Error(EINVAL);
    if (at) {
      if (auto v = ReadXattrArgs(c, c.arg(4), c.arg(5), &args)) return v;
      if (args.flags != 0) return Verdict::Error(EINVAL);
    } else {
      args.value = c.arg(2);
      args.size = static_cast<uint32_t>(std::min<uint64_t>(c.arg(3), uapi::kXattrSizeMax));
    }
    if (auto v = ReadXattrName(c, c.arg(at ? 3 : 1), &name)) return v;
    // The kernel clamps a larger buffer to the largest value there can be.
    buf.assign(std::min<size_t>(args.size, uapi::kXattrSizeMax), 0);
    return std::nullopt;
  };
  auto op = [&](Held& h) {
    void* b = buf.empty() ? nullptr : buf.data();
    if (h.caller_fd && nr == __NR_fgetxattr) return Answer(fgetxattr(h.fd(), name.c_str(), b, buf.size()));
    if (h.caller_fd && at) {
      uapi::XattrArgs mine{reinterpret_cast<uint64_t>(b), static_cast<uint32_t>(buf.size()), 0};
      return Answer(syscall(uapi::kNrGetxattrat, h.fd(), "", at_flags, name.c_str(), &mine, sizeof mine));
    }
    return Answer(getxattr(h.Proc().c_str(), name.c_str(), b, buf.size()));
  };
  auto out = [&](const Verdict& v) {
    const size_t n = buf.empty() ? 0 : static_cast<size_t>(v.value());
    return std::tuple<uint64_t, const void*, size_t>{args.value, buf.data(), n};
  };
  return Query(c, in, prepare, op, out);
}

// listxattr, llistxattr, flistxattr, listxattrat.
Verdict ListXattr(Call& c, const Intent& in) {
  const int nr = c.nr();
  const bool at = nr == uapi::kNrListxattrat;
  const uint64_t at_flags = at ? c.arg(2) : 0;
  const uint64_t list = c.arg(at ? 3 : 1);
  const size_t size = std::min<uint64_t>(c.arg(at ? 4 : 2), uapi::kXattrListMax);
  std::vector<char> buf(size);
  auto prepare = [&]() -> std::optional<Verdict> {
    if (at && !ValidAtFlags(at_flags)) return Verdict::Error(EINVAL);
    return std::nullopt;
  };
  auto op = [&](Held& h) {
    char* b = buf.empty() ? nullptr : buf.data();
    if (h.caller_fd && nr == __NR_flistxattr) return Answer(flistxattr(h.fd(), b, buf.size()));
    if (h.caller_fd && at) return Answer(syscall(uapi::kNrListxattrat, h.fd(), "", at_flags, b, buf.size()));
    return Answer(listxattr(h.Proc().c_str(), b, buf.size()));
  };
  auto out = [&](const Verdict& v) {
    const size_t n = buf.empty() ? 0 : static_cast<size_t>(v.value());
    return std::tuple<uint64_t, const void*, size_t>{list, buf.data(), n};
  };
  return Query(c, in, prepare, op, out);
}

// stat, lstat, newfstatat, statx: the object's metadata, through the held
// descriptor (fstatat/statx with AT_EMPTY_PATH; on a copy of the caller's
// descriptor, with the caller's flags).
Verdict Stat(Call& c, const Intent& in) {
  const int nr = c.nr();
  // With AT_EMPTY_PATH and an empty path the kernel takes a shortcut that
  // looks at no other flag: where the caller named a path, its flags are
  // checked here as the kernel checks them on the way it would have taken.
  if (nr == __NR_statx) {
    const int flags = static_cast<int>(c.arg(2));
    const unsigned mask = static_cast<unsigned>(c.arg(3));
    struct statx sx;
    std::memset(&sx, 0, sizeof sx);
    auto op = [&](Held& h) {
      if (h.caller_fd) return Answer(syscall(__NR_statx, h.fd(), "", flags, mask, &sx));
      if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE))
        return Verdict::Error(EINVAL);
      return Answer(syscall(__NR_statx, h.fd(), "", flags | AT_EMPTY_PATH, mask, &sx));
    };
    auto out = [&](const Verdict&) { return std::tuple<uint64_t, const void*, size_t>{c.arg(4), &sx, sizeof sx}; };
    return Query(c, in, NoInput, op, out);
  }
  const bool at = nr == __NR_newfstatat;
  const int flags = at ? static_cast<int>(c.arg(3)) : 0;
  struct stat st;
  std::memset(&st, 0, sizeof st);
  auto op = [&](Held& h) {
    if (h.caller_fd) return Answer(syscall(__NR_newfstatat, h.fd(), "", &st, flags));
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH)) return Verdict::Error(EINVAL);
    return Answer(syscall(__NR_newfstatat, h.fd(), "", &st, flags | AT_EMPTY_PATH));
  };
  auto out = [&](const Verdict&) {
    return std::tuple<uint64_t, const void*, size_t>{c.arg(at ? 2 : 1), &st, sizeof st};
  };
  return Query(c, in, NoInput, op, out);
}

// readlink, readlinkat: the target of the held symlink. /proc/self and
// /proc/thread-self were resolved to the caller's own /proc/PID (and
// .../task/TID) to be checked; reading them gives that name.
Verdict Readlink(Call& c, const Intent& in) {
  const bool at = c.nr() == __NR_readlinkat;
  const uint64_t addr = c.arg(at ? 2 : 1);
  const int bufsiz = static_cast<int>(c.arg(at ? 3 : 2));
  if (bufsiz <= 0) return Verdict::Error(EINVAL);  // before any lookup, as the kernel
  std::vector<char> buf(std::min(bufsiz, 1 << 16));
  std::string self_link;
  return CheckedThen(c, in, [&](Checked& ck) -> std::optional<Verdict> {
    const PathArgValue& a = ck.args[0];
    if (!a.fd_only && a.resolved.type == S_IFDIR && StartsWith(a.resolved.path, "/proc/")) {
      std::string_view raw = a.raw();
      const size_t slash = raw.rfind('/');
      std::string_view last = slash == std::string_view::npos ? raw : raw.substr(slash + 1);
      if (last == "self" || last == "thread-self") {
        const std::string target = a.resolved.path.substr(6);
        const size_t n = std::min(target.size(), buf.size());
        return WriteBack(c, Verdict::Value(static_cast<int64_t>(n)), addr, target.data(), n);
      }
    }
    std::optional<Verdict> v = Perform(c, ck, ck.creds, [&](Held& h) {
      const long r = readlinkat(h.fd(), "", buf.data(), buf.size());
      // readlinkat(fd, "") says ENOENT for what is no symlink; readlink of
      // a path says EINVAL.
      if (r < 0 && errno == ENOENT && !h.caller_fd) return Verdict::Error(EINVAL);
      return Answer(r);
    });
    if (!v) return std::nullopt;
    const size_t n = v->kind() == Verdict::Kind::kValue ? static_cast<size_t>(v->value()) : 0;
    return WriteBack(c, std::move(*v), addr, buf.data(), n);
  });
}

Verdict Statfs(Call& c, const Intent& in) {
  struct statfs sf;
  std::memset(&sf, 0, sizeof sf);
  auto op = [&](Held& h) { return Answer(fstatfs(h.fd(), &sf)); };
  auto out = [&](const Verdict&) { return std::tuple<uint64_t, const void*, size_t>{c.arg(1), &sf, sizeof sf}; };
  return Query(c, in, NoInput, op, out);
}

Verdict FileGetattr(Call& c, const Intent& in) {
  const uint64_t usize = c.arg(3), at_flags = c.arg(4);
  std::vector<unsigned char> attr;
  auto prepare = [&]() -> std::optional<Verdict> {
    if (!ValidAtFlags(at_flags)) return Verdict::Error(EINVAL);
    if (usize > 4096) return Verdict::Error(E2BIG);
    if (usize < uapi::kFileAttrSizeVer0) return Verdict::Error(EINVAL);
    attr.assign(usize, 0);
    return std::nullopt;
  };
  auto op = [&](Held& h) {
    if (h.caller_fd) return Answer(syscall(uapi::kNrFileGetattr, h.fd(), "", attr.data(), usize, at_flags));
    return Answer(syscall(uapi::kNrFileGetattr, AT_FDCWD, h.Proc().c_str(), attr.data(), usize, 0));
  };
  // The kernel writes the caller's whole size (zeros past its own struct).
  auto out = [&](const Verdict&) {
    return std::tuple<uint64_t, const void*, size_t>{c.arg(2), attr.data(), attr.size()};
  };
  return Query(c, in, prepare, op, out);
}

constexpr std::array<int, 19> kQueries = {
    __NR_access,          __NR_faccessat,      __NR_faccessat2, __NR_getxattr,        __NR_lgetxattr,
    __NR_fgetxattr,       uapi::kNrGetxattrat, __NR_listxattr,  __NR_llistxattr,      __NR_flistxattr,
    uapi::kNrListxattrat, __NR_stat,           __NR_lstat,      __NR_newfstatat,      __NR_statx,
    __NR_readlink,        __NR_readlinkat,     __NR_statfs,     uapi::kNrFileGetattr,
};

}  // namespace

std::span<const int> AttrQuerySyscalls() { return kQueries; }

Verdict HandleAttrQuery(Call& c, const Intent& in) {
  switch (c.nr()) {
    case __NR_access:
    case __NR_faccessat:
    case __NR_faccessat2:
      return Access(c, in);
    case __NR_getxattr:
    case __NR_lgetxattr:
    case __NR_fgetxattr:
    case uapi::kNrGetxattrat:
      return GetXattr(c, in);
    case __NR_listxattr:
    case __NR_llistxattr:
    case __NR_flistxattr:
    case uapi::kNrListxattrat:
      return ListXattr(c, in);
    case __NR_stat:
    case __NR_lstat:
    case __NR_newfstatat:
    case __NR_statx:
      return Stat(c, in);
    case __NR_readlink:
    case __NR_readlinkat:
      return Readlink(c, in);
    case __NR_statfs:
      return Statfs(c, in);
    case uapi::kNrFileGetattr:
      return FileGetattr(c, in);
    default:
      return HandleChecked(c, in);
  }
}

}  // namespace syd::supervisor
