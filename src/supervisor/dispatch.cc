// Built once from the table of checked calls (policy/syscalls.cc): each
// kind of call has its family; calls of one kind that a family performs
// differently are listed by number.
#include "supervisor/dispatch.h"

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

std::array<Handler, kMaxNr> Build() {
  std::array<Handler, kMaxNr> t{};
  for (const policy::SyscallInfo& s : policy::CheckedSyscalls())
    if (s.nr >= 0 && s.nr < kMaxNr) t[static_cast<size_t>(s.nr)] = ForKind(s.kind);
  // Path calls performed by their family, by number.
  for (int nr : AttrChangeSyscalls()) t[static_cast<size_t>(nr)] = HandleAttrChange;
  for (int nr : AttrQuerySyscalls()) t[static_cast<size_t>(nr)] = HandleAttrQuery;
  return t;
}

}  // namespace

Handler FindHandler(int nr) {
  static const std::array<Handler, kMaxNr> kTable = Build();
  return nr >= 0 && nr < kMaxNr ? kTable[static_cast<size_t>(nr)] : nullptr;
}

}  // namespace syd::supervisor
