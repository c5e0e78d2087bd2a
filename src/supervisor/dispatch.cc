// Built once from the table of checked calls (policy/syscalls.cc): each
// kind of call has its family; calls of one kind that a family performs
// differently are listed by number.
#include "supervisor/dispatch.h"

#include <sys/syscall.h>

#include <array>

#include "policy/syscalls.h"

namespace syd::supervisor {
namespace {

constexpr int kMaxNr = 512;

Verdict Getdents(Call& c, const Intent&) { return HandleGetdents(c); }

Handler ForKind(policy::CallKind k) {
  switch (k) {
    case policy::CallKind::kPath: return HandleChecked;
    case policy::CallKind::kOpen:
    case policy::CallKind::kOpenHow: return HandleOpen;
    case policy::CallKind::kExec: return HandleExec;
    case policy::CallKind::kDirList: return Getdents;
    case policy::CallKind::kNet: return HandleNet;
    case policy::CallKind::kAttrIoctl: return HandleAttrIoctl;
  }
  return HandleChecked;
}

// Calls of a kind that a family of their own performs, by number.
struct ByNumber {
  int nr;
  Handler handler;
};
constexpr ByNumber kByNumber[] = {
    // fs_write.cc: names created, removed and renamed
    {__NR_mkdir, HandleNameChange},   {__NR_mkdirat, HandleNameChange},  {__NR_mknod, HandleNameChange},
    {__NR_mknodat, HandleNameChange}, {__NR_symlink, HandleNameChange},  {__NR_symlinkat, HandleNameChange},
    {__NR_link, HandleNameChange},    {__NR_linkat, HandleNameChange},   {__NR_unlink, HandleNameChange},
    {__NR_unlinkat, HandleNameChange}, {__NR_rmdir, HandleNameChange},   {__NR_rename, HandleNameChange},
    {__NR_renameat, HandleNameChange}, {__NR_renameat2, HandleNameChange},
};

std::array<Handler, kMaxNr> Build() {
  std::array<Handler, kMaxNr> t{};
  for (const policy::SyscallInfo& s : policy::CheckedSyscalls())
    if (s.nr >= 0 && s.nr < kMaxNr) t[static_cast<size_t>(s.nr)] = ForKind(s.kind);
  // Path calls performed by their family, by number.
  for (int nr : AttrChangeSyscalls()) t[static_cast<size_t>(nr)] = HandleAttrChange;
  for (int nr : AttrQuerySyscalls()) t[static_cast<size_t>(nr)] = HandleAttrQuery;
  for (const ByNumber& b : kByNumber) t[static_cast<size_t>(b.nr)] = b.handler;
  return t;
}

}  // namespace

Handler FindHandler(int nr) {
  static const std::array<Handler, kMaxNr> kTable = Build();
  return nr >= 0 && nr < kMaxNr ? kTable[static_cast<size_t>(nr)] : nullptr;
}

}  // namespace syd::supervisor
