// Process setup (setup.h): the parsers, the plan made before fork, and the
// steps the child runs. Everything the child needs is computed here, before
// fork: it runs no allocation and no library call that is not
// async-signal-safe.
#include "spawn/setup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "util/strings.h"

extern char** environ;

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

namespace syd::spawn {

Result<std::pair<std::string, std::optional<std::string>>> ParseEnv(const std::string& spec) {
  const size_t eq = spec.find('=');
  std::string name = spec.substr(0, eq);
  if (name.empty()) return Failf("--env '{}': no variable name before '='", spec);
  if (eq == std::string::npos) return std::make_pair(name, std::optional<std::string>());
  return std::make_pair(name, std::optional<std::string>(spec.substr(eq + 1)));
}

Result<Ionice> ParseIonice(const std::string& spec) {
  const size_t colon = spec.find(':');
  const std::string klass = spec.substr(0, colon);
  Ionice out;
  if (klass == "realtime" || klass == "1") out.klass = 1;
  else if (klass == "best-effort" || klass == "2") out.klass = 2;
  else if (klass == "idle" || klass == "3") out.klass = 3;
  else return Failf("--ionice '{}': unknown class '{}' (want realtime, best-effort or idle, or 1, 2, 3)", spec, klass);
  if (colon != std::string::npos) {
    if (out.klass == 3) return Failf("--ionice '{}': the idle class takes no priority", spec);
    auto n = ParseInt(spec.substr(colon + 1));
    if (!n || *n < 0 || *n > 7) return Failf("--ionice '{}': the priority is 0 to 7", spec);
    out.data = static_cast<int>(*n);
  } else if (out.klass != 3) {
    out.data = 4;  // the kernel's default level
  }
  return out;
}

Result<mode_t> ParseUmask(const std::string& spec) {
  if (spec.empty() || spec.size() > 4 || spec.find_first_not_of("01234567") != std::string::npos)
    return Failf("--umask '{}': want an octal mode such as 022 or 0077", spec);
  const unsigned long v = std::strtoul(spec.c_str(), nullptr, 8);
  if (v > 0777) return Failf("--umask '{}': at most 0777", spec);
  return static_cast<mode_t>(v);
}

Result<std::pair<int, int>> ParseFdRange(const std::string& spec) {
  const size_t colon = spec.find(':');
  auto from = ParseInt(spec.substr(0, colon));
  if (!from || *from < 0 || *from > INT32_MAX) return Failf("--close-fds '{}': want A:B, A: or A (descriptor numbers)", spec);
  int to = static_cast<int>(*from);
  if (colon != std::string::npos) {
    const std::string rest = spec.substr(colon + 1);
    if (rest.empty()) {
      to = -1;
    } else {
      auto t = ParseInt(rest);
      if (!t || *t < *from || *t > INT32_MAX) return Failf("--close-fds '{}': want A:B with A <= B", spec);
      to = static_cast<int>(*t);
    }
  }
  if (*from <= 2) return Failf("--close-fds '{}': 0, 1 and 2 stay open (start at 3)", spec);
  return std::make_pair(static_cast<int>(*from), to);
}

Result<int> UnshareFlag(const std::string& what) {
  if (what == "user") return CLONE_NEWUSER;
  if (what == "mount") return CLONE_NEWNS;
  if (what == "pid") return CLONE_NEWPID;
  if (what == "net") return CLONE_NEWNET;
  if (what == "uts") return CLONE_NEWUTS;
  if (what == "ipc") return CLONE_NEWIPC;
  if (what == "cgroup") return CLONE_NEWCGROUP;
  if (what == "time") return CLONE_NEWTIME;
  return Failf("unknown namespace '{}'", what);
}

Result<std::pair<std::string, std::string>> ParsePivotRoot(const std::string& spec) {
  const size_t colon = spec.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size())
    return Failf("--pivot-root '{}': want NEW:OLD (the new root, and where the old one goes inside it)", spec);
  std::string new_root = spec.substr(0, colon), old_root = spec.substr(colon + 1);
  if (new_root[0] != '/') return Failf("--pivot-root '{}': give NEW as an absolute path", spec);
  while (new_root.size() > 1 && new_root.back() == '/') new_root.pop_back();
  if (old_root[0] != '/') old_root = "/" + old_root;
  if (old_root == "/" || old_root.find("/..") != std::string::npos)
    return Failf("--pivot-root '{}': OLD is a directory below the new root (such as /oldroot)", spec);
  return std::make_pair(new_root, old_root);
}

