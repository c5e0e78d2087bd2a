// Socket addresses as a sandboxed process passes them to bind/connect/
// sendto (hostile input, read from its memory): parse, then decide them
// against a few address patterns. Nothing may crash, hang or leak.
#include <cstddef>
#include <cstdint>

#include "policy/apply.h"
#include "policy/decider.h"
#include "policy/netaddr.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const syd::policy::Decider* decider = [] {
    syd::policy::Policy p;
    syd::policy::ApplyEnv env;
    for (const char* line : {"core/sandbox/network:deny", "allowlist/network/connect+LOOPBACK@1-1000",
                             "allowlist/network/connect+unix:/tmp/**", "denylist/network/connect+LOCAL6",
                             "allowlist/network/bind+inet6:::1@80", "allowlist/network/connect+unix-abstract:x*"}) {
      auto c = syd::lang::ParseCommand(line, {"fuzz", 1});
      if (!c || !syd::policy::Apply(p, *c, env)) abort();
    }
    return new syd::policy::Decider(std::move(p));
  }();
  auto a = syd::policy::ParseSockaddr(data, size);
  if (!a) return 0;
  (void)a->ToString();
  for (auto c : {syd::policy::Category::kNetBind, syd::policy::Category::kNetConnect}) (void)decider->CheckAddr(c, *a);
  return 0;
}
