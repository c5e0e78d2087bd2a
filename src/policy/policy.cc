#include "policy/policy.h"

#include <sys/resource.h>

namespace syd::policy {

const std::vector<RlimitName>& RlimitNames() {
  static const std::vector<RlimitName> names = {
      {"as", RLIMIT_AS, "bytes"},          {"core", RLIMIT_CORE, "bytes"},
      {"cpu", RLIMIT_CPU, "seconds"},      {"data", RLIMIT_DATA, "bytes"},
      {"fsize", RLIMIT_FSIZE, "bytes"},    {"memlock", RLIMIT_MEMLOCK, "bytes"},
      {"msgqueue", RLIMIT_MSGQUEUE, "bytes"}, {"nice", RLIMIT_NICE, ""},
      {"nofile", RLIMIT_NOFILE, ""},       {"nproc", RLIMIT_NPROC, ""},
      {"rss", RLIMIT_RSS, "bytes"},        {"rtprio", RLIMIT_RTPRIO, ""},
      {"rttime", RLIMIT_RTTIME, "microseconds"}, {"sigpending", RLIMIT_SIGPENDING, ""},
      {"stack", RLIMIT_STACK, "bytes"},
  };
  return names;
}

std::string_view CategoryName(Category c) {
  switch (c) {
    case Category::kRead: return "read";
    case Category::kWrite: return "write";
    case Category::kExec: return "exec";
    case Category::kStat: return "stat";
    case Category::kNetBind: return "net/bind";
    case Category::kNetConnect: return "net/connect";
  }
  return "?";
}

std::string_view ModeName(Mode m) {
  switch (m) {
    case Mode::kOff: return "off";
    case Mode::kAllow: return "allow";
    case Mode::kDeny: return "deny";
    case Mode::kBpf: return "bpf";
    case Mode::kLandlock: return "landlock";
  }
  return "?";
}

Sandbox SandboxOf(Category c) {
  switch (c) {
    case Category::kRead: return Sandbox::kRead;
    case Category::kWrite: return Sandbox::kWrite;
    case Category::kExec: return Sandbox::kExec;
    case Category::kStat: return Sandbox::kStat;
    case Category::kNetBind:
    case Category::kNetConnect: return Sandbox::kNetwork;
  }
  return Sandbox::kRead;
}

}  // namespace syd::policy