Result<SetupPlan> PlanSetup(const ProcessSetup& s, uid_t outer_uid, gid_t outer_gid) {
  SetupPlan plan;
  auto step = [&](SetupStep::Kind k, std::string what) -> SetupStep& {
    plan.steps.push_back(SetupStep{k, std::move(what), {}, {}, 0, 0, {}});
    return plan.steps.back();
  };
  // 1. Namespaces. A user namespace first (it grants the capabilities the
  // others need when sydbox is unprivileged), with one mapping: the id the
  // command is to have inside (-u/-g, else sydbox's own) to sydbox's.
  if (!s.chroot.empty() && !s.pivot_new.empty()) return Failf("--chroot and --pivot-root exclude each other");
  // --unshare-pid: the child is made in the new pid namespace (its own
  // user namespace with it), so the command is its pid 1.
  if (s.unshare & CLONE_NEWPID) {
    plan.clone_flags = CLONE_NEWPID | (s.unshare & CLONE_NEWUSER);
    plan.clone_what = s.unshare & CLONE_NEWUSER ? "--unshare-user --unshare-pid" : "--unshare-pid";
  }
  plan.death_signal = !s.allow_daemonize;
  if (s.unshare & CLONE_NEWUSER) {
    if (!(plan.clone_flags & CLONE_NEWUSER)) step(SetupStep::kUnshareUser, "--unshare-user");
    const uid_t in_uid = s.uid.value_or(outer_uid);
    const gid_t in_gid = s.gid.value_or(outer_gid);
    if (!s.add_gids.empty())
      return Failf("--add-gid cannot be used with --unshare-user: only the one group id is mapped inside");
    SetupStep& sg = step(SetupStep::kWriteFile, "--unshare-user (setgroups)");
    sg.path = "/proc/self/setgroups";
    sg.data = "deny";
    SetupStep& um = step(SetupStep::kWriteFile, "--unshare-user (uid map)");
    um.path = "/proc/self/uid_map";
    um.data = fmt::format("{} {} 1\n", in_uid, outer_uid);
    SetupStep& gm = step(SetupStep::kWriteFile, "--unshare-user (gid map)");
    gm.path = "/proc/self/gid_map";
    gm.data = fmt::format("{} {} 1\n", in_gid, outer_gid);
  }
  // --pivot-root needs a mount namespace of its own (it moves the root of
  // every process in the namespace).
  const int unshare = s.unshare | (s.pivot_new.empty() ? 0 : CLONE_NEWNS);
  if (const int rest = unshare & ~(CLONE_NEWUSER | CLONE_NEWPID)) {
    std::vector<std::string> names;
    for (const char* n : {"mount", "net", "uts", "ipc", "cgroup", "time"})
      if (rest & *UnshareFlag(n))
        names.push_back(std::string("--unshare-") + n +
                        (n == std::string("mount") && !(s.unshare & CLONE_NEWNS) ? " (for --pivot-root)" : ""));
    step(SetupStep::kUnshare, fmt::format("{}", fmt::join(names, " "))).a = static_cast<uint64_t>(rest);
    if (rest & CLONE_NEWNET) step(SetupStep::kLoopbackUp, "--unshare-net (bringing lo up)");
  }
  // 2. The root, then the working directory inside it.
  if (!s.chroot.empty()) {
    if (s.chroot[0] != '/') return Failf("--chroot '{}': give an absolute path", s.chroot);
    step(SetupStep::kChroot, "--chroot " + s.chroot).path = s.chroot;
  }
  if (!s.pivot_new.empty()) {
    SetupStep& pr = step(SetupStep::kPivotRoot, "--pivot-root " + s.pivot_new + ":" + s.pivot_old);
    pr.path = s.pivot_new;
    pr.data = s.pivot_new + s.pivot_old;  // where the old root goes, seen from the old root
  }
  // A pid namespace with a mount namespace: a /proc that shows it.
  if ((s.unshare & CLONE_NEWPID) && (unshare & CLONE_NEWNS))
    step(SetupStep::kMountProc, "--unshare-pid (mounting a new /proc)");
  if (!s.chdir.empty()) step(SetupStep::kChdir, "--chdir " + s.chdir).path = s.chdir;
  // 3. What does not need privileges the ids below would take away.
  if (s.umask) step(SetupStep::kUmask, fmt::format("--umask {:04o}", *s.umask)).a = *s.umask;
  if (s.nice) step(SetupStep::kNice, fmt::format("--nice {}", *s.nice)).a = static_cast<uint64_t>(static_cast<int64_t>(*s.nice));
  if (s.ionice) {
    SetupStep& io = step(SetupStep::kIonice, fmt::format("--ionice {}:{}", s.ionice->klass, s.ionice->data));
    io.a = static_cast<uint64_t>(s.ionice->klass);
    io.b = static_cast<uint64_t>(s.ionice->data);
  }
  for (const Rlimit& r : s.rlimits) {
    SetupStep& rl = step(SetupStep::kRlimit, "rlimit/" + r.name);
    rl.a = static_cast<uint64_t>(r.resource);
    rl.b = r.value;
  }
  if (!s.stdout_file.empty()) step(SetupStep::kOpenStdout, "--stdout " + s.stdout_file).path = s.stdout_file;
  if (!s.stderr_file.empty()) step(SetupStep::kOpenStderr, "--stderr " + s.stderr_file).path = s.stderr_file;
  for (const auto& [from, to] : s.close_fds) {
    SetupStep& c = step(SetupStep::kCloseFds, to < 0 ? fmt::format("--close-fds {}:", from)
                                                      : fmt::format("--close-fds {}:{}", from, to));
    c.a = static_cast<uint64_t>(from);
    c.b = to < 0 ? ~0U : static_cast<uint64_t>(to);
  }
  // 4. Ids last, and with them every capability: groups, gid, uid.
  if (s.changes_ids()) {
    step(SetupStep::kDropBoundingSet, "dropping the capability bounding set");
    if (!(s.unshare & CLONE_NEWUSER)) {
      SetupStep& g = step(SetupStep::kSetGroups, s.add_gids.empty() ? "clearing the supplementary groups (setgroups)"
                                                                     : "--add-gid (setgroups)");
      g.groups = s.add_gids;
    }
    const gid_t gid = s.gid.value_or(outer_gid);
    const uid_t uid = s.uid.value_or(outer_uid);
    step(SetupStep::kSetGid, fmt::format("--gid {}", gid)).a = gid;
    step(SetupStep::kSetUid, fmt::format("--uid {}", uid)).a = uid;
    step(SetupStep::kDropCapabilities, "dropping capabilities");
  }
  // The environment and argv[0], prepared here for exec.
  if (!s.env.empty()) {
    plan.own_env = true;
    for (char** e = environ; e && *e; ++e) plan.env_strings.emplace_back(*e);
    for (const auto& [name, value] : s.env) {
      std::erase_if(plan.env_strings, [&](const std::string& kv) {
        return kv.size() > name.size() && kv.compare(0, name.size(), name) == 0 && kv[name.size()] == '=';
      });
      if (value) plan.env_strings.push_back(name + "=" + *value);
    }
    for (std::string& kv : plan.env_strings) plan.envp.push_back(kv.data());
    plan.envp.push_back(nullptr);
  }
  plan.alias = s.alias;
  return plan;
}

