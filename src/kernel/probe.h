// What the running kernel offers of what sydbox uses (sydbox -t). Each
// probe does for real what sydbox does with the feature — installs a
// filter, receives a notification, installs a descriptor with ADDFD,
// reads and writes another process's memory, enters a Landlock domain,
// makes namespaces — in a forked child wherever that changes the process,
// so the caller ends as it began (no filter, namespace, domain or
// descriptor left, every child reaped). Nothing is simulated: a feature is
// `ok` only when the kernel did the thing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace syd::kernel {

enum class Need : uint8_t {
  kRequired,  // sydbox cannot enforce its policy without it
  kOptional,  // sydbox runs without it, with the loss `Feature::without` says
};

struct Feature {
  std::string name;     // stable key, [a-z0-9-]+ ("seccomp-addfd")
  Need need = Need::kRequired;
  std::string use;      // what sydbox uses it for
  std::string without;  // kOptional: what sydbox does when it is missing
  bool ok = false;
  std::string value;    // ok: what the probe found, when there is more than yes ("ABI 7"); may be empty
  std::string reason;   // missing: why, as the kernel said it ("EINVAL from seccomp(NEW_LISTENER)")
};

// Probes every feature, in a fixed order (the order of `sydbox -t`).
// Forks: call it from a process with one thread. Takes at most a few
// seconds per probe when a child stops answering (it is then killed).
std::vector<Feature> ProbeKernel();

}  // namespace syd::kernel
