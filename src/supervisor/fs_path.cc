// The path calls the supervisor checks but does not perform: the decision
// is made on the path as read once, and an allowed call is answered
// CONTINUE, so the kernel reads the path again (docs/SECURITY.md, "Answered
// with SECCOMP_USER_NOTIF_FLAG_CONTINUE").
#include "supervisor/families.h"

namespace syd::supervisor {

Verdict HandleChecked(Call& c, const Intent& in) {
  auto r = ResolveAndCheck(c, in, Need{});
  if (auto* v = std::get_if<Verdict>(&r)) return std::move(*v);
  return Verdict::Continue();
}

}  // namespace syd::supervisor