namespace {

// The child's own calls; each returns 0 or an errno.
int WriteAll(const char* path, const std::string& data) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = write(fd, data.data(), data.size());
  int e = n == static_cast<ssize_t>(data.size()) ? 0 : n < 0 ? errno : EIO;
  close(fd);
  return e;
}

int LoopbackUp() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::memcpy(ifr.ifr_name, "lo", 3);
  int e = 0;
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) e = errno;
  if (!e) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) e = errno;
  }
  close(s);
  return e;
}

int Redirect(const std::string& path, int target) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0666);
  if (fd < 0) return errno;
  int e = dup3(fd, target, 0) < 0 ? errno : 0;
  close(fd);
  return e;
}

// close_range over [from, to] around the descriptors to keep.
int CloseRange(unsigned from, unsigned to, const int* keep, int nkeep) {
  unsigned lo = from;
  for (;;) {
    // The smallest kept descriptor in [lo, to].
    unsigned next = to;
    bool found = false;
    for (int i = 0; i < nkeep; ++i) {
      const unsigned k = static_cast<unsigned>(keep[i]);
      if (keep[i] >= 0 && k >= lo && k <= to && (!found || k < next)) {
        next = k;
        found = true;
      }
    }
    if (!found) return syscall(SYS_close_range, lo, to, 0) == 0 ? 0 : errno;
    if (next > lo && syscall(SYS_close_range, lo, next - 1, 0) != 0) return errno;
    if (next == to) return 0;
    lo = next + 1;
  }
}

