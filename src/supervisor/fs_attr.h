// Internal to supervisor/: what the attribute calls — changes in
// fs_attr.cc, reads in fs_query.cc — share. Each is performed by the
// supervisor on the very object it was checked on, held by a descriptor:
//  - a path argument: an O_PATH handle opened from the caller's root with
//    no symlink followed on the way (resolve.h, OpenResolved), so a
//    component swapped for a symlink after the check makes the call fail
//    with ELOOP and never redirects it — or, where the caller's identity
//    is the supervisor's, the handle the resolution itself opened
//    (Resolved::handle), the very object checked;
//  - a descriptor argument (fchmod, AT_EMPTY_PATH, ...): a copy of the
//    caller's descriptor (pidfd_getfd), confirmed to have the path that
//    was checked, so a dup2() by another thread in between is noticed.
// Buffers the call takes (times, xattr names and values, struct
// xattr_args, struct file_attr) are read once from the caller's memory and
// the kernel gets the supervisor's copies.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "kernel/proc.h"
#include "kernel/uapi.h"
#include "supervisor/caller.h"
#include "supervisor/families.h"

namespace syd::supervisor {

// The object a checked argument names, held by the supervisor.
struct Held {
  UniqueFd own;
  std::shared_ptr<const UniqueFd> shared;  // resolution's own handle (Resolved::handle)
  int fd() const { return shared ? shared->get() : own.get(); }
  // A copy of the caller's own descriptor (or an O_PATH handle of its cwd,
  // for AT_FDCWD with AT_EMPTY_PATH): the call is repeated on it as the
  // caller made it, flags included, so the kernel answers as it would have.
  bool caller_fd = false;
  // "/proc/self/fd/N": a magic link to exactly this object (never to what
  // a symlink held here points to: checked on this kernel), for the calls
  // with no descriptor form that takes an O_PATH handle.
  std::string Proc() const;
};

// Holds argument `i` of a checked call. Errors: ESTALE when the object no
// longer has the path that was checked (CheckedThen checks again), ESRCH
// when the caller is gone, else the errno to answer.
//  - HoldDescriptor, for an fd-only argument: a copy of the caller's
//    descriptor. Call it with the supervisor's own identity (taking a
//    descriptor is a ptrace-checked access).
//  - OpenChecked, for a path: call it acting as the caller (AsCallerFor),
//    so the kernel checks search permission of every directory on the way
//    with the caller's identity, as for the caller's own call.
Result<Held> HoldDescriptor(Call& c, const Checked& ck, int i);
Result<Held> OpenChecked(Call& c, const Checked& ck, const std::optional<kernel::Creds>& creds, int i);

// Runs fn() with the caller's identity where the supervisor can take it
// (it runs as root; caller.h), else as is.
template <class Fn>
auto AsCallerFor(Call& c, const std::optional<kernel::Creds>& creds, Fn fn) {
  if (creds && c.env.self.root) return WithCaller(c.env.self, *creds, Act{}, fn);
  return fn();
}

// The verdict for a failed Hold() or operation.
Verdict FromError(const Error& e);
inline Verdict FromErrno(int e) { return Verdict::Error(e ? e : EIO); }

// ResolveAndCheck, then body(Checked&). The body returns nullopt when a
// hold said ESTALE: the call is then checked afresh (at most a few times; a
// descriptor that keeps changing under the call gets EBADF).
template <class Body>
Verdict CheckedThen(Call& c, const Intent& in, Body body) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    auto r = ResolveAndCheck(c, in, Need{false, c.env.self.root, /*handle=*/true});
    if (auto* v = std::get_if<Verdict>(&r)) return std::move(*v);
    std::optional<Verdict> out = body(std::get<Checked>(r));
    if (out) return std::move(*out);
  }
  return Verdict::Error(EBADF);
}

// Holds argument 0 of `ck` and runs op(Held&) -> Verdict as the caller;
// nullopt when the hold said ESTALE (for CheckedThen).
template <class Op>
std::optional<Verdict> Perform(Call& c, const Checked& ck, const std::optional<kernel::Creds>& creds, Op op) {
  std::optional<Held> pre;
  if (ck.args[0].fd_only) {
    auto h = HoldDescriptor(c, ck, 0);
    if (!h) {
      if (h.error().sys_errno == ESTALE) return std::nullopt;
      return FromError(h.error());
    }
    pre = std::move(*h);
  }
  return AsCallerFor(c, creds, [&]() -> std::optional<Verdict> {
    if (pre) return op(*pre);
    auto h = OpenChecked(c, ck, creds, 0);
    if (!h) {
      if (h.error().sys_errno == ESTALE) return std::nullopt;
      return FromError(h.error());
    }
    return op(*h);
  });
}

// Reads an xattr name once: ERANGE when empty or longer than 255 bytes
// (as the kernel says), EFAULT when unreadable. An error verdict or none.
std::optional<Verdict> ReadXattrName(Call& c, uint64_t addr, std::string* out);

// Reads `struct xattr_args` of the *xattrat calls once, with the kernel's
// checks of its size (EINVAL below version 0, E2BIG above a page or with a
// non-zero tail).
std::optional<Verdict> ReadXattrArgs(Call& c, uint64_t addr, uint64_t usize, kernel::uapi::XattrArgs* out);

}  // namespace syd::supervisor