int DropBoundingSet() {
  for (int cap = 0; cap <= 63; ++cap) {
    if (prctl(PR_CAPBSET_READ, cap) < 0) break;  // past the last capability
    if (prctl(PR_CAPBSET_DROP, cap) != 0 && errno != EPERM) return errno;
  }
  return 0;
}

int DropCapabilities() {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return errno;
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2];
  std::memset(d, 0, sizeof d);
  return syscall(SYS_capset, &h, d) == 0 ? 0 : errno;
}

// The new root NEW is bind-mounted on itself (pivot_root wants a mount
// point), propagation is made private first (pivot_root refuses shared
// mounts; the namespace is the child's own), the old root goes to OLD.
int PivotRoot(const SetupStep& st) {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno;
  if (mount(st.path.c_str(), st.path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) return errno;
  if (syscall(SYS_pivot_root, st.path.c_str(), st.data.c_str()) != 0) return errno;
  return chdir("/") == 0 ? 0 : errno;
}

int RunStep(const SetupStep& st, const int* keep, int nkeep) {
  switch (st.kind) {
    case SetupStep::kUnshareUser: return unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
    case SetupStep::kWriteFile: return WriteAll(st.path.c_str(), st.data);
    case SetupStep::kUnshare: return unshare(static_cast<int>(st.a)) == 0 ? 0 : errno;
    case SetupStep::kLoopbackUp: return LoopbackUp();
    case SetupStep::kChroot:
      if (chroot(st.path.c_str()) != 0) return errno;
      return chdir("/") == 0 ? 0 : errno;
    case SetupStep::kChdir: return chdir(st.path.c_str()) == 0 ? 0 : errno;
    case SetupStep::kUmask: umask(static_cast<mode_t>(st.a)); return 0;
    case SetupStep::kNice:
      return setpriority(PRIO_PROCESS, 0, static_cast<int>(static_cast<int64_t>(st.a))) == 0 ? 0 : errno;
    case SetupStep::kIonice: {
      const int prio = static_cast<int>(st.a << 13 | st.b);  // IOPRIO_PRIO_VALUE
      return syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, prio) == 0 ? 0 : errno;
    }
    case SetupStep::kRlimit: {
      rlimit rl;
      rl.rlim_cur = rl.rlim_max = st.b == ~uint64_t{0} ? RLIM_INFINITY : static_cast<rlim_t>(st.b);
      return setrlimit(static_cast<__rlimit_resource_t>(st.a), &rl) == 0 ? 0 : errno;
    }
    case SetupStep::kOpenStdout: return Redirect(st.path, 1);
    case SetupStep::kOpenStderr: return Redirect(st.path, 2);
    case SetupStep::kCloseFds: return CloseRange(static_cast<unsigned>(st.a), static_cast<unsigned>(st.b), keep, nkeep);
    case SetupStep::kDropBoundingSet: return DropBoundingSet();
    case SetupStep::kSetGroups:
      return syscall(SYS_setgroups, st.groups.size(), st.groups.data()) == 0 ? 0 : errno;
    case SetupStep::kSetGid: return syscall(SYS_setresgid, st.a, st.a, st.a) == 0 ? 0 : errno;
    case SetupStep::kSetUid: return syscall(SYS_setresuid, st.a, st.a, st.a) == 0 ? 0 : errno;
    case SetupStep::kDropCapabilities: return DropCapabilities();
    case SetupStep::kPivotRoot: return PivotRoot(st);
    case SetupStep::kMountProc:
      return mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0 ? 0 : errno;
  }
  return EINVAL;
}

}  // namespace

int RunSetup(const SetupPlan& plan, const int* keep, int nkeep, int* err) {
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    if (int e = RunStep(plan.steps[i], keep, nkeep)) {
      *err = e;
      return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace syd::spawn
